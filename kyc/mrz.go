package kyc

import (
	"strings"
	"time"
)

// MRZCheckDigit returns the ICAO 9303 check digit of s: each character's
// value (0–9 for digits, 10–35 for A–Z, 0 for the filler '<') times the
// repeating weights 7, 3, 1, summed, modulo 10. It returns -1 when s holds
// another character.
func MRZCheckDigit(s string) int {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var val int
		switch {
		case c >= '0' && c <= '9':
			val = int(c - '0')
		case c >= 'A' && c <= 'Z':
			val = int(c-'A') + 10
		case c == '<':
			val = 0
		default:
			return -1
		}
		sum += val * weights[i%3]
	}
	return sum % 10
}

// digitMatches reports whether the check character cd is the check digit of
// field.
func digitMatches(field string, cd byte) bool {
	d := MRZCheckDigit(field)
	return d >= 0 && cd == byte('0'+d)
}

type mrzFields struct {
	issuer, number, birth, expiry string
	checks                        []mrzCheck
}

type mrzCheck struct {
	name  string // human name used in the message
	field string
	cd    byte
}

// parseTD3 reads a passport MRZ (2 lines of 44 characters).
func parseTD3(l1, l2 string) mrzFields {
	f := mrzFields{issuer: l1[2:5], number: l2[0:9], birth: l2[13:19], expiry: l2[21:27]}
	f.checks = []mrzCheck{
		{"document number", l2[0:9], l2[9]},
		{"birth date", l2[13:19], l2[19]},
		{"expiry date", l2[21:27], l2[27]},
	}
	// The optional personal number's check digit may be '<' when unused.
	if personal := l2[28:42]; !(l2[42] == '<' && strings.Trim(personal, "<") == "") {
		f.checks = append(f.checks, mrzCheck{"personal number", personal, l2[42]})
	}
	f.checks = append(f.checks, mrzCheck{"composite", l2[0:10] + l2[13:20] + l2[21:43], l2[43]})
	return f
}

// parseTD1 reads an id-card MRZ (3 lines of 30 characters). A document
// number longer than 9 characters continues in the optional data, the check
// digit position then holding '<' (ICAO 9303 part 5).
func parseTD1(l1, l2 string) mrzFields {
	f := mrzFields{issuer: l1[2:5], number: l1[5:14], birth: l2[0:6], expiry: l2[8:14]}
	numField, numCD := l1[5:14], l1[14]
	if numCD == '<' {
		ext, _, _ := strings.Cut(l1[15:30], "<")
		if len(ext) >= 2 {
			numField = l1[5:14] + ext[:len(ext)-1]
			numCD = ext[len(ext)-1]
			f.number = numField
		}
	}
	f.checks = []mrzCheck{
		{"document number", numField, numCD},
		{"birth date", l2[0:6], l2[6]},
		{"expiry date", l2[8:14], l2[14]},
		{"composite", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29]},
	}
	return f
}

// mrzIssuer maps the MRZ issuing-state code to alpha-3 ("D<<" is Germany).
func mrzIssuer(code string) string {
	code = strings.TrimRight(code, "<")
	if code == "D" {
		return "DEU"
	}
	return code
}

// checkMRZ verifies the check digits of a structurally valid MRZ and its
// agreement with the declared number, issuing country, expiry date and the
// user's birth date (when known). Messages name fields, never values.
func checkMRZ(d *VerificationDocument, number string, birth time.Time) []Finding {
	var f mrzFields
	switch {
	case len(d.MRZ) == 2 && len(d.MRZ[0]) == 44 && len(d.MRZ[1]) == 44:
		f = parseTD3(d.MRZ[0], d.MRZ[1])
	case len(d.MRZ) == 3 && len(d.MRZ[0]) == 30 && len(d.MRZ[1]) == 30 && len(d.MRZ[2]) == 30:
		f = parseTD1(d.MRZ[0], d.MRZ[1])
	default:
		return nil // shape errors are reported by validation
	}
	var out []Finding
	for _, c := range f.checks {
		if !digitMatches(c.field, c.cd) {
			out = append(out, Finding{Code: FindingMRZCheckDigit,
				Message: "The MRZ check digit of the " + c.name + " does not match."})
		}
	}
	mismatch := func(what string) {
		out = append(out, Finding{Code: FindingMRZMismatch,
			Message: "The MRZ " + what + " does not match the declared one."})
	}
	if number != "" && strings.TrimRight(f.number, "<") != number {
		mismatch("document number")
	}
	if iss := mrzIssuer(f.issuer); d.IssuingCountry != "" && len(iss) == 3 && iss != d.IssuingCountry {
		mismatch("issuing country")
	}
	if exp, ok := parseDate(d.ExpiryDate); ok && exp.Format("060102") != f.expiry {
		mismatch("expiry date")
	}
	if !birth.IsZero() && !strings.Contains(f.birth, "<") && birth.Format("060102") != f.birth {
		mismatch("birth date")
	}
	return out
}
