// Package storage defines the records onboardkit persists and the small
// interfaces, one per aggregate, that a storage adapter implements.
//
// The package holds no implementation: adapters live in its subpackages
// (storage/memory, the default; storage/postgres, the reference for running
// many replicas) and every adapter passes the conformance suite in
// storage/storagetest. onboardkit keeps no state of its own, so every replica
// of a host service must share one Store.
//
// # Contract every adapter honours
//
//   - Lookups of a missing record return an error wrapping [ErrNotFound].
//   - A write that would break a uniqueness rule returns a [*DuplicateError]
//     (errors.Is(err, ErrDuplicate) holds) naming the field.
//   - Phones and emails are unique among verified holders only: a user whose
//     phone (email, case-insensitively) is verified collides with another
//     user holding it verified, never with unverified holders, and any
//     number of users may hold it unverified. [Users.GetUserByPhone] and
//     [Users.GetUserByEmail] return the verified holder, else the most
//     recently created unverified one.
//   - Users carry a Version; [Users.UpdateUser] succeeds only when the stored
//     version equals the one passed in, and otherwise returns [ErrConflict].
//   - The "atomic" methods below are single conditional writes: two callers on
//     two replicas can never both succeed where the contract says one.
//   - Records are copied in and out: mutating a record after passing it in, or
//     after receiving it, never changes what is stored.
//   - Personal data beyond the login identifiers (the profile, the
//     compliance declarations, SSNs, document numbers, contents and
//     descriptions, TOTP secrets) is held as [Sealed] bytes plus a key
//     reference, sealed before it reaches the store (package seal, with the
//     user's data key from [DataKeys]). Adapters store both as they are.
//   - [Store.Tx] runs a unit of work that commits whole or not at all. The
//     function may be run more than once when the adapter retries a
//     serialization failure, so it must not have side effects outside the
//     store (send messages after Tx returns). A write inside it that fails
//     (a duplicate, a conflict) and whose error the function handles does
//     not undo the unit's other writes. The Store passed to the function is
//     for one goroutine, and the outer Store must not be used inside it.
//   - [Users.DeleteUser] removes the user with every record naming it, the
//     audit log (with its webhook deliveries, [Outbox]) and the user's data
//     key excepted; address-index counters
//     are not per user and are never reset. [Users.DeleteUserRecords] does
//     the same but keeps the user record (and, when asked, its KYC
//     records).
//   - Data keys ([DataKeys]) name no record: no write of another
//     aggregate creates, changes or deletes one, and a key may exist for a
//     user id no user record holds. Erasure deletes the key explicitly
//     (crypto-shredding).
//   - Inside a unit of work, [Accounts.LockAccount] holds the account until
//     the unit commits or rolls back: no other unit of work locks it or adds
//     portfolios to it meanwhile, so a unit that locks, counts and creates
//     enforces a cap on the account's portfolios on any number of replicas.
//   - [Accounts.AllocateAddressIndex] called through the Store of a unit of
//     work takes part in it: a rollback releases the index, which the next
//     allocation hands out again, so indexes are used without gaps by the
//     portfolios that were created. Concurrent units of work allocating
//     for one (chain, keyID) pair take turns: the second waits until the
//     first commits or rolls back. Outside a unit of work the allocation is
//     its own atomic write.
//   - Lock order: a unit of work that locks an account and allocates an
//     address index locks the account first ([Accounts.LockAccount], then
//     [Accounts.AllocateAddressIndex]); a unit that allocates and then
//     creates a portfolio locks the account first too (CreatePortfolio
//     waits for the account's holder). Units that take them in the
//     opposite order may deadlock, which an adapter may report as a
//     failure of the unit of work (or resolve by retrying it).
//   - A store that cannot be reached (connection refused, a connection
//     lost, no connection free in time) returns an error wrapping
//     [ErrUnavailable] from any method; [Store.Ping] checks reachability.
//     The store recovers by itself once it can be reached again.
//   - Login throttles ([Throttles]) are counters keyed by opaque keys that
//     name no record. [Throttles.ReserveLoginAttempt] decides and counts in
//     one conditional write: of any number of concurrent callers on any
//     number of replicas, at most the free failures are allowed while the
//     key is unblocked, a refused attempt writes nothing, and no count is
//     lost.
//   - Setters of a missing record (UpdateUser, SetChallengeResendAt,
//     UpdateKYCSubmissionStatus, SetTradingPortfolio) return ErrNotFound.
//     A record naming a user that does not exist may be refused with an
//     error wrapping ErrNotFound (adapters with foreign keys do).
//   - A taken id is a *DuplicateError with Field "id" for every record type.
//     An empty phone or email means "none" and never collides.
//   - Two portfolios never share (Chain, KeyID, AddressIndex) when KeyID is
//     set (Field "address_index").
//   - Times are kept at least to the microsecond.
package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Adapters wrap them; test with errors.Is.
var (
	// ErrNotFound reports that the record does not exist.
	ErrNotFound = errors.New("storage: not found")
	// ErrConflict reports that a conditional write found the record in another
	// state than the caller expected: a stale user version, a challenge that is
	// already consumed, burned or expired, a refresh token already rotated.
	ErrConflict = errors.New("storage: conflict")
	// ErrSendLimit reports that a send counter is full: a CapSend (see
	// SendCapper) would have counted past its limit, and counted nothing.
	ErrSendLimit = errors.New("storage: send limit reached")
	// ErrDuplicate reports that a unique field is already taken. The concrete
	// error is a *DuplicateError naming the field.
	ErrDuplicate = errors.New("storage: duplicate")
	// ErrUnavailable reports that the store cannot be reached: the
	// connection was refused or lost, or no connection became free before
	// the context's deadline. Nothing can be said about a write that
	// failed this way (it may or may not have been applied), but the
	// failure is not the caller's: the same call may succeed later. A
	// caller's cancellation of its context is not ErrUnavailable.
	ErrUnavailable = errors.New("storage: unavailable")
)

// DuplicateError is returned when a unique field is already taken.
type DuplicateError struct {
	// Field is the unique field: "phone", "email", "id", "name",
	// "token", "address_index", "user_id".
	Field string
}

// Error implements error.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("storage: duplicate %s", e.Field)
}

// Is makes errors.Is(err, ErrDuplicate) hold.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// Sealed is an opaque PII value: the bytes as stored and the reference of the
// key that sealed them (package seal: the user's data key). An empty KeyRef
// means the bytes are the clear value, which the onboarding Service never
// stores. Adapters store both as they are and never interpret them.
type Sealed struct {
	KeyRef string
	Data   []byte
}

// IsZero reports whether no value is held.
func (s Sealed) IsZero() bool { return s.KeyRef == "" && len(s.Data) == 0 }

// Clone returns a deep copy.
func (s Sealed) Clone() Sealed {
	return Sealed{KeyRef: s.KeyRef, Data: cloneBytes(s.Data)}
}

// Store is everything an onboardkit Service needs from storage.
type Store interface {
	Users
	Credentials
	Challenges
	Sessions
	TOTP
	Passkeys
	KYC
	Accounts
	Audit
	Throttles
	DataKeys
	Outbox
	ProviderEvents
	Janitor

	// Tx runs fn in a unit of work. Every write made through the Store passed
	// to fn commits together when fn returns nil, and none is visible to
	// other callers if fn returns an error (which Tx returns). Calling Tx on
	// the Store passed to fn joins the running unit of work. fn may run more
	// than once when the adapter retries a serialization failure.
	Tx(ctx context.Context, fn func(ctx context.Context, s Store) error) error

	// Ping reports whether the store can be reached (for readiness
	// checks): nil, or an error wrapping ErrUnavailable when it cannot.
	Ping(ctx context.Context) error
}

// WriteBehind is implemented by a Store that can send the writes of a unit
// of work later than the call, with the unit's next statement or its
// commit, to spare a round trip per write (the PostgreSQL store does).
//
// Behind, on the Store a Tx passes to its function, returns a view of the
// same unit of work whose writes may be deferred: the call returns nil at
// once and the write goes to the database before anything the unit does
// after it, through either view. The error of a deferred write is then
// returned by the call that carried it (a later read or write of the unit,
// whatever its own method) or by Tx, which commits nothing once a deferred
// write failed, even when fn returned nil. Unlike the writes of the Store
// itself, which a caller may fail and handle inside a unit, a deferred
// write that fails dooms its unit: use the view for writes whose failure
// fails the step anyway (appends, inserts of fresh ids). Writes that
// return a value, and reads, run at once on the view as on the Store.
// Outside a Tx, Behind returns the Store itself.
//
// Conditional writes keep their condition when deferred: an UpdateUser
// whose version is stale, and a ConsumeChallenge with nothing to consume,
// fail the unit with an error wrapping ErrConflict (the store may first
// run fn again, as for a serialization failure: a unit that re-reads the
// user then succeeds); a write that reports a missing record (such as
// SetTradingPortfolio or UpdateKYCSubmissionStatus) fails it with one
// wrapping ErrNotFound. A caller that must tell why a challenge was not
// consumed reads it again after the unit failed.
type WriteBehind interface {
	Behind() Store
}

// Behind returns the write-behind view of s when s is a WriteBehind, else
// s: a store without it runs every write at once, which the contract of
// WriteBehind allows.
func Behind(s Store) Store {
	if wb, ok := s.(WriteBehind); ok {
		return wb.Behind()
	}
	return s
}

// SendCapper is implemented by a Store that can check a send limit
// itself, so that a caller need not read the count back before it goes on:
// on the write-behind view of a unit of work (WriteBehind) the count may
// then be deferred like the other writes, and a full window fails the
// unit, with an error wrapping ErrSendLimit, when the count runs. Both
// stores of the module implement it; package otp counts with CountSend
// and checks the count itself on a store that does not.
type SendCapper interface {
	// CapSend counts one send to key in the window starting at
	// windowStart, as CountSend does, unless the window already holds
	// limit sends: then it counts nothing and fails with an error
	// wrapping ErrSendLimit. A negative limit never refuses. Inside a Tx
	// a refusal through the Store itself leaves the unit usable; through
	// its write-behind view it dooms the unit, like any deferred write.
	CapSend(ctx context.Context, key string, windowStart time.Time, limit int) error
}

// ---------------------------------------------------------------------------
// Users

// User is the registration record of one customer.
type User struct {
	ID string
	// Version is checked and incremented by UpdateUser (optimistic locking).
	// CreateUser stores version 1.
	Version int64

	// Phone is E.164 ("+33614125910"), empty when the user signed up by email.
	// A verified phone is unique across users; unverified holders of a
	// phone may be several (a sign-up that is never confirmed does not hold
	// the number).
	Phone         string
	PhoneVerified bool
	// Email is normalised by the caller; uniqueness of a verified email is
	// case-insensitive, and unverified holders may be several, as for Phone.
	Email         string
	EmailVerified bool
	Locale        string

	// Status is the registration status ("registered", "contact_verified",
	// ..., see package onboarding).
	Status string
	// KYCStatus is the verification status ("not_started", "init",
	// "under_review", ..., see package kyc). KYCTier is "" or "KYC_0", "KYC_1".
	KYCStatus string
	KYCTier   string

	// Profile is the user's personal details (names, birth date,
	// nationality, address, SSN, …) sealed as one value, zero while none
	// were given. Compliance is the user's declarations (terms acceptance,
	// politically-exposed person, questionnaire), sealed likewise. The
	// layout inside is the sealing layer's (package onboarding); adapters
	// store the bytes as they are.
	Profile    Sealed
	Compliance Sealed
	// ProfileComplete reports that every required field of the profile
	// is given (a profile may be saved in parts).
	ProfileComplete bool

	// Roles are the labels an operator gave the user (carried in access
	// tokens); Metadata is the host's string map about the user, sealed.
	Roles    []string
	Metadata Sealed

	// AdminLocked is an administrator's lock. (Failed logins are counted
	// by [Throttles], keyed by the caller, not on the user.)
	AdminLocked bool

	// TokensValidAfter is the per-user cutoff: access tokens issued before it
	// are refused (set on password reset and sign-out-everywhere).
	TokensValidAfter time.Time
	// LastAuthAt is the time of the last password+OTP authentication, used to
	// require a recent authentication for sensitive changes.
	LastAuthAt time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Clone returns a deep copy of u (nil stays nil).
func (u *User) Clone() *User {
	if u == nil {
		return nil
	}
	c := *u
	c.Profile = u.Profile.Clone()
	c.Compliance = u.Compliance.Clone()
	c.Metadata = u.Metadata.Clone()
	if u.Roles != nil {
		c.Roles = append([]string{}, u.Roles...)
	}
	return &c
}

// UserQuery filters and pages SearchUsers. Empty fields do not filter;
// Phone and Email match exactly (Email case-insensitively), verified or
// not; CreatedFrom is inclusive, CreatedTo exclusive.
type UserQuery struct {
	Status      string
	KYCStatus   string
	Phone       string
	Email       string
	CreatedFrom time.Time
	CreatedTo   time.Time
	// After is the (CreatedAt, ID) of the last user of the previous page;
	// zero for the first page.
	After UserCursor
	Limit int
}

// UserCursor is a position in the (CreatedAt, ID) order of SearchUsers.
type UserCursor struct {
	CreatedAt time.Time
	ID        string
}

// Users stores user records.
//
// Uniqueness holds on verified identifiers only: storing a user whose phone
// is verified while another user holds the same phone verified returns a
// *DuplicateError with Field "phone" (likewise "email", case-insensitively);
// any number of users may hold a phone or email unverified.
type Users interface {
	// CreateUser stores u with Version 1 (and sets u.Version). A verified
	// phone or email another user holds verified returns a *DuplicateError
	// with Field "phone" or "email".
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the user with the id, or ErrNotFound.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByPhone returns the user holding the exact E.164 phone
	// verified, else the most recently created user holding it unverified
	// (the greatest CreatedAt, then the greatest id), else ErrNotFound.
	GetUserByPhone(ctx context.Context, phone string) (*User, error)
	// GetUserByEmail is GetUserByPhone for an email, matched
	// case-insensitively.
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUser replaces the stored user when its version equals u.Version,
	// then increments the version (and u.Version). A stale version returns
	// ErrConflict; a verified phone or email another user holds verified a
	// *DuplicateError.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUserRecords removes every record naming the user except the
	// user record itself (kept, for an erased user, as an anonymised
	// record, with its phone and email as they are stored) and, when
	// keepKYC, its KYC submissions and documents: it removes credentials
	// and password history, challenges, refresh tokens, TOTP enrollment and
	// recovery codes, accounts and portfolios, and (unless keepKYC) KYC
	// submissions and their documents. Audit events and the user's data
	// key stay. A missing user returns ErrNotFound.
	DeleteUserRecords(ctx context.Context, id string, keepKYC bool) error
	// SearchUsers returns the users matching q, ordered by (CreatedAt, ID)
	// ascending (ids in byte order, as Go compares strings; a zero
	// CreatedAt is the oldest), at most q.Limit (all when Limit <= 0),
	// starting strictly after q.After. The order is a keyset: pages read
	// one after another see every user that existed when the first page
	// was read exactly once, however many users are created meanwhile (a
	// new user sorts after every existing one when its CreatedAt is later
	// than theirs; at an equal CreatedAt the ids decide).
	SearchUsers(ctx context.Context, q UserQuery) ([]*User, error)
	// DeleteUser removes the user and every record naming it: credentials
	// and password history, challenges, refresh tokens, TOTP enrollment and
	// recovery codes, KYC submissions and their documents, accounts and
	// portfolios. Audit events stay, and so does the user's data key (a
	// data key names no record): a caller erasing the user deletes it with
	// DataKeys.DeleteDataKey. A missing user returns ErrNotFound.
	DeleteUser(ctx context.Context, id string) error
}

// ---------------------------------------------------------------------------
// Credentials

// Credentials stores password hashes and their history.
type Credentials interface {
	// SetPassword makes hash the user's current password hash and records it
	// in the history, keeping only the newest keep entries (at least 1).
	SetPassword(ctx context.Context, userID, hash string, at time.Time, keep int) error
	// GetPassword returns the current hash, or ErrNotFound.
	GetPassword(ctx context.Context, userID string) (string, error)
	// PasswordHistory returns up to limit hashes, newest first; the current
	// hash is the first.
	PasswordHistory(ctx context.Context, userID string, limit int) ([]string, error)
	// GetLogin returns, in one read, what a login (or a view of the user's
	// factors) needs of the user that GetUserByPhone, GetUserByEmail or
	// GetUser would return for value, as by says: the user, its current
	// password hash ("" when it has none), whether it has a confirmed TOTP
	// enrollment and how many passkeys it has; or ErrNotFound.
	GetLogin(ctx context.Context, by LoginBy, value string) (*Login, error)
}

// LoginBy says what GetLogin looks the user up by.
type LoginBy int

const (
	LoginByPhone LoginBy = iota // the holder of an E.164 phone (GetUserByPhone)
	LoginByEmail                // the holder of an email (GetUserByEmail)
	LoginByID                   // the user with the id (GetUser)
)

// Login is what GetLogin reads.
type Login struct {
	User          *User
	PasswordHash  string // "" when the user has no password
	TOTPConfirmed bool
	Passkeys      int // the number of the user's passkeys
}

// ---------------------------------------------------------------------------
// One-time-code challenges

// Challenge is an issued one-time code, or a TOTP login challenge answered
// with an authenticator app (package otp stores a fixed per-challenge marker
// as its CodeHash, which no code hashes to; the store treats it like any
// other hash, and a nil CodeHash too). Only the HMAC of a code is ever
// stored.
type Challenge struct {
	ID          string
	UserID      string // may be empty (e.g. a decoy challenge)
	Purpose     string // "phone_confirmation", "login", ...
	Channel     string // "sms", "email", "totp"
	Destination string // E.164 phone or email (may be empty for "totp"); masked before it is shown
	// Locale is the locale the challenge was issued in (a BCP 47 tag such as
	// "fr-FR", or "" for the default): every message of the challenge, its
	// resends included, is rendered in it.
	Locale   string
	CodeHash []byte

	CreatedAt   time.Time
	ExpiresAt   time.Time
	Attempts    int
	MaxAttempts int
	Sends       int
	LastSentAt  time.Time
	ResendAt    time.Time // next resend allowed at
	ConsumedAt  time.Time // zero while unused

	// Payload is opaque data the issuer attaches (e.g. the pending new
	// password hash of a password change). It is returned as stored.
	Payload []byte
	// Proven marks a challenge issued after the user proved a factor (the
	// code of a login after the right password, a password change): its
	// sends count against the destination's proven budget, which anonymous
	// requests cannot spend.
	Proven bool
}

// Clone returns a deep copy of c.
func (c *Challenge) Clone() *Challenge {
	if c == nil {
		return nil
	}
	d := *c
	d.CodeHash = cloneBytes(c.CodeHash)
	d.Payload = cloneBytes(c.Payload)
	return &d
}

// Challenges stores one-time-code challenges. The conditional methods are
// the reason this interface exists: each is one atomic write.
type Challenges interface {
	// CreateChallenge stores c. A taken id returns a *DuplicateError.
	CreateChallenge(ctx context.Context, c *Challenge) error
	// GetChallenge returns the challenge, or ErrNotFound.
	GetChallenge(ctx context.Context, id string) (*Challenge, error)
	// FailChallengeAttempt atomically increments Attempts when the challenge
	// is not consumed, Attempts < MaxAttempts and now < ExpiresAt, and
	// returns the new attempt count. Otherwise it writes nothing and returns
	// ErrConflict (ErrNotFound if there is no such challenge).
	FailChallengeAttempt(ctx context.Context, id string, now time.Time) (attempts int, err error)
	// ConsumeChallenge atomically sets ConsumedAt = now when the challenge is
	// not consumed, Attempts < MaxAttempts, now < ExpiresAt and its CodeHash
	// still equals codeHash (a resend in between replaces it). Otherwise it
	// writes nothing and returns ErrConflict (ErrNotFound if missing).
	// Of many concurrent callers, exactly one succeeds.
	ConsumeChallenge(ctx context.Context, id string, codeHash []byte, now time.Time) error
	// ResendChallenge atomically replaces the code of a challenge that is not
	// consumed and whose Sends still equals prevSends: it sets CodeHash,
	// Sends = prevSends+1, LastSentAt = sentAt, ResendAt and ExpiresAt.
	// Attempts are kept. Otherwise it returns ErrConflict.
	ResendChallenge(ctx context.Context, id string, prevSends int, codeHash []byte, sentAt, resendAt, expiresAt time.Time) error
	// SetChallengeResendAt sets ResendAt (used to make a challenge whose
	// message could not be sent resendable at once).
	SetChallengeResendAt(ctx context.Context, id string, resendAt time.Time) error
	// CountSend atomically increments and returns the send counter of key
	// for the fixed window starting at windowStart. key is an opaque
	// (hashed) destination key; windows are independent counters.
	CountSend(ctx context.Context, key string, windowStart time.Time) (int, error)
	// LatestChallenge returns the user's most recently created challenge
	// of the purpose (the greatest CreatedAt, then the greatest id), or
	// ErrNotFound.
	LatestChallenge(ctx context.Context, userID, purpose string) (*Challenge, error)
}

// ---------------------------------------------------------------------------
// Sessions and refresh-token families

// RefreshToken is one refresh token of a session family. Only its hash is
// stored. A family starts at login and continues through rotations; a token
// that has been rotated has a non-zero RotatedAt.
type RefreshToken struct {
	Hash            []byte // SHA-256 (or HMAC) of the opaque token; unique
	FamilyID        string
	UserID          string
	IssuedAt        time.Time
	FamilyCreatedAt time.Time // absolute lifetime is measured from here
	ExpiresAt       time.Time // idle expiry of this token
	RotatedAt       time.Time // zero while current
	RevokedAt       time.Time // zero while valid; set on the whole family
}

// Clone returns a deep copy of t.
func (t *RefreshToken) Clone() *RefreshToken {
	if t == nil {
		return nil
	}
	c := *t
	c.Hash = cloneBytes(t.Hash)
	return &c
}

// Sessions stores refresh-token families.
type Sessions interface {
	// CreateRefreshToken stores t (the first token of a new family, or a
	// token created outside rotation).
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// GetRefreshToken returns the token with the hash, rotated or revoked
	// ones included, or ErrNotFound.
	GetRefreshToken(ctx context.Context, hash []byte) (*RefreshToken, error)
	// RotateRefreshToken atomically marks the token oldHash rotated at now,
	// when it is neither rotated nor revoked, and stores next in its place.
	// Otherwise nothing is written and ErrConflict is returned (ErrNotFound
	// if oldHash is unknown). Of two concurrent rotations one wins.
	RotateRefreshToken(ctx context.Context, oldHash []byte, next *RefreshToken, now time.Time) error
	// RevokeFamily revokes every token of the family, including the
	// successor a concurrent RotateRefreshToken of one of them stores (on
	// any replica): once both have returned, no token of the family is
	// live.
	RevokeFamily(ctx context.Context, familyID string, now time.Time) error
	// RevokeUserSessions revokes every token of every family of the user,
	// concurrent rotations' successors included, as RevokeFamily does.
	RevokeUserSessions(ctx context.Context, userID string, now time.Time) error
	// RevokeUserSessionsExcept revokes every family of the user but keep
	// (a password change ends the other sessions and keeps the current one).
	RevokeUserSessionsExcept(ctx context.Context, userID, keep string, now time.Time) error
	// FamilyRevoked reports whether the family was revoked (its session
	// ended by logout, reuse detection, a reset or a lock): whether any of
	// its tokens is revoked. ErrNotFound for an unknown family (no token).
	FamilyRevoked(ctx context.Context, familyID string) (bool, error)
	// ListSessions returns the current token of each live family of the
	// user — not rotated, not revoked, not expired at now, and within
	// maxAge of its family's creation when maxAge > 0 — newest family
	// first (the greatest FamilyCreatedAt; FamilyID in byte order among
	// equals).
	ListSessions(ctx context.Context, userID string, now time.Time, maxAge time.Duration) ([]*RefreshToken, error)
}

// ---------------------------------------------------------------------------
// Data keys

// DataKey is a user's data key, wrapped by a key-encryption key of a
// keyring (package seal). Every Sealed value of the user is sealed with it;
// deleting it makes them unreadable for good (crypto-shredding).
type DataKey struct {
	UserID string
	// ID names the data key; Sealed values carry it in their KeyRef.
	ID string
	// KeyRef names the key-encryption key that wrapped it.
	KeyRef  string
	Wrapped []byte
	// RetainUntil, when set, marks the key of an erased user kept (under a
	// retention key) for regulated retention until then.
	RetainUntil time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Clone returns a deep copy of k.
func (k *DataKey) Clone() *DataKey {
	if k == nil {
		return nil
	}
	c := *k
	c.Wrapped = cloneBytes(k.Wrapped)
	return &c
}

// DataKeys stores the users' wrapped data keys, one per user id. Keys name
// no record: a key outlives the user records it sealed until it is
// deleted, and deleting a user (Users.DeleteUser) leaves it. Operators
// who need crypto-shredding to hold against backups keep this store out of
// long-lived backups (in PostgreSQL, its own table). Every method takes
// part in a unit of work (Store.Tx) like the other aggregates'.
type DataKeys interface {
	// CreateDataKey stores k. A user that has a key already returns a
	// *DuplicateError with Field "user_id".
	CreateDataKey(ctx context.Context, k *DataKey) error
	// GetDataKey returns the user's key, or ErrNotFound.
	GetDataKey(ctx context.Context, userID string) (*DataKey, error)
	// UpdateDataKey replaces the stored key of k.UserID (a re-wrap, or a
	// move under a retention key) when its stored KeyRef equals prevKeyRef;
	// otherwise it returns ErrConflict (ErrNotFound when missing).
	UpdateDataKey(ctx context.Context, k *DataKey, prevKeyRef string) error
	// DeleteDataKey deletes the user's key, or returns ErrNotFound.
	DeleteDataKey(ctx context.Context, userID string) error
	// ListDataKeys returns up to limit keys (every one when limit <= 0)
	// of users whose id is greater than after, ordered by user id (to walk
	// every key in pages: pass the last UserID of a page as after; "" starts
	// at the first).
	ListDataKeys(ctx context.Context, after string, limit int) ([]*DataKey, error)
}

// ---------------------------------------------------------------------------
// Login throttles

// ThrottlePolicy is how a throttle key is throttled: FreeFailures attempts
// are allowed, then each further attempt is allowed once per delay that
// starts at BaseDelay and doubles up to MaxDelay.
type ThrottlePolicy struct {
	FreeFailures int
	BaseDelay    time.Duration
	MaxDelay     time.Duration
}

// Reservation is the outcome of ReserveLoginAttempt.
type Reservation struct {
	// Allowed reports whether the attempt may check a password.
	Allowed bool
	// Failures is the key's count of failures, the reserved attempt
	// included when Allowed.
	Failures int
	// BlockedUntil is when the next attempt will be allowed (zero when the
	// next one is).
	BlockedUntil time.Time
}

// Throttles stores login throttles: failure counts keyed by an opaque key
// the caller chooses (a user, a user's device, a hashed unknown username).
// Keys name no record: a key may outlive or predate any user.
type Throttles interface {
	// ReserveLoginAttempt atomically, as one conditional write: when the
	// key is blocked at now (now < BlockedUntil) it writes nothing and
	// returns Allowed false with the stored count and deadline; otherwise
	// it counts one more failure in advance and, when the count reaches
	// p.FreeFailures, sets BlockedUntil to now + min(p.BaseDelay ×
	// 2^(count−p.FreeFailures), p.MaxDelay), and returns Allowed true. Of N
	// concurrent callers on any number of replicas at most FreeFailures
	// are allowed while the key is unblocked, and no count is lost.
	ReserveLoginAttempt(ctx context.Context, key string, now time.Time, p ThrottlePolicy) (Reservation, error)
	// ResetLoginAttempts forgets the key's failures (after a success).
	// Resetting an unknown key is not an error.
	ResetLoginAttempts(ctx context.Context, key string) error
}

// ---------------------------------------------------------------------------
// TOTP

// TOTPEnrollment is a user's authenticator-app secret.
type TOTPEnrollment struct {
	UserID      string
	Secret      Sealed // the base32 secret, sealed
	Confirmed   bool
	CreatedAt   time.Time
	ConfirmedAt time.Time
	// LastUsedStep is the last accepted time step (replay guard).
	LastUsedStep int64
}

// TOTP stores authenticator enrollments and recovery codes.
type TOTP interface {
	// PutTOTP creates or replaces the user's enrollment.
	PutTOTP(ctx context.Context, e *TOTPEnrollment) error
	// GetTOTP returns the user's enrollment, or ErrNotFound.
	GetTOTP(ctx context.Context, userID string) (*TOTPEnrollment, error)
	// UseTOTPStep atomically sets LastUsedStep = step when step is greater
	// than the stored one; otherwise it returns ErrConflict (a replay).
	UseTOTPStep(ctx context.Context, userID string, step int64) error
	// DeleteTOTP removes the enrollment and the recovery codes.
	DeleteTOTP(ctx context.Context, userID string) error
	// SetRecoveryCodes replaces the user's recovery codes by these hashes.
	SetRecoveryCodes(ctx context.Context, userID string, hashes [][]byte, at time.Time) error
	// UseRecoveryCode atomically marks the unused code with this hash used.
	// It returns ErrNotFound when no unused code has the hash; of concurrent
	// callers with the same code exactly one succeeds.
	UseRecoveryCode(ctx context.Context, userID string, hash []byte, at time.Time) error
	// CountRecoveryCodes returns how many unused recovery codes remain.
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)
}

// ---------------------------------------------------------------------------
// Passkeys

// Passkey is a WebAuthn credential registered by a user (a passkey). Only
// its public key is held; the credential id and the user handle are opaque
// bytes chosen by the authenticator and the server.
type Passkey struct {
	// ID identifies the passkey in the API (DELETE /v1/passkeys/{id}).
	ID     string
	UserID string
	// CredentialID is the authenticator's credential id; unique.
	CredentialID []byte
	// UserHandle is the WebAuthn user handle the credential was created
	// with; a discoverable login presents it.
	UserHandle []byte
	// PublicKey is the COSE-encoded credential public key.
	PublicKey         []byte
	AttestationFormat string // "none", "packed", ...
	AAGUID            []byte
	// SignCount is the last signature counter seen (clone detection).
	SignCount      uint32
	Transports     []string // WebAuthn transports: "usb", "nfc", "ble", "internal", "hybrid"
	BackupEligible bool
	BackupState    bool
	// Name is the label the user gave the passkey.
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until first used
}

// Clone returns a deep copy of p.
func (p *Passkey) Clone() *Passkey {
	if p == nil {
		return nil
	}
	d := *p
	d.CredentialID = cloneBytes(p.CredentialID)
	d.UserHandle = cloneBytes(p.UserHandle)
	d.PublicKey = cloneBytes(p.PublicKey)
	d.AAGUID = cloneBytes(p.AAGUID)
	d.Transports = cloneStrings(p.Transports)
	return &d
}

// Passkeys stores the users' WebAuthn credentials.
type Passkeys interface {
	// CreatePasskey stores p. A taken ID returns a *DuplicateError with
	// Field "id", a taken CredentialID one with Field "credential_id".
	CreatePasskey(ctx context.Context, p *Passkey) error
	// GetPasskey returns the passkey with this credential id, or
	// ErrNotFound.
	GetPasskey(ctx context.Context, credentialID []byte) (*Passkey, error)
	// ListPasskeys returns the user's passkeys, oldest first (CreatedAt,
	// then ID); none is an empty slice.
	ListPasskeys(ctx context.Context, userID string) ([]*Passkey, error)
	// UsePasskey atomically records a use of the passkey: SignCount =
	// newCount, BackupState and LastUsedAt = at, when the stored SignCount
	// still equals prevCount. Otherwise it writes nothing and returns
	// ErrConflict (ErrNotFound if missing): of concurrent uses that read
	// the same counter, one succeeds.
	UsePasskey(ctx context.Context, credentialID []byte, prevCount, newCount uint32, backupState bool, at time.Time) error
	// DeletePasskey removes the user's passkey with this ID; ErrNotFound
	// when the user has none with it.
	DeletePasskey(ctx context.Context, userID, id string) error
}

// ---------------------------------------------------------------------------
// KYC

// Finding is one warning or error about a submitted document.
type Finding struct {
	Code    string
	Message string
}

// KYCDocument is one submitted identity document.
type KYCDocument struct {
	ID             string
	SubmissionID   string
	Type           string // "passport", "id_card", ...
	IssuingCountry string
	MediaType      string
	Number         Sealed // document number, sealed PII
	Content        Sealed // decoded document bytes, sealed PII
	ExpiryDate     string // YYYY-MM-DD or empty
	Description    Sealed // the submitter's free text, sealed PII
	Warnings       []Finding
	Errors         []Finding
	CreatedAt      time.Time
}

// KYCSubmission is one KYC submission of a user with its documents.
type KYCSubmission struct {
	ID     string
	UserID string
	// Attempt numbers the user's submissions from 1.
	Attempt          int
	Status           string // verification status after this submission
	MissingDocuments []string
	MissingFields    []string
	Reason           string // reviewer's reason, if any
	SSN              Sealed
	Documents        []KYCDocument
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Clone returns a deep copy of s.
func (s *KYCSubmission) Clone() *KYCSubmission {
	if s == nil {
		return nil
	}
	c := *s
	c.MissingDocuments = cloneStrings(s.MissingDocuments)
	c.MissingFields = cloneStrings(s.MissingFields)
	c.SSN = s.SSN.Clone()
	if s.Documents != nil {
		c.Documents = make([]KYCDocument, len(s.Documents))
		for i, d := range s.Documents {
			d.Number = d.Number.Clone()
			d.Content = d.Content.Clone()
			d.Description = d.Description.Clone()
			d.Warnings = append([]Finding(nil), d.Warnings...)
			d.Errors = append([]Finding(nil), d.Errors...)
			c.Documents[i] = d
		}
	}
	return &c
}

// KYC stores KYC submissions.
type KYC interface {
	// CreateKYCSubmission stores s and its documents.
	CreateKYCSubmission(ctx context.Context, s *KYCSubmission) error
	// LatestKYCSubmission returns the user's newest submission (highest
	// Attempt), or ErrNotFound.
	LatestKYCSubmission(ctx context.Context, userID string) (*KYCSubmission, error)
	// LatestKYCStatus is LatestKYCSubmission without the documents
	// (Documents nil): the status, missing items and reason of the newest
	// submission, in one read that loads no document content.
	LatestKYCStatus(ctx context.Context, userID string) (*KYCSubmission, error)
	// ListKYCSubmissions returns every submission of the user with its
	// documents, oldest (lowest Attempt) first.
	ListKYCSubmissions(ctx context.Context, userID string) ([]*KYCSubmission, error)
	// UpdateKYCSubmissionStatus sets the status, reason and missing items of
	// a submission, and its UpdatedAt to at.
	UpdateKYCSubmissionStatus(ctx context.Context, id, status, reason string, missingDocuments []string, at time.Time) error
}

// ---------------------------------------------------------------------------
// Accounts and portfolios

// Account is a customer account holding portfolios.
type Account struct {
	ID                 string
	UserID             string
	Active             bool
	TradingPortfolioID string
	// Email is the account's contact address when one was given at
	// creation (an operator's call), and Info the host's additional
	// information, a string map; both sealed.
	Email     Sealed
	Info      Sealed
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Clone returns a deep copy of a.
func (a *Account) Clone() *Account {
	if a == nil {
		return nil
	}
	c := *a
	c.Email, c.Info = a.Email.Clone(), a.Info.Clone()
	return &c
}

// Portfolio is a typed portfolio of an account with its deposit address.
type Portfolio struct {
	ID        string
	AccountID string
	UserID    string
	Name      string // unique per account
	Type      string // "TRADING", "SAVINGS", ...
	// PublicStrategy marks a portfolio whose strategy is public.
	PublicStrategy bool
	// Deposit address and how it was derived.
	Chain          string
	Address        string
	DerivationPath string
	KeyID          string // identifies the extended key the address derives from
	AddressIndex   uint32
	CreatedAt      time.Time
}

// Accounts stores accounts, portfolios and the address-index allocator.
type Accounts interface {
	// CreateAccount stores a.
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns the account, or ErrNotFound.
	GetAccount(ctx context.Context, id string) (*Account, error)
	// LockAccount returns the account, or ErrNotFound. Called through the
	// Store of a unit of work, it also holds the account until the unit
	// commits or rolls back: another unit of work calling LockAccount on
	// it, or any CreatePortfolio in it, waits until then. Reads made after
	// it in the unit (ListPortfolios) see what the units that held the
	// account before committed, so a unit can count and create without
	// racing others. Outside a unit of work it is a plain read. Lock the
	// account before allocating an address index (see the package
	// documentation on lock order).
	LockAccount(ctx context.Context, id string) (*Account, error)
	// ListAccounts returns the user's accounts, oldest first.
	ListAccounts(ctx context.Context, userID string) ([]*Account, error)
	// SetAccountsActive marks every account of the user active (or
	// inactive), setting UpdatedAt to at on those it changes, and returns
	// how many changed.
	SetAccountsActive(ctx context.Context, userID string, active bool, at time.Time) (int, error)
	// SetTradingPortfolio records the account's trading portfolio.
	SetTradingPortfolio(ctx context.Context, accountID, portfolioID string, at time.Time) error
	// CreatePortfolio stores p. A name already used in the account returns a
	// *DuplicateError with Field "name".
	CreatePortfolio(ctx context.Context, p *Portfolio) error
	// GetPortfolio returns the portfolio, or ErrNotFound.
	GetPortfolio(ctx context.Context, id string) (*Portfolio, error)
	// ListPortfolios returns the account's portfolios, oldest first.
	ListPortfolios(ctx context.Context, accountID string) ([]*Portfolio, error)
	// AllocateAddressIndex returns the next unused index for the (chain,
	// keyID) pair, starting at 0. Outside a unit of work it is one atomic
	// write and never hands an index out twice. Called through the Store of
	// a unit of work it takes part in the unit: the pair's counter stays
	// held until the unit ends, so concurrent units allocating for the pair
	// wait for each other and never get the same index, and a rollback
	// releases the index, which the next allocation hands out again. An
	// index allocated in the unit of work that creates its portfolio is
	// therefore never lost to a creation that failed: when every index is
	// allocated so, the used indexes of a pair have no gaps. Call it after [Accounts.LockAccount] in a unit
	// that locks an account, and as late in the unit as possible (other
	// allocations for the pair wait until the unit ends).
	AllocateAddressIndex(ctx context.Context, chain, keyID string) (uint32, error)
}

// ---------------------------------------------------------------------------
// Audit log

// Event is one entry of the append-only audit log. Data must never hold
// secrets or clear PII.
type Event struct {
	// Seq is the event's position in the log, set by AppendEvent: unique
	// and increasing in the order of appending. A user's events become
	// visible in Seq order (see AppendEvent). (Across users, a unit of work
	// still open may commit an event with a smaller Seq than events
	// already visible, so a reader paging all users' events by Seq while
	// steps run can pass over it.)
	Seq    int64
	ID     string
	Type   string // "user.registered", "session.reuse_detected", ...
	UserID string
	At     time.Time
	Data   map[string]string
}

// Audit is the append-only audit log.
type Audit interface {
	// AppendEvent appends e and sets e.Seq. An event of a user is not
	// appended while another unit of work that appended an event of the
	// same user is open: the call waits until that unit commits or rolls
	// back (or the store runs one unit at a time), so each user's events
	// commit in Seq order and per-user readers (ListEvents, the webhook
	// outbox) never see a later one before an earlier one. Append a user's
	// events late in a unit: the wait lasts until the unit ends.
	AppendEvent(ctx context.Context, e *Event) error
	// ListEvents returns the user's events with a Seq greater than after,
	// oldest (lowest Seq) first: at most limit of them, or all when limit
	// <= 0.
	ListEvents(ctx context.Context, userID string, after int64, limit int) ([]*Event, error)
}

// ---------------------------------------------------------------------------
// Webhook outbox

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery is one event of the audit log on its way to one webhook
// endpoint: the pair (EndpointID, Event.Seq) names it.
type Delivery struct {
	EndpointID string
	Event      Event
	State      string // DeliveryPending, DeliveryDelivered or DeliveryFailed
	// Attempts counts the failed attempts.
	Attempts int
	// NextAttemptAt is when a pending delivery is due.
	NextAttemptAt time.Time
	// ClaimToken names the claim holding the delivery until LeaseUntil
	// (empty when none).
	ClaimToken string
	LeaseUntil time.Time
	// LastStatus is the endpoint's HTTP status at the last failed attempt
	// (0: no answer), LastError why it failed (never a secret).
	LastStatus  int
	LastError   string
	CreatedAt   time.Time
	DeliveredAt time.Time
}

// DeliveryQuery selects deliveries for ListDeliveries: of one endpoint
// ("" any) in one state ("" any), with an event Seq greater than After,
// at most Limit (all when Limit <= 0), by (Event.Seq, EndpointID).
// EndpointIDs compare in byte order, as Go compares strings. Paging with
// After (the last page's last Event.Seq) is exact for one endpoint; across
// endpoints a page may end among the deliveries of one event, whose
// others the next page then skips.
type DeliveryQuery struct {
	EndpointID string
	State      string
	After      int64
	Limit      int
}

// Outbox turns the audit log into webhook deliveries. Every event appended
// (Audit.AppendEvent, in the unit of work of its step) is enqueued once;
// enqueuing creates a pending delivery to each endpoint, which deliverers
// on any number of replicas claim, deliver and acknowledge.
//
// Every method takes part in a unit of work (Store.Tx) like the other
// aggregates' writes: a rollback undoes what it wrote.
type Outbox interface {
	// EnqueueDeliveries takes up to limit events not enqueued yet, lowest
	// Seq first, creates a pending delivery due at now to each endpoint for
	// each (none when endpointIDs is empty), marks them enqueued, and
	// returns how many events it took, in one atomic write. Concurrent
	// callers take different events: an event another caller is taking is
	// skipped, not waited for, and never enqueued twice. Events appended in
	// a unit of work that has not committed are taken once it commits
	// (possibly after other users' events of greater Seq were taken and
	// delivered: see Event.Seq). A limit <= 0 takes none. Endpoint ids must not be empty
	// (an error otherwise, and nothing is taken); one given twice counts
	// once.
	EnqueueDeliveries(ctx context.Context, endpointIDs []string, now time.Time, limit int) (int, error)
	// ClaimDeliveries leases up to limit pending deliveries that are due
	// (NextAttemptAt not after now) and not held by a live lease (one
	// whose LeaseUntil is after now), lowest event Seq first (then
	// EndpointID), to token until now+lease, and returns them with their
	// events in that order. A delivery is not claimed while an earlier
	// pending delivery of the same user to the same endpoint exists, even
	// one that is leased or not due yet, nor while an earlier event of the
	// same user is not enqueued yet (a concurrent EnqueueDeliveries may
	// hold it while a later one was enqueued), so each user's events reach
	// an endpoint in order (events without a user are not ordered; a failed
	// delivery no longer holds the later ones back). Concurrent claimers
	// never claim the same delivery. token names the claim and must not
	// be empty (an error otherwise); a limit <= 0 claims none.
	ClaimDeliveries(ctx context.Context, token string, now time.Time, lease time.Duration, limit int) ([]*Delivery, error)
	// CompleteDelivery marks the pending delivery delivered at now and
	// releases its lease, when token still holds it (a lease that ran out
	// still holds it until another claim takes it); ErrConflict otherwise
	// (claimed again, already completed or failed, or never claimed),
	// ErrNotFound for no such delivery.
	CompleteDelivery(ctx context.Context, endpointID string, seq int64, token string, now time.Time) error
	// FailDelivery records a failed attempt by the holder of token:
	// Attempts is incremented, LastStatus and LastError are set, the lease
	// is released, and the delivery is due again at next, or failed for
	// good when final (NextAttemptAt then stays as it was). ErrConflict
	// when token no longer holds it (as for CompleteDelivery), ErrNotFound
	// for no such delivery.
	FailDelivery(ctx context.Context, endpointID string, seq int64, token string, status int, reason string, next time.Time, final bool) error
	// ListDeliveries returns the deliveries q selects, with their events.
	ListDeliveries(ctx context.Context, q DeliveryQuery) ([]*Delivery, error)
	// ReplayDelivery makes a failed delivery pending again, due at now,
	// with Attempts reset and no lease (LastStatus and LastError stay, as
	// the last attempt's); ErrConflict when it is not failed, ErrNotFound
	// for no such delivery.
	ReplayDelivery(ctx context.Context, endpointID string, seq int64, now time.Time) error
}

// ProviderEvents remembers the notifications of KYC providers already
// applied, so a notification delivered again decides nothing new. The
// pairs name no record.
type ProviderEvents interface {
	// RecordProviderEvent stores the pair (provider, eventID) received at
	// at; a pair stored before returns a *DuplicateError with Field
	// "event_id". Called through the Store of a unit of work it takes part
	// in the unit: a rollback forgets it.
	RecordProviderEvent(ctx context.Context, provider, eventID string, at time.Time) error
}

// ---------------------------------------------------------------------------
// Janitor

// Janitor deletes records that serve no more. Each method deletes at most
// limit records (every one when limit <= 0) in one atomic write and returns
// how many it deleted; a janitor calls it again until it deletes fewer
// than limit. Concurrent janitors on several replicas are safe: each
// record is deleted, and counted, once. A zero time is never before
// before (records without the time are kept).
type Janitor interface {
	// PruneChallenges deletes the challenges that expired before before.
	PruneChallenges(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneRefreshTokens deletes the refresh tokens of families that ended
	// before before: every token of the family is revoked, or expired
	// (idle ExpiresAt), before it. Live families are never touched.
	PruneRefreshTokens(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneSendCounts deletes the per-destination send counters of windows
	// that started before before.
	PruneSendCounts(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneLoginThrottles deletes the login throttles not touched (no
	// failure counted) since before and not blocked at before.
	PruneLoginThrottles(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneEvents deletes the audit events appended (At) before before
	// with their webhook deliveries, except events with a pending
	// delivery, or not enqueued yet ([Outbox]), which wait for it. A
	// delivery a concurrent ReplayDelivery makes pending is kept, with its
	// event: the replay is never lost.
	PruneEvents(ctx context.Context, before time.Time, limit int) (int, error)
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
