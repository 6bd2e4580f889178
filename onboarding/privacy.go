// This file owns the rights of the data subject: erasure (GDPR art. 17) by
// crypto-shredding — the user's data key is destroyed with the records, so
// the sealed values in any backup without the key stay unreadable — or, for
// regulated retention, the KYC records kept under a retention key until a
// date; and export (arts. 15 and 20): everything held about the user,
// opened, as one JSON document. Key rotation (RewrapDataKeys) is here too.

package onboarding

import (
	"context"
	"errors"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage"
)

// Export is everything the Service holds about a user, opened: the answer
// of ExportUser and of GET /v1/me/export. Credentials are listed, not
// disclosed: password hashes, TOTP secrets, recovery codes and refresh
// tokens are authentication secrets, not data the user gave.
type Export struct {
	// FormatVersion is 1; later versions only add members.
	FormatVersion  int                  `json:"formatVersion"`
	ExportedAt     time.Time            `json:"exportedAt"`
	User           ExportedUser         `json:"user"`
	Profile        *PersonalDetails     `json:"profile"`
	Compliance     *Declarations        `json:"compliance"`
	KYCSubmissions []ExportedSubmission `json:"kycSubmissions"`
	Accounts       []portfolio.Account  `json:"accounts"`
	Credentials    ExportedCredentials  `json:"credentials"`
	Events         []ExportedEvent      `json:"events"`
}

// ExportedUser is the user record of an Export.
type ExportedUser struct {
	UserID        string            `json:"userId"`
	Status        Status            `json:"status"`
	PhoneNumber   string            `json:"phoneNumber,omitempty"`
	PhoneVerified bool              `json:"phoneVerified"`
	Email         string            `json:"email,omitempty"`
	EmailVerified bool              `json:"emailVerified"`
	Locale        string            `json:"locale,omitempty"`
	KYCStatus     kyc.Status        `json:"verificationStatus"`
	Tier          kyc.Tier          `json:"tier"`
	Roles         []string          `json:"roles,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	CreatedAt     time.Time         `json:"createdAt"`
	UpdatedAt     time.Time         `json:"updatedAt"`
	LastAuthAt    time.Time         `json:"lastAuthenticatedAt"`
}

// ExportedSubmission is one KYC submission of an Export, with its
// documents opened.
type ExportedSubmission struct {
	SubmissionID         string             `json:"submissionId"`
	Attempt              int                `json:"attempt"`
	VerificationStatus   string             `json:"verificationStatus"`
	MissingDocuments     []string           `json:"missingDocuments"`
	MissingFields        []string           `json:"missingFields"`
	Reason               string             `json:"reason,omitempty"`
	SocialSecurityNumber string             `json:"socialSecurityNumber,omitempty"`
	Documents            []ExportedDocument `json:"documents"`
	CreatedAt            time.Time          `json:"createdAt"`
}

// ExportedDocument is one document of an ExportedSubmission. Content is the
// document's bytes (base64 in JSON).
type ExportedDocument struct {
	DocumentID     string            `json:"documentId"`
	DocumentType   string            `json:"documentType"`
	IssuingCountry string            `json:"issuingCountry,omitempty"`
	DocumentNumber string            `json:"documentNumber,omitempty"`
	ExpiryDate     string            `json:"expiryDate,omitempty"`
	Description    string            `json:"description,omitempty"`
	MediaType      string            `json:"mediaType,omitempty"`
	Content        []byte            `json:"content,omitempty"`
	Warnings       []storage.Finding `json:"warnings"`
	Errors         []storage.Finding `json:"errors"`
}

// ExportedCredentials says which credentials exist, without them.
type ExportedCredentials struct {
	PasswordSet            bool `json:"passwordSet"`
	AuthenticatorEnrolled  bool `json:"authenticatorEnrolled"`
	RecoveryCodesRemaining int  `json:"recoveryCodesRemaining"`
	// Passkeys are the user's passkeys (their public keys are not
	// exported).
	Passkeys []Passkey `json:"passkeys"`
}

// ExportedEvent is one entry of the user's audit trail.
type ExportedEvent struct {
	Type string            `json:"type"`
	At   time.Time         `json:"at"`
	Data map[string]string `json:"data,omitempty"`
}

type privacy struct {
	*core
	pii        *pii
	retention  RetentionConfig
	recentAuth time.Duration
}

// self refuses a user acting on their own record (ctx carries their
// access-token claims) whose last login is not recent.
func (p *privacy) self(ctx context.Context, u *storage.User) error {
	if c, ok := FromContext(ctx); ok && c.UserID == u.ID && p.now().Sub(u.LastAuthAt) > p.recentAuth {
		return onboardkit.CodeRecentAuthRequired.Err()
	}
	return nil
}

// erase is Service.EraseUser.
func (p *privacy) erase(ctx context.Context, userID string) error {
	u, err := p.getUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := p.self(ctx, u); err != nil {
		return err
	}
	now := p.now()
	return p.step(ctx, "erase user", func(ctx context.Context, tx *unit) error {
		// Hold the user's row before deciding what to keep: a step of the
		// user that commits from here on (a KYC submission, whose unit
		// updates the user) waits for the erasure and then fails, and one
		// that committed before is seen. Otherwise a submission committing
		// between the check and the delete would be deleted with the user
		// although retention keeps KYC records.
		if _, err := p.pin(ctx, tx, userID, asIs); err != nil {
			return err
		}
		keep, err := p.keepsKYC(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !keep {
			if err := tx.DeleteUser(ctx, userID); err != nil {
				return err
			}
			if err := p.pii.sealer.Shred(ctx, tx, userID); err != nil {
				return err
			}
			tx.raise(EventUserErased, userID)
			return nil
		}
		until := now.Add(p.retention.Period)
		if err := p.retain(ctx, tx, userID, until, now); err != nil {
			return err
		}
		tx.raise(EventUserErased, userID, "kyc_retained_until", until.Format(time.RFC3339))
		return nil
	})
}

// keepsKYC reports whether the user's KYC records are kept: a retention
// period is configured and there are some.
func (p *privacy) keepsKYC(ctx context.Context, st storage.Store, userID string) (bool, error) {
	if p.retention.Period <= 0 {
		return false, nil
	}
	_, err := st.LatestKYCStatus(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// retain erases everything but the KYC records and the sealed profile and
// declarations, frees the identifiers, and moves the data key under the
// retention keyring.
func (p *privacy) retain(ctx context.Context, tx *unit, userID string, until, now time.Time) error {
	if err := tx.DeleteUserRecords(ctx, userID, true); err != nil {
		return err
	}
	_, err := p.updateUser(ctx, tx, userID, func(u *storage.User) error {
		u.Phone, u.PhoneVerified, u.Email, u.EmailVerified, u.Locale = "", false, "", false, ""
		u.Status, u.AdminLocked, u.TokensValidAfter = string(StatusErased), true, now
		return nil
	})
	if err != nil {
		return err
	}
	return p.pii.sealer.Retain(ctx, tx, userID, p.retention.Keyring, until)
}

// purgeRetained is Service.PurgeRetained.
func (p *privacy) purgeRetained(ctx context.Context) (int, error) {
	now, purged, after := p.now(), 0, ""
	for {
		page, err := p.store.ListDataKeys(ctx, after, 100)
		if err != nil {
			return purged, p.storeErr(ctx, "list data keys", err)
		}
		for _, dk := range page {
			if dk.RetainUntil.IsZero() || now.Before(dk.RetainUntil) {
				continue
			}
			if err := p.purge(ctx, dk.UserID); err != nil {
				return purged, err
			}
			purged++
		}
		if len(page) < 100 {
			return purged, nil
		}
		after = page[len(page)-1].UserID
	}
}

// purge destroys a retained user's records and data key.
func (p *privacy) purge(ctx context.Context, userID string) error {
	return p.step(ctx, "purge retained user", func(ctx context.Context, tx *unit) error {
		if err := tx.DeleteUser(ctx, userID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if err := p.pii.sealer.Shred(ctx, tx, userID); err != nil {
			return err
		}
		tx.raise(EventUserPurged, userID)
		return nil
	})
}

// export is Service.ExportUser.
func (p *privacy) export(ctx context.Context, userID string) (*Export, error) {
	u, err := p.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := p.self(ctx, u); err != nil {
		return nil, err
	}
	out := &Export{FormatVersion: 1, ExportedAt: p.now(), User: exportedUser(u)}
	if out.User.Metadata, err = p.pii.metadata(ctx, p.store, u); err != nil {
		return nil, p.storeErr(ctx, "open metadata", err)
	}
	if out.Profile, err = p.pii.profile(ctx, p.store, u); err != nil {
		return nil, p.storeErr(ctx, "open profile", err)
	}
	if out.Compliance, err = p.pii.compliance(ctx, p.store, u); err != nil {
		return nil, p.storeErr(ctx, "open compliance", err)
	}
	if out.KYCSubmissions, err = p.submissions(ctx, userID); err != nil {
		return nil, err
	}
	if out.Accounts, err = p.pii.accounts(ctx, p.store, userID); err != nil {
		return nil, p.storeErr(ctx, "export accounts", err)
	}
	if out.Credentials, err = p.credentials(ctx, userID); err != nil {
		return nil, err
	}
	if out.Events, err = p.events(ctx, userID); err != nil {
		return nil, err
	}
	return out, nil
}

func exportedUser(u *storage.User) ExportedUser {
	return ExportedUser{
		UserID: u.ID, Status: Status(u.Status), PhoneNumber: u.Phone, PhoneVerified: u.PhoneVerified,
		Email: u.Email, EmailVerified: u.EmailVerified, Locale: u.Locale, KYCStatus: ProgressOf(u).KYC,
		Tier: kyc.Tier(u.KYCTier), Roles: u.Roles, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(), LastAuthAt: u.LastAuthAt.UTC(),
	}
}

// submissions opens every KYC submission of the user, oldest first.
func (p *privacy) submissions(ctx context.Context, userID string) ([]ExportedSubmission, error) {
	recs, err := p.store.ListKYCSubmissions(ctx, userID)
	if err != nil {
		return nil, p.storeErr(ctx, "export kyc", err)
	}
	out := []ExportedSubmission{}
	for _, r := range recs {
		ssn, err := p.pii.openString(ctx, p.store, userID, fieldSubmissionSSN(r.ID), r.SSN)
		if err != nil {
			return nil, p.storeErr(ctx, "open kyc", err)
		}
		s := ExportedSubmission{SubmissionID: r.ID, Attempt: r.Attempt, VerificationStatus: r.Status,
			MissingDocuments: r.MissingDocuments, MissingFields: r.MissingFields, Reason: r.Reason,
			SocialSecurityNumber: ssn, Documents: []ExportedDocument{}, CreatedAt: r.CreatedAt.UTC()}
		for _, d := range r.Documents {
			doc, err := p.document(ctx, userID, d)
			if err != nil {
				return nil, p.storeErr(ctx, "open document", err)
			}
			s.Documents = append(s.Documents, doc)
		}
		out = append(out, s)
	}
	return out, nil
}

// document opens one document.
func (p *privacy) document(ctx context.Context, userID string, d storage.KYCDocument) (ExportedDocument, error) {
	doc := ExportedDocument{DocumentID: d.ID, DocumentType: d.Type, IssuingCountry: d.IssuingCountry,
		ExpiryDate: d.ExpiryDate, MediaType: d.MediaType, Warnings: d.Warnings, Errors: d.Errors}
	var err error
	if doc.DocumentNumber, err = p.pii.openString(ctx, p.store, userID, fieldDocument(d.ID, "number"), d.Number); err != nil {
		return doc, err
	}
	if doc.Description, err = p.pii.openString(ctx, p.store, userID, fieldDocument(d.ID, "description"), d.Description); err != nil {
		return doc, err
	}
	doc.Content, err = p.pii.sealer.Open(ctx, p.store, userID, fieldDocument(d.ID, "content"), d.Content)
	return doc, err
}

// credentials lists which credentials the user has.
func (p *privacy) credentials(ctx context.Context, userID string) (ExportedCredentials, error) {
	var c ExportedCredentials
	_, err := p.store.GetPassword(ctx, userID)
	c.PasswordSet = err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return c, p.storeErr(ctx, "export credentials", err)
	}
	e, err := p.store.GetTOTP(ctx, userID)
	c.AuthenticatorEnrolled = err == nil && e.Confirmed
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return c, p.storeErr(ctx, "export credentials", err)
	}
	if c.RecoveryCodesRemaining, err = p.store.CountRecoveryCodes(ctx, userID); err != nil {
		return c, p.storeErr(ctx, "export credentials", err)
	}
	keys, err := p.store.ListPasskeys(ctx, userID)
	if err != nil {
		return c, p.storeErr(ctx, "export credentials", err)
	}
	c.Passkeys = make([]Passkey, 0, len(keys))
	for _, k := range keys {
		c.Passkeys = append(c.Passkeys, passkeyView(k))
	}
	return c, nil
}

// events returns the user's audit trail.
func (p *privacy) events(ctx context.Context, userID string) ([]ExportedEvent, error) {
	evs, err := p.store.ListEvents(ctx, userID, 0, 0)
	if err != nil {
		return nil, p.storeErr(ctx, "export events", err)
	}
	out := make([]ExportedEvent, len(evs))
	for i, e := range evs {
		out[i] = ExportedEvent{Type: e.Type, At: e.At.UTC(), Data: e.Data}
	}
	return out, nil
}
