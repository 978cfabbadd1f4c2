package kinesisconsumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// LeaseKey is the lease table's partition key, a string attribute, named as the KCL names it.
const LeaseKey = "leaseKey"

// DynamoDBAPI is the part of *dynamodb.Client the leases and dead letters use.
type DynamoDBAPI interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// DynamoDBLeases keeps the leases of one incarnation of a stream. Keys are
// "<stream name>:<creation epoch>:<shard id>", as the KCL's multi-stream keys are, so one table
// may serve several streams, and a stream deleted and created again under the same name (whose
// shard ids and sequence numbers start over) never resumes from the old one's checkpoints:
// List drops those leases, and fails with errStreamCreatedAgain on a later incarnation's.
type DynamoDBLeases struct {
	client DynamoDBAPI
	table  string
	stream string
	epoch  int64
	prefix string // "<stream name>:<creation epoch>:"
	bound  time.Duration
	logger *slog.Logger
}

// errStreamCreatedAgain is List finding leases of a later incarnation of the stream than the one
// this replica joined: the stream was deleted and created again while it ran. Its leases are
// the stale ones then, and dropping the others' would set every new checkpoint back to the
// start of its shard at each of its rounds; Run ends instead, for a restart to join the new one.
var errStreamCreatedAgain = errors.New("the stream was created again since this replica joined it")

// NewDynamoDBLeases returns the leases of stream, created at epoch (Unix seconds), in table,
// for replicas holding them for lease: List bounds each of its calls by CallTimeout(lease).
func NewDynamoDBLeases(client DynamoDBAPI, table, stream string, epoch int64, lease time.Duration, logger *slog.Logger) *DynamoDBLeases {
	return &DynamoDBLeases{client: client, table: table, stream: stream, epoch: epoch, prefix: fmt.Sprintf("%s:%d:", stream, epoch), bound: CallTimeout(lease), logger: logger}
}

// later reports whether key is a lease of a later incarnation of the stream than d's.
func (d *DynamoDBLeases) later(key string) bool {
	epoch, _, _ := strings.Cut(strings.TrimPrefix(key, d.stream+":"), ":")
	n, err := strconv.ParseInt(epoch, 10, 64)
	return err == nil && n > d.epoch
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func (d *DynamoDBLeases) key(l Lease) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{LeaseKey: str(l.Key)}
}

// List scans the table for the stream's leases. The table holds one item per shard that is
// open, or closed with children not yet started (collect deletes the rest), so a scan stays
// cheap however often the stream is resharded; a consistent one sees every renewal made
// before it. Each page and each stale lease's deletion is bounded by CallTimeout on its own,
// so a table shared with other streams, or holding many stale leases, never starves the later
// pages of their time; ctx bounds the whole.
func (d *DynamoDBLeases) List(ctx context.Context) ([]Lease, error) {
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(d.table),
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String("streamName = :stream"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":stream": str(d.stream)},
	}
	var leases []Lease
	for {
		call, cancel := context.WithTimeout(ctx, d.bound)
		out, err := d.client.Scan(call, in)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("scanning lease table %s: %w", d.table, err)
		}
		for _, item := range out.Items {
			l := decodeLease(item)
			if !strings.HasPrefix(l.Key, d.prefix) {
				if d.later(l.Key) {
					return nil, fmt.Errorf("lease %s in table %s: %w", l.Key, d.table, errStreamCreatedAgain)
				}
				d.dropStale(ctx, l)
				continue
			}
			leases = append(leases, l)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return leases, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// dropStale deletes a lease of an earlier stream of the same name. Failing is harmless: the
// lease is ignored either way, and the next listing tries again.
func (d *DynamoDBLeases) dropStale(ctx context.Context, l Lease) {
	ctx, cancel := context.WithTimeout(ctx, d.bound)
	defer cancel()
	_, err := d.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(d.table), Key: d.key(l)})
	d.logger.Warn("stream was created again since this lease was written; dropping the stale lease", "lease_key", l.Key, "checkpoint", l.Checkpoint, "error", err)
}

// Get reads one lease with a consistent GetItem: settling a lost answer must not cost a scan
// of the table.
func (d *DynamoDBLeases) Get(ctx context.Context, key string) (Lease, error) {
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(d.table),
		Key:            map[string]types.AttributeValue{LeaseKey: str(key)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Lease{}, fmt.Errorf("reading lease %s: %w", key, err)
	}
	if len(out.Item) == 0 {
		return Lease{}, fmt.Errorf("lease %s: %w", key, ErrNoLease)
	}
	return decodeLease(out.Item), nil
}

func decodeLease(item map[string]types.AttributeValue) Lease {
	text := func(k string) string {
		v, _ := item[k].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	number := func(k string) int64 {
		v, _ := item[k].(*types.AttributeValueMemberN)
		if v == nil {
			return 0
		}
		x, _ := strconv.ParseInt(v.Value, 10, 64)
		return x
	}
	l := Lease{Key: text(LeaseKey), ShardID: text("shardId"), Owner: text("leaseOwner"), Counter: number("leaseCounter"), Checkpoint: text("checkpoint"), OwnerSwitches: number("ownerSwitchesSinceCheckpoint")}
	if ps, ok := item["parentShardIds"].(*types.AttributeValueMemberSS); ok {
		l.Parents = ps.Value
	}
	return l
}

// Create puts a new lease unless one exists.
func (d *DynamoDBLeases) Create(ctx context.Context, shardID string, parents []string, start string) error {
	item := map[string]types.AttributeValue{
		LeaseKey:                       str(d.prefix + shardID),
		"streamName":                   str(d.stream),
		"shardId":                      str(shardID),
		"leaseCounter":                 num(0),
		"checkpoint":                   str(start),
		"ownerSwitchesSinceCheckpoint": num(0),
	}
	if len(parents) > 0 {
		item["parentShardIds"] = &types.AttributeValueMemberSS{Value: parents}
	}
	_, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(d.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(leaseKey)"),
	})
	if conditionFailed(err) {
		return nil
	}
	return err
}

// update runs a conditional update and maps a failed condition to ErrLeaseLost. It returns the
// item as updated.
func (d *DynamoDBLeases) update(ctx context.Context, l Lease, update, condition string, values map[string]types.AttributeValue) (Lease, error) {
	out, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       d.key(l),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(condition),
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return Lease{}, ErrLeaseLost
	}
	if err != nil {
		return Lease{}, err
	}
	return decodeLease(out.Attributes), nil
}

// Take is conditional on the counter as listed: of two replicas taking one lease, one wins. It
// returns the lease as written, whose checkpoint may be newer than the one listed.
func (d *DynamoDBLeases) Take(ctx context.Context, l Lease, owner string) (Lease, error) {
	return d.update(ctx, l, "SET leaseOwner = :me, leaseCounter = :next, ownerSwitchesSinceCheckpoint = ownerSwitchesSinceCheckpoint + :one",
		"leaseCounter = :seen", map[string]types.AttributeValue{":me": str(owner), ":next": num(l.Counter + 1), ":seen": num(l.Counter), ":one": num(1)})
}

// Renew is conditional on holding the lease at the counter last written.
func (d *DynamoDBLeases) Renew(ctx context.Context, l Lease, owner string) (int64, error) {
	_, err := d.update(ctx, l, "SET leaseCounter = :next", "leaseOwner = :me AND leaseCounter = :held",
		map[string]types.AttributeValue{":me": str(owner), ":next": num(l.Counter + 1), ":held": num(l.Counter)})
	return l.Counter + 1, err
}

// Checkpoint is fenced: it holds only while owner has the lease at the counter it holds and the
// stored checkpoint is the one it moves from, which checkForward has compared with the new one.
func (d *DynamoDBLeases) Checkpoint(ctx context.Context, l Lease, owner, cp string) error {
	if err := checkForward(l.Checkpoint, cp); err != nil {
		return err
	}
	_, err := d.update(ctx, l, "SET checkpoint = :cp, ownerSwitchesSinceCheckpoint = :zero",
		"leaseOwner = :me AND leaseCounter = :held AND checkpoint = :from",
		map[string]types.AttributeValue{":cp": str(cp), ":zero": num(0), ":me": str(owner), ":held": num(l.Counter), ":from": str(l.Checkpoint)})
	return err
}

// Release removes the owner and bumps the counter, so the lease is free at once.
func (d *DynamoDBLeases) Release(ctx context.Context, l Lease, owner string) error {
	_, err := d.update(ctx, l, "REMOVE leaseOwner SET leaseCounter = :next", "leaseOwner = :me AND leaseCounter = :held",
		map[string]types.AttributeValue{":me": str(owner), ":next": num(l.Counter + 1), ":held": num(l.Counter)})
	return err
}

// Finish is conditional on the checkpoint as listed, so it never overwrites one a reader wrote
// since. It leaves owner and counter alone: a holder's renewals go on landing (its reader meets
// ResourceNotFoundException and ends), rather than failing as if the lease had been taken.
func (d *DynamoDBLeases) Finish(ctx context.Context, l Lease) error {
	_, err := d.update(ctx, l, "SET checkpoint = :end", "checkpoint = :from",
		map[string]types.AttributeValue{":end": str(ShardEnd), ":from": str(l.Checkpoint)})
	return err
}

// Delete is conditional on the lease being finished: a finished lease never reopens, so
// nothing else about it can have changed that matters.
func (d *DynamoDBLeases) Delete(ctx context.Context, l Lease) error {
	_, err := d.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(d.table),
		Key:                       d.key(l),
		ConditionExpression:       aws.String("checkpoint = :end"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":end": str(ShardEnd)},
	})
	if conditionFailed(err) {
		return ErrLeaseLost
	}
	return err
}

func conditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}
