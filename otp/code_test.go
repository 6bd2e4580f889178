package otp

import (
	"bytes"
	"crypto/rand"
	mrand "math/rand/v2"
	"strings"
	"testing"
)

// cycleReader yields 0, 1, ..., 255, 0, 1, ... forever.
type cycleReader struct{ next byte }

func (r *cycleReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

var testMAC = newKeyedMAC(make([]byte, 32))

func TestNewCodeLengthAndDigits(t *testing.T) {
	for n := 4; n <= 10; n++ {
		code, err := testMAC.newCode(rand.Reader, n)
		must(t, err)
		eq(t, len(code), n, "len")
		isTrue(t, allDigits(code), code)
	}
}

func TestNewCodeRejectsHighBytes(t *testing.T) {
	// Bytes 250..255 would bias 0..5 if reduced modulo 10: they must be skipped.
	r := bytes.NewReader([]byte{250, 251, 252, 253, 254, 255, 7, 255, 3, 249, 0, 10, 99, 1, 2, 3, 4, 5})
	code, err := testMAC.newCode(r, 6)
	must(t, err)
	eq(t, code, "739009") // 7 | 3 9 0 0 9 (bytes past the sixth digit are dropped)
}

func TestNewCodeReaderError(t *testing.T) {
	if _, err := testMAC.newCode(bytes.NewReader([]byte{1, 2}), 6); err == nil {
		t.Error("newCode: no error on a short reader")
	}
	if _, err := testMAC.newID(bytes.NewReader(nil)); err == nil {
		t.Error("newID: no error on an empty reader")
	}
}

// Over every byte value exactly once per cycle, each digit appears exactly
// 25 times: no modulo bias by construction.
func TestNewCodeExactUniformityOverByteCycle(t *testing.T) {
	r := &cycleReader{}
	var counts [10]int
	// 250 accepted bytes per 256-byte cycle; 10 digits per code; read
	// 25 000 digits = 100 full cycles.
	for i := 0; i < 2500; i++ {
		code, err := testMAC.newCode(r, 10)
		must(t, err)
		for _, c := range code {
			counts[c-'0']++
		}
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	eq(t, total, 25000)
	// newCode reads a little ahead and drops the slack, so cycles do not
	// align exactly; allow the slack.
	for d, c := range counts {
		isTrue(t, c > 2400 && c < 2600, "digit", d, c)
	}
}

// chaChaReader adapts a seeded ChaCha8 to io.Reader: deterministic tests.
func chaChaReader(seed byte) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return mrand.NewChaCha8(s)
}

func TestNewCodeChiSquare(t *testing.T) {
	r := chaChaReader(1)
	const codes = 20000
	var all [10]float64
	var pos [6][10]float64
	for i := 0; i < codes; i++ {
		code, err := testMAC.newCode(r, 6)
		must(t, err)
		for p, c := range code {
			all[c-'0']++
			pos[p][c-'0']++
		}
	}
	chi := func(counts [10]float64, n float64) float64 {
		exp := n / 10
		s := 0.0
		for _, c := range counts {
			s += (c - exp) * (c - exp) / exp
		}
		return s
	}
	// 9 degrees of freedom: P(chi² > 27.88) = 0.001. The reader is seeded,
	// so the figure is fixed; the loose bound documents the expectation.
	x := chi(all, codes*6)
	t.Logf("chi-square over %d digits: %.2f", codes*6, x)
	isTrue(t, x < 27.88, "chi-square", x)
	for p := range pos {
		isTrue(t, chi(pos[p], codes) < 27.88, "position", p)
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id, err := testMAC.newID(rand.Reader)
		must(t, err)
		eq(t, len(id), 26, "len")
		eq(t, id, strings.ToLower(id))
		isTrue(t, !seen[id], "duplicate id")
		seen[id] = true
	}
}

func TestCodeHashFraming(t *testing.T) {
	m := newKeyedMAC(bytes.Repeat([]byte{1}, 32))
	a := m.codeHash("ab", "c", "123456")
	b := m.codeHash("a", "bc", "123456")
	c := m.codeHash("ab", "c1", "23456")
	ne(t, a, b)
	ne(t, a, c)
	eq(t, a, m.codeHash("ab", "c", "123456"))
	eq(t, len(a), 32, "len")
	// A decoy hash never equals a code hash of the same id.
	ne(t, m.decoyHash("ab"), m.codeHash("ab", "", ""))
	// Another key, another hash.
	ne(t, a, newKeyedMAC(bytes.Repeat([]byte{2}, 32)).codeHash("ab", "c", "123456"))
}

func TestDestinationKeyNormalisation(t *testing.T) {
	m := newKeyedMAC(bytes.Repeat([]byte{1}, 32))
	k := m.destinationKey("+33614125910", false)
	eq(t, len(k), 64, "len")
	isTrue(t, !strings.Contains(k, "33614125910"))
	eq(t, m.destinationKey(" +33 6 14-12.59(10) ", false), k)
	eq(t, m.destinationKey(" Alice@Example.COM", false), m.destinationKey("alice@example.com", false))
	ne(t, k, m.destinationKey("+33614125911", false))
	ne(t, k, m.destinationKey("+33614125910", true), "the proven budget has its own key")
}
