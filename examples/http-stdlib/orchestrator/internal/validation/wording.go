package validation

import (
	"strconv"

	"buf.build/go/protovalidate"
)

// sentence is what a violation tells the client, in plain English: protovalidate's own messages
// are written for developers ("must be at least 1 characters", "must contain no more than 1000
// item(s)"). Each rule kind the contract uses has its sentence here, with the limit taken from
// the violation, so from scoring.proto, the one source of limits; a rule kind missing here keeps
// protovalidate's words, and the package's tests fail on any rule of the contract without one.
func sentence(v *protovalidate.Violation) string {
	n := v.RuleValue.Uint // read only for the rules whose value is a count
	var s string
	switch v.Proto.GetRuleId() {
	case "string.min_len":
		s = atLeast(n(), "be at least", "character", "characters")
	case "string.max_len":
		s = "must be at most " + count(n(), "character", "characters")
	case "map.min_pairs":
		s = atLeast(n(), "have at least", "entry", "entries")
	case "map.max_pairs":
		s = "must have at most " + count(n(), "entry", "entries")
	case "repeated.min_items":
		s = atLeast(n(), "have at least", "item", "items")
	case "repeated.max_items":
		s = "must have at most " + count(n(), "item", "items")
	case "double.finite":
		s = "must be a finite number"
	default:
		return v.Proto.GetMessage()
	}
	if v.Proto.GetForKey() {
		// The path names the map entry; the rule is about its key, not its value.
		return "key " + s
	}
	return s
}

// atLeast words a lower bound of n: "must not be empty" for 1, else "must <verb> n <units>".
func atLeast(n uint64, verb, one, many string) string {
	if n == 1 {
		return "must not be empty"
	}
	return "must " + verb + " " + count(n, one, many)
}

// count is n with its unit, singular for 1.
func count(n uint64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatUint(n, 10) + " " + many
}
