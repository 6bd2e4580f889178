package storagetest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
)

// The clear values the fixtures seal. A store must return their sealed
// forms byte for byte; an adapter's own tests may look for these bytes in
// what it holds (they must not be there).
var (
	clearProfile = []byte(`{"first_name":"Annabel","middle_name":"Bee","last_name":"Examplestone",` +
		`"birth_date":"1990-04-01","nationality":"FRA","address":{"street_line1":"1 rue de la Paix",` +
		`"city":"Paris","postal_code":"75002","country":"FRA"},"ssn":"078-05-1120"}`)
	clearProfileChanged = []byte(`{"first_name":"Annabel","last_name":"Changedstone","birth_date":"1990-04-01"}`)
	clearCompliance     = []byte(`{"terms_accepted_at":"2030-01-02T03:04:06Z","terms_version":"v1",` +
		`"politically_exposed":true,"employment_status":"employed","source_of_funds":"salary"}`)
	clearSSN         = []byte("078-05-1120")
	clearDocNumber   = []byte("12AB34567")
	clearJPEG        = []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}
	clearPNG         = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0x00, 0x00, 0x00, 0x0d}
	clearDescription = []byte("front page of the passport, taken at home")
	clearTOTPSecret  = []byte("JBSWY3DPEHPK3PXP")
	clearMetadata    = []byte(`{"crm_id":"C-1029","segment":"premium"}`)
	clearAcctEmail   = []byte("annabel.examplestone@example.org")
	clearAcctInfo    = []byte(`{"desk":"Paris","relationship_manager":"Bee"}`)
)

// The fields the fixtures seal values as (the additional authenticated
// data binds a value to its user and field). Document and account fields
// also name the record (recordField).
const (
	fieldProfile        = "profile"
	fieldCompliance     = "compliance"
	fieldSSN            = "kyc.ssn"
	fieldDocNumber      = "kyc.document.number"
	fieldDocContent     = "kyc.document.content"
	fieldDocDescription = "kyc.document.description"
	fieldTOTPSecret     = "totp.secret"
	fieldMetadata       = "metadata"
	fieldAcctEmail      = "account.email"
	fieldAcctInfo       = "account.info"
)

// recordField is the field of a value of a record other than the user (a
// document, an account): the kind and the record's id.
func recordField(kind, recordID string) string { return kind + "/" + recordID }

// ring is the run's keyring: one key-encryption key drawn at first use.
var ring = sync.OnceValues(func() (*seal.LocalKeyring, error) {
	k, _, err := seal.GenerateKey("storagetest-"+runID, nil)
	if err != nil {
		return nil, err
	}
	return seal.NewLocalKeyring(k)
})

// newSealer returns a Sealer on the run's keyring whose clock stands at
// base (the data keys it creates are dated base).
func newSealer() (*seal.Sealer, error) {
	r, err := ring()
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	clock := onboardkit.ClockFunc(func() time.Time { return base })
	return seal.New(r, seal.Config{}, onboardkit.Runtime{Clock: clock}), nil
}

// seal seals plaintext as the user's field with the fixture's Sealer, which
// creates the user's data key in the store under test on the user's first
// value. Benchmarks have no Sealer: their records carry a stand-in of a
// sealed value's size, so that they measure the store alone.
func (f *fixture) seal(userID, field string, plaintext []byte) storage.Sealed {
	if f.sealer == nil {
		sum := sha256.Sum256([]byte(userID + "\x00" + field))
		data := bytes.Repeat(sum[:], (len(plaintext)+29)/len(sum)+1)[:len(plaintext)+29]
		return storage.Sealed{KeyRef: "dek/bench", Data: data}
	}
	v, err := f.sealer.Seal(f.ctx, f.s, userID, field, plaintext)
	if err != nil {
		f.Helper()
		f.Fatalf("sealing the %s of user %s: %v", field, userID, err)
	}
	return v
}

// opens checks that v opens, as the user's field, to want (a zero value
// opens to nothing).
func (f *fixture) opens(userID, field string, v storage.Sealed, want []byte, what string) {
	f.Helper()
	got, err := f.sealer.Open(f.ctx, f.s, userID, field, v)
	f.ok(err, what+": the sealed value does not open")
	f.check(bytes.Equal(got, want), "%s: the sealed value opens to %q, want %q", what, got, want)
}

// userOpens checks that the sealed values of u, as read back, open to
// profile and the fixtures' compliance answers and metadata (nothing when
// zero).
func (f *fixture) userOpens(u *storage.User, profile []byte) {
	f.Helper()
	f.opens(u.ID, fieldProfile, u.Profile, profile, "profile")
	f.opens(u.ID, fieldCompliance, u.Compliance, unlessZero(u.Compliance, clearCompliance), "compliance")
	f.opens(u.ID, fieldMetadata, u.Metadata, unlessZero(u.Metadata, clearMetadata), "metadata")
}

// accountOpens checks that the sealed values of an account of newAccount,
// as read back, open to the fixtures' email and information (nothing when
// zero).
func (f *fixture) accountOpens(a *storage.Account) {
	f.Helper()
	f.opens(a.UserID, recordField(fieldAcctEmail, a.ID), a.Email, unlessZero(a.Email, clearAcctEmail), "account email")
	f.opens(a.UserID, recordField(fieldAcctInfo, a.ID), a.Info, unlessZero(a.Info, clearAcctInfo), "account information")
}

// unlessZero returns plaintext, or nil when v holds nothing.
func unlessZero(v storage.Sealed, plaintext []byte) []byte {
	if v.IsZero() {
		return nil
	}
	return plaintext
}

// clearDocuments are the clear values of the fixtures' documents, by type.
var clearDocuments = map[string]struct{ number, content, description []byte }{
	"passport": {clearDocNumber, clearJPEG, clearDescription},
	"selfie":   {nil, clearPNG, nil},
}

// kycOpens checks that the sealed values of a submission of newSubmission,
// as read back, open to the fixtures' clear values.
func (f *fixture) kycOpens(s *storage.KYCSubmission) {
	f.Helper()
	f.opens(s.UserID, fieldSSN, s.SSN, clearSSN, "SSN")
	for _, d := range s.Documents {
		want, ok := clearDocuments[d.Type]
		f.check(ok, "document %s of unexpected type %q", d.ID, d.Type)
		f.opens(s.UserID, recordField(fieldDocNumber, d.ID), d.Number, want.number, d.Type+" number")
		f.opens(s.UserID, recordField(fieldDocContent, d.ID), d.Content, want.content, d.Type+" content")
		f.opens(s.UserID, recordField(fieldDocDescription, d.ID), d.Description, want.description, d.Type+" description")
	}
}

// unitOpens checks that every sealed value of u, read back from the store,
// opens.
func (f *fixture) unitOpens(u *unit) {
	f.Helper()
	f.userOpens(f.getUser(u.user.ID), clearProfile)
	f.opens(u.user.ID, fieldTOTPSecret, f.getTOTP(u.user.ID).Secret, clearTOTPSecret, "TOTP secret")
	f.kycOpens(f.latestKYC(u.user.ID))
	f.accountOpens(f.getAccount(u.account.ID))
}
