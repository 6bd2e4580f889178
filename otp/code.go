package otp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"strings"
	"sync"
)

// Domain-separation labels: every HMAC the package computes under the server
// key starts with one of these, so no value of one kind can collide with a
// value of another.
const (
	labelCode   = "onboardkit/otp/code/v1"
	labelDecoy  = "onboardkit/otp/decoy/v1"
	labelFactor = "onboardkit/otp/factor/v1"
	labelDest   = "onboardkit/otp/destination/v1"
	// labelDestProven keys the proven budget of a destination.
	labelDestProven = "onboardkit/otp/destination-proven/v1"
	labelRecovery   = "onboardkit/otp/recovery/v1"
)

// idEncoding encodes challenge ids: lower-case RFC 4648 base32, no padding
// (26 characters for 128 bits).
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// idLen is the length of a challenge id: 128 bits in idEncoding.
const idLen = 26

// validID reports whether id has the shape of a challenge id.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// maxCodeInput bounds the code strings that are hashed; longer inputs are
// wrong codes without further work.
const maxCodeInput = 64

// keyedMAC is an HMAC-SHA256 keyed once, with a pool of instances and
// scratch buffers so that hashing allocates little.
type keyedMAC struct {
	pool sync.Pool
}

// scratch is a pooled HMAC instance with working buffers.
type scratch struct {
	h   hash.Hash
	msg []byte   // framed HMAC input
	out [64]byte // sums, hex and encoded ids
	rnd [16]byte // random bytes
}

func newKeyedMAC(key []byte) *keyedMAC {
	k := append([]byte(nil), key...)
	m := &keyedMAC{}
	m.pool.New = func() any { return &scratch{h: hmac.New(sha256.New, k), msg: make([]byte, 0, 256)} }
	return m
}

func (m *keyedMAC) get() *scratch { return m.pool.Get().(*scratch) }

func (m *keyedMAC) put(s *scratch) {
	if cap(s.msg) > 4096 {
		s.msg = make([]byte, 0, 256)
	}
	m.pool.Put(s)
}

// sum appends HMAC(key, label | field...) to dst, every part
// length-prefixed (4-byte big-endian) so that no two inputs frame alike.
func (s *scratch) sum(dst []byte, label string, fields ...string) []byte {
	msg := binary.BigEndian.AppendUint32(s.msg[:0], uint32(len(label)))
	msg = append(msg, label...)
	for _, f := range fields {
		msg = binary.BigEndian.AppendUint32(msg, uint32(len(f)))
		msg = append(msg, f...)
	}
	s.msg = msg
	s.h.Reset()
	s.h.Write(msg)
	return s.h.Sum(dst)
}

// sum is scratch.sum with a pooled scratch.
func (m *keyedMAC) sum(dst []byte, label string, fields ...string) []byte {
	s := m.get()
	dst = s.sum(dst, label, fields...)
	m.put(s)
	return dst
}

// codeHash is the stored form of a code of a challenge.
func (m *keyedMAC) codeHash(challengeID string, purpose Purpose, code string) []byte {
	return m.sum(make([]byte, 0, sha256.Size), labelCode, challengeID, string(purpose), code)
}

// decoyHash is the code hash of a decoy challenge. No code hashes to it (the
// label differs), and the manager recognises decoys by recomputing it.
func (m *keyedMAC) decoyHash(challengeID string) []byte {
	return m.sum(make([]byte, 0, sha256.Size), labelDecoy, challengeID)
}

// factorMarker is the code hash of a ChannelTOTP challenge, answered with
// an external factor through CheckFactor: like decoyHash, no code hashes to
// it, and it lets the store's conditional consume apply unchanged.
func (m *keyedMAC) factorMarker(challengeID string) []byte {
	return m.sum(make([]byte, 0, sha256.Size), labelFactor, challengeID)
}

// destinationKey is the opaque CountSend key of a destination's budget: the
// hex HMAC of its normalised form, with a distinct label for the proven
// budget.
func (m *keyedMAC) destinationKey(destination string, proven bool) string {
	s := m.get()
	defer m.put(s)
	label := labelDest
	if proven {
		label = labelDestProven
	}
	sum := s.sum(s.out[:0], label, normalizeDestination(destination))
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum)
	return string(hx[:])
}

// normalizeDestination folds the spellings of one destination together:
// surrounding space is trimmed, emails are lower-cased, and phone numbers
// lose their separators (spaces, dashes, dots, parentheses).
func normalizeDestination(d string) string {
	d = strings.TrimSpace(d)
	if strings.Contains(d, "@") {
		return strings.ToLower(d)
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '\t':
			return -1
		}
		return r
	}, d)
}

// newID returns a random 128-bit id from r.
func (m *keyedMAC) newID(r io.Reader) (string, error) {
	s := m.get()
	defer m.put(s)
	if _, err := io.ReadFull(r, s.rnd[:]); err != nil {
		return "", err
	}
	n := idEncoding.EncodedLen(len(s.rnd))
	idEncoding.Encode(s.out[:n], s.rnd[:])
	return string(s.out[:n]), nil
}

// newCode returns n (at most 10) decimal digits read from r without modulo
// bias: each random byte below 250 (the largest multiple of 10 that fits)
// yields one digit, bytes 250..255 are rejected.
func (m *keyedMAC) newCode(r io.Reader, n int) (string, error) {
	s := m.get()
	defer m.put(s)
	out := s.out[:n]
	i := 0
	for i < n {
		want := min(n-i+2, len(s.rnd)) // a little slack so a rejection rarely costs a read
		if _, err := io.ReadFull(r, s.rnd[:want]); err != nil {
			return "", err
		}
		for _, b := range s.rnd[:want] {
			if b >= 250 {
				continue
			}
			out[i] = '0' + b%10
			i++
			if i == n {
				break
			}
		}
	}
	return string(out), nil
}

// normalizeCode trims the space a user may type around a code.
func normalizeCode(code string) string {
	return strings.TrimSpace(code)
}
