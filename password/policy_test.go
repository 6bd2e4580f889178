package password_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/password"
)

// desiree is the profile most cases are checked against.
var desiree = password.Profile{
	Phone:     "+33614125910",
	Email:     "desiree.martin@example.com",
	FirstName: "Désirée",
	LastName:  "Martin",
	BirthDate: time.Date(1990, 5, 21, 0, 0, 0, 0, time.UTC),
}

// unrelated is a profile sharing nothing with the accepted passwords.
var unrelated = password.Profile{
	Phone:     "+4915112345678",
	Email:     "k.schmidt@example.org",
	FirstName: "Klaus",
	LastName:  "Schmidt",
	BirthDate: time.Date(1975, 11, 3, 0, 0, 0, 0, time.UTC),
}

// mixed returns n runes drawn deterministically from alphabet, with no
// keyboard, sequence or period structure.
func mixed(n int, alphabet string) string {
	rs := []rune(alphabet)
	var b strings.Builder
	x := uint32(2463534242)
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteRune(rs[int(x%uint32(len(rs)))])
	}
	return b.String()
}

func codes(err error) []string {
	var pe *password.PolicyError
	if errors.As(err, &pe) {
		var out []string
		for _, c := range pe.Codes() {
			out = append(out, string(c))
		}
		return out
	}
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	return nil
}

func TestValidateSeedRules(t *testing.T) {
	ascii := "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789#%&*-_"
	uni := "àéîõüçñøæЖёлтыйκαλημέρα0123456789"
	long128 := mixed(127, ascii) + "7"
	uni128 := mixed(127, uni) + "7"
	tests := []struct {
		name      string
		candidate string
		profile   password.Profile
		want      []string // exact codes; nil means accepted
	}{
		// Acceptance literals of the issue.
		{"seq digits", "12345678", desiree, []string{"missing_letter", "too_common", "too_simple"}},
		{"common + digit", "password1", desiree, []string{"too_common"}},
		{"leet common", "Passw0rd!", desiree, []string{"too_common"}},
		{"azerty + digits", "azerty123", desiree, []string{"too_common", "too_simple"}},
		{"qwerty row", "qwertyuiop", desiree, []string{"missing_digit", "too_common", "too_simple"}},
		{"passphrase", "correct-horse-7-battery", unrelated, nil},
		{"passphrase, desiree", "correct-horse-7-battery", desiree, nil},
		{"first name + year", "Desiree1990x", desiree, []string{"contains_profile_info"}},
		{"phone E.164", "+33614125910", desiree, []string{"missing_letter", "equals_phone"}},
		{"phone national", "0614125910", desiree, []string{"missing_letter", "equals_phone"}},

		// Length, in runes.
		{"empty", "", desiree, []string{"too_short", "missing_digit", "missing_letter"}},
		{"7 chars", "Kx9#mQ2", desiree, []string{"too_short"}},
		{"8 chars", "Kx9#mQ2p", desiree, nil},
		{"128 ascii", long128, desiree, nil},
		{"129 ascii", long128 + "x", desiree, []string{"too_long"}},
		{"128 runes, more bytes", uni128, desiree, nil},
		{"129 runes", uni128 + "é", desiree, []string{"too_long"}},
		{"8 runes of 2 bytes", "éàüçñøæ7", unrelated, nil},
		{"7 runes, 13 bytes", "éàüçñø7", unrelated, []string{"too_short"}},

		// Character classes, Unicode included.
		{"no digit", "Kx#mQzpLrv", desiree, []string{"missing_digit"}},
		{"no letter", "9#4!2%7&1", desiree, []string{"missing_letter"}},
		{"cyrillic letters", "Жёлтый-кот-42", desiree, nil},
		{"arabic-indic digit", "Zebra-Ocean-٣", desiree, nil},
		{"greek only, no digit", "καλημέρα-κόσμε", desiree, []string{"missing_digit"}},

		// Phone, several formats.
		{"phone 00 prefix", "0033614125910", desiree, []string{"missing_letter", "equals_phone"}},
		{"phone without +", "33614125910", desiree, []string{"missing_letter", "equals_phone"}},
		{"phone spaced", "06 14 12 59 10", desiree, []string{"missing_letter", "equals_phone"}},
		{"phone dotted", "06.14.12.59.10", desiree, []string{"missing_letter", "equals_phone"}},
		{"phone international spaced", "+33 6 14 12 59 10", desiree, []string{"missing_letter", "equals_phone"}},
		{"phone national significant", "614125910", desiree, []string{"missing_letter", "equals_phone"}},
		{"other phone", "0614125911", desiree, []string{"missing_letter"}},
		{"phone digits inside", "Call614125910me", desiree, []string{"contains_profile_info"}},

		// Profile information.
		{"last name", "Martin-Blue-77", desiree, []string{"contains_profile_info"}},
		{"accented name in caps", "xx-DÉSIRÉE-42", desiree, []string{"contains_profile_info"}},
		{"name leet", "M4rt1n-Blue-77", desiree, []string{"contains_profile_info"}},
		{"name leet 2", "D3s1r33-x9!", desiree, []string{"contains_profile_info"}},
		{"year", "Blue-1990-Ocean", desiree, []string{"contains_profile_info"}},
		{"YYYYMMDD", "Ocean19900521x", desiree, []string{"contains_profile_info"}},
		{"DDMMYYYY", "Ocean21051990x", desiree, []string{"contains_profile_info"}},
		{"DDMMYY", "Ocean-210590-x", desiree, []string{"contains_profile_info"}},
		{"MMDDYY", "Ocean-052190-x", desiree, []string{"contains_profile_info"}},
		{"YYMMDD", "Ocean-900521-x", desiree, []string{"contains_profile_info"}},
		{"date with separators", "Ocean21.05.90x", desiree, []string{"contains_profile_info"}},
		{"other date", "Ocean-220691-x", desiree, nil},
		{"email local part", "Bluekschmidt7", unrelated, []string{"contains_profile_info"}},
		{"unrelated names", "Blue-Ocean-77", unrelated, nil},
		{"extra word", "Acmecorp-Blue-7", password.Profile{Extra: []string{"AcmeCorp"}}, []string{"contains_profile_info"}},
		{"short name token ignored", "Al-Blue-Ocean7", password.Profile{FirstName: "Al"}, nil},
		{"compound name", "Pierre-Blue-77", password.Profile{FirstName: "Jean-Pierre"}, []string{"contains_profile_info"}},

		// Too common: folding, substitutions, stripped runs.
		{"common with year", "Password2024!", desiree, []string{"too_common"}},
		{"common leet dollar", "pa$$w0rd99", desiree, []string{"too_common"}},
		{"common with leading digits", "12monkey34", desiree, []string{"too_common"}},
		{"common ! as i", "!l0v3y0u", desiree, []string{"too_common"}},
		{"common 1 as l", "1ov3ly99", desiree, []string{"too_common"}},
		{"common upper", "SUNSHINE1", desiree, []string{"too_common"}},

		// Too simple: rows, sequences, repetitions.
		{"azerty row", "azertyuiop7", desiree, []string{"too_common", "too_simple"}},
		{"qwertz row", "qwertzuiop9", desiree, []string{"too_common", "too_simple"}},
		{"azerty second row", "qsdfghjklm4", desiree, []string{"too_common", "too_simple"}},
		{"qwertz third row", "yxcvbnm,.7", desiree, []string{"too_common", "too_simple"}},
		{"keyboard rows only", "Hjkl;7890", desiree, []string{"too_common", "too_simple"}},
		{"two rows", "Ghjkl;765432", desiree, []string{"too_simple"}},
		{"descending digits", "87654321", desiree, []string{"missing_letter", "too_common", "too_simple"}},
		{"alphabet", "abcdefgh1", desiree, []string{"too_common", "too_simple"}},
		{"descending alphabet", "zyxwvuts9", desiree, []string{"too_simple"}},
		{"repeated char", "aaaaaaaa1", desiree, []string{"too_common", "too_simple"}},
		{"repeated pattern", "ab1ab1ab1", desiree, []string{"too_simple"}},
		{"repeated pattern 2", "x7#Qx7#Qx7#Q", desiree, []string{"too_simple"}},
	}
	p := password.DefaultPolicy()
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Validate(ctx, tt.candidate, tt.profile)
			got := codes(err)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Validate(%q) = %v, want %v", tt.candidate, got, tt.want)
			}
		})
	}
}

func TestAcceptanceLiterals(t *testing.T) {
	p := password.DefaultPolicy()
	ctx := context.Background()
	for _, c := range []string{"12345678", "password1", "Passw0rd!", "azerty123", "qwertyuiop"} {
		if err := p.Validate(ctx, c, unrelated); !errors.Is(err, onboardkit.ErrPasswordPolicy) {
			t.Errorf("%q accepted, want rejected", c)
		}
	}
	if err := p.Validate(ctx, "correct-horse-7-battery", unrelated); err != nil {
		t.Errorf("correct-horse-7-battery rejected: %v", err)
	}
	if err := p.Validate(ctx, "Desiree1990x", password.Profile{FirstName: "Desiree"}); !hasCode(err, onboardkit.FieldContainsProfileInfo) {
		t.Errorf("Desiree1990x for Desiree: %v", err)
	}
	for _, c := range []string{"+33614125910", "0614125910"} {
		if err := p.Validate(ctx, c, password.Profile{Phone: "+33614125910"}); !hasCode(err, onboardkit.FieldEqualsPhone) {
			t.Errorf("%q for +33614125910: %v", c, err)
		}
	}
}

func hasCode(err error, code onboardkit.FieldCode) bool {
	var pe *password.PolicyError
	return errors.As(err, &pe) && pe.Has(code)
}

func TestPhoneFormatsInProfile(t *testing.T) {
	tests := []struct {
		phone, region string
		equal         []string
	}{
		{"+33614125910", "", []string{"+33614125910", "0614125910", "0033614125910"}},
		{"+33 6 14 12 59 10", "", []string{"0614125910", "+33614125910"}},
		{"06 14 12 59 10", "FR", []string{"0614125910", "+33614125910"}},
		{"0033614125910", "FR", []string{"0614125910", "33614125910"}},
		{"+1 415-555-2671", "", []string{"4155552671", "14155552671", "+1 (415) 555-2671"}},
		{"(415) 555-2671", "US", []string{"4155552671", "+14155552671"}},
		{"+447911123456", "", []string{"07911123456", "447911123456", "+44 7911 123456"}},
		{"+390612345678", "", []string{"0612345678", "390612345678"}},
	}
	ctx := context.Background()
	for _, tt := range tests {
		p := password.DefaultPolicy()
		p.PhoneRegion = tt.region
		for _, c := range tt.equal {
			if err := p.Validate(ctx, c, password.Profile{Phone: tt.phone}); !hasCode(err, onboardkit.FieldEqualsPhone) {
				t.Errorf("phone %q, candidate %q: %v, want equals_phone", tt.phone, c, codes(err))
			}
		}
		// A letter-bearing password that embeds the national form.
		if err := p.Validate(ctx, "Zq-"+tt.equal[0]+"-Xw", password.Profile{Phone: tt.phone}); !hasCode(err, onboardkit.FieldContainsProfileInfo) {
			t.Errorf("phone %q in password: %v, want contains_profile_info", tt.phone, codes(err))
		}
	}
}

func TestPolicyRulesCanBeSwitchedOff(t *testing.T) {
	ctx := context.Background()
	var off password.Policy // every rule off
	for _, c := range []string{"", "1", "12345678", "password", "+33614125910", "Desiree1990", strings.Repeat("x", 500)} {
		if err := off.Validate(ctx, c, desiree); err != nil {
			t.Errorf("zero Policy rejected %q: %v", c, err)
		}
	}
	p := password.DefaultPolicy()
	p.MinLength = 12
	p.MaxLength = 16
	if got := codes(p.Validate(ctx, "Kx9#mQ2pLr", desiree)); !slices.Equal(got, []string{"too_short"}) {
		t.Errorf("MinLength 12: %v", got)
	}
	if got := codes(p.Validate(ctx, "Kx9#mQ2pLrVb7Tz3W", desiree)); !slices.Equal(got, []string{"too_long"}) {
		t.Errorf("MaxLength 16: %v", got)
	}
	p = password.DefaultPolicy()
	p.RejectCommon, p.RejectSimple, p.RequireLetter = false, false, false
	if err := p.Validate(ctx, "12345678", desiree); err != nil {
		t.Errorf("common/simple/letter off: %v", err)
	}
	p = password.DefaultPolicy()
	p.RejectProfileInfo, p.RejectPhone = false, false
	if err := p.Validate(ctx, "Desiree1990x", desiree); err != nil {
		t.Errorf("profile off: %v", err)
	}
	p = password.DefaultPolicy()
	p.MinTokenLength = 8
	if err := p.Validate(ctx, "Martin-Blue-77", password.Profile{LastName: "Martin"}); err != nil {
		t.Errorf("MinTokenLength 8: %v", err)
	}
}

func TestPolicyCustomBlocklist(t *testing.T) {
	ctx := context.Background()
	p := password.DefaultPolicy()
	p.Blocklist = password.NewBlocklist([]string{"onboardkit"})
	if !hasCode(p.Validate(ctx, "OnboardKit2024!", desiree), onboardkit.FieldTooCommon) {
		t.Error("replaced list: onboardkit not rejected")
	}
	if err := p.Validate(ctx, "password1", desiree); err != nil {
		t.Errorf("replaced list still has the default words: %v", err)
	}
	p.Blocklist = password.DefaultBlocklist().Extend("onboardkit")
	for _, c := range []string{"0nb0ardk1t!", "password1"} {
		if !hasCode(p.Validate(ctx, c, desiree), onboardkit.FieldTooCommon) {
			t.Errorf("extended list: %q not rejected", c)
		}
	}
}

func TestPolicyErrorIntegration(t *testing.T) {
	err := password.DefaultPolicy().Validate(context.Background(), "Désirée", desiree)
	if !errors.Is(err, onboardkit.ErrPasswordPolicy) {
		t.Fatalf("errors.Is(ErrPasswordPolicy) does not hold for %v", err)
	}
	if errors.Is(err, onboardkit.ErrValidation) {
		t.Error("policy error matches ErrValidation")
	}
	var oe *onboardkit.Error
	if !errors.As(err, &oe) {
		t.Fatal("errors.As(*onboardkit.Error) failed")
	}
	if oe.Code != onboardkit.CodePasswordPolicy {
		t.Errorf("code %q", oe.Code)
	}
	want := []onboardkit.FieldCode{"too_short", "missing_digit", "contains_profile_info", "too_common"}
	if len(oe.Fields) != len(want) {
		t.Fatalf("fields %+v, want codes %v", oe.Fields, want)
	}
	for i, f := range oe.Fields {
		if f.Field != "password" || f.Code != want[i] || f.Message == "" {
			t.Errorf("field %d = %+v", i, f)
		}
	}
	if onboardkit.ErrorCode(err) != onboardkit.CodePasswordPolicy {
		t.Errorf("ErrorCode = %q", onboardkit.ErrorCode(err))
	}
	if msg := err.Error(); strings.Contains(strings.ToLower(msg), "desiree") {
		t.Errorf("error message leaks the password: %q", msg)
	}
	var pe *password.PolicyError
	errors.As(err, &pe)
	for _, v := range pe.Violations {
		if !strings.HasPrefix(v.Message, "The password") || !strings.HasSuffix(v.Message, ".") {
			t.Errorf("message %q", v.Message)
		}
	}
}

// fakeVerifier matches "hash:"+password and counts calls.
type fakeVerifier struct{ calls int }

func (f *fakeVerifier) Verify(_ context.Context, pw, encoded string) (bool, error) {
	f.calls++
	if !strings.HasPrefix(encoded, "hash:") {
		return false, password.ErrInvalidHash
	}
	return encoded == "hash:"+pw, nil
}

func TestValidateWithHistory(t *testing.T) {
	ctx := context.Background()
	p := password.DefaultPolicy()
	history := []string{"hash:Newest-pass-1", "garbage", "hash:Blue-Ocean-77", "hash:h4", "hash:h5", "hash:Sixth-oldest-6"}

	v := &fakeVerifier{}
	if got := codes(p.ValidateWithHistory(ctx, "Blue-Ocean-77", unrelated, history, v)); !slices.Equal(got, []string{"reused"}) {
		t.Errorf("reused: %v", got)
	}
	v = &fakeVerifier{}
	if err := p.ValidateWithHistory(ctx, "Sixth-oldest-6", unrelated, history, v); err != nil {
		t.Errorf("password older than the history size rejected: %v", err)
	}
	if v.calls != 5 {
		t.Errorf("verifier called %d times, want 5", v.calls)
	}
	// All violations together.
	history = append(history, "hash:klaus")
	got := codes(p.ValidateWithHistory(ctx, "Newest-pass-1", password.Profile{FirstName: "Newest"}, history, &fakeVerifier{}))
	if !slices.Equal(got, []string{"contains_profile_info", "reused"}) {
		t.Errorf("combined: %v", got)
	}
	// History off.
	p.HistorySize = 0
	if err := p.ValidateWithHistory(ctx, "Blue-Ocean-77", unrelated, history, nil); err != nil {
		t.Errorf("history off: %v", err)
	}
	p.HistorySize = 5
	if err := p.ValidateWithHistory(ctx, "Blue-Ocean-77", unrelated, history, nil); err == nil || errors.Is(err, onboardkit.ErrPasswordPolicy) {
		t.Errorf("nil verifier: %v", err)
	}
}

func TestValidateWithHistoryRealHasher(t *testing.T) {
	ctx := context.Background()
	h, err := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
	if err != nil {
		t.Fatal(err)
	}
	var history []string
	for _, pw := range []string{"Blue-Ocean-77", "Red-River-88"} {
		enc, err := h.Hash(ctx, pw)
		if err != nil {
			t.Fatal(err)
		}
		history = append([]string{enc}, history...)
	}
	p := password.DefaultPolicy()
	if !hasCode(p.ValidateWithHistory(ctx, "Blue-Ocean-77", unrelated, history, h), onboardkit.FieldReused) {
		t.Error("reused password accepted")
	}
	if err := p.ValidateWithHistory(ctx, "Green-Field-99", unrelated, history, h); err != nil {
		t.Errorf("new password rejected: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.ValidateWithHistory(cctx, "Green-Field-99", unrelated, history, h); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
}

type fakeBreach struct {
	breached bool
	err      error
}

func (f fakeBreach) Breached(context.Context, string) (bool, error) { return f.breached, f.err }

func TestBreachChecker(t *testing.T) {
	ctx := context.Background()
	p := password.DefaultPolicy()
	p.BreachChecker = fakeBreach{breached: true}
	if got := codes(p.Validate(ctx, "Blue-Ocean-77", unrelated)); !slices.Equal(got, []string{"breached"}) {
		t.Errorf("breached: %v", got)
	}
	p.BreachChecker = fakeBreach{}
	if err := p.Validate(ctx, "Blue-Ocean-77", unrelated); err != nil {
		t.Errorf("not breached: %v", err)
	}
	p.BreachChecker = fakeBreach{err: errors.New("down")}
	err := p.Validate(ctx, "Blue-Ocean-77", unrelated)
	if !errors.Is(err, onboardkit.ErrUnavailable) || errors.Is(err, onboardkit.ErrPasswordPolicy) {
		t.Errorf("failing checker: %v", err)
	}
	// Other violations win over a failing checker.
	if got := codes(p.Validate(ctx, "Blue-Ocean", unrelated)); !slices.Equal(got, []string{"missing_digit"}) {
		t.Errorf("failing checker + violation: %v", got)
	}
	// Not consulted for a password over the maximum length.
	p.BreachChecker = fakeBreach{breached: true}
	if got := codes(p.Validate(ctx, mixed(129, "abcdefgh23456789"), unrelated)); slices.Contains(got, "breached") {
		t.Errorf("too long password was checked: %v", got)
	}
}

func TestValidateHugeInput(t *testing.T) {
	huge := strings.Repeat("a1", 1<<20)
	got := codes(password.DefaultPolicy().Validate(context.Background(), huge, desiree))
	if !slices.Equal(got, []string{"too_long"}) {
		t.Errorf("huge: %v", got)
	}
	if utf8.RuneCountInString(huge) != 2<<20 {
		t.Fatal("bad fixture")
	}
}
