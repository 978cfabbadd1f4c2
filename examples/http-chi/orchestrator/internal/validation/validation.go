// Package validation checks requests against scoring.proto's buf.validate rules, the
// contract's one statement of its limits, with protovalidate, so bad input is rejected
// with a 400 before it costs a gRPC round trip. The worker enforces the same rules (its
// build derives them from the same file) and reports the same message for the same input.
package validation

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
)

// Error is a request that breaks one of the contract's rules.
type Error struct {
	// Field is the offending field's path, e.g. requests[3].numeric_features["amount"].
	Field string
	// Rule is the rule's id, e.g. string.max_len.
	Rule string
	// Message says what the rule wants in plain English, e.g. "must be at most 32 characters"
	// or "must not be empty" (see sentence).
	Message string
}

func (e *Error) Error() string {
	return e.Field + ": " + e.Message
}

// ScoreRequest reports the first problem with req, naming the offending field.
func ScoreRequest(req *scoringv1.ScoreRequest) error {
	return check(req)
}

// check validates m and reports one violation as an *Error. Every violation is collected
// (fail-fast would report whichever map entry Go's random map order met first) and the one
// at the smallest path is reported, the order in which the worker checks, so a client sees
// the same message whichever side caught the problem.
func check(m proto.Message) error {
	err := protovalidate.Validate(m)
	if err == nil {
		return nil
	}
	verr, ok := errors.AsType[*protovalidate.ValidationError](err)
	if !ok || len(verr.Violations) == 0 {
		return err // A rule that cannot be compiled or evaluated: a defect in the contract.
	}
	first := slices.MinFunc(verr.Violations, func(a, b *protovalidate.Violation) int {
		return comparePaths(a.Proto.GetField().GetElements(), b.Proto.GetField().GetElements())
	})
	return &Error{Field: fieldPath(first.Proto.GetField()), Rule: first.Proto.GetRuleId(), Message: sentence(first)}
}

// comparePaths orders field paths by field number, then list index or map key, shorter first.
func comparePaths(a, b []*validate.FieldPathElement) int {
	for i := range min(len(a), len(b)) {
		if c := cmp.Compare(a[i].GetFieldNumber(), b[i].GetFieldNumber()); c != 0 {
			return c
		}
		if c := cmp.Compare(a[i].GetIndex(), b[i].GetIndex()); c != 0 {
			return c
		}
		if c := strings.Compare(a[i].GetStringKey(), b[i].GetStringKey()); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// maxKeyChars is how much of a map key an error message quotes: a key is in the message
// because it broke a rule, perhaps by being megabytes long.
const maxKeyChars = 40

// fieldPath spells a violation's field path as protovalidate does, with long map keys cut.
func fieldPath(path *validate.FieldPath) string {
	var b strings.Builder
	for i, el := range path.GetElements() {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(el.GetFieldName())
		switch el.WhichSubscript() {
		case validate.FieldPathElement_Index_case:
			b.WriteString("[" + strconv.FormatUint(el.GetIndex(), 10) + "]")
		case validate.FieldPathElement_StringKey_case:
			b.WriteString("[" + QuoteKey(el.GetStringKey()) + "]")
		}
	}
	return b.String()
}

// QuoteKey quotes a map key for an error message: Go syntax, so control and invisible
// characters are escaped, and cut after maxKeyChars characters with "...".
func QuoteKey(key string) string {
	if utf8.RuneCountInString(key) <= maxKeyChars {
		return strconv.Quote(key)
	}
	cut := 0
	for range maxKeyChars {
		_, size := utf8.DecodeRuneInString(key[cut:])
		cut += size
	}
	return strconv.Quote(key[:cut]) + "..."
}
