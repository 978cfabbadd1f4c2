package httpapi

import (
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
)

// The JSON names of a batch answer's two lists, from the contract.
var (
	batchFields       = (&scoringv1.ScoreBatchResponse{}).ProtoReflect().Descriptor().Fields()
	responsesJSONName = batchFields.ByName("responses").JSONName()
	resultsJSONName   = batchFields.ByName("results").JSONName()
)

// appendAnswer appends the JSON of a worker's answer to b. A batch answer holds its answers
// in one of two lists, responses or (for a call asking for itemResults) results, and carries
// only that one: marshalOptions' EmitUnpopulated, there to keep a zero score and an empty
// reasonCodes in every response, would also write the other list, empty, and an empty
// "responses" beside the results reads as nothing scored. A batch with both lists or neither
// is no answer a worker gives, and is written whole.
func appendAnswer(b []byte, m proto.Message) ([]byte, error) {
	batch, ok := m.(*scoringv1.ScoreBatchResponse)
	switch {
	case !ok || (len(batch.GetResponses()) == 0) == (len(batch.GetResults()) == 0):
		return marshalOptions.MarshalAppend(b, m)
	case len(batch.GetResults()) > 0:
		return appendList(b, resultsJSONName, batch.GetResults())
	default:
		return appendList(b, responsesJSONName, batch.GetResponses())
	}
}

// appendList appends {"name":[items...]}, each item as marshalOptions writes it.
func appendList[M proto.Message](b []byte, name string, items []M) ([]byte, error) {
	b = append(b, `{"`...)
	b = append(b, name...)
	b = append(b, `":[`...)
	for i, item := range items {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = marshalOptions.MarshalAppend(b, item); err != nil {
			return nil, err
		}
	}
	return append(b, "]}"...), nil
}
