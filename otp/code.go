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
	labelCode     = "onboardkit/otp/code/v1"
	labelDecoy    = "onboardkit/otp/decoy/v1"
	labelDest     = "onboardkit/otp/destination/v1"
	labelRecovery = "onboardkit/otp/recovery/v1"
)

// idEncoding encodes challenge ids: lower-case RFC 4648 base32, no padding
// (26 characters for 128 bits).
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// maxCodeInput bounds the code strings that are hashed; longer inputs are
// wrong codes without further work.
const maxCodeInput = 64

// keyedMAC is an HMAC-SHA256 keyed once, with a pool of instances so that
// hashing allocates little.
type keyedMAC struct {
	pool sync.Pool
}

func newKeyedMAC(key []byte) *keyedMAC {
	k := append([]byte(nil), key...)
	m := &keyedMAC{}
	m.pool.New = func() any { return hmac.New(sha256.New, k) }
	return m
}

// sum returns HMAC(key, label | field...) with every part length-prefixed
// (4-byte big-endian), appended to dst.
func (m *keyedMAC) sum(dst []byte, label string, fields ...string) []byte {
	h := m.pool.Get().(hash.Hash)
	h.Reset()
	var buf [4]byte
	write := func(s string) {
		binary.BigEndian.PutUint32(buf[:], uint32(len(s)))
		h.Write(buf[:])
		io.WriteString(h, s)
	}
	write(label)
	for _, f := range fields {
		write(f)
	}
	dst = h.Sum(dst)
	m.pool.Put(h)
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

// destinationKey is the opaque CountSend key of a destination.
func (m *keyedMAC) destinationKey(destination string) string {
	var out [sha256.Size]byte
	return hex.EncodeToString(m.sum(out[:0], labelDest, normalizeDestination(destination)))
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
func newID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	return idEncoding.EncodeToString(b[:]), nil
}

// newCode returns n decimal digits read from r without modulo bias: each
// random byte below 250 (the largest multiple of 10 that fits) yields one
// digit, bytes 250..255 are rejected.
func newCode(r io.Reader, n int) (string, error) {
	out := make([]byte, n)
	var buf [16]byte
	i := 0
	for i < n {
		want := n - i + 2 // a little slack so a rejection rarely costs a read
		if want > len(buf) {
			want = len(buf)
		}
		if _, err := io.ReadFull(r, buf[:want]); err != nil {
			return "", err
		}
		for _, b := range buf[:want] {
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
