package config

import (
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// parser reads settings from the environment, collecting every problem rather than stopping
// at the first; the parsers one ingress alone needs live in that ingress's file.
type parser struct {
	env      map[string]string
	read     map[string]bool
	problems []string
}

func newParser(environ []string) *parser {
	p := &parser{env: make(map[string]string, len(environ)), read: make(map[string]bool, len(settings))}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			p.env[k] = v
		}
	}
	return p
}

// Default is key's default from the settings table, in the variable's own syntax, for tools
// that must act as the orchestrator does (cmd/loadgen's deadline). It panics on a name outside the table.
func Default(key string) string {
	return newParser(nil).value(key)
}

func (p *parser) fail(key, value, reason string) {
	p.problems = append(p.problems, fmt.Sprintf("%s=%q: %s", key, value, reason))
}

// nameRule is the names AWS takes for the resource setting names: min to max bytes, each in the
// bracket expression chars (ASCII ranges, as the scripts' check reads it too).
type nameRule struct {
	setting, chars, want string
	min, max             int
}

func (r nameRule) takes(v string) bool {
	return len(v) >= r.min && len(v) <= r.max && regexp.MustCompile("^["+r.chars+"]+$").MatchString(v)
}

// value is the variable's value, or its default from the settings table when it is unset or empty
// (compose files often pass VAR= to mean "default"). Whitespace around a value (or only
// whitespace) is refused, once, as the workers and the scripts' checks refuse it: one value, one
// answer from all three; so is a name AWS would not take for the resource it names (nameRules). Reading a name outside the table is a bug in this package, which its
// tests catch.
func (p *parser) value(key string) string {
	for _, s := range settings {
		if s.name == key {
			v := p.env[key]
			if t := strings.TrimSpace(v); t != v {
				if !p.read[key] {
					p.fail(key, v, "want the value without whitespace around it")
				}
				v = t
			}
			if v == "" {
				v = s.def
			}
			if i := slices.IndexFunc(nameRules, func(r nameRule) bool { return r.setting == key }); i >= 0 && !p.read[key] && !nameRules[i].takes(v) {
				p.fail(key, v, "want "+nameRules[i].want)
			}
			p.read[key] = true
			return v
		}
	}
	panic("config: " + key + " is not in the settings table")
}

// rejectRetired reports retired names: each is exactly a name this orchestrator once read, so
// setting one is a mistake, never another program's variable.
func (p *parser) rejectRetired() {
	keys := make([]string, 0, len(p.env))
	for k, v := range p.env {
		if v != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if i := slices.IndexFunc(retired, func(r rename) bool { return r.name == k }); i >= 0 {
			p.problems = append(p.problems, fmt.Sprintf("%s is no longer read: set %s instead", k, retired[i].use))
		}
	}
}

func (p *parser) hostPort(key string) string {
	v := p.value(key)
	// Brackets hold an IPv6 address only ([1.2.3.4] and [] were taken here, refused by the scripts).
	if host, port, err := net.SplitHostPort(v); err != nil || !listenHost(host) || strings.HasPrefix(v, "[") != strings.Contains(host, ":") {
		p.fail(key, v, "want host:port, e.g. "+Default("LISTEN_ADDR"))
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		// Port 0 would pick a random port that nothing in front of the service could find.
		p.fail(key, v, "want a port number from 1 to 65535")
	}
	return v
}

// listenHost is whether host is one to listen on: empty (every interface), an IP address (an IPv6
// one with an optional %zone), or a name of letters, digits, dots, dashes and underscores, as the
// scripts' checks read one; anything else would fail only at listen.
func listenHost(host string) bool {
	const name = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
	ip, zone, zoned := strings.Cut(host, "%")
	if zoned {
		return strings.Contains(ip, ":") && net.ParseIP(ip) != nil && zone != "" && strings.Trim(zone, name) == ""
	}
	return host == "" || net.ParseIP(host) != nil || strings.Trim(host, name) == ""
}

func (p *parser) duration(key string) time.Duration {
	v := p.value(key)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(key, v, "want a positive duration, e.g. 2s or 500ms")
		return 0
	}
	return d
}

func (p *parser) level(key string) slog.Level {
	v := p.value(key)
	var l slog.Level
	// slog folds case by Unicode's rules, so "ınfo" (a dotless ı) read as INFO; the scripts' check
	// and every other case-blind setting fold ASCII only, so a letter outside it is refused.
	if err := l.UnmarshalText([]byte(v)); err != nil || !ascii(v) {
		p.fail(key, v, "want debug, info, warn or error")
		return 0
	}
	return l
}

// ascii is whether v is all ASCII.
func ascii(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return r > unicode.MaxASCII })
}

func (p *parser) onOff(key string) bool {
	switch v := p.value(key); v {
	case "on":
		return true
	case "off":
		return false
	default:
		p.fail(key, v, "want on or off")
		return false
	}
}
