package ratelimit

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit"
)

// Memory is the in-process Limiter. It keeps one GCRA state per key (the
// theoretical arrival time: the instant from which the key's allowance is
// full again) in a bounded LRU map:
//
//   - a key whose allowance is full again (at the latest a whole Period
//     after its last allowed request) holds nothing and is dropped first;
//   - past the bound (WithMaxKeys) the least recently used key is evicted,
//     which resets its allowance, so keep the bound above the number of
//     distinct clients expected per Period.
//
// The state of a key does not depend on the Limit, so one Memory serves
// several limits as long as each uses keys of its own (a prefix per limit).
type Memory struct {
	mu      sync.Mutex
	clock   onboardkit.Clock
	max     int
	entries map[string]*list.Element
	lru     *list.List // of *memoryEntry; front: most recently used
}

type memoryEntry struct {
	key string
	tat time.Time // theoretical arrival time
}

// MemoryOption configures a Memory.
type MemoryOption func(*Memory)

// WithClock sets the clock decisions are read from (default
// onboardkit.SystemClock).
func WithClock(clock onboardkit.Clock) MemoryOption {
	return func(m *Memory) {
		if clock != nil {
			m.clock = clock
		}
	}
}

// WithMaxKeys bounds the number of keys a Memory remembers (default
// 100000; n ≤ 0 keeps the default).
func WithMaxKeys(n int) MemoryOption {
	return func(m *Memory) {
		if n > 0 {
			m.max = n
		}
	}
}

// NewMemory returns an in-process limiter configured by opts.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{
		clock:   onboardkit.SystemClock,
		max:     100_000,
		entries: make(map[string]*list.Element),
		lru:     list.New(),
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Allow implements Limiter. It never fails but for an invalid limit or
// cost (ErrInvalidLimit).
func (m *Memory) Allow(_ context.Context, key string, l Limit, cost int) (Result, error) {
	if err := l.Check(cost); err != nil {
		return Result{}, err
	}
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prune(now)
	el, known := m.entries[key]
	var tat time.Time
	if known {
		tat = el.Value.(*memoryEntry).tat
		m.lru.MoveToFront(el)
	}
	res, next := gcra(tat, now, l, cost)
	switch {
	case !next.After(now): // the allowance is full: nothing to remember
		if known {
			m.remove(el)
		}
	case known:
		el.Value.(*memoryEntry).tat = next
	default:
		m.insert(key, next)
	}
	return res, nil
}

// gcra decides a request of cost at now for a key whose theoretical arrival
// time is tat (zero for a key never seen), and returns the decision and the
// key's next theoretical arrival time.
func gcra(tat, now time.Time, l Limit, cost int) (Result, time.Time) {
	if tat.Before(now) {
		tat = now
	}
	interval := l.Interval()
	// The tolerance is Rate intervals (Period, less the rounding of
	// Interval), so that a burst is never more than Rate.
	tolerance := time.Duration(l.Rate) * interval
	need := time.Duration(max(cost, 1)) * interval
	if allowAt := tat.Add(need - tolerance); now.Before(allowAt) {
		return Result{RetryAfter: allowAt.Sub(now)}, tat
	}
	if cost == 0 {
		return Result{Allowed: true}, tat
	}
	return Result{Allowed: true}, tat.Add(need)
}

// prune drops the least recently used keys whose allowance is full again.
func (m *Memory) prune(now time.Time) {
	for el := m.lru.Back(); el != nil && !el.Value.(*memoryEntry).tat.After(now); el = m.lru.Back() {
		m.remove(el)
	}
}

// insert remembers a new key, evicting the least recently used ones past
// the bound.
func (m *Memory) insert(key string, tat time.Time) {
	for len(m.entries) >= m.max {
		m.remove(m.lru.Back())
	}
	m.entries[key] = m.lru.PushFront(&memoryEntry{key: key, tat: tat})
}

func (m *Memory) remove(el *list.Element) {
	m.lru.Remove(el)
	delete(m.entries, el.Value.(*memoryEntry).key)
}

// Len returns the number of keys held, at most the bound of WithMaxKeys.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
