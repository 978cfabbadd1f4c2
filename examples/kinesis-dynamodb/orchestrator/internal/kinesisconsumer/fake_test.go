package kinesisconsumer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go/middleware"
)

type fakeShard struct {
	id      string
	parent  string
	records []types.Record
	closed  bool
	// agedOut shards are past the stream's retention: no longer listed, and unknown to
	// GetShardIterator and GetRecords.
	agedOut bool
}

// fakeKinesis is a stream in memory. Iterators are "shard/index"; sequence numbers are
// unique across the stream, as Kinesis' are.
type fakeKinesis struct {
	mu     sync.Mutex
	shards []*fakeShard
	seq    int
	// expire makes the next GetRecords on these shards fail with ExpiredIteratorException.
	expire    map[string]bool
	iterators []string // "shard type sequence" per GetShardIterator call
	// describeErr, while set, is what DescribeStreamSummary fails with.
	describeErr error
	// skew is how far the service's clock is ahead of the consumer's (behind, if negative): it
	// stamps the records' arrival and the responses' Date.
	skew time.Duration
}

// fakeDate is the key of a fake response's Date in its metadata.
type fakeDate struct{}

func init() {
	serviceTime = func(m middleware.Metadata) (time.Time, bool) {
		t, ok := m.Get(fakeDate{}).(time.Time)
		return t, ok
	}
}

func (f *fakeKinesis) shard(id string) *fakeShard {
	for _, s := range f.shards {
		if s.id == id {
			return s
		}
	}
	return nil
}

// put appends records with these bodies to shard, creating it (as a child of parent) if new.
func (f *fakeKinesis) put(shard, parent string, bodies ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.shard(shard)
	if s == nil {
		s = &fakeShard{id: shard, parent: parent}
		f.shards = append(f.shards, s)
	}
	for _, b := range bodies {
		f.seq++
		s.records = append(s.records, types.Record{Data: []byte(b), SequenceNumber: aws.String(strconv.Itoa(f.seq)), PartitionKey: aws.String("k"), ApproximateArrivalTimestamp: aws.Time(time.Now().Add(f.skew))})
	}
}

func (f *fakeKinesis) DescribeStreamSummary(context.Context, *kinesis.DescribeStreamSummaryInput, ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	return &kinesis.DescribeStreamSummaryOutput{StreamDescriptionSummary: &types.StreamDescriptionSummary{StreamCreationTimestamp: aws.Time(time.Unix(1700000000, 0))}}, nil
}

func (f *fakeKinesis) ListShards(_ context.Context, in *kinesis.ListShardsInput, _ ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// One shard a page, to exercise the paging.
	start := 0
	if in.NextToken != nil {
		if in.StreamName != nil {
			return nil, fmt.Errorf("StreamName given with NextToken")
		}
		start, _ = strconv.Atoi(aws.ToString(in.NextToken))
	}
	var listed []*fakeShard
	// A Date header is whole seconds.
	var meta middleware.Metadata
	meta.Set(fakeDate{}, time.Now().Add(f.skew).Truncate(time.Second))
	for _, s := range f.shards {
		if !s.agedOut {
			listed = append(listed, s)
		}
	}
	if start >= len(listed) {
		return &kinesis.ListShardsOutput{ResultMetadata: meta}, nil
	}
	s := listed[start]
	out := &kinesis.ListShardsOutput{Shards: []types.Shard{{ShardId: aws.String(s.id)}}, ResultMetadata: meta}
	if s.parent != "" {
		out.Shards[0].ParentShardId = aws.String(s.parent)
	}
	if s.closed {
		out.Shards[0].SequenceNumberRange = &types.SequenceNumberRange{StartingSequenceNumber: aws.String("0"), EndingSequenceNumber: aws.String(strconv.Itoa(f.seq))}
	}
	if start+1 < len(listed) {
		out.NextToken = aws.String(strconv.Itoa(start + 1))
	}
	return out, nil
}

func (f *fakeKinesis) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput, _ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.ShardId)
	f.iterators = append(f.iterators, fmt.Sprintf("%s %s %s", id, in.ShardIteratorType, aws.ToString(in.StartingSequenceNumber)))
	if s := f.shard(id); s == nil || s.agedOut {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Shard " + id + " does not exist")}
	}
	index, records := 0, f.shard(id).records
	switch in.ShardIteratorType {
	case types.ShardIteratorTypeAfterSequenceNumber:
		index = 1 + slices.IndexFunc(records, func(r types.Record) bool {
			return aws.ToString(r.SequenceNumber) == aws.ToString(in.StartingSequenceNumber)
		})
	case types.ShardIteratorTypeAtTimestamp:
		if index = slices.IndexFunc(records, func(r types.Record) bool { return !r.ApproximateArrivalTimestamp.Before(*in.Timestamp) }); index < 0 {
			index = len(records)
		}
	}
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String(fmt.Sprintf("%s/%d", id, index))}, nil
}

func (f *fakeKinesis) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, index, _ := strings.Cut(aws.ToString(in.ShardIterator), "/")
	if f.expire[id] {
		delete(f.expire, id)
		return nil, &types.ExpiredIteratorException{Message: aws.String("expired")}
	}
	s := f.shard(id)
	if s.agedOut {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Shard " + id + " does not exist")}
	}
	from, _ := strconv.Atoi(index)
	to := min(from+int(aws.ToInt32(in.Limit)), len(s.records))
	out := &kinesis.GetRecordsOutput{
		Records:            slices.Clone(s.records[from:to]),
		MillisBehindLatest: aws.Int64(0),
		NextShardIterator:  aws.String(fmt.Sprintf("%s/%d", id, to)),
	}
	if s.closed && to == len(s.records) {
		out.NextShardIterator = nil
	}
	return out, nil
}

// memoryDeadLetters keeps dead letters in memory.
type memoryDeadLetters struct {
	mu      sync.Mutex
	records []string // "shard sequence payload"
	reasons []string // records[i]'s reason
}

func (m *memoryDeadLetters) Put(_ context.Context, shard string, r types.Record, reason error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records = append(m.records, fmt.Sprintf("%s %s %s", shard, aws.ToString(r.SequenceNumber), r.Data))
	m.reasons = append(m.reasons, reason.Error())
	return nil
}
