package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"runtime"
	"strings"
	"testing"
)

func TestDefaultBlocklistLoads(t *testing.T) {
	n := DefaultBlocklist().Len()
	if n < 97_000 || n > 100_000 {
		t.Fatalf("default list has %d words", n)
	}
	// Every word of the embedded file is found.
	zr, err := gzip.NewReader(bytes.NewReader(embeddedList))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	lines, missing := 0, 0
	for sc.Scan() {
		if w := sc.Text(); w != "" {
			lines++
			if !DefaultBlocklist().Contains(w) {
				missing++
			}
		}
	}
	if lines != 100_000 || missing != 0 {
		t.Fatalf("%d lines, %d not found", lines, missing)
	}
}

func TestBlocklistMatching(t *testing.T) {
	bl := NewBlocklist([]string{"password", "iloveyou", "lovely", "monkey", "Désirée", "soleil"})
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{"P@ssw0rd", true},
		{"pa$$word", true},
		{"Passw0rd!", true},
		{"password2024!", true},
		{"password123456", true},
		{"password1234567", false}, // trailing run over 6
		{"12password", true},
		{"!!password!!", true},
		{"12345password", false}, // leading run over 4
		{"passwordx", false},
		{"xpassword", false},
		{"pass", false},
		{"!l0v3y0u", true},
		{"1ov3ly", true},   // 1 read as l
		{"i1ovey0u", true}, // 1 read as l
		{"|ovely", true},
		{"m0nk3y99", true},
		{"desiree", true},
		{"DÉSIRÉE", true},
		{"de\u0301sire\u0301e", true}, // decomposed accents
		{"SOLEIL", true},
		{"50l31l", true},
		{"", false},
		{"1", false},
	} {
		if got := bl.Contains(tt.s); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
	// Ambiguous substitutes: all combinations up to three.
	bl2 := NewBlocklist([]string{"lilil"})
	if !bl2.Contains("1!l1l") || !bl2.Contains("l1l1l") {
		t.Error("ambiguous 1/! combinations not tried")
	}
	bl3 := NewBlocklist([]string{"illillill"})
	if bl3.Contains("1111111l1") {
		t.Error("more than three ambiguous: only all-i and all-l expected")
	}
	if !NewBlocklist([]string{"iiiiiiii"}).Contains("11111111") || !NewBlocklist([]string{"llllllll"}).Contains("!!!!!!!!") {
		t.Error("all-i / all-l readings not tried")
	}
	var nilList *Blocklist
	if nilList.Contains("password") {
		t.Error("nil list contains a word")
	}
	if (&Blocklist{}).Contains("password") || (&Blocklist{}).Len() != 0 {
		t.Error("zero list not empty")
	}
}

func TestBlocklistExtendAndRead(t *testing.T) {
	base := NewBlocklist([]string{"alpha", "beta", "ALPHA", ""})
	if base.Len() != 2 {
		t.Fatalf("Len = %d", base.Len())
	}
	ext := base.Extend("gamma", "beta")
	if ext.Len() != 3 || !ext.Contains("gamma") || !ext.Contains("alpha") || base.Contains("gamma") {
		t.Fatal("Extend")
	}
	r, err := ReadBlocklist(strings.NewReader("one\r\ntwo\n\nThree\n"))
	if err != nil || r.Len() != 3 || !r.Contains("three") {
		t.Fatalf("ReadBlocklist: %v, %d", err, r.Len())
	}
	if _, err := ReadBlocklist(strings.NewReader(strings.Repeat("x", 1<<17))); err == nil {
		t.Error("over-long line: no error")
	}
	d := DefaultBlocklist().Extend("onboardkit")
	if d.Len() != DefaultBlocklist().Len()+1 || !d.Contains("0nb0ardk1t") {
		t.Error("extending the default list")
	}
}

// TestBlocklistHeapSize measures the heap the default list occupies once
// loaded (a fresh copy, so the shared one does not hide it).
func TestBlocklistHeapSize(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	hs := loadEmbedded()
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("blocklist: %d hashes, %d bytes in the slice, heap delta %d bytes", len(hs), 8*cap(hs), heap)
	if 8*cap(hs) > 850_000 {
		t.Errorf("slice of %d bytes", 8*cap(hs))
	}
	runtime.KeepAlive(hs)
}

func TestIsTooSimple(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"qwertyuiop", true},
		{"poiuytrewq", true},
		{"azertyuiop", true},
		{"qwertzuiop", true},
		{"ytrewq", true},
		{"asdfghjkl", true},
		{"qsdfghjklm", true},
		{"wxcvbn", true},
		{"yxcvbnm", true},
		{"12345678", true},
		{"87654321", true},
		{"1234567890", true},
		{"abcdefgh", true},
		{"hgfedcba", true},
		{"aaaaaaaa", true},
		{"azerty123", true},
		{"qwerty12!", true},
		{"abcabcabc", true},
		{"ab12ab12ab12", true},
		{"passpass", true},
		{"hellohellohello", true},
		{"correct-horse-7-battery", false},
		{"kx9#mq2plr", false},
		{"trustno1", false},
		{"hellohello", false},
		{"password", false},
		{"désirée", false},
		{"", false},
	} {
		if got := isTooSimple([]byte(tt.s)); got != tt.want {
			t.Errorf("isTooSimple(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Désirée":             "desiree",
		"DÉSIRÉE":             "desiree",
		"de\u0301sire\u0301e": "desiree",
		"Straße":              "strasse",
		"Œuvre-Ærø":           "oeuvre-aero",
		"Łódź":                "lodz",
		"Ｆｕｌｌ":                "full",
		"ﬁne":                 "fine",
		"İstanbul":            "istanbul",
		"Жёлтый":              "желтыи",
		"ΚΑΛΗΜΈΡΑ":            "καλημερα",
		"abc\xffdef":          "abc\uFFFDdef",
	} {
		if got := string(foldAppend(nil, in)); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}
