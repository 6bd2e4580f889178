package password

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Profile is what the policy knows about the user whose password is checked.
// Every field is optional.
type Profile struct {
	// Phone is the user's phone number, normally in E.164 ("+33614125910");
	// other formats are parsed with Policy.PhoneRegion as default region.
	Phone string
	// Email is the user's email address; only its local part is used.
	Email string
	// FirstName, MiddleName and LastName are split into words on every
	// non-letter ("Jean-Pierre" gives "jean" and "pierre").
	FirstName, MiddleName, LastName string
	// BirthDate is the user's birth date; the zero time means unknown.
	BirthDate time.Time
	// Extra holds more words the password must not contain (a username, the
	// service's name, ...). They are split on every character that is
	// neither a letter nor a digit.
	Extra []string
}

// phoneDigits holds the digit forms of a phone number in one stack buffer:
// international (country code + national significant number), with the 00
// international prefix, national (trunk prefix + NSN) and the bare NSN.
type phoneDigits struct {
	buf   [96]byte
	forms [4][2]uint8 // [start, end) into buf
	n     int
	nsn   [2]uint8
}

const maxPhoneDigits = 20

func (pd *phoneDigits) add(parts ...string) [2]uint8 {
	start := 0
	if pd.n > 0 {
		start = int(pd.forms[pd.n-1][1])
	}
	end := start
	for _, p := range parts {
		end += copy(pd.buf[end:], p)
	}
	span := [2]uint8{uint8(start), uint8(end)}
	if pd.n < len(pd.forms) && end > start {
		pd.forms[pd.n] = span
		pd.n++
	}
	return span
}

func (pd *phoneDigits) form(i int) []byte { return pd.buf[pd.forms[i][0]:pd.forms[i][1]] }

func (pd *phoneDigits) nsnBytes() []byte { return pd.buf[pd.nsn[0]:pd.nsn[1]] }

// parse fills pd from phone. An E.164 number is split with the country-code
// table of phonenumbers without allocating; other formats go through
// phonenumbers.Parse with region as default region. A number that cannot be
// parsed gives its digits as the only form.
func (pd *phoneDigits) parse(phone, region string) {
	pd.n = 0
	if phone == "" {
		return
	}
	if len(phone) > 1 && phone[0] == '+' && len(phone) <= maxPhoneDigits+1 && allDigits(phone[1:]) {
		digits := phone[1:]
		for ccLen := 1; ccLen <= 3 && ccLen < len(digits); ccLen++ {
			cc := atoiDigits(digits[:ccLen])
			regions := phonenumbers.GetRegionCodesForCountryCode(cc)
			if len(regions) == 0 {
				continue
			}
			pd.fill(digits[:ccLen], digits[ccLen:], phonenumbers.GetNddPrefixForRegion(regions[0], true))
			return
		}
	}
	num, err := phonenumbers.Parse(phone, region)
	if err == nil {
		nsn := phonenumbers.GetNationalSignificantNumber(num)
		cc := num.GetCountryCode()
		var ccBuf [4]byte
		ccs := appendInt(ccBuf[:0], int(cc))
		if len(nsn) > 0 && len(nsn)+len(ccs) <= maxPhoneDigits {
			pd.fill(string(ccs), nsn, phonenumbers.GetNddPrefixForRegion(phonenumbers.GetRegionCodeForCountryCode(int(cc)), true))
			return
		}
	}
	var d [maxPhoneDigits]byte
	k := 0
	for i := 0; i < len(phone) && k < len(d); i++ {
		if c := phone[i]; '0' <= c && c <= '9' {
			d[k] = c
			k++
		}
	}
	if k > 0 {
		pd.nsn = pd.add(string(d[:k]))
	}
}

func (pd *phoneDigits) fill(cc, nsn, ndd string) {
	if len(ndd) > 4 || !allDigits(ndd) {
		ndd = ""
	}
	pd.add(cc, nsn)
	pd.add("00", cc, nsn)
	if ndd != "" && !strings.HasPrefix(nsn, ndd) {
		pd.add(ndd, nsn)
	}
	pd.nsn = pd.add(nsn)
}

// equalsPhone reports whether the candidate, ignoring the usual phone
// separators (space + - . ( ) /), is exactly one of the digit forms.
func (pd *phoneDigits) equalsPhone(candidate string) bool {
	if pd.n == 0 || len(candidate) > 64 {
		return false
	}
	var d [64]byte
	k := 0
	for i := 0; i < len(candidate); i++ {
		c := candidate[i]
		switch {
		case '0' <= c && c <= '9':
			d[k] = c
			k++
		case c == ' ' || c == '+' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		default:
			return false
		}
	}
	for i := 0; i < pd.n; i++ {
		if bytes.Equal(d[:k], pd.form(i)) {
			return true
		}
	}
	return false
}

// containsToken reports whether the folded candidate f contains token, a
// character of f matching a letter of token when it is equal or a common
// substitute for it ("d3s1ree" contains "desiree").
func containsToken(f, token []byte) bool {
	m := len(token)
	for i := 0; i+m <= len(f); i++ {
		j := 0
		for j < m && leetMatches(f[i+j], token[j]) {
			j++
		}
		if j == m {
			return true
		}
	}
	return false
}

// anyTokenIn folds s, splits it into words (maximal runs of letters, and of
// digits too when withDigits) and reports whether f contains one of at least
// minLen runes.
func anyTokenIn(f []byte, s string, withDigits bool, minLen int) bool {
	if s == "" {
		return false
	}
	var buf [256]byte
	t := foldAppend(buf[:0], s)
	start := -1
	for i := 0; i <= len(t); i++ {
		in := false
		if i < len(t) {
			// A continuation byte belongs to the rune in progress.
			in = t[i]&0xC0 == 0x80 && start >= 0 || isLetterAt(t, i) || withDigits && '0' <= t[i] && t[i] <= '9'
		}
		if in {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			tok := t[start:i]
			if utf8.RuneCount(tok) >= minLen && containsToken(f, tok) {
				return true
			}
			start = -1
		}
	}
	return false
}

// containsBirthDate reports whether the candidate contains the birth date:
// the four-digit year anywhere in the folded candidate f, or one of
// YYYYMMDD, DDMMYYYY, MMDDYYYY, DDMMYY, MMDDYY, YYMMDD in its digits d
// (separators such as "21/05/1990" are thus ignored).
func containsBirthDate(f, d []byte, t time.Time) bool {
	y, mo, day := t.Date()
	if y < 1000 || y > 9999 {
		return false
	}
	var yyyy, yy, mm, dd [4]byte
	Y := pad(yyyy[:0], y, 4)
	if bytes.Contains(f, Y) {
		return true
	}
	YY := pad(yy[:0], y%100, 2)
	M := pad(mm[:0], int(mo), 2)
	D := pad(dd[:0], day, 2)
	var fb [8]byte
	for _, parts := range [...][3][]byte{
		{Y, M, D}, {D, M, Y}, {M, D, Y}, {D, M, YY}, {M, D, YY}, {YY, M, D},
	} {
		form := append(append(append(fb[:0], parts[0]...), parts[1]...), parts[2]...)
		if bytes.Contains(d, form) {
			return true
		}
	}
	return false
}

func pad(dst []byte, v, width int) []byte {
	var tmp [8]byte
	s := appendInt(tmp[:0], v)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

func appendInt(dst []byte, v int) []byte {
	if v == 0 {
		return append(dst, '0')
	}
	var tmp [20]byte
	i := len(tmp)
	for v > 0 {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, tmp[i:]...)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// emailLocal returns the part of email before its last '@' (all of it when
// there is none).
func emailLocal(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		return email[:i]
	}
	return email
}
