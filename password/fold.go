package password

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldAppend appends the folded form of s to dst: lower case, accents and
// other combining marks removed, compatibility characters (ligatures,
// full-width forms) decomposed. "Désirée" folds to "desiree". It does not
// allocate when dst has room.
func foldAppend(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = foldRune(dst, r, s[i:i+size])
		i += size
	}
	return dst
}

// foldRune appends the folded form of the non-ASCII rune r, whose encoding in
// the input is enc.
func foldRune(dst []byte, r rune, enc string) []byte {
	if s, ok := specialFolds[r]; ok {
		return append(dst, s...)
	}
	if r == utf8.RuneError {
		return utf8.AppendRune(dst, r)
	}
	d := norm.NFKD.PropertiesString(enc).Decomposition()
	if d == nil {
		if unicode.Is(unicode.Mn, r) {
			return dst
		}
		return appendLower(dst, r)
	}
	for len(d) > 0 {
		r2, n := utf8.DecodeRune(d)
		d = d[n:]
		if unicode.Is(unicode.Mn, r2) {
			continue
		}
		if s, ok := specialFolds[r2]; ok {
			dst = append(dst, s...)
			continue
		}
		dst = appendLower(dst, r2)
	}
	return dst
}

func appendLower(dst []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		c := byte(r)
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return append(dst, c)
	}
	return utf8.AppendRune(dst, unicode.ToLower(r))
}

// specialFolds maps letters that have no canonical decomposition to their
// usual ASCII transliteration.
var specialFolds = map[rune]string{
	'ß': "ss", 'ẞ': "ss",
	'æ': "ae", 'Æ': "ae",
	'œ': "oe", 'Œ': "oe",
	'ø': "o", 'Ø': "o",
	'đ': "d", 'Đ': "d",
	'ð': "d", 'Ð': "d",
	'ł': "l", 'Ł': "l",
	'þ': "th", 'Þ': "th",
	'ı': "i",
	'ħ': "h", 'Ħ': "h",
}

// leet maps an ASCII character used as a substitute to the letter(s) it
// stands for: leet[c][0] is the first reading, leet[c][1] an alternative
// reading or 0.
var leet = func() (t [128][2]byte) {
	set := func(chars string, a, b byte) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] = [2]byte{a, b}
		}
	}
	set("@4", 'a', 0)
	set("8", 'b', 0)
	set("(", 'c', 0)
	set("3", 'e', 0)
	set("69", 'g', 0)
	set("#", 'h', 0)
	set("1!|", 'i', 'l')
	set("0", 'o', 0)
	set("$5", 's', 0)
	set("7+", 't', 0)
	return t
}()

// leetMatches reports whether candidate byte c equals letter t or is a common
// substitute for it.
func leetMatches(c, t byte) bool {
	if c == t {
		return true
	}
	if c < utf8.RuneSelf {
		l := leet[c]
		return l[0] != 0 && (l[0] == t || l[1] == t)
	}
	return false
}

// isLetterByte reports whether b is an ASCII letter or the first byte of a
// non-ASCII rune that is a letter. For a non-ASCII rune it decodes from s[i:].
func isLetterAt(s []byte, i int) bool {
	c := s[i]
	if c < utf8.RuneSelf {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	r, _ := utf8.DecodeRune(s[i:])
	return unicode.IsLetter(r)
}
