package results

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
)

// Conflict is a request whose id is stored already for a different request.
type Conflict struct {
	ID string
	// Stored and Got are the fingerprints of the stored request and of this one.
	Stored, Got string
}

func (c *Conflict) Error() string {
	return fmt.Sprintf("id %q is already stored for a different request (stored request_sha256 %s, this one %s)", c.ID, c.Stored, c.Got)
}

// stored returns the request_sha256 and write_id of the stored item for id ("" for one it
// lacks): from old, the item a failed conditional write returned, as it stood when the
// condition failed, or else (an emulator that does not return it) by a strongly consistent
// read, which sees every write DynamoDB has applied, a try of our own whose answer was lost too.
func (s *DynamoDB) stored(ctx context.Context, id string, old map[string]types.AttributeValue) (fingerprint, writeID string, err error) {
	if old == nil {
		out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:            aws.String(s.table),
			Key:                  map[string]types.AttributeValue{DynamoDBKey: &types.AttributeValueMemberS{Value: id}},
			ConsistentRead:       aws.Bool(true),
			ProjectionExpression: aws.String(fingerprintAttr + ", " + writeAttr),
		})
		if err != nil {
			return "", "", err
		}
		old = out.Item
	}
	return stringAttr(old, fingerprintAttr), stringAttr(old, writeAttr), nil
}

// stringAttr returns item's string attribute name, or "" when it has none.
func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// recordConflict appends the conflicting request to the stored item's conflicts list (maps of
// request_sha256, request in protojson and seen_at) and its fingerprint to the string set
// conflict_sha256s, which keeps a redelivered conflict from being appended twice. The stored
// result stays as it was. Recording it here, beside the result it collides with, keeps the
// evidence where a reader of that id looks, for every ingress, without another table.
func (s *DynamoDB) recordConflict(ctx context.Context, req *scoringv1.ScoreRequest, c *Conflict) error {
	body, err := protojson.Marshal(req)
	if err != nil {
		return err
	}
	record := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		fingerprintAttr: &types.AttributeValueMemberS{Value: c.Got},
		"request":       &types.AttributeValueMemberS{Value: string(body)},
		"seen_at":       &types.AttributeValueMemberS{Value: s.Now().UTC().Format(time.RFC3339Nano)},
	}}
	_, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 map[string]types.AttributeValue{DynamoDBKey: &types.AttributeValueMemberS{Value: c.ID}},
		UpdateExpression:    aws.String("SET conflicts = list_append(if_not_exists(conflicts, :none), :new) ADD conflict_sha256s :fps"),
		ConditionExpression: aws.String("attribute_exists(" + DynamoDBKey + ") AND NOT contains(conflict_sha256s, :fp)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":none": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
			":new":  &types.AttributeValueMemberL{Value: []types.AttributeValue{record}},
			":fps":  &types.AttributeValueMemberSS{Value: []string{c.Got}},
			":fp":   &types.AttributeValueMemberS{Value: c.Got},
		},
	})
	var recorded *types.ConditionalCheckFailedException
	if errors.As(err, &recorded) {
		return nil // Recorded by an earlier delivery of this conflicting request.
	}
	return err
}

// Fingerprint is the hex SHA-256 of req's deterministic protobuf encoding: equal for a
// redelivery of the same request, whatever order its JSON listed the features in.
func Fingerprint(req *scoringv1.ScoreRequest) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encoding request %q: %w", req.GetId(), err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
