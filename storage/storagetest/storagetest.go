// Package storagetest is the conformance suite every storage adapter passes.
//
// An adapter's tests call [Run] with a constructor, [RunReplicas] with a
// constructor of two stores standing for two replicas on shared storage, and
// its benchmarks call [Bench]:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Store { return memory.New() })
//	}
//
// The suite needs nothing but a [storage.Store]. Every test uses ids, phones,
// emails, keys and hashes unique to the process run (a random run prefix and a
// counter), so the constructor may return stores backed by one shared database
// that already holds data; it never needs emptying. Times are fixed (whole
// seconds, UTC) and nothing sleeps; the SearchUsers tests create their users
// in hour-long windows of their own, counted from a random day drawn per run
// (after 2100), and search within them (or by a phone or email of their own),
// so that other users never match. Every record that names a user, an account
// or a submission names one stored first, and statuses are values of the
// domain packages, so an adapter may enforce foreign keys and CHECK
// constraints. Records are compared after normalising times to UTC and empty
// slices and maps to nil, so an adapter may return either form.
//
// The suite checks the contract documented in package storage and pins a few
// points the contract leaves implicit, each noted at its test: the Field of a
// duplicate id is "id"; setters of a missing record (UpdateUser,
// SetChallengeResendAt, UpdateKYCSubmissionStatus, SetTradingPortfolio) return
// storage.ErrNotFound; users without a phone or an email do not collide on the
// empty value; a Tx whose function handled an error returned by one of its
// writes (a duplicate, a conflict) still commits the other writes; ListEvents
// with a limit returns the oldest events, in Seq order whatever their At, and
// Seq increases across users in the order of appending; SearchUsers compares
// ids in byte order (as Go compares strings) and puts a zero CreatedAt first
// (before any CreatedTo, never from a CreatedFrom); ListSessions orders
// families created at the same time by FamilyID in byte order, and its expiry
// and maximum age are exclusive at now; SetAccountsActive sets UpdatedAt on
// the accounts it changes only; UpdateKYCSubmissionStatus sets UpdatedAt to
// its at; a challenge stored without a code hash is consumed with a nil hash;
// CreatePortfolio refuses a (Chain, non-empty KeyID, AddressIndex) slot
// already used with Field "address_index"; a duplicate next hash makes
// RotateRefreshToken fail and write nothing; among unverified holders of a
// phone or email, and among challenges (LatestChallenge), a zero CreatedAt is
// the oldest; DeleteUser keeps challenges of no user sent to the deleted
// user's phone; FamilyRevoked holds once any token of the family is revoked
// (rotation is not revocation); a data key may be stored for a user id no user
// holds; ListDataKeys with limit <= 0 lists every key; ClaimDeliveries
// orders deliveries of one event by EndpointID (byte order), CompleteDelivery
// succeeds for a token whose lease ran out while no other claim took the
// delivery, FailDelivery with final keeps NextAttemptAt, ReplayDelivery keeps
// LastStatus and LastError, and a zero next attempt time is due at once.
//
// The Outbox tests share the outbox of the store with the rest of the suite:
// each first enqueues, to no endpoint, every event left not enqueued (by the
// other tests, or by earlier runs on a shared database), so that its own
// events are the only ones its enqueues take; and each runs in an hour of its
// own, counted down from a random day of the twentieth century drawn per run,
// so that the deliveries earlier tests left pending (due and leased in later
// hours) are neither due nor free in its claims. They need a store that no
// deliverer uses while they run.
//
// The Janitor tests likewise run each in a day of its own, in the
// eighteenth century (before every time the other tests use): each first
// prunes everything before the end of its day, so that the counts its
// prunes return are exact. They need a store that no other janitor prunes
// while they run.
//
// The suite runs with sealing on: every [storage.Sealed] value of its fixtures
// (profiles, compliance answers, user metadata, SSNs, document numbers,
// contents and descriptions, TOTP secrets, account emails and information) is
// the output of a [seal.Sealer] whose data keys are kept in the store under
// test (its [storage.DataKeys]), under a key-encryption key drawn for the run.
// The tests that read such values back check that they come back byte for byte
// and still open.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
)

// Run runs the whole conformance suite, one subtest per aggregate.
// newStore is called once per leaf test; it may return a new store each
// time or stores sharing one database. The concurrency tests run with the
// store standing for both replicas; see RunReplicas for two.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Users", userTests},
		{"SearchUsers", searchTests},
		{"Identifiers", identifierTests},
		{"DeleteUser", deleteTests},
		{"Credentials", credentialTests},
		{"Challenges", challengeTests},
		{"Sessions", sessionTests},
		{"TOTP", totpTests},
		{"Passkeys", passkeyTests},
		{"KYC", kycTests},
		{"Accounts", accountTests},
		{"Audit", auditTests},
		{"Throttles", throttleTests},
		{"DataKeys", dataKeyTests},
		{"Outbox", outboxTests},
		{"ProviderEvents", providerEventTests},
		{"Janitor", janitorTests},
		{"Tx", txTests},
		{"Store", storeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					s := newStore(t)
					tc.fn(newFixture(t, s, s))
				})
			}
		})
	}
	t.Run("Concurrency", func(t *testing.T) {
		runConcurrency(t, func(t *testing.T) (storage.Store, storage.Store) {
			s := newStore(t)
			return s, s
		})
	})
}

// RunReplicas runs the concurrency and isolation tests with two stores
// standing for two replicas of a service: newPair returns stores backed by the
// same storage through separate connections (for the in-memory adapter, the
// same store twice). Racing goroutines alternate between a and b, and each
// test checks that the contract's "exactly one succeeds" holds across them.
func RunReplicas(t *testing.T, newPair func(t *testing.T) (a, b storage.Store)) {
	t.Helper()
	runConcurrency(t, newPair)
}

type test struct {
	name string
	fn   func(f *fixture)
}

// fixture is what every test receives: the store (a), a second replica (b,
// the same store outside RunReplicas) and helpers.
type fixture struct {
	*testing.T
	ctx  context.Context
	s    storage.Store
	b    storage.Store
	base time.Time
	// user, when set, is the id userID returns (benchmarks share one user).
	user string
	// sealer seals the fixtures' personal values, keeping the data keys in
	// s; nil in benchmarks (see seal).
	sealer *seal.Sealer
}

// userID creates a user and returns its id: records that name a user name
// an existing one, so an adapter may enforce foreign keys.
func (f *fixture) userID() string {
	if f.user != "" {
		return f.user
	}
	f.Helper()
	u := f.newUser()
	f.ok(f.s.CreateUser(f.ctx, u), "CreateUser for a record's owner")
	return u.ID
}

func newFixture(t *testing.T, a, b storage.Store) *fixture {
	t.Helper()
	sealer, err := newSealer()
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	return &fixture{T: t, ctx: t.Context(), s: a, b: b, base: base, sealer: sealer}
}

// base is the fixed "now" of every test.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// at returns base plus sec seconds.
func (f *fixture) at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

// Unique values for one process run.
var (
	runID    string
	runPhone uint32 // 5 random digits so concurrent runs on one database rarely meet
	seq      atomic.Uint64
	// runEpoch starts the run's search windows (see window): a random day
	// in the 2700 years after 2100, so runs sharing a database rarely meet.
	runEpoch time.Time
	windows  atomic.Int64
)

func init() {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("storagetest: reading random run id: " + err.Error())
	}
	runID = hex.EncodeToString(b[:6])
	runPhone = 10000 + binary.BigEndian.Uint32(b[4:])%90000
	days := binary.BigEndian.Uint32(b[8:]) % 1_000_000
	runEpoch = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(days))
}

// window returns the start of an hour of creation times no other call of
// the run returns and no other test uses: users created in it are the
// only ones a search with CreatedFrom and CreatedTo around it finds, even
// in a database that other runs share.
func window() time.Time { return runEpoch.Add(time.Duration(windows.Add(1)) * time.Hour) }

func next() uint64 { return seq.Add(1) }

// id returns a unique id with a readable kind prefix.
func id(kind string) string { return fmt.Sprintf("%s-%s-%d", kind, runID, next()) }

// phone returns a unique E.164 phone number (14 digits).
func phone() string { return fmt.Sprintf("+9%05d%08d", runPhone, next()%100000000) }

// email returns a unique email with upper-case letters, to exercise
// case-insensitive matching.
func email() string { return fmt.Sprintf("User.%s.%d@Example.COM", runID, next()) }

// hash returns unique 32 bytes.
func hash() []byte {
	b := make([]byte, 32)
	copy(b, id("h"))
	if _, err := rand.Read(b[24:]); err != nil {
		panic(err)
	}
	return b
}

// ---------------------------------------------------------------------------
// assertions

func (f *fixture) ok(err error, what string) {
	f.Helper()
	if err != nil {
		f.Fatalf("%s: unexpected error: %v", what, err)
	}
}

func (f *fixture) is(err, target error, what string) {
	f.Helper()
	if !errors.Is(err, target) {
		f.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func (f *fixture) dup(err error, field, what string) {
	f.Helper()
	var d *storage.DuplicateError
	if !errors.As(err, &d) {
		f.Fatalf("%s: got error %v, want *storage.DuplicateError{%q}", what, err, field)
	}
	if !errors.Is(err, storage.ErrDuplicate) {
		f.Fatalf("%s: errors.Is(err, ErrDuplicate) does not hold for %v", what, err)
	}
	if d.Field != field {
		f.Fatalf("%s: duplicate Field = %q, want %q", what, d.Field, field)
	}
}

// equal compares records after normalising them (times to UTC, empty slices
// and maps to nil).
func (f *fixture) equal(got, want any, what string) {
	f.Helper()
	if !Equal(got, want) {
		f.Fatalf("%s:\n got: %s\nwant: %s", what, show(got), show(want))
	}
}

func (f *fixture) check(cond bool, format string, args ...any) {
	f.Helper()
	if !cond {
		f.Fatalf(format, args...)
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// Equal reports whether two records (or slices of records) are equal once
// times are compared as instants and empty slices and maps equal nil. It is
// exported for adapters' own tests.
func Equal(a, b any) bool {
	return reflect.DeepEqual(normalize(reflect.ValueOf(a)), normalize(reflect.ValueOf(b)))
}

var timeType = reflect.TypeFor[time.Time]()

// normalize returns a normalised deep copy of v as an interface value.
func normalize(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	return norm(v).Interface()
}

func norm(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(norm(v.Elem()))
		return n
	case reflect.Struct:
		if v.Type() == timeType {
			tm := v.Interface().(time.Time)
			if tm.IsZero() {
				return reflect.ValueOf(time.Time{})
			}
			return reflect.ValueOf(tm.UTC().Round(0))
		}
		n := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n.Field(i).Set(norm(v.Field(i)))
			}
		}
		return n
	case reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(norm(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			n.SetMapIndex(it.Key(), norm(it.Value()))
		}
		return n
	default:
		return v
	}
}
