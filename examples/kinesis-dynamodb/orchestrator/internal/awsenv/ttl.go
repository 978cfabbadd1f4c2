package awsenv

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TTLAPI is the part of *dynamodb.Client EnsureTTL uses.
type TTLAPI interface {
	DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// EnsureTTL turns TTL on for table, on attribute, so that DynamoDB deletes each item once the
// Unix time in that attribute has passed. Like EnsureTable it is cmd/bootstrap's, never the
// orchestrator's: the orchestrator's role holds no right to change a table. The TTL is read
// first, as UpdateTimeToLive refuses to enable TTL that is already on (or being turned on); TTL
// on another attribute is refused here, naming it, rather than moved: DynamoDB allows one change
// an hour, and the table is the user's.
func EnsureTTL(ctx context.Context, client TTLAPI, table, attribute string) error {
	out, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		return fmt.Errorf("reading the TTL of table %s: %w", table, err)
	}
	if d := out.TimeToLiveDescription; d != nil {
		switch d.TimeToLiveStatus {
		case types.TimeToLiveStatusEnabled, types.TimeToLiveStatusEnabling:
			if a := aws.ToString(d.AttributeName); a != attribute {
				return fmt.Errorf("table %s has TTL on %q, not %q: turn its TTL off, or use another table", table, a, attribute)
			}
			return nil
		}
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attribute), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("turning TTL on for table %s: %w", table, err)
	}
	return nil
}
