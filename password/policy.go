package password

import (
	"context"
	"errors"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit"
)

// Policy is a password policy. Every rule is a field: a zero or false field
// switches its rule off. Start from [DefaultPolicy] and change what the host
// needs. A Policy is safe for concurrent use once it is no longer modified.
type Policy struct {
	// MinLength is the minimum number of characters (runes); 0 disables
	// the too_short rule. Default 8.
	MinLength int
	// MaxLength is the maximum number of characters (runes); 0 disables the
	// too_long rule. Default 128.
	MaxLength int
	// RequireDigit requires at least one digit (any Unicode digit). Default
	// true.
	RequireDigit bool
	// RequireLetter requires at least one letter (any Unicode letter).
	// Default true.
	RequireLetter bool
	// RejectPhone rejects the user's phone number as password, compared on
	// digits with and without country code (+33614125910, 0033614125910,
	// 0614125910, 614125910). Default true.
	RejectPhone bool
	// RejectProfileInfo rejects passwords that contain a word of the user's
	// names, email local part or Profile.Extra (case- and
	// accent-insensitive, common substitutions undone), the national phone
	// number, or the birth date in common formats. Default true.
	RejectProfileInfo bool
	// MinTokenLength is the length in runes under which profile words are
	// ignored; 0 means 3.
	MinTokenLength int
	// HistorySize is how many previous passwords a new one must differ from
	// (the reused rule of ValidateWithHistory); 0 disables it. Default 5.
	HistorySize int
	// RejectCommon rejects passwords found in Blocklist (the too_common
	// rule; see Blocklist.Contains for the matching). Default true.
	RejectCommon bool
	// Blocklist is the list of the too_common rule; nil means
	// DefaultBlocklist().
	Blocklist *Blocklist
	// RejectSimple rejects keyboard rows (QWERTY, AZERTY, QWERTZ),
	// alphabetic and numeric sequences in either direction, repeated
	// characters and short repeated patterns (the too_simple rule). Default
	// true.
	RejectSimple bool
	// BreachChecker, when set, is asked whether the password appears in a
	// data breach (the breached rule). Default nil (off).
	BreachChecker BreachChecker
	// PhoneRegion is the region (ISO 3166-1 alpha-2) used to parse a
	// Profile.Phone that is not in E.164; "" means "FR".
	PhoneRegion string
}

// DefaultPolicy returns the policy of the seed: 8 to 128 characters, a digit,
// a letter, not the phone number, no profile information, not one of the
// previous 5 passwords, not too common, not too simple, no breach check.
func DefaultPolicy() *Policy {
	return &Policy{
		MinLength:         8,
		MaxLength:         128,
		RequireDigit:      true,
		RequireLetter:     true,
		RejectPhone:       true,
		RejectProfileInfo: true,
		MinTokenLength:    3,
		HistorySize:       5,
		RejectCommon:      true,
		RejectSimple:      true,
		PhoneRegion:       "FR",
	}
}

// Verifier checks a password against a stored hash. [*Hasher] implements it.
type Verifier interface {
	// Verify reports whether password matches the encoded hash.
	Verify(ctx context.Context, password, encoded string) (bool, error)
}

// maxCheckedBytes bounds the input of the content rules (phone, profile,
// too_common, too_simple): a longer candidate is far over the default
// maximum length and is only checked for length and character classes.
const maxCheckedBytes = 1024

// Validate checks candidate against every rule of the policy except reused
// and returns nil or a [*PolicyError] listing every violation. It returns
// another error only when the BreachChecker fails (an *onboardkit.Error with
// code unavailable wrapping the cause, and only if no rule is violated) or
// ctx ends during the breach check.
//
// With the default policy and an E.164 profile phone it does not allocate
// for an accepted password (about 1 µs). A phone in another format is
// parsed with phonenumbers, which costs some tens of µs. A candidate over
// MaxLength is not sent to the BreachChecker nor compared with the history;
// one over 1024 bytes is only checked for length and character classes.
func (p *Policy) Validate(ctx context.Context, candidate string, prof Profile) error {
	return p.validate(ctx, candidate, &prof, nil, nil)
}

// ValidateWithHistory is Validate plus the reused rule: candidate must not
// match any of the first HistorySize hashes of history (newest first, as
// storage.Credentials.PasswordHistory returns them), checked with v. All
// violations, reused included, are reported together. Stored hashes that v
// cannot parse are skipped; an error of ctx is returned as is.
func (p *Policy) ValidateWithHistory(ctx context.Context, candidate string, prof Profile, history []string, v Verifier) error {
	if v == nil && p.HistorySize > 0 && len(history) > 0 {
		return errors.New("password: ValidateWithHistory needs a Verifier")
	}
	return p.validate(ctx, candidate, &prof, history, v)
}

// Violation flags, in report order.
const (
	vTooShort uint16 = 1 << iota
	vTooLong
	vMissingDigit
	vMissingLetter
	vEqualsPhone
	vContainsProfileInfo
	vReused
	vTooCommon
	vTooSimple
	vBreached
)

func (p *Policy) validate(ctx context.Context, candidate string, prof *Profile, history []string, v Verifier) error {
	var bad uint16

	n, hasDigit, hasLetter := 0, false, false
	for _, r := range candidate {
		n++
		if r < utf8.RuneSelf {
			c := byte(r)
			hasDigit = hasDigit || '0' <= c && c <= '9'
			hasLetter = hasLetter || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
			continue
		}
		hasDigit = hasDigit || unicode.IsDigit(r)
		hasLetter = hasLetter || unicode.IsLetter(r)
	}
	if p.MinLength > 0 && n < p.MinLength {
		bad |= vTooShort
	}
	if p.MaxLength > 0 && n > p.MaxLength {
		bad |= vTooLong
	}
	if p.RequireDigit && !hasDigit {
		bad |= vMissingDigit
	}
	if p.RequireLetter && !hasLetter {
		bad |= vMissingLetter
	}

	if n > 0 && len(candidate) <= maxCheckedBytes {
		bad |= p.checkContent(candidate, prof)
	}

	var failure error
	if bad&vTooLong == 0 && n > 0 {
		if p.HistorySize > 0 && len(history) > 0 {
			reused, err := p.checkHistory(ctx, candidate, history, v)
			if err != nil {
				return err
			}
			if reused {
				bad |= vReused
			}
		}
		if p.BreachChecker != nil {
			breached, err := p.BreachChecker.Breached(ctx, candidate)
			switch {
			case err != nil && ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				failure = err
			case breached:
				bad |= vBreached
			}
		}
	}
	if bad == 0 {
		if failure != nil {
			return &onboardkit.Error{
				Code:    onboardkit.CodeUnavailable,
				Message: "The password could not be checked; try again.",
				Err:     failure,
			}
		}
		return nil
	}
	return p.policyError(bad)
}

// checkContent runs the rules that look at the content of the candidate.
// It works on stack buffers and does not allocate for ordinary input.
func (p *Policy) checkContent(candidate string, prof *Profile) uint16 {
	var bad uint16
	var fbuf [512]byte
	f := foldAppend(fbuf[:0], candidate)

	if p.RejectPhone || p.RejectProfileInfo {
		var pd phoneDigits
		region := p.PhoneRegion
		if region == "" {
			region = "FR"
		}
		if prof.Phone != "" {
			pd.parse(prof.Phone, region)
		}
		equal := false
		if p.RejectPhone && pd.equalsPhone(candidate) {
			bad |= vEqualsPhone
			equal = true
		}
		if p.RejectProfileInfo && p.containsProfileInfo(f, prof, &pd, equal) {
			bad |= vContainsProfileInfo
		}
	}
	if p.RejectCommon {
		bl := p.Blocklist
		if bl == nil {
			bl = defaultBlocklist
		}
		if bl.containsFolded(f) {
			bad |= vTooCommon
		}
	}
	if p.RejectSimple && isTooSimple(f) {
		bad |= vTooSimple
	}
	return bad
}

func (p *Policy) containsProfileInfo(f []byte, prof *Profile, pd *phoneDigits, phoneEqual bool) bool {
	minLen := p.MinTokenLength
	if minLen <= 0 {
		minLen = 3
	}
	if anyTokenIn(f, prof.FirstName, false, minLen) ||
		anyTokenIn(f, prof.MiddleName, false, minLen) ||
		anyTokenIn(f, prof.LastName, false, minLen) ||
		anyTokenIn(f, emailLocal(prof.Email), false, minLen) {
		return true
	}
	for _, w := range prof.Extra {
		if anyTokenIn(f, w, true, minLen) {
			return true
		}
	}
	// Digits of the candidate, in order, for the phone and the date.
	var dbuf [256]byte
	d := dbuf[:0]
	for _, c := range f {
		if '0' <= c && c <= '9' && len(d) < len(dbuf) {
			d = append(d, c)
		}
	}
	if !phoneEqual && pd.n > 0 {
		if nsn := pd.nsnBytes(); len(nsn) >= 6 && containsDigits(d, nsn) {
			return true
		}
	}
	if !prof.BirthDate.IsZero() && containsBirthDate(f, d, prof.BirthDate) {
		return true
	}
	return false
}

func containsDigits(d, sub []byte) bool {
	for i := 0; i+len(sub) <= len(d); i++ {
		if string(d[i:i+len(sub)]) == string(sub) {
			return true
		}
	}
	return false
}

func (p *Policy) checkHistory(ctx context.Context, candidate string, history []string, v Verifier) (bool, error) {
	if len(history) > p.HistorySize {
		history = history[:p.HistorySize]
	}
	for _, h := range history {
		ok, err := v.Verify(ctx, candidate, h)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return false, ctxErr
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return false, err
			}
			continue // an unreadable stored hash cannot block a change
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

func (p *Policy) policyError(bad uint16) *PolicyError {
	vs := make([]Violation, 0, 4)
	add := func(flag uint16, code onboardkit.FieldCode, msg string) {
		if bad&flag != 0 {
			vs = append(vs, Violation{Code: code, Message: msg})
		}
	}
	add(vTooShort, onboardkit.FieldTooShort, "The password must be at least "+strconv.Itoa(p.MinLength)+" characters long.")
	add(vTooLong, onboardkit.FieldTooLong, "The password must be at most "+strconv.Itoa(p.MaxLength)+" characters long.")
	add(vMissingDigit, onboardkit.FieldMissingDigit, "The password must contain at least one digit.")
	add(vMissingLetter, onboardkit.FieldMissingLetter, "The password must contain at least one letter.")
	add(vEqualsPhone, onboardkit.FieldEqualsPhone, "The password must not be your phone number.")
	add(vContainsProfileInfo, onboardkit.FieldContainsProfileInfo, "The password must not contain your name, email, phone number or birth date.")
	add(vReused, onboardkit.FieldReused, "The password must differ from your last "+strconv.Itoa(p.HistorySize)+" passwords.")
	add(vTooCommon, onboardkit.FieldTooCommon, "The password is too common.")
	add(vTooSimple, onboardkit.FieldTooSimple, "The password is too simple: avoid keyboard rows, sequences and repetitions.")
	add(vBreached, onboardkit.FieldBreached, "The password has appeared in a data breach; choose another one.")
	return &PolicyError{Violations: vs}
}
