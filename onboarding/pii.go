// This file owns what is sealed before it reaches the store, and how: the
// profile (names, birth date, nationality, address, time zone, SSN, picture
// URL) and the compliance declarations as one sealed value each, the SSN of
// a KYC submission, each document's number, content and description, TOTP
// secrets, the user's metadata, and each account's email and additional
// information. Every value is sealed with the user's data key (package
// seal), bound to the user and the field. Phone and email stay clear: they
// are the login identifiers, looked up by value.

package onboarding

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
)

// Field names of sealed values (bound into each value's authenticated data).
const (
	fieldProfile    = "profile"
	fieldCompliance = "compliance"
	fieldTOTPSecret = "totp/secret"
	fieldMetadata   = "metadata"
)

func fieldAccount(accountID, part string) string { return "account/" + accountID + "/" + part }

func fieldSubmissionSSN(submissionID string) string { return "kyc/" + submissionID + "/ssn" }

func fieldDocument(documentID, part string) string { return "document/" + documentID + "/" + part }

// PersonalDetails is a user's profile as the Service seals it (one value)
// and as ExportUser returns it.
type PersonalDetails struct {
	FirstName         string      `json:"firstName"`
	MiddleName        string      `json:"middleName,omitempty"`
	LastName          string      `json:"lastName"`
	BirthDate         string      `json:"birthDate"`
	Nationality       string      `json:"nationality"`
	Address           kyc.Address `json:"residentialAddress"`
	TimeZone          string      `json:"timeZone,omitempty"`
	SSN               string      `json:"socialSecurityNumber,omitempty"`
	ProfilePictureURL string      `json:"profilePictureUrl,omitempty"`
}

// Declarations are a user's compliance declarations as the Service seals
// them (one value) and as ExportUser returns them.
type Declarations struct {
	TermsAcceptedAt            time.Time `json:"termsAcceptedAt"`
	TermsVersion               string    `json:"termsVersion,omitempty"`
	PoliticallyExposed         bool      `json:"politicallyExposed"`
	EmploymentStatus           string    `json:"employmentStatus,omitempty"`
	SourceOfFunds              string    `json:"sourceOfFunds,omitempty"`
	ExpectedMonthlyPaymentsUSD string    `json:"expectedMonthlyPaymentsUsd,omitempty"`
	MostRecentOccupation       string    `json:"mostRecentOccupation,omitempty"`
	SubmittedAt                time.Time `json:"submittedAt"`
}

// pii seals and opens the personal values of users.
type pii struct {
	sealer *seal.Sealer
}

// writer returns a seal.Writer for the user's data key through st (a unit
// of work's store): one read of the key for every value the unit seals.
func (p *pii) writer(ctx context.Context, st storage.DataKeys, userID string) (*seal.Writer, error) {
	return p.sealer.Writer(ctx, st, userID)
}

// sealJSON seals v, the only value a step seals, as the field of the user
// through st.
func (p *pii) sealJSON(ctx context.Context, st storage.DataKeys, userID, field string, v any) (storage.Sealed, error) {
	w, err := p.writer(ctx, st, userID)
	if err != nil {
		return storage.Sealed{}, err
	}
	return sealValue(w, field, v)
}

// sealValue seals v as JSON as the field of w's user.
func sealValue(w *seal.Writer, field string, v any) (storage.Sealed, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return storage.Sealed{}, err
	}
	return w.Seal(field, b)
}

// openJSON opens the field of the user into v; it reports false for a zero
// value (nothing sealed).
func (p *pii) openJSON(ctx context.Context, st storage.DataKeys, userID, field string, sealed storage.Sealed, v any) (bool, error) {
	b, err := p.sealer.Open(ctx, st, userID, field, sealed)
	if err != nil || b == nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("onboarding: sealed %s of user %s: %w", field, userID, err)
	}
	return true, nil
}

// profile opens the user's profile (nil when none).
func (p *pii) profile(ctx context.Context, st storage.DataKeys, u *storage.User) (*PersonalDetails, error) {
	var d PersonalDetails
	ok, err := p.openJSON(ctx, st, u.ID, fieldProfile, u.Profile, &d)
	if !ok {
		return nil, err
	}
	return &d, nil
}

// metadata opens the user's metadata (nil when none).
func (p *pii) metadata(ctx context.Context, st storage.DataKeys, u *storage.User) (map[string]string, error) {
	var m map[string]string
	_, err := p.openJSON(ctx, st, u.ID, fieldMetadata, u.Metadata, &m)
	return m, err
}

// compliance opens the user's declarations (nil when none).
func (p *pii) compliance(ctx context.Context, st storage.DataKeys, u *storage.User) (*Declarations, error) {
	var d Declarations
	ok, err := p.openJSON(ctx, st, u.ID, fieldCompliance, u.Compliance, &d)
	if !ok {
		return nil, err
	}
	return &d, nil
}

// sealString seals a string field ("" stays a zero value).
func sealString(w *seal.Writer, field, s string) (storage.Sealed, error) {
	if s == "" {
		return storage.Sealed{}, nil
	}
	return w.Seal(field, []byte(s))
}

// openString opens a string field.
func (p *pii) openString(ctx context.Context, st storage.DataKeys, userID, field string, v storage.Sealed) (string, error) {
	b, err := p.sealer.Open(ctx, st, userID, field, v)
	return string(b), err
}

// sealDocuments seals the number, content and description of every
// document of a submission record in place.
func sealDocuments(w *seal.Writer, docs []storage.KYCDocument, clear []kyc.DocumentResult) error {
	for i := range docs {
		d, c := &docs[i], clear[i]
		var err error
		if d.Number, err = sealString(w, fieldDocument(d.ID, "number"), c.DocumentNumber); err != nil {
			return err
		}
		if d.Description, err = sealString(w, fieldDocument(d.ID, "description"), c.Description); err != nil {
			return err
		}
		if len(c.Content) > 0 {
			if d.Content, err = w.Seal(fieldDocument(d.ID, "content"), c.Content); err != nil {
				return err
			}
		}
	}
	return nil
}

// totpBox seals TOTP secrets for package otp.
type totpBox struct {
	p     *pii
	store storage.DataKeys
}

func (b totpBox) SealSecret(ctx context.Context, userID string, secret []byte) (storage.Sealed, error) {
	return b.p.sealer.Seal(ctx, b.store, userID, fieldTOTPSecret, secret)
}

func (b totpBox) OpenSecret(ctx context.Context, userID string, sealed storage.Sealed) ([]byte, error) {
	return b.p.sealer.Open(ctx, b.store, userID, fieldTOTPSecret, sealed)
}
