package kinesisconsumer

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// memoryLeases is a lease table in memory with the conditions DynamoDBLeases writes with, and a
// log of checkpoint writes.
type memoryLeases struct {
	mu      sync.Mutex
	leases  map[string]Lease
	writes  []string // "shard checkpoint owner"
	deleted []string // the keys of the leases deleted
}

// seeded returns a table holding these unowned leases at these checkpoints.
func seeded(checkpoints map[string]string) *memoryLeases {
	m := &memoryLeases{leases: map[string]Lease{}}
	for shard, cp := range checkpoints {
		m.leases[shard] = Lease{Key: shard, ShardID: shard, Checkpoint: cp}
	}
	return m
}

func (m *memoryLeases) List(context.Context) ([]Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Lease
	for _, l := range m.leases {
		l.Parents = slices.Clone(l.Parents)
		out = append(out, l)
	}
	return out, nil
}

func (m *memoryLeases) Create(_ context.Context, shard string, parents []string, start string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leases == nil {
		m.leases = map[string]Lease{}
	}
	if l, ok := m.leases[shard]; ok {
		l.Parents = parents
		m.leases[shard] = l
		return nil
	}
	m.leases[shard] = Lease{Key: shard, ShardID: shard, Checkpoint: start, Parents: parents}
	return nil
}

func (m *memoryLeases) Take(_ context.Context, l Lease, owner string) (Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.leases[l.Key]
	if cur.Counter != l.Counter {
		return Lease{}, ErrLeaseLost
	}
	cur.Owner, cur.Counter, cur.OwnerSwitches = owner, cur.Counter+1, cur.OwnerSwitches+1
	m.leases[l.Key] = cur
	return cur, nil
}

func (m *memoryLeases) held(l Lease, owner string) (Lease, error) {
	cur := m.leases[l.Key]
	if cur.Owner != owner || cur.Counter != l.Counter {
		return Lease{}, ErrLeaseLost
	}
	return cur, nil
}

func (m *memoryLeases) Renew(_ context.Context, l Lease, owner string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, err := m.held(l, owner)
	if err != nil {
		return 0, err
	}
	cur.Counter++
	m.leases[l.Key] = cur
	return cur.Counter, nil
}

func (m *memoryLeases) Checkpoint(_ context.Context, l Lease, owner, cp string) error {
	if err := checkForward(l.Checkpoint, cp); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, err := m.held(l, owner)
	if err != nil || cur.Checkpoint != l.Checkpoint {
		return ErrLeaseLost
	}
	cur.Checkpoint, cur.OwnerSwitches = cp, 0
	m.leases[l.Key] = cur
	m.writes = append(m.writes, fmt.Sprintf("%s %s %s", l.ShardID, cp, owner))
	return nil
}

func (m *memoryLeases) Release(_ context.Context, l Lease, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, err := m.held(l, owner)
	if err != nil {
		return err
	}
	cur.Owner, cur.Counter = "", cur.Counter+1
	m.leases[l.Key] = cur
	return nil
}

func (m *memoryLeases) Get(_ context.Context, key string) (Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.leases[key]
	if !ok {
		return Lease{}, ErrNoLease
	}
	l.Parents = slices.Clone(l.Parents)
	return l, nil
}

func (m *memoryLeases) Finish(_ context.Context, l Lease) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.leases[l.Key]
	if !ok || cur.Checkpoint != l.Checkpoint {
		return ErrLeaseLost
	}
	cur.Checkpoint = ShardEnd
	m.leases[l.Key] = cur
	return nil
}

func (m *memoryLeases) Delete(_ context.Context, l Lease) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.leases[l.Key]; !ok || !cur.Finished() {
		return ErrLeaseLost
	}
	delete(m.leases, l.Key)
	m.deleted = append(m.deleted, l.Key)
	return nil
}

// get returns a shard's lease.
func (m *memoryLeases) get(shard string) Lease {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leases[shard]
}
