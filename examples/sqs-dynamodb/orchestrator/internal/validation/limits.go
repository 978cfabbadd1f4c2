package validation

import (
	"fmt"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
)

// The contract's limits, derived once from scoring.proto's rules; see MaxWireBytes.
var (
	// MaxBatchSize is the most requests a ScoreBatchRequest may carry.
	MaxBatchSize = int(rulesOf(scoringv1.File_scoring_v1_scoring_proto.Messages().ByName("ScoreBatchRequest").Fields().ByName("requests")).GetRepeated().GetMaxItems())
	// MaxNumericFeatures is the most numeric features a ScoreRequest may carry.
	MaxNumericFeatures = int(rulesOf(scoringv1.File_scoring_v1_scoring_proto.Messages().ByName("ScoreRequest").Fields().ByName("numeric_features")).GetMap().GetMaxPairs())
	// MaxRequestBytes is the largest valid request of either RPC, in protobuf: the worker
	// client's send limit and the worker's decode limit.
	MaxRequestBytes = max(MaxWireBytes(&scoringv1.ScoreRequest{}), MaxWireBytes(&scoringv1.ScoreBatchRequest{}))
	// MaxResponseBytes is the largest response a worker may send: the client's receive limit.
	MaxResponseBytes = max(MaxWireBytes(&scoringv1.ScoreResponse{}), MaxWireBytes(&scoringv1.ScoreBatchResponse{}))
)

// MaxWireBytes is the largest protobuf encoding of a message of m's type that satisfies
// the contract's rules: each list and map at its most entries, each string at its most
// bytes. Every field counts, those of a oneof too, so a oneof is sized as if all its
// members were set: an upper bound, a little above the truth. It panics on a field the rules leave unbounded, a defect in scoring.proto that
// the package's tests report; every limit downstream is derived from this figure.
func MaxWireBytes(m proto.Message) int {
	return messageSize(m.ProtoReflect().Descriptor())
}

func messageSize(md protoreflect.MessageDescriptor) int {
	total := 0
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		rules := rulesOf(fd)
		tag := protowire.SizeTag(fd.Number())
		switch {
		case fd.IsMap():
			mr := rules.GetMap()
			// Map entries are messages whose key is field 1 and value field 2.
			entry := protowire.SizeTag(1) + valueSize(fd.MapKey(), mr.GetKeys()) + protowire.SizeTag(2) + valueSize(fd.MapValue(), mr.GetValues())
			total += bounded(fd, "map.max_pairs", mr.GetMaxPairs()) * (tag + protowire.SizeBytes(entry))
		case fd.IsList():
			rr := rules.GetRepeated()
			total += bounded(fd, "repeated.max_items", rr.GetMaxItems()) * (tag + valueSize(fd, rr.GetItems()))
		default:
			total += tag + valueSize(fd, rules)
		}
	}
	return total
}

// valueSize is the largest encoding of one value of fd's kind under rules, tag excluded.
func valueSize(fd protoreflect.FieldDescriptor, rules *validate.FieldRules) int {
	switch fd.Kind() {
	case protoreflect.DoubleKind, protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return 8
	case protoreflect.BoolKind:
		return 1
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Uint64Kind, protoreflect.EnumKind:
		// A negative int32 or enum is sign-extended to ten varint bytes.
		return protowire.SizeVarint(1<<64 - 1)
	case protoreflect.StringKind:
		sr := rules.GetString()
		if sr.HasMaxBytes() {
			return protowire.SizeBytes(int(sr.GetMaxBytes()))
		}
		// max_len counts characters; UTF-8 spends at most 4 bytes on one.
		return protowire.SizeBytes(4 * bounded(fd, "string.max_len or max_bytes", sr.GetMaxLen()))
	case protoreflect.MessageKind:
		return protowire.SizeBytes(messageSize(fd.Message()))
	default:
		panic(fmt.Sprintf("scoring.proto: %s is a %s, which limits.go cannot size yet", fd.FullName(), fd.Kind()))
	}
}

func bounded(fd protoreflect.FieldDescriptor, rule string, n uint64) int {
	if n == 0 {
		panic(fmt.Sprintf("scoring.proto: %s has no %s rule, so its message has no largest size", fd.FullName(), rule))
	}
	return int(n)
}

// rulesOf returns fd's buf.validate rules (empty when it has none).
func rulesOf(fd protoreflect.FieldDescriptor) *validate.FieldRules {
	rules, _ := proto.GetExtension(fd.Options(), validate.E_Field).(*validate.FieldRules)
	return rules
}
