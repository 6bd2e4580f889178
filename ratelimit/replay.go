package ratelimit

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit"
)

// ErrReplayCacheFull is returned by MemoryReplayCache.Use when it holds its
// maximum of unexpired entries: the request is refused rather than risk
// accepting a replay.
var ErrReplayCacheFull = errors.New("ratelimit: replay cache full")

// MemoryReplayCache is the in-process ReplayCache: the keys in use and a heap
// of their expiries, bounded. Every call first drops the expired entries (in
// O(log n) each), so the cache holds only keys still in use; when that many
// reach the bound, Use fails with ErrReplayCacheFull.
type MemoryReplayCache struct {
	mu    sync.Mutex
	clock onboardkit.Clock
	max   int
	seen  map[[32]byte]struct{}
	order expiries
}

// ReplayOption configures a MemoryReplayCache.
type ReplayOption func(*MemoryReplayCache)

// WithReplayCapacity bounds the entries the cache holds (default 100000;
// with a 60 s window that is about 800 signed requests per second; n ≤ 0
// keeps the default).
func WithReplayCapacity(n int) ReplayOption {
	return func(c *MemoryReplayCache) {
		if n > 0 {
			c.max = n
		}
	}
}

// WithReplayClock sets the clock expiries are compared with (default
// onboardkit.SystemClock).
func WithReplayClock(clock onboardkit.Clock) ReplayOption {
	return func(c *MemoryReplayCache) {
		if clock != nil {
			c.clock = clock
		}
	}
}

// NewMemoryReplayCache returns an in-process cache configured by opts.
func NewMemoryReplayCache(opts ...ReplayOption) *MemoryReplayCache {
	c := &MemoryReplayCache{clock: onboardkit.SystemClock, max: 100_000, seen: make(map[[32]byte]struct{})}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Use implements ReplayCache. It fails only when the cache is full
// (ErrReplayCacheFull).
func (c *MemoryReplayCache) Use(_ context.Context, key [32]byte, expiresAt time.Time) (bool, error) {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.order) > 0 && now.After(c.order[0].exp) {
		delete(c.seen, heap.Pop(&c.order).(expiry).key)
	}
	if _, ok := c.seen[key]; ok {
		return false, nil
	}
	if len(c.seen) >= c.max {
		return false, ErrReplayCacheFull
	}
	c.seen[key] = struct{}{}
	heap.Push(&c.order, expiry{key: key, exp: expiresAt})
	return true, nil
}

// Len returns the number of entries held: the keys in use at the last call
// of Use.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// expiries is a min-heap of keys by expiry (container/heap). Each key in
// MemoryReplayCache.seen has exactly one entry.
type expiries []expiry

type expiry struct {
	key [32]byte
	exp time.Time
}

func (h expiries) Len() int           { return len(h) }
func (h expiries) Less(i, j int) bool { return h[i].exp.Before(h[j].exp) }
func (h expiries) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiries) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiries) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
