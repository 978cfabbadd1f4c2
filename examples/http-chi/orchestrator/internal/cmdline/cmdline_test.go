package cmdline_test

import (
	"bytes"
	"flag"
	"strings"
	"testing"
	"time"

	"example.com/http-chi/orchestrator/internal/cmdline"
)

func toolFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("tool", flag.ContinueOnError)
	var n, runs int
	var x float64
	var d time.Duration
	cmdline.IntVar(fs, &n, "count", 3, 0, 10, "how many")
	cmdline.IntVar(fs, &runs, "runs", 1, 1, int(^uint(0)>>1), "how often")
	cmdline.PositiveFloatVar(fs, &x, "rate", 2, "calls per second")
	cmdline.PositiveDurationVar(fs, &d, "duration", time.Second, "how long")
	return fs
}

// Each bounded flag takes its range and refuses the rest, with flag's own message naming the
// flag and the value, then what is allowed.
func TestBoundedFlagsTakeTheirRangeOnly(t *testing.T) {
	for _, c := range []struct{ flag, value, err string }{
		{"count", "0", ""},
		{"count", "10", ""},
		{"count", "11", `invalid value "11" for flag -count: want a whole number from 0 to 10`},
		{"count", "99999999999999999999", "want a whole number from 0 to 10"},
		{"count", "-1", "want a whole number from 0 to 10"},
		{"count", "1e3", "want a whole number from 0 to 10"},
		{"runs", "0", `invalid value "0" for flag -runs: want a whole number 1 or more`},
		{"rate", "0.5", ""},
		{"rate", "0", `invalid value "0" for flag -rate: want a number above 0`},
		{"rate", "NaN", "want a number above 0"},
		{"rate", "+Inf", "want a number above 0"},
		{"duration", "1ms", ""},
		{"duration", "0s", `invalid value "0s" for flag -duration: want a Go duration above 0`},
	} {
		fs := toolFlags()
		fs.SetOutput(&bytes.Buffer{})
		err := fs.Parse([]string{"-" + c.flag, c.value})
		switch {
		case c.err == "" && err != nil:
			t.Errorf("-%s %s: %v", c.flag, c.value, err)
		case c.err == "" && fs.Lookup(c.flag).Value.String() != c.value:
			t.Errorf("-%s %s holds %s", c.flag, c.value, fs.Lookup(c.flag).Value)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("-%s %s: %v, want %q", c.flag, c.value, err, c.err)
		}
	}
}

// -h names each bounded flag's placeholder and range, as a real flag's help does: flag.Var
// alone printed "-count value".
func TestHelpNamesThePlaceholderAndTheRange(t *testing.T) {
	var out bytes.Buffer
	fs := toolFlags()
	fs.SetOutput(&out)
	fs.PrintDefaults()
	for _, want := range []string{"-count N\n", "how many (N from 0 to 10) (default 3)", "-runs N\n", "how often (N 1 or more) (default 1)", "-rate X\n", "(X above 0) (default 2)", "-duration D\n", "(default 1s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "value") {
		t.Errorf("-h shows a flag as `value`:\n%s", out.String())
	}
}
