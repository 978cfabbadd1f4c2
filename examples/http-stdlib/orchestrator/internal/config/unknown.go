package config

import (
	"slices"
	"strings"
)

// Unknown is a variable that looks like one of the orchestrator's settings and is none: most
// often a typo, which would otherwise leave the default in force unnoticed.
type Unknown struct {
	// Name is the variable as set.
	Name string
	// Closest is the setting whose name is nearest to it, the likeliest meant.
	Closest string
}

// Foreign is a variable set that is a setting of another ingress's orchestrator, not this
// one's: set for another deployment, or left over from a change of ingress, it does nothing
// here, and whatever this orchestrator has for the purpose keeps its default. Like Unknown, it
// is reported, never refused.
type Foreign struct {
	// Name is the variable as set.
	Name string
	// Ingress names the ingress, or ingresses, whose orchestrator reads it.
	Ingress string
}

// foreignSettings are the settings only the orchestrators of this generator's other ingresses
// read, rendered from the settings table (create-hybrid-backend's src/render/foreign-settings.ts):
// a list copied here would miss the names the table gains.
var foreignSettings = []Foreign{
	{Name: "SQS_QUEUE_NAME", Ingress: "sqs"},
	{Name: "SQS_VISIBILITY_TIMEOUT", Ingress: "sqs"},
	{Name: "CONCURRENCY", Ingress: "sqs"},
	{Name: "KINESIS_STREAM_NAME", Ingress: "kinesis"},
	{Name: "LEASE_TABLE", Ingress: "kinesis"},
	{Name: "LEASE_DURATION", Ingress: "kinesis"},
	{Name: "KINESIS_MAX_ATTEMPTS", Ingress: "kinesis"},
	{Name: "KINESIS_INITIAL_POSITION", Ingress: "kinesis"},
	{Name: "DEAD_LETTER_TABLE", Ingress: "kinesis"},
	{Name: "DEAD_LETTER_RETENTION", Ingress: "kinesis"},
}

// foreign lists the set variables that are settings of another ingress's orchestrator, by name.
func (p *parser) foreign() []Foreign {
	var found []Foreign
	for _, f := range foreignSettings {
		if p.env[f.Name] != "" {
			found = append(found, f)
		}
	}
	slices.SortFunc(found, func(a, b Foreign) int { return strings.Compare(a.Name, b.Name) })
	return found
}

// unknown lists the set variables in the orchestrator's namespaces that are not settings, by name.
// They are reported, not refused: the namespaces are not the orchestrator's alone (Kubernetes
// sets <SERVICE>_PORT, <SERVICE>_SERVICE_HOST and the like for every Service in the namespace
// unless a pod turns enableServiceLinks off), and a start-up that fails on another program's
// variable is worse than a default left in force. The namespaces are ownedPrefixes and the
// first word of every setting, so the settings table is the one list of names; the names
// the workers read, which make run passes in the same environment, are theirs. A setting of
// another ingress is not among them: foreign reports it, as such.
func (p *parser) unknown() []Unknown {
	known := make([]string, 0, len(settings))
	namespaces := slices.Clone(ownedPrefixes)
	for _, s := range settings {
		known = append(known, s.name)
		if word, _, ok := strings.Cut(s.name, "_"); ok {
			namespaces = append(namespaces, word+"_")
		}
	}
	var found []Unknown
	for name, v := range p.env {
		if v == "" || slices.Contains(known, name) || slices.Contains(workerSettings, name) || slices.ContainsFunc(retired, func(r rename) bool { return r.name == name }) {
			continue
		}
		if slices.ContainsFunc(foreignSettings, func(f Foreign) bool { return f.Name == name }) {
			continue
		}
		if slices.ContainsFunc(namespaces, func(ns string) bool { return strings.HasPrefix(name, ns) }) {
			found = append(found, Unknown{Name: name, Closest: closest(name, known)})
		}
	}
	slices.SortFunc(found, func(a, b Unknown) int { return strings.Compare(a.Name, b.Name) })
	return found
}

// closest returns the name in names likeliest meant by name: among those in its first word's
// namespace if any are (WORKER_ADRESS means a worker's address, not LISTEN_ADDR), the one at the
// least edit distance, the first on a tie.
func closest(name string, names []string) string {
	word, _, _ := strings.Cut(name, "_")
	if same := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !strings.HasPrefix(n, word+"_") }); len(same) > 0 {
		names = same
	}
	best, bestDist := "", -1
	for _, n := range names {
		if d := distance(name, n); bestDist < 0 || d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in bytes (variable names are ASCII).
func distance(a, b string) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diag := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			diag, row[j] = row[j], min(row[j]+1, row[j-1]+1, diag+cost)
		}
	}
	return row[len(b)]
}
