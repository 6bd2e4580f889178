package password

// Keyboard rows whose neighbouring keys make "simple" runs (qwertyuiop,
// azerty, asdfgh, 7890, ...), for the QWERTY, AZERTY and QWERTZ layouts.
// Only ASCII keys are kept.
var keyboardRows = []string{
	// QWERTY
	"`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
	// AZERTY
	"azertyuiop^$", "qsdfghjklm", "<wxcvbn,;:!",
	// QWERTZ
	"qwertzuiop", "asdfghjkl#", "<yxcvbnm,.-",
	// numeric keypad rows and columns
	"789", "456", "123", "741", "852", "963",
}

// adjacent[a] is a 128-bit set of the ASCII bytes b such that a followed by
// b continues a simple run: the same character, the next or previous letter
// or digit, or a neighbouring key on one of the keyboard rows.
var adjacent = func() (t [128][2]uint64) {
	add := func(a, b byte) {
		t[a][b>>6] |= 1 << (b & 63)
	}
	for c := 0; c < 128; c++ {
		add(byte(c), byte(c))
	}
	for _, r := range []string{"abcdefghijklmnopqrstuvwxyz", "0123456789"} {
		for i := 0; i+1 < len(r); i++ {
			add(r[i], r[i+1])
			add(r[i+1], r[i])
		}
	}
	for _, r := range keyboardRows {
		for i := 0; i+1 < len(r); i++ {
			add(r[i], r[i+1])
			add(r[i+1], r[i])
		}
	}
	return t
}()

func isAdjacent(a, b byte) bool {
	if a >= 128 || b >= 128 {
		return a == b
	}
	return adjacent[a][b>>6]&(1<<(b&63)) != 0
}

// isTooSimple reports whether the folded password f is too simple: it splits
// into at most two maximal runs of "adjacent" characters (qwertyuiop,
// 12345678, azerty123, zyxwvu, aaaaaaaa, 9876!), or three runs one of which is
// a single character (qwerty12!), or it repeats a short pattern (abcabcab,
// ab12ab12ab12).
func isTooSimple(f []byte) bool {
	n := len(f)
	if n == 0 {
		return false
	}
	runs, singles := 1, 0
	runLen := 1
	for i := 1; i < n; i++ {
		if isAdjacent(f[i-1], f[i]) {
			runLen++
			continue
		}
		if runLen == 1 {
			singles++
		}
		runs++
		runLen = 1
		if runs > 3 {
			break
		}
	}
	if runLen == 1 {
		singles++
	}
	if runs <= 2 || runs == 3 && singles >= 1 {
		return true
	}
	return hasShortPeriod(f)
}

// hasShortPeriod reports whether f is a pattern of p bytes repeated (the last
// repetition may be partial), with p at most 4 and at least two full
// repetitions, or any p with at least three full repetitions.
func hasShortPeriod(f []byte) bool {
	n := len(f)
	for p := 1; 2*p <= n; p++ {
		if p > 4 && 3*p > n {
			break
		}
		ok := true
		for i := p; i < n; i++ {
			if f[i] != f[i-p] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
