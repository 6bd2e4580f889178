// Package memory is the in-memory [storage.Store]: the default store of
// onboardkit, for tests, examples and single-process deployments.
//
// A [Store] keeps every record in maps guarded by one mutex, so each method is
// atomic and the conditional methods of the contract (ConsumeChallenge,
// RotateRefreshToken, ReserveLoginAttempt, AllocateAddressIndex,
// EnqueueDeliveries, ClaimDeliveries, ...) need nothing more. Records are deep-copied in and out: a caller never holds a
// pointer into the store.
//
// [Store.Tx] takes the mutex for the whole unit of work and records an undo
// log of the writes made through the Store it passes to fn; when fn returns an
// error (or panics) the log is replayed backwards, so other callers never see
// a partial unit of work. Address indexes are no exception: an index
// taken inside a failed Tx is released and handed out again.
//
// Because the mutex is held while fn runs, fn must use only the Store it is
// given: calling the outer Store from inside fn waits forever for the mutex.
// Calling Tx on the given Store joins the running unit of work. Holding the
// whole store also gives units of work what LockAccount and
// AllocateAddressIndex promise (an account or a counter held until the unit
// ends), and the store is always reachable: Ping returns nil.
//
// The store reads no clock: every time it records is passed in by the caller.
// State lives in process memory only, so one Store cannot be shared by
// several processes; run storage/postgres for many replicas.
package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// Option configures a Store.
type Option func(*config)

type config struct {
	sendRetention time.Duration
}

// WithSendWindowRetention sets how long CountSend keeps the counter of a
// window, measured from the newest window start it has seen (default 48h).
// Counters of older windows are pruned from time to time; a caller that
// counts such an old window again starts from zero. Non-positive values keep
// the default.
func WithSendWindowRetention(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.sendRetention = d
		}
	}
}

// Store is an in-memory storage.Store, safe for concurrent use. Create it
// with New; the zero value is not usable.
type Store struct {
	d  *data
	tx *txn // non-nil for the view passed to a Tx function
}

var (
	_ storage.Store      = (*Store)(nil)
	_ storage.SendCapper = (*Store)(nil)
)

// data is the whole state, guarded by mu.
type data struct {
	mu  sync.Mutex
	cfg config

	users   map[string]*storage.User
	byPhone map[string][]string // phone -> ids of the users holding it
	byEmail map[string][]string // lower-case email -> ids of its holders

	passwords map[string][]string // user id -> hashes, newest first

	challenges map[string]*storage.Challenge
	userChal   map[string][]string // user id -> challenge ids
	sends      map[sendKey]int
	sendNewest int64 // newest window start seen, UnixNano
	sendPruneN int   // len(sends) that triggers the next prune

	tokens      map[string]*storage.RefreshToken // string(hash) -> token
	userTokens  map[string][]string              // user id -> token hashes
	families    map[string][]string              // family id -> token hashes
	userFamily  map[string][]string              // user id -> family ids
	familyKnown map[string]bool                  // family id listed in userFamily

	totp     map[string]*storage.TOTPEnrollment
	recovery map[string][]recoveryCode // user id -> codes

	passkeys     map[string]*storage.Passkey // string(credential id) -> passkey
	userPasskeys map[string][]string         // user id -> credential ids

	kyc     map[string]*storage.KYCSubmission
	kycUser map[string][]string // user id -> submission ids, in creation order

	accounts      map[string]*storage.Account
	userAccounts  map[string][]string // user id -> account ids, in creation order
	portfolios    map[string]*storage.Portfolio
	acctPortfolio map[string][]string // account id -> portfolio ids
	userPortfolio map[string][]string // user id -> portfolio ids
	portfolioName map[nameKey]string  // (account, name) -> portfolio id
	portfolioAddr map[addrSlot]string // (chain, key id, index) -> portfolio id
	addrIndex     map[addrKey]uint64  // next index per (chain, key id)

	events   map[string][]*storage.Event // user id -> events, in append order
	eventIDs map[string]bool
	eventSeq int64 // Seq of the newest event; never rolled back

	// queue holds the events not enqueued yet, in Seq order; deliveries
	// the webhook deliveries, allDeliveries their keys and pending those
	// of the pending ones, both in (Seq, endpoint) order.
	queue         []*storage.Event
	deliveries    map[deliveryKey]*storage.Delivery
	allDeliveries []deliveryKey
	pending       []deliveryKey
	provEvents    map[providerKey]time.Time // names no record

	throttles map[string]throttle

	dataKeys map[string]*storage.DataKey // user id -> key; names no record
}

type sendKey struct {
	key   string
	start int64 // UnixNano of the window start
}

type nameKey struct{ account, name string }

type addrKey struct{ chain, keyID string }

type addrSlot struct {
	addrKey
	index uint32
}

type recoveryCode struct {
	hash   []byte
	used   bool
	usedAt time.Time
}

// New returns an empty Store.
func New(opts ...Option) *Store {
	cfg := config{sendRetention: 48 * time.Hour}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return &Store{d: &data{
		cfg:           cfg,
		users:         map[string]*storage.User{},
		byPhone:       map[string][]string{},
		byEmail:       map[string][]string{},
		passwords:     map[string][]string{},
		challenges:    map[string]*storage.Challenge{},
		userChal:      map[string][]string{},
		sends:         map[sendKey]int{},
		sendPruneN:    1024,
		tokens:        map[string]*storage.RefreshToken{},
		userTokens:    map[string][]string{},
		families:      map[string][]string{},
		userFamily:    map[string][]string{},
		familyKnown:   map[string]bool{},
		totp:          map[string]*storage.TOTPEnrollment{},
		recovery:      map[string][]recoveryCode{},
		passkeys:      map[string]*storage.Passkey{},
		userPasskeys:  map[string][]string{},
		kyc:           map[string]*storage.KYCSubmission{},
		kycUser:       map[string][]string{},
		accounts:      map[string]*storage.Account{},
		userAccounts:  map[string][]string{},
		portfolios:    map[string]*storage.Portfolio{},
		acctPortfolio: map[string][]string{},
		userPortfolio: map[string][]string{},
		portfolioName: map[nameKey]string{},
		portfolioAddr: map[addrSlot]string{},
		addrIndex:     map[addrKey]uint64{},
		events:        map[string][]*storage.Event{},
		eventIDs:      map[string]bool{},
		deliveries:    map[deliveryKey]*storage.Delivery{},
		provEvents:    map[providerKey]time.Time{},
		throttles:     map[string]throttle{},
		dataKeys:      map[string]*storage.DataKey{},
	}}
}

// txn is the state of one running unit of work.
type txn struct {
	mu   sync.Mutex // serialises use of the view (fn may share it between goroutines)
	undo []func()
	done bool // guarded by mu; a finished view falls back to the shared lock
}

// Tx runs fn with a Store whose writes commit together when fn returns nil
// and are all undone when fn returns an error or panics; Tx returns fn's
// error. The Store lock is held while fn runs, so other callers wait and
// never see a partial unit of work. fn must make every call through the Store
// it receives; calling Tx on that Store runs the nested fn inside the same
// unit of work. Tx never retries fn.
func (s *Store) Tx(ctx context.Context, fn func(ctx context.Context, s storage.Store) error) error {
	if t := s.tx; t != nil {
		t.mu.Lock()
		active := !t.done
		t.mu.Unlock()
		if active {
			return fn(ctx, s)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.d.mu.Lock()
	t := &txn{}
	committed := false
	defer func() {
		t.mu.Lock()
		if !committed {
			for i := len(t.undo) - 1; i >= 0; i-- {
				t.undo[i]()
			}
		}
		t.undo = nil
		t.done = true
		t.mu.Unlock()
		s.d.mu.Unlock()
	}()
	if err := fn(ctx, &Store{d: s.d, tx: t}); err != nil {
		return err
	}
	committed = true
	return nil
}

// Ping returns nil: an in-memory store is always reachable.
func (s *Store) Ping(context.Context) error { return nil }

// lock acquires what one operation needs: the view's own mutex inside a
// running Tx (the shared lock is already held), the shared lock otherwise.
// It returns the undo log to record into, nil outside a Tx.
func (s *Store) lock() *txn {
	if t := s.tx; t != nil {
		t.mu.Lock()
		if !t.done {
			return t
		}
		t.mu.Unlock()
	}
	s.d.mu.Lock()
	return nil
}

func (s *Store) unlock(t *txn) {
	if t != nil {
		t.mu.Unlock()
		return
	}
	s.d.mu.Unlock()
}

// put sets m[k] = v, recording the previous state in t.
func put[K comparable, V any](t *txn, m map[K]V, k K, v V) {
	if t != nil {
		old, had := m[k]
		t.undo = append(t.undo, func() {
			if had {
				m[k] = old
			} else {
				delete(m, k)
			}
		})
	}
	m[k] = v
}

// del deletes m[k], recording the previous state in t.
func del[K comparable, V any](t *txn, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	if t != nil {
		t.undo = append(t.undo, func() { m[k] = old })
	}
	delete(m, k)
}

// appendTo appends v to the slice m[k], recording the previous state in t.
// Stored slices are only ever appended to (removeIf stores a new slice),
// and the undo restores the old header, so values already handed out stay
// valid.
func appendTo[K comparable, V any](t *txn, m map[K][]V, k K, v V) {
	old, had := m[k]
	if t != nil {
		t.undo = append(t.undo, func() {
			if had {
				m[k] = old
			} else {
				delete(m, k)
			}
		})
	}
	m[k] = append(old, v)
}

// removeFrom removes every v from the slice m[k], recording the previous
// state in t; see removeIf.
func removeFrom[K, V comparable](t *txn, m map[K][]V, k K, v V) {
	removeIf(t, m, k, func(x V) bool { return x == v })
}

// removeIf removes the elements of the slice m[k] that gone reports
// (deleting the key when nothing is left), recording the previous state in
// t. The stored slice is replaced by a new one, never modified in place.
func removeIf[K comparable, V any](t *txn, m map[K][]V, k K, gone func(V) bool) {
	old := m[k]
	if !slices.ContainsFunc(old, gone) {
		return
	}
	rest := slices.DeleteFunc(slices.Clone(old), gone)
	if len(rest) == 0 {
		del(t, m, k)
		return
	}
	put(t, m, k, rest)
}

func notFound(what string) error { return &wrapped{what + " not found", storage.ErrNotFound} }
func conflict(what string) error { return &wrapped{what, storage.ErrConflict} }
func duplicate(field string) error {
	return &storage.DuplicateError{Field: field}
}

// wrapped is a sentinel with a more precise message.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return "memory: " + w.msg }
func (w *wrapped) Unwrap() error { return w.err }
