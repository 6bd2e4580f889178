// Package seal encrypts personal data at rest with envelope encryption.
//
// Each user has a data key (AES-256-GCM) of their own, wrapped by a
// key-encryption key of a [Keyring] and stored as a storage.DataKey. Every
// personal value of the user is sealed with that data key before it reaches
// the store, with additional authenticated data naming the user and the
// field, so a value copied to another user's row, or to another field,
// fails to open. Sealed values carry the id of their data key in
// storage.Sealed.KeyRef.
//
//   - Rotation: new data keys are wrapped with the keyring's current key;
//     older keys still unwrap what they wrapped; [Sealer.Rewrap] moves every
//     data key to the current key without touching the data, after which
//     an old key can be removed from the keyring.
//   - Erasure by crypto-shredding: [Sealer.Shred] deletes the user's data
//     key; every value sealed with it, in the store or in a backup, is then
//     unreadable. This holds against a backup that does not also hold the
//     data key, so keep the data keys (their own table in PostgreSQL) out of
//     long-lived backups, or give them a shorter retention.
//   - Retention: [Sealer.Retain] re-wraps an erased user's data key under a
//     separate retention keyring, so that only a Sealer built
//     [Sealer.WithRetention] that keyring (the compliance officers', not the
//     service's) opens the kept records. The service only wraps with it:
//     with a KMS, its role needs encrypt permission on the retention key,
//     not decrypt.
//
// Data keys and nonces always come from crypto/rand, never from an injected
// random source: a repeated nonce under one key would break AES-GCM.
//
// A Sealer keeps unwrapped data keys in memory for Config.CacheTTL (one
// minute by default) so that a step does not unwrap (a KMS call) for every
// field; a replica may therefore still open a shredded user's values for
// that long, though the records themselves are deleted with the key.
package seal

import (
	"container/list"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage"
)

var randReader io.Reader = rand.Reader

// ErrOpen is matched by the error of every value or data key that does not
// open: another user's or field's value, a value altered, a key that is
// not in the keyring.
var ErrOpen = errors.New("seal: the value does not open")

// ErrKeyDestroyed is matched when the user's data key is gone (erased) or
// kept under a retention keyring this Sealer does not hold.
var ErrKeyDestroyed = errors.New("seal: the data key is destroyed or not held")

// keyRefPrefix starts the KeyRef of every sealed value.
const keyRefPrefix = "dek/"

// formatV1 is the first byte of a sealed value: AES-256-GCM, a 12-byte
// nonce, the ciphertext and its tag.
const formatV1 = 1

// Config configures a Sealer. The zero value gives the defaults.
type Config struct {
	// CacheTTL is how long an unwrapped data key is kept in memory
	// (default 1 minute; negative: never kept).
	CacheTTL time.Duration
	// CacheSize bounds the data keys kept in memory (default 10000).
	CacheSize int
}

// Sealer seals and opens the personal values of users. It is safe for
// concurrent use. Its methods take the store of the data keys, so that a
// step can seal inside its unit of work.
type Sealer struct {
	ring      Keyring
	retention Keyring
	cfg       Config
	rt        onboardkit.Runtime

	mu    sync.Mutex
	cache map[string]*list.Element
	lru   *list.List
}

type cached struct {
	userID, id string
	aead       cipher.AEAD
	expires    time.Time
}

// New returns a Sealer whose data keys are wrapped by ring.
func New(ring Keyring, cfg Config, rt onboardkit.Runtime) *Sealer {
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = time.Minute
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10_000
	}
	return &Sealer{ring: ring, cfg: cfg, rt: rt.WithDefaults(), cache: map[string]*list.Element{}, lru: list.New()}
}

// WithRetention returns a Sealer that also holds the retention keyring: it
// opens the records of erased users kept under retention (Retain), which a
// Sealer without it cannot.
func (s *Sealer) WithRetention(ring Keyring) *Sealer {
	return &Sealer{ring: s.ring, retention: ring, cfg: s.cfg, rt: s.rt, cache: map[string]*list.Element{}, lru: list.New()}
}

// valueAAD binds a sealed value to its user and field.
func valueAAD(userID, field string) []byte {
	return []byte("onboardkit/seal/v1\x00" + userID + "\x00" + field)
}

// keyAAD binds a wrapped data key to its user and id.
func keyAAD(userID, id string) []byte {
	return []byte("onboardkit/dek/v1\x00" + userID + "\x00" + id)
}

// Seal seals plaintext as the field of the user with the user's data key,
// created (through st) on the user's first value.
func (s *Sealer) Seal(ctx context.Context, st storage.DataKeys, userID, field string, plaintext []byte) (storage.Sealed, error) {
	w, err := s.Writer(ctx, st, userID)
	if err != nil {
		return storage.Sealed{}, err
	}
	return w.Seal(field, plaintext)
}

// Writer seals several values of one user with one read of the user's data
// key: a step that seals many fields in one unit of work takes a Writer
// once, through the unit's store, and uses it within the unit.
type Writer struct {
	userID string
	key    *cached
}

// Writer returns a Writer for the user's data key as st holds it now,
// created (through st) when the user has none. The key is always read from
// st, never from the cache, so a key created in a unit of work that rolled
// back is never used again; only its unwrapping is cached, by key id.
func (s *Sealer) Writer(ctx context.Context, st storage.DataKeys, userID string) (*Writer, error) {
	dk, err := st.GetDataKey(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		k, err := s.create(ctx, st, userID)
		if !errors.Is(err, storage.ErrDuplicate) {
			if err != nil {
				return nil, err
			}
			return &Writer{userID: userID, key: k}, nil
		}
		dk, err = st.GetDataKey(ctx, userID) // a concurrent first value won
		if err != nil {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	k, err := s.opened(ctx, dk)
	if err != nil {
		return nil, err
	}
	return &Writer{userID: userID, key: k}, nil
}

// Seal seals plaintext as the field of the Writer's user.
func (w *Writer) Seal(field string, plaintext []byte) (storage.Sealed, error) {
	data, err := sealAEAD(w.key.aead, randReader, plaintext, valueAAD(w.userID, field))
	if err != nil {
		return storage.Sealed{}, err
	}
	return storage.Sealed{KeyRef: keyRefPrefix + w.key.id, Data: data}, nil
}

// Open opens the field of the user. A zero value opens to nil. A value
// sealed for another user or field, altered, sealed with another key, or
// stored in clear (an empty KeyRef) does not open (ErrOpen); a user whose
// data key is gone gets ErrKeyDestroyed.
func (s *Sealer) Open(ctx context.Context, st storage.DataKeys, userID, field string, v storage.Sealed) ([]byte, error) {
	if v.IsZero() {
		return nil, nil
	}
	id, ok := strings.CutPrefix(v.KeyRef, keyRefPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: the value is not sealed (key ref %q)", ErrOpen, v.KeyRef)
	}
	k := s.cached(userID, id)
	if k == nil {
		dk, err := st.GetDataKey(ctx, userID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("%w: user %s has no data key", ErrKeyDestroyed, userID)
		}
		if err != nil {
			return nil, err
		}
		if dk.ID != id {
			return nil, fmt.Errorf("%w: sealed with key %q, the user's is %q", ErrOpen, v.KeyRef, keyRefPrefix+dk.ID)
		}
		if k, err = s.opened(ctx, dk); err != nil {
			return nil, err
		}
	}
	return openAEAD(k.aead, v.Data, valueAAD(userID, field))
}

// opened returns dk unwrapped: from the cache, else unwrapped and cached.
// A key kept under retention opens only with the retention keyring.
func (s *Sealer) opened(ctx context.Context, dk *storage.DataKey) (*cached, error) {
	if !dk.RetainUntil.IsZero() && s.retention == nil {
		return nil, fmt.Errorf("%w: user %s is erased; its records are kept under the retention keyring", ErrKeyDestroyed, dk.UserID)
	}
	if k := s.cached(dk.UserID, dk.ID); k != nil {
		return k, nil
	}
	k, err := s.unwrap(ctx, dk)
	if err != nil {
		return nil, err
	}
	s.remember(k)
	return k, nil
}

// create makes, wraps and stores a new data key of the user.
func (s *Sealer) create(ctx context.Context, st storage.DataKeys, userID string) (*cached, error) {
	raw := make([]byte, 16+KeySize)
	if _, err := io.ReadFull(randReader, raw); err != nil {
		return nil, fmt.Errorf("seal: random data key: %w", err)
	}
	id, dek := hex.EncodeToString(raw[:16]), raw[16:]
	keyRef, wrapped, err := s.ring.Wrap(ctx, dek, keyAAD(userID, id))
	if err != nil {
		return nil, fmt.Errorf("seal: wrap data key: %w", err)
	}
	now := s.rt.Now()
	err = st.CreateDataKey(ctx, &storage.DataKey{UserID: userID, ID: id, KeyRef: keyRef, Wrapped: wrapped, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	return &cached{userID: userID, id: id, aead: aead}, nil
}

// unwrap opens a stored data key with the keyring that wrapped it.
func (s *Sealer) unwrap(ctx context.Context, dk *storage.DataKey) (*cached, error) {
	ring := s.ring
	if !dk.RetainUntil.IsZero() {
		ring = s.retention
	}
	dek, err := ring.Unwrap(ctx, dk.KeyRef, dk.Wrapped, keyAAD(dk.UserID, dk.ID))
	if err != nil {
		return nil, fmt.Errorf("seal: unwrap the data key of user %s: %w", dk.UserID, err)
	}
	aead, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	return &cached{userID: dk.UserID, id: dk.ID, aead: aead}, nil
}

// Shred destroys the user's data key (through st), so every value sealed
// with it is unreadable for good, and forgets it here. A user without a
// key is not an error.
func (s *Sealer) Shred(ctx context.Context, st storage.DataKeys, userID string) error {
	s.forget(userID)
	if err := st.DeleteDataKey(ctx, userID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return nil
}

// Retain moves the user's data key (through st) under the retention
// keyring until until: from then on this Sealer no longer opens the user's
// values; one built WithRetention(retention) does. It only wraps with the
// retention keyring, never unwraps.
func (s *Sealer) Retain(ctx context.Context, st storage.DataKeys, userID string, retention Keyring, until time.Time) error {
	if retention == nil || until.IsZero() {
		return errors.New("seal: Retain needs a retention keyring and a date")
	}
	return s.rewrapOne(ctx, st, userID, retention, until)
}

// Rewrap moves every data key not wrapped by the keyring's current key to
// it, without touching the sealed values, and returns how many it moved.
// Keys under retention stay where they are. It is safe to run on several
// replicas at once (each move is conditional), beside erasures (a key
// shredded after it was listed is skipped) and to interrupt.
func (s *Sealer) Rewrap(ctx context.Context, st storage.DataKeys) (int, error) {
	moved, after := 0, ""
	for {
		page, err := st.ListDataKeys(ctx, after, 100)
		if err != nil {
			return moved, err
		}
		for _, dk := range page {
			if dk.KeyRef == s.ring.Current() || !dk.RetainUntil.IsZero() {
				continue
			}
			err := s.rewrapOne(ctx, st, dk.UserID, s.ring, time.Time{})
			if err != nil && !errors.Is(err, storage.ErrConflict) && !errors.Is(err, storage.ErrNotFound) {
				return moved, err
			}
			if err == nil {
				moved++
			}
		}
		if len(page) < 100 {
			return moved, nil
		}
		after = page[len(page)-1].UserID
	}
}

// rewrapOne wraps the user's data key again with ring (its current key).
func (s *Sealer) rewrapOne(ctx context.Context, st storage.DataKeys, userID string, ring Keyring, retainUntil time.Time) error {
	dk, err := st.GetDataKey(ctx, userID)
	if err != nil {
		return err
	}
	dek, err := s.ring.Unwrap(ctx, dk.KeyRef, dk.Wrapped, keyAAD(dk.UserID, dk.ID))
	if err != nil {
		return fmt.Errorf("seal: unwrap the data key of user %s: %w", userID, err)
	}
	keyRef, wrapped, err := ring.Wrap(ctx, dek, keyAAD(dk.UserID, dk.ID))
	if err != nil {
		return fmt.Errorf("seal: wrap data key: %w", err)
	}
	prev := dk.KeyRef
	dk.KeyRef, dk.Wrapped, dk.RetainUntil, dk.UpdatedAt = keyRef, wrapped, retainUntil, s.rt.Now()
	s.forget(userID)
	return st.UpdateDataKey(ctx, dk, prev)
}

// cacheKey names a data key in the cache: its user and id.
func cacheKey(userID, id string) string { return userID + "\x00" + id }

// cached returns the user's unexpired data key id from the cache.
func (s *Sealer) cached(userID, id string) *cached {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.cache[cacheKey(userID, id)]
	if !ok {
		return nil
	}
	k := el.Value.(*cached)
	if !s.rt.Now().Before(k.expires) {
		s.lru.Remove(el)
		delete(s.cache, cacheKey(userID, id))
		return nil
	}
	s.lru.MoveToFront(el)
	return k
}

func (s *Sealer) remember(k *cached) {
	if s.cfg.CacheTTL < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k.expires = s.rt.Now().Add(s.cfg.CacheTTL)
	ck := cacheKey(k.userID, k.id)
	if el, ok := s.cache[ck]; ok {
		el.Value = k
		s.lru.MoveToFront(el)
		return
	}
	for len(s.cache) >= s.cfg.CacheSize {
		back := s.lru.Back()
		s.lru.Remove(back)
		b := back.Value.(*cached)
		delete(s.cache, cacheKey(b.userID, b.id))
	}
	s.cache[ck] = s.lru.PushFront(k)
}

// forget drops every cached data key of the user (a scan: erasure and
// rotation are rare).
func (s *Sealer) forget(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ck, el := range s.cache {
		if el.Value.(*cached).userID == userID {
			s.lru.Remove(el)
			delete(s.cache, ck)
		}
	}
}

// sealAEAD encrypts plaintext: formatV1 || nonce || ciphertext+tag.
func sealAEAD(aead cipher.AEAD, r io.Reader, plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = formatV1
	if _, err := io.ReadFull(r, out[1:]); err != nil {
		return nil, fmt.Errorf("seal: random nonce: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, aad), nil
}

// openAEAD opens what sealAEAD made.
func openAEAD(aead cipher.AEAD, data, aad []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(data) < 1+n+aead.Overhead() || data[0] != formatV1 {
		return nil, fmt.Errorf("%w: not a sealed value", ErrOpen)
	}
	pt, err := aead.Open(nil, data[1:1+n], data[1+n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
