package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"sync"
	"unicode/utf8"
)

//go:embed pwned-passwords-top100k.txt.gz
var embeddedList []byte

// Blocklist is an immutable set of forbidden passwords, safe for concurrent
// use. Words are stored folded (lower case, accents removed) as sorted 64-bit
// FNV-1a hashes, 8 bytes a word; a false positive needs a 64-bit collision.
// The zero value is an empty list.
type Blocklist struct {
	once   sync.Once
	load   func() []uint64
	hashes []uint64
}

var defaultBlocklist = &Blocklist{load: loadEmbedded}

// DefaultBlocklist returns the embedded list: the 100,000 most common
// passwords of the Have I Been Pwned corpus (as published by the UK NCSC).
// It is decompressed once, on first use, into about 800 KB of heap; the
// first call of Contains or Len pays a load of some tens of milliseconds.
func DefaultBlocklist() *Blocklist { return defaultBlocklist }

// NewBlocklist returns a list holding exactly words (folded; empty words are
// ignored). Use it to replace the embedded list.
func NewBlocklist(words []string) *Blocklist {
	return &Blocklist{hashes: sortUnique(hashWords(nil, words))}
}

// ReadBlocklist reads a list of one password a line (UTF-8; blank lines are
// ignored, a trailing "\r" is dropped). Wrap r in a gzip.Reader for a
// compressed file.
func ReadBlocklist(r io.Reader) (*Blocklist, error) {
	hs, err := readHashes(r, 0)
	if err != nil {
		return nil, err
	}
	return &Blocklist{hashes: sortUnique(hs)}, nil
}

// Extend returns a new list holding the words of b and words. b is not
// changed. DefaultBlocklist().Extend("acme", "onboardkit") adds a host's own
// words to the embedded list.
func (b *Blocklist) Extend(words ...string) *Blocklist {
	base := b.set()
	hs := make([]uint64, len(base), len(base)+len(words))
	copy(hs, base)
	return &Blocklist{hashes: sortUnique(hashWords(hs, words))}
}

// Len returns the number of distinct folded words in the list.
func (b *Blocklist) Len() int { return len(b.set()) }

// Contains reports whether s matches the list the way the policy's
// too_common rule does: s is folded (case, accents), then looked up as is,
// with common character substitutions undone (@→a, 0→o, 1→i or l, 3→e,
// $→s, 5→s, 4→a, 7→t, !→i, ...), and with a short leading run (up to 4) or
// trailing run (up to 6) of digits and symbols stripped when at least 4
// characters remain. "P@ssw0rd!" and "Password2024" match "password".
func (b *Blocklist) Contains(s string) bool {
	if b == nil {
		return false
	}
	var buf [256]byte
	return b.containsFolded(foldAppend(buf[:0], s))
}

func (b *Blocklist) set() []uint64 {
	if b.load != nil {
		b.once.Do(func() { b.hashes = b.load() })
	}
	return b.hashes
}

func (b *Blocklist) has(h uint64) bool {
	_, ok := slices.BinarySearch(b.hashes, h)
	return ok
}

// Stripping limits of the too_common matching.
const (
	maxStripLeading  = 4
	maxStripTrailing = 6
	minStrippedLen   = 4
)

// containsFolded matches an already folded candidate.
func (b *Blocklist) containsFolded(f []byte) bool {
	if len(b.set()) == 0 || len(f) == 0 {
		return false
	}
	if b.matchForm(f) {
		return true
	}
	// Strip a short trailing and/or leading run of non-letters.
	end := len(f)
	for end > 0 && len(f)-end <= maxStripTrailing && !isLetterAt(f, end-1) && f[end-1] < utf8.RuneSelf {
		end--
	}
	if len(f)-end > maxStripTrailing {
		end = len(f)
	}
	start := 0
	for start < end && start <= maxStripLeading && !isLetterAt(f, start) && f[start] < utf8.RuneSelf {
		start++
	}
	if start > maxStripLeading {
		start = 0
	}
	if end < len(f) && utf8.RuneCount(f[:end]) >= minStrippedLen && b.matchForm(f[:end]) {
		return true
	}
	if start > 0 && utf8.RuneCount(f[start:end]) >= minStrippedLen && b.matchForm(f[start:end]) {
		return true
	}
	if start > 0 && end < len(f) && utf8.RuneCount(f[start:]) >= minStrippedLen && b.matchForm(f[start:]) {
		return true
	}
	return false
}

// matchForm looks s up as is and with substitutions undone. For the
// ambiguous substitutes (1, !, | read as i or l) every combination is tried
// when there are at most 3 of them, else the all-i and all-l readings.
func (b *Blocklist) matchForm(s []byte) bool {
	if b.has(fnv64(s)) {
		return true
	}
	var amb [3]int
	nAmb, nSub := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || leet[c][0] == 0 {
			continue
		}
		nSub++
		if leet[c][1] != 0 {
			if nAmb < len(amb) {
				amb[nAmb] = i
			}
			nAmb++
		}
	}
	if nSub == 0 {
		return false
	}
	var buf [256]byte
	v := append(buf[:0], s...)
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < utf8.RuneSelf && leet[c][0] != 0 {
			v[i] = leet[c][0]
		}
	}
	if b.has(fnv64(v)) { // every ambiguous substitute read as its first letter
		return true
	}
	if nAmb == 0 {
		return false
	}
	if nAmb > len(amb) {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < utf8.RuneSelf && leet[c][1] != 0 {
				v[i] = leet[c][1]
			}
		}
		return b.has(fnv64(v))
	}
	for mask := 1; mask < 1<<nAmb; mask++ {
		for j := 0; j < nAmb; j++ {
			c := s[amb[j]]
			if mask&(1<<j) != 0 {
				v[amb[j]] = leet[c][1]
			} else {
				v[amb[j]] = leet[c][0]
			}
		}
		if b.has(fnv64(v)) {
			return true
		}
	}
	return false
}

// fnv64 is 64-bit FNV-1a.
func fnv64(s []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range s {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func hashWords(dst []uint64, words []string) []uint64 {
	var buf [256]byte
	for _, w := range words {
		f := foldAppend(buf[:0], w)
		if len(f) > 0 {
			dst = append(dst, fnv64(f))
		}
	}
	return dst
}

func readHashes(r io.Reader, sizeHint int) ([]uint64, error) {
	hs := make([]uint64, 0, sizeHint)
	sc := bufio.NewScanner(r)
	var buf [256]byte
	for sc.Scan() {
		line := bytes.TrimSuffix(sc.Bytes(), []byte{'\r'})
		if len(line) == 0 {
			continue
		}
		f := foldAppendBytes(buf[:0], line)
		hs = append(hs, fnv64(f))
	}
	if err := sc.Err(); err != nil {
		return hs, fmt.Errorf("password: reading blocklist: %w", err)
	}
	return hs, nil
}

// foldAppendBytes folds a byte slice, avoiding a string conversion for
// ASCII input.
func foldAppendBytes(dst, s []byte) []byte {
	for i, c := range s {
		if c >= utf8.RuneSelf {
			return foldAppend(dst, string(s[i:]))
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// sortUnique sorts and deduplicates hs into a slice of exactly the needed
// size.
func sortUnique(hs []uint64) []uint64 {
	slices.Sort(hs)
	hs = slices.Compact(hs)
	out := make([]uint64, len(hs))
	copy(out, hs)
	return out
}

// loadEmbedded decodes the embedded list. The data is part of the binary and
// checked by the tests; should it ever be unreadable, the words read so far
// are kept rather than failing every validation.
func loadEmbedded() []uint64 {
	zr, err := gzip.NewReader(bytes.NewReader(embeddedList))
	if err != nil {
		return nil
	}
	hs, _ := readHashes(zr, 100_000)
	return sortUnique(hs)
}
