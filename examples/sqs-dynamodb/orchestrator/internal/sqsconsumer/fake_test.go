package sqsconsumer

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const (
	queueURL = "https://sqs.test/1/requests"
	dlqURL   = "https://sqs.test/1/requests-dlq"
)

// fakeSQS is a queue in memory. ReceiveMessage long-polls: with nothing to deliver it answers
// nothing once the wait it was asked for has passed, or fails when its context is done first.
type fakeSQS struct {
	mu       sync.Mutex
	pending  []types.Message
	redrive  string // the queue's RedrivePolicy attribute
	receives int
	received map[string]int // message id → times delivered
	// deleteFaults fails the delete of these message ids once; true means the sender's fault.
	deleteFaults map[string]bool
	deleteCalls  [][]string // message ids per DeleteMessageBatch call
	deleted      []string
	visibility   map[string][]int32 // message id → every visibility timeout set
	deadLettered []*sqs.SendMessageInput
	bodies       map[string]*string // message id → body, to deliver a released message again
	// receiveErr, deleteErr and visibilityErr, while set, fail every call of their kind whole.
	receiveErr, deleteErr, visibilityErr error
}

// fail sets what every call of one kind (one of the fake's *Err fields) fails with; nil heals it.
func (f *fakeSQS) fail(kind *error, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*kind = err
}

func message(id, body string) types.Message {
	return types.Message{MessageId: aws.String(id), ReceiptHandle: aws.String("rh-" + id), Body: aws.String(body)}
}

func (f *fakeSQS) GetQueueUrl(_ context.Context, in *sqs.GetQueueUrlInput, _ ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	switch aws.ToString(in.QueueName) {
	case "requests":
		return &sqs.GetQueueUrlOutput{QueueUrl: aws.String(queueURL)}, nil
	case "requests-dlq":
		return &sqs.GetQueueUrlOutput{QueueUrl: aws.String(dlqURL)}, nil
	}
	return nil, &types.QueueDoesNotExist{Message: in.QueueName}
}

func (f *fakeSQS) GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	attrs := map[string]string{}
	if f.redrive != "" {
		attrs["RedrivePolicy"] = f.redrive
	}
	return &sqs.GetQueueAttributesOutput{Attributes: attrs}, nil
}

func (f *fakeSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.mu.Lock()
	f.receives++
	if err := f.receiveErr; err != nil {
		f.mu.Unlock()
		return nil, err
	}
	n := min(int(in.MaxNumberOfMessages), len(f.pending))
	got := slices.Clone(f.pending[:n])
	f.pending = f.pending[n:]
	if f.received == nil {
		f.received = map[string]int{}
	}
	for _, m := range got {
		f.received[aws.ToString(m.MessageId)]++
		if f.bodies == nil {
			f.bodies = map[string]*string{}
		}
		f.bodies[aws.ToString(m.MessageId)] = m.Body
	}
	f.mu.Unlock()
	if len(got) == 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(in.WaitTimeSeconds) * time.Second):
			return &sqs.ReceiveMessageOutput{}, nil // SQS answers an idle long poll with nothing
		}
	}
	return &sqs.ReceiveMessageOutput{Messages: got}, nil
}

func idOf(handle *string) string { return aws.ToString(handle)[len("rh-"):] }

func (f *fakeSQS) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deleteErr != nil {
		return nil, f.deleteErr
	}
	out := &sqs.DeleteMessageBatchOutput{}
	var call []string
	for _, e := range in.Entries {
		id := idOf(e.ReceiptHandle)
		call = append(call, id)
		if senderFault, fail := f.deleteFaults[id]; fail {
			delete(f.deleteFaults, id)
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), SenderFault: senderFault})
			continue
		}
		f.deleted = append(f.deleted, id)
	}
	f.deleteCalls = append(f.deleteCalls, call)
	return out, nil
}

func (f *fakeSQS) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.visibilityErr != nil {
		return nil, f.visibilityErr
	}
	if f.visibility == nil {
		f.visibility = map[string][]int32{}
	}
	for _, e := range in.Entries {
		id := idOf(e.ReceiptHandle)
		f.visibility[id] = append(f.visibility[id], e.VisibilityTimeout)
		if e.VisibilityTimeout == 0 { // Released: it can be received again at once.
			f.pending = append(f.pending, types.Message{MessageId: aws.String(id), ReceiptHandle: e.ReceiptHandle, Body: f.bodies[id]})
		}
	}
	return &sqs.ChangeMessageVisibilityBatchOutput{}, nil
}

func (f *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if aws.ToString(in.QueueUrl) != dlqURL {
		return nil, fmt.Errorf("sent to %s, not the dead-letter queue", aws.ToString(in.QueueUrl))
	}
	f.deadLettered = append(f.deadLettered, in)
	return &sqs.SendMessageOutput{}, nil
}

// snapshot returns copies of what the queue has seen, under its lock.
func (f *fakeSQS) snapshot() (deleted []string, visibility map[string][]int32, deadLettered int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	visibility = map[string][]int32{}
	for k, v := range f.visibility {
		visibility[k] = slices.Clone(v)
	}
	return slices.Clone(f.deleted), visibility, len(f.deadLettered)
}
