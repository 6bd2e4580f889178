package otp

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// maskStars is the fixed run of asterisks that replaces hidden characters.
// It is fixed so that the mask does not reveal how long the hidden part is.
const maskStars = "******"

// Mask returns destination in a form safe to show or log: a phone number in
// international form keeps its country calling code and its last two digits
// ("+33614125910" → "+33******10"); an email keeps the first character of the
// local part and the domain ("alice@example.com" → "a***@example.com").
// Anything else keeps at most its last two characters. Mask never panics and
// never returns more of the input than described.
func Mask(destination string) string {
	d := strings.TrimSpace(destination)
	if d == "" {
		return ""
	}
	if at := strings.LastIndexByte(d, '@'); at >= 0 {
		local, domain := d[:at], d[at+1:]
		if !utf8.ValidString(domain) {
			domain = strings.ToValidUTF8(domain, "?")
		}
		first := ""
		if r, size := utf8.DecodeRuneInString(local); size > 0 && r != utf8.RuneError {
			first = string(r)
		}
		return first + "***@" + domain
	}
	if strings.HasPrefix(d, "+") {
		if num, err := phonenumbers.Parse(d, "ZZ"); err == nil && num.GetCountryCode() != 0 {
			nsn := phonenumbers.GetNationalSignificantNumber(num)
			return "+" + strconv.Itoa(int(num.GetCountryCode())) + maskStars + lastN(nsn, 2, 4)
		}
	}
	return maskStars + lastN(d, 2, 6)
}

// lastN returns the last n characters of s when s has at least min
// characters, and "" otherwise.
func lastN(s string, n, min int) string {
	if !utf8.ValidString(s) {
		return ""
	}
	r := []rune(s)
	if len(r) < min {
		return ""
	}
	return string(r[len(r)-n:])
}
