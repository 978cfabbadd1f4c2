package kinesisconsumer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

type fakeShard struct {
	id      string
	parent  string
	records []types.Record
	closed  bool
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
		s.records = append(s.records, types.Record{Data: []byte(b), SequenceNumber: aws.String(strconv.Itoa(f.seq)), PartitionKey: aws.String("k")})
	}
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
	if start >= len(f.shards) {
		return &kinesis.ListShardsOutput{}, nil
	}
	s := f.shards[start]
	out := &kinesis.ListShardsOutput{Shards: []types.Shard{{ShardId: aws.String(s.id)}}}
	if s.parent != "" {
		out.Shards[0].ParentShardId = aws.String(s.parent)
	}
	if start+1 < len(f.shards) {
		out.NextToken = aws.String(strconv.Itoa(start + 1))
	}
	return out, nil
}

func (f *fakeKinesis) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput, _ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.ShardId)
	f.iterators = append(f.iterators, fmt.Sprintf("%s %s %s", id, in.ShardIteratorType, aws.ToString(in.StartingSequenceNumber)))
	index := 0
	if in.ShardIteratorType == types.ShardIteratorTypeAfterSequenceNumber {
		index = 1 + slices.IndexFunc(f.shard(id).records, func(r types.Record) bool {
			return aws.ToString(r.SequenceNumber) == aws.ToString(in.StartingSequenceNumber)
		})
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

// memoryCheckpoints keeps checkpoints in a map and logs every write.
type memoryCheckpoints struct {
	mu     sync.Mutex
	cps    map[string]Checkpoint
	writes []string // "shard sequence finished"
}

func (m *memoryCheckpoints) Get(_ context.Context, shard string) (Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cps[shard], nil
}

func (m *memoryCheckpoints) Put(_ context.Context, shard string, cp Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cps == nil {
		m.cps = map[string]Checkpoint{}
	}
	m.cps[shard] = cp
	m.writes = append(m.writes, fmt.Sprintf("%s %s %v", shard, cp.SequenceNumber, cp.Finished))
	return nil
}

func (m *memoryCheckpoints) get(shard string) Checkpoint {
	cp, _ := m.Get(context.Background(), shard)
	return cp
}
