package validation

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

// contractRules lists every buf.validate rule of md and the messages it holds, each as
// "Message.field rule", with " (key)", " (value)" or " (item)" for a rule on a map's keys or
// values or a list's items: what a client can break.
func contractRules(md protoreflect.MessageDescriptor) []string {
	var out []string
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		at := string(md.Name()) + "." + string(fd.Name())
		out = append(out, fieldRules(at, "", rulesOf(fd).ProtoReflect())...)
		if fd.Message() != nil && !fd.IsMap() {
			out = append(out, contractRules(fd.Message())...)
		}
	}
	return out
}

// fieldRules lists the rules set in a buf.validate.FieldRules: one per limit of its type's
// rules ("string.max_len"), and those of the rules nested in it (map keys and values, items).
func fieldRules(at, of string, rules protoreflect.Message) []string {
	var out []string
	rules.Range(func(typ protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if typ.Message() == nil {
			return true // required, ignore and the like: none of them a limit a client breaks
		}
		v.Message().Range(func(rule protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if rule.Message() != nil && rule.Message().FullName() == (&validate.FieldRules{}).ProtoReflect().Descriptor().FullName() {
				nested := map[protoreflect.Name]string{"keys": " (key)", "values": " (value)", "items": " (item)"}[rule.Name()]
				out = append(out, fieldRules(at, nested, v.Message())...)
				return true
			}
			out = append(out, at+" "+string(typ.Name())+"."+string(rule.Name())+of)
			return true
		})
		return true
	})
	return out
}

// numericFeatures returns n distinct features.
func numericFeatures(n int) map[string]float64 {
	m := make(map[string]float64, n)
	for i := range n {
		m[strconv.Itoa(i)] = 1
	}
	return m
}

// Every rule a client can break answers in plain English: a case here for each rule of the
// contract, so a rule added to scoring.proto fails this test until its message is checked.
func TestEveryRuleOfTheContractReadsAsEnglish(t *testing.T) {
	one := func(f func(*scoringv1.ScoreRequest)) *scoringv1.ScoreBatchRequest {
		r := &scoringv1.ScoreRequest{Id: "a"}
		f(r)
		return &scoringv1.ScoreBatchRequest{Requests: []*scoringv1.ScoreRequest{r}}
	}
	many := func(n int) []*scoringv1.ScoreRequest {
		reqs := make([]*scoringv1.ScoreRequest, n)
		for i := range reqs {
			reqs[i] = &scoringv1.ScoreRequest{Id: "a"}
		}
		return reqs
	}
	long := strings.Repeat("n", 33)
	cases := map[string]struct {
		req  proto.Message
		want string
	}{
		"ScoreBatchRequest.requests repeated.min_items": {&scoringv1.ScoreBatchRequest{}, "requests: must not be empty"},
		"ScoreBatchRequest.requests repeated.max_items": {&scoringv1.ScoreBatchRequest{Requests: many(MaxBatchSize + 1)}, "requests: must have at most 1000 items"},
		"ScoreRequest.id string.min_len":                {one(func(r *scoringv1.ScoreRequest) { r.Id = "" }), "requests[0].id: must not be empty"},
		"ScoreRequest.id string.max_len": {one(func(r *scoringv1.ScoreRequest) { r.Id = strings.Repeat("x", 129) }),
			"requests[0].id: must be at most 128 characters"},
		"ScoreRequest.numeric_features map.max_pairs": {one(func(r *scoringv1.ScoreRequest) { r.NumericFeatures = numericFeatures(MaxNumericFeatures + 1) }),
			"requests[0].numeric_features: must have at most 64 entries"},
		"ScoreRequest.numeric_features string.min_len (key)": {one(func(r *scoringv1.ScoreRequest) { r.NumericFeatures = map[string]float64{"": 1} }),
			`requests[0].numeric_features[""]: key must not be empty`},
		"ScoreRequest.numeric_features string.max_len (key)": {one(func(r *scoringv1.ScoreRequest) { r.NumericFeatures = map[string]float64{long: 1} }),
			`requests[0].numeric_features["` + long + `"]: key must be at most 32 characters`},
		"ScoreRequest.numeric_features double.finite (value)": {one(func(r *scoringv1.ScoreRequest) { r.NumericFeatures = map[string]float64{"amount": math.NaN()} }),
			`requests[0].numeric_features["amount"]: must be a finite number`},
		"ScoreRequest.categorical_features map.max_pairs": {one(func(r *scoringv1.ScoreRequest) {
			r.CategoricalFeatures = map[string]string{}
			for k := range numericFeatures(MaxNumericFeatures + 1) {
				r.CategoricalFeatures[k] = "v"
			}
		}), "requests[0].categorical_features: must have at most 64 entries"},
		"ScoreRequest.categorical_features string.min_len (key)": {one(func(r *scoringv1.ScoreRequest) { r.CategoricalFeatures = map[string]string{"": "v"} }),
			`requests[0].categorical_features[""]: key must not be empty`},
		"ScoreRequest.categorical_features string.max_len (key)": {one(func(r *scoringv1.ScoreRequest) { r.CategoricalFeatures = map[string]string{long: "v"} }),
			`requests[0].categorical_features["` + long + `"]: key must be at most 32 characters`},
		"ScoreRequest.categorical_features string.max_len (value)": {one(func(r *scoringv1.ScoreRequest) {
			r.CategoricalFeatures = map[string]string{"country": strings.Repeat("x", 65)}
		}),
			`requests[0].categorical_features["country"]: must be at most 64 characters`},
	}
	rules := contractRules((&scoringv1.ScoreBatchRequest{}).ProtoReflect().Descriptor())
	for _, rule := range rules {
		if _, ok := cases[rule]; !ok {
			t.Errorf("the contract's rule %q has no case here: add one with the message a client reads", rule)
		}
	}
	// Words protovalidate writes for developers, which a client must never read.
	unidiomatic := regexp.MustCompile(`\(s\)|\b1 (characters|entries|items)|\bno more than\b|\bmap must\b`)
	for rule, tc := range cases {
		if !slices.Contains(rules, rule) {
			t.Errorf("case %q: no such rule in the contract (renamed?)", rule)
		}
		err := check(tc.req)
		verr, ok := err.(*Error)
		if !ok {
			t.Errorf("%s: got %v, want a *Error", rule, err)
			continue
		}
		if got := verr.Error(); got != tc.want || unidiomatic.MatchString(got) {
			t.Errorf("%s: message %q, want %q", rule, got, tc.want)
		}
		if id := strings.Fields(rule)[1]; verr.Rule != id {
			t.Errorf("%s: broke rule %s, want %s", rule, verr.Rule, id)
		}
	}
}

// The count in a message agrees with its number, whatever limit the contract sets.
func TestCountsAgreeWithTheirNumber(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "0 items"},
		{1, "1 item"},
		{2, "2 items"},
		{1000, "1000 items"},
	} {
		if got := count(tc.n, "item", "items"); got != tc.want {
			t.Errorf("count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if got := atLeast(2, "have at least", "entry", "entries"); got != "must have at least 2 entries" {
		t.Errorf("atLeast(2) = %q", got)
	}
}
