package kyc

import (
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
	"github.com/nyaruka/phonenumbers"

	"github.com/onboardkit/onboardkit"
)

// tagCodes maps validator tags to field codes.
var tagCodes = map[string]onboardkit.FieldCode{
	"required":           onboardkit.FieldRequired,
	"email":              onboardkit.FieldInvalidEmail,
	"kyc_country":        onboardkit.FieldInvalidCountry,
	"kyc_phone":          onboardkit.FieldInvalidPhone,
	"kyc_same_instant":   onboardkit.FieldMismatch,
	"kyc_date":           onboardkit.FieldInvalidDate,
	"kyc_timestamp":      onboardkit.FieldInvalidDate,
	"kyc_birth_range":    onboardkit.FieldInvalidDate,
	"kyc_not_future":     onboardkit.FieldInFuture,
	"kyc_ts_not_future":  onboardkit.FieldInFuture,
	"kyc_adult":          onboardkit.FieldTooYoung,
	"kyc_postal":         onboardkit.FieldInvalidPostalCode,
	"kyc_employment":     onboardkit.FieldInvalidEnum,
	"kyc_funds":          onboardkit.FieldInvalidEnum,
	"kyc_band":           onboardkit.FieldInvalidEnum,
	"kyc_doctype":        onboardkit.FieldInvalidEnum,
	"kyc_status":         onboardkit.FieldInvalidEnum,
	"kyc_name":           onboardkit.FieldInvalid,
	"kyc_text":           onboardkit.FieldInvalid,
	"kyc_ssn":            onboardkit.FieldInvalid,
	"kyc_https_url":      onboardkit.FieldInvalid,
	"kyc_docnumber":      onboardkit.FieldInvalid,
	"kyc_mrz":            onboardkit.FieldInvalid,
	"bcp47_language_tag": onboardkit.FieldInvalid,
	"timezone":           onboardkit.FieldInvalid,
}

var enumValues = map[string][]string{
	"kyc_employment": employmentStatuses,
	"kyc_funds":      sourcesOfFunds,
	"kyc_band":       paymentBands,
	"kyc_doctype": func() []string {
		s := make([]string, len(documentTypes))
		for i, t := range documentTypes {
			s[i] = string(t)
		}
		return s
	}(),
}

var codeMessages = map[onboardkit.FieldCode]string{
	onboardkit.FieldRequired:          "This field is required.",
	onboardkit.FieldInvalid:           "This value is not valid.",
	onboardkit.FieldInvalidCountry:    "Use an ISO 3166-1 alpha-3 country code, such as FRA.",
	onboardkit.FieldInvalidPhone:      "Use a valid phone number in international E.164 format, such as +33612345678.",
	onboardkit.FieldInvalidDate:       "Use a real date as YYYY-MM-DD (timestamps as RFC 3339).",
	onboardkit.FieldInFuture:          "This date is in the future.",
	onboardkit.FieldTooYoung:          "The user is under the minimum age.",
	onboardkit.FieldInvalidPostalCode: "This postal code does not match the format of the country.",
	onboardkit.FieldInvalidEnum:       "This value is not one of the accepted values.",
	onboardkit.FieldTooLong:           "This value is too long.",
	onboardkit.FieldTooShort:          "This value is too short.",
	onboardkit.FieldTooMany:           "This list has too many items.",
	onboardkit.FieldInvalidEmail:      "Use a valid email address.",
}

var tagMessages = map[string]string{
	"kyc_name":           "Use letters, spaces, hyphens and apostrophes only.",
	"kyc_text":           "This text contains characters that are not allowed.",
	"kyc_ssn":            "Use 4 to 20 letters or digits (spaces and hyphens allowed).",
	"kyc_https_url":      "Use an https URL.",
	"kyc_same_instant":   "termsSignedAt and byzantineTermsSignedAt are synonyms: give one, or both with the same instant.",
	"kyc_birth_range":    "This birth date is not plausible.",
	"bcp47_language_tag": "Use a BCP 47 language tag, such as fr-FR.",
	"timezone":           "Use an IANA time zone name, such as Europe/Paris.",
}

// fieldError builds the FieldError of one failed tag.
func (v *Validator) fieldError(path, tag, param string, kind reflect.Kind) onboardkit.FieldError {
	code, ok := tagCodes[tag]
	msg := ""
	switch {
	case tag == "max" && kind == reflect.Slice:
		code, msg = onboardkit.FieldTooMany, fmt.Sprintf("At most %s items are accepted.", param)
	case tag == "max":
		code, msg = onboardkit.FieldTooLong, fmt.Sprintf("Use at most %s characters.", param)
	case tag == "min" && param == "1":
		code = onboardkit.FieldRequired
	case tag == "min":
		code, msg = onboardkit.FieldTooShort, fmt.Sprintf("Use at least %s characters.", param)
	case tag == "kyc_docnumber" || tag == "kyc_mrz":
		msg = param // a fixed sentence chosen by the struct-level rule
	case tag == "kyc_adult":
		msg = fmt.Sprintf("The user must be at least %d years old.", v.minAge)
	case !ok:
		code = onboardkit.FieldInvalid
	}
	if vals, isEnum := enumValues[tag]; isEnum {
		msg = "Use one of: " + strings.Join(vals, ", ") + "."
	}
	if msg == "" {
		msg = tagMessages[tag]
	}
	if msg == "" {
		msg = codeMessages[code]
	}
	return onboardkit.FieldError{Field: path, Code: code, Message: msg}
}

// translate turns validator errors into a validation *onboardkit.Error, one
// FieldError per field (the first problem found for it), in struct order.
func (v *Validator) translate(err error) error {
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return &onboardkit.Error{Code: onboardkit.CodeInternal, Message: "The input could not be validated.", Err: err}
	}
	fields := make([]onboardkit.FieldError, 0, len(ves))
	seen := make(map[string]bool, len(ves))
	for _, fe := range ves {
		path := fe.Namespace()
		if i := strings.IndexByte(path, '.'); i >= 0 {
			path = path[i+1:] // drop the root type name
		}
		if seen[path] {
			continue
		}
		seen[path] = true
		fields = append(fields, v.fieldError(path, fe.Tag(), fe.Param(), fe.Kind()))
	}
	return onboardkit.ValidationError(fields...)
}

// jsonName names struct fields by their JSON name in error paths.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

// register installs the package's custom rules on v.v.
func (v *Validator) register() error {
	str := func(f func(string) bool) validator.Func {
		return func(fl validator.FieldLevel) bool {
			fv := fl.Field()
			if fv.Kind() != reflect.String {
				return false
			}
			return f(fv.String())
		}
	}
	enum := func(vals []string) validator.Func {
		set := setOf(vals)
		return str(func(s string) bool { return set[s] })
	}
	rules := map[string]validator.Func{
		"kyc_country":     str(IsCountry),
		"kyc_phone":       str(isE164),
		"kyc_date":        str(func(s string) bool { _, ok := parseDate(s); return ok }),
		"kyc_timestamp":   str(isTimestamp),
		"kyc_not_future":  str(v.dateNotFuture),
		"kyc_birth_range": str(v.birthPlausible),
		"kyc_adult":       str(v.adult),
		"kyc_ts_not_future": str(func(s string) bool {
			t, err := time.Parse(time.RFC3339, s)
			return err != nil || !t.After(v.clock.Now().Add(v.skew))
		}),
		"kyc_employment": enum(employmentStatuses),
		"kyc_funds":      enum(sourcesOfFunds),
		"kyc_band":       enum(paymentBands),
		"kyc_doctype":    enum(enumValues["kyc_doctype"]),
		"kyc_name":       str(isName),
		"kyc_text":       str(isText),
		"kyc_ssn":        str(isSSN),
		"kyc_https_url":  str(isHTTPSURL),
	}
	for tag, fn := range rules {
		if err := v.v.RegisterValidation(tag, fn); err != nil {
			return fmt.Errorf("kyc: register %s: %w", tag, err)
		}
	}
	v.v.RegisterStructValidation(addressRule, Address{})
	v.v.RegisterStructValidation(documentRule, VerificationDocument{})
	v.v.RegisterStructValidation(questionnaireRule, AdditionalUserInfo{})
	v.v.RegisterStructValidation(termsRule, IndividualAccountRequest{})
	return nil
}

// dateNotFuture reports whether a (valid) date is not after today. Invalid
// dates pass: kyc_date reports them.
func (v *Validator) dateNotFuture(s string) bool {
	d, ok := parseDate(s)
	return !ok || !d.After(v.today())
}

// birthPlausible rejects birth dates more than 130 years ago.
func (v *Validator) birthPlausible(s string) bool {
	d, ok := parseDate(s)
	return !ok || !d.Before(v.today().AddDate(-130, 0, 0))
}

func (v *Validator) adult(s string) bool {
	d, ok := parseDate(s)
	return !ok || ageOn(d, v.today()) >= v.minAge
}

// ageOn returns the age in whole years of someone born on birth, on day.
// Someone born on 29 February turns a year older on 1 March in common years.
func ageOn(birth, day time.Time) int {
	age := day.Year() - birth.Year()
	if day.Month() < birth.Month() || (day.Month() == birth.Month() && day.Day() < birth.Day()) {
		age--
	}
	return age
}

func isTimestamp(s string) bool {
	_, err := time.Parse(time.RFC3339, s)
	return err == nil && len(s) <= 35
}

// isE164 reports whether s is a strict E.164 number ("+" then 8 to 15
// digits, no spaces) that libphonenumber considers valid.
// PhoneDigits strips the separators of a phone number written plainly and
// reports whether raw is one: an optional "+", then 4 to 17 digits with
// single spaces, dots or dashes between them ("+33 6 12 34 56 78",
// "+33.6.12.34.56.78", "+33-612-345-678"); nothing else is accepted.
func PhoneDigits(raw string) (string, bool) {
	if len(raw) > 32 {
		return "", false
	}
	var b strings.Builder
	prev := byte(0)
	for k := 0; k < len(raw); k++ {
		c := raw[k]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+' && k == 0:
			b.WriteByte(c)
		case (c == ' ' || c == '.' || c == '-') && prev >= '0' && prev <= '9':
		default:
			return "", false
		}
		prev = c
	}
	d := b.String()
	n := len(strings.TrimPrefix(d, "+"))
	return d, n >= 4 && n <= 17 && prev >= '0' && prev <= '9'
}

// isE164 accepts a valid international number, written with its digits
// only or with single spaces, dots or dashes between them (PhoneDigits).
func isE164(s string) bool {
	s, ok := PhoneDigits(strings.TrimSpace(s))
	if !ok {
		return false
	}
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	n, err := phonenumbers.Parse(s, "")
	return err == nil && phonenumbers.IsValidNumber(n)
}

// isName accepts letters (any script, with combining marks), spaces,
// hyphens and apostrophes (' or ’), starting and ending with a letter,
// without two separators in a row. Length is checked by the max tag.
func isName(s string) bool {
	prevSep := true
	for i, r := range s {
		switch {
		case unicode.IsLetter(r):
			prevSep = false
		case unicode.Is(unicode.Mn, r) && i > 0:
			prevSep = false
		case r == ' ' || r == '-' || r == '\'' || r == '’':
			if prevSep {
				return false
			}
			prevSep = true
		default:
			return false
		}
	}
	return s != "" && !prevSep
}

// isText accepts printable UTF-8 (and any space separator, such as a
// no-break space) without control characters.
func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError || !unicode.IsPrint(r) && !unicode.Is(unicode.Zs, r) {
			return false
		}
	}
	return true
}

// isSSN accepts a national identification number: 4 to 20 ASCII letters or
// digits, with optional single spaces or hyphens between them.
func isSSN(s string) bool {
	n := 0
	prevSep := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
			n++
			prevSep = false
		case c == '-' || c == ' ':
			if prevSep {
				return false
			}
			prevSep = true
		default:
			return false
		}
	}
	return !prevSep && n >= 4 && n <= 20
}

func isHTTPSURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

//go:embed iso3166_alpha3.txt
var countryFile string

var countries = func() map[string]bool {
	m := make(map[string]bool, 256)
	for _, line := range strings.Split(countryFile, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, c := range strings.Fields(line) {
			m[c] = true
		}
	}
	return m
}()

// IsCountry reports whether code is an officially assigned ISO 3166-1
// alpha-3 country code (upper case, e.g. "FRA"). The embedded list holds the
// 249 official codes; reserved and user-assigned codes (e.g. "XKX") are not
// accepted.
func IsCountry(code string) bool { return len(code) == 3 && countries[code] }

// postalPatterns holds the postal-code shape of the countries where it is
// checked (and required). Codes are matched upper-cased.
var postalPatterns = map[string]*regexp.Regexp{
	"FRA": regexp.MustCompile(`^[0-9]{5}$`),
	"DEU": regexp.MustCompile(`^[0-9]{5}$`),
	"ITA": regexp.MustCompile(`^[0-9]{5}$`),
	"ESP": regexp.MustCompile(`^(0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}$`),
	"GBR": regexp.MustCompile(`^([A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}|GIR ?0AA)$`),
	"USA": regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`),
	"NLD": regexp.MustCompile(`^[1-9][0-9]{3} ?[A-Z]{2}$`),
	"BEL": regexp.MustCompile(`^[1-9][0-9]{3}$`),
	"CHE": regexp.MustCompile(`^[1-9][0-9]{3}$`),
	"CAN": regexp.MustCompile(`^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] ?[0-9][ABCEGHJ-NPRSTV-Z][0-9]$`),
	"AUT": regexp.MustCompile(`^[1-9][0-9]{3}$`),
	"PRT": regexp.MustCompile(`^[1-9][0-9]{3}-[0-9]{3}$`),
	"POL": regexp.MustCompile(`^[0-9]{2}-[0-9]{3}$`),
	"LUX": regexp.MustCompile(`^(L-)?[0-9]{4}$`),
	"SWE": regexp.MustCompile(`^[1-9][0-9]{2} ?[0-9]{2}$`),
}

// genericPostal is the shape accepted for other countries.
var genericPostal = regexp.MustCompile(`^[A-Z0-9](?:[A-Z0-9 -]{0,10}[A-Z0-9])?$`)

// PostalCodeCountries returns the countries whose postal-code shape is
// checked (a postal code is required for them).
func PostalCodeCountries() []string {
	out := make([]string, 0, len(postalPatterns))
	for c := range postalPatterns {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// ValidPostalCode reports whether code has the postal-code shape of country
// (alpha-3). For countries without a specific pattern any 1–12 letters,
// digits, spaces or hyphens are accepted (and so is an empty code).
func ValidPostalCode(country, code string) bool {
	up := strings.ToUpper(code)
	if re, ok := postalPatterns[country]; ok {
		return re.MatchString(up)
	}
	return code == "" || genericPostal.MatchString(up)
}

func addressRule(sl validator.StructLevel) {
	a := sl.Current().Interface().(Address)
	_, specific := postalPatterns[a.Country]
	switch {
	case a.PostalCode == "" && specific:
		sl.ReportError(a.PostalCode, "postalCode", "PostalCode", "required", "")
	case len(a.PostalCode) > 16:
		// reported by the field's max tag
	case !ValidPostalCode(a.Country, a.PostalCode):
		sl.ReportError(a.PostalCode, "postalCode", "PostalCode", "kyc_postal", "")
	}
}

// termsRule requires one of termsSignedAt and byzantineTermsSignedAt; both
// are accepted when they name the same instant.
func termsRule(sl validator.StructLevel) {
	r := sl.Current().Interface().(IndividualAccountRequest)
	a, b := r.TermsSignedAt, r.ByzantineTermsSignedAt
	switch {
	case a == "" && b == "":
		sl.ReportError(a, "termsSignedAt", "TermsSignedAt", "required", "")
	case a != "" && b != "":
		ta, tb := parseTimestamp(a), parseTimestamp(b)
		if !ta.IsZero() && !tb.IsZero() && !ta.Equal(tb) {
			sl.ReportError(b, "byzantineTermsSignedAt", "ByzantineTermsSignedAt", "kyc_same_instant", "")
		}
	}
}

func questionnaireRule(sl validator.StructLevel) {
	q := sl.Current().Interface().(AdditionalUserInfo)
	if q.MostRecentOccupation == "" && (q.EmploymentStatus == EmploymentEmployed || q.EmploymentStatus == EmploymentSelfEmployed) {
		sl.ReportError(q.MostRecentOccupation, "mostRecentOccupation", "MostRecentOccupation", "required", "")
	}
}

// numberFinding returns the finding about a document's normalised number n,
// if any: missing_document_number (an error) for a type that carries one,
// unusual_document_number (a warning) for a number whose shape is not the
// usual one of its type.
func numberFinding(t DocumentType, n string) (f Finding, isError, ok bool) {
	var msg string
	switch {
	case n == "" && t.numbered():
		return finding(FindingMissingNumber), true, true
	case n == "":
		return Finding{}, false, false
	case t == DocumentPassport && !passportNumber.MatchString(n):
		msg = "A passport number usually has 6 to 9 letters or digits; check it."
	case t.numbered() && t != DocumentPassport && !idNumber.MatchString(n):
		msg = "A document number usually has 5 to 20 letters or digits; check it."
	case !t.numbered() && !otherNumber.MatchString(n):
		msg = "A document number usually has 1 to 40 letters, digits or hyphens; check it."
	default:
		return Finding{}, false, false
	}
	return Finding{Code: FindingUnusualNumber, Message: msg}, false, true
}

// Document-number shapes (after NormalizeDocumentNumber).
var (
	passportNumber = regexp.MustCompile(`^[A-Z0-9]{6,9}$`)
	idNumber       = regexp.MustCompile(`^[A-Z0-9]{5,20}$`)
	otherNumber    = regexp.MustCompile(`^[A-Z0-9-]{1,40}$`)
	mrzLine        = regexp.MustCompile(`^[A-Z0-9<]+$`)
)

func documentRule(sl validator.StructLevel) {
	d := sl.Current().Interface().(VerificationDocument)
	if d.DocumentType.numbered() && d.IssuingCountry == "" {
		sl.ReportError(d.IssuingCountry, "issuingCountry", "IssuingCountry", "required", "")
	}
	// A missing number, and a number that looks wrong for its type, are
	// findings of the document (checkDocument), not a refusal of the
	// request: an unusual number is a warning, a missing one an error. Only
	// its length is bounded here.
	if len(d.DocumentNumber) > 64 {
		sl.ReportError(d.DocumentNumber, "documentNumber", "DocumentNumber", "max", "64")
	}
	if len(d.MRZ) == 0 {
		return
	}
	var lines, width int
	switch d.DocumentType {
	case DocumentPassport:
		lines, width = 2, 44
	case DocumentIDCard, DocumentResidencePermit:
		lines, width = 3, 30
	default:
		sl.ReportError(d.MRZ, "mrz", "MRZ", "kyc_mrz", "An MRZ is accepted for passports, id cards and residence permits only.")
		return
	}
	if len(d.MRZ) != lines {
		sl.ReportError(d.MRZ, "mrz", "MRZ", "kyc_mrz",
			fmt.Sprintf("The MRZ of this document has %d lines of %d characters.", lines, width))
		return
	}
	for i, l := range d.MRZ {
		if len(l) != width || !mrzLine.MatchString(l) {
			name := fmt.Sprintf("mrz[%d]", i)
			sl.ReportError(l, name, name, "kyc_mrz",
				fmt.Sprintf("An MRZ line of this document has %d characters A-Z, 0-9 or <.", width))
		}
	}
}
