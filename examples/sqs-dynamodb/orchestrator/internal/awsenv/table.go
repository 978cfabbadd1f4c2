package awsenv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EnsureTable creates a table whose partition key is the string attribute key, unless it
// exists, and waits up to wait for it to be ACTIVE. Billing is on demand: no capacity to
// plan, and no throttling while traffic is low.
func EnsureTable(ctx context.Context, client *dynamodb.Client, name, key string, wait time.Duration) error {
	attr := types.AttributeDefinition{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}
	hash := types.KeySchemaElement{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{attr},
		KeySchema:            []types.KeySchemaElement{hash},
		BillingMode:          types.BillingModePayPerRequest,
	})
	var exists *types.ResourceInUseException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("creating table %s: %w", name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, wait); err != nil {
		return fmt.Errorf("waiting for table %s: %w", name, err)
	}
	return nil
}
