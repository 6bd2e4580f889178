// This file owns the user's view of their own record (GET /v1/me): contact
// details, progress, profile with the SSN masked, verification and limits.

package onboarding

import (
	"context"
	"errors"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/storage"
)

// UserView is what a user sees of their own record (GET /v1/me). PII that
// is not the user's own contact detail is masked.
type UserView struct {
	UserID        string       `json:"userId"`
	Status        Status       `json:"status"`
	Next          []Step       `json:"next"`
	PhoneNumber   string       `json:"phoneNumber"`
	PhoneVerified bool         `json:"phoneVerified"`
	Email         string       `json:"email"`
	EmailVerified bool         `json:"emailVerified"`
	Profile       *ProfileView `json:"profile"`
	// MissingFields lists the required profile fields not given yet
	// (JSON paths of PATCH /v1/profile); empty once the profile is
	// complete.
	MissingFields []string `json:"missingFields"`
	// Roles are the roles an operator gave the user; Metadata the host's
	// string map about them.
	Roles []string `json:"roles"`
	// IsPasskeyActivated reports a registered passkey, IsOtpActivated an
	// enrolled authenticator app (TOTP).
	IsPasskeyActivated bool              `json:"isPasskeyActivated"`
	IsOtpActivated     bool              `json:"isOtpActivated"`
	Metadata           map[string]string `json:"metadata,omitempty"`
	KYC                KYCView           `json:"kyc"`
	Limits             kyc.Limits        `json:"limits"`
	CreatedAt          time.Time         `json:"createdAt"`
	UpdatedAt          time.Time         `json:"updatedAt"`
}

// ProfileView is the personal details of a user; the SSN is masked.
type ProfileView struct {
	FirstName            string      `json:"firstName"`
	MiddleName           string      `json:"middleName,omitempty"`
	LastName             string      `json:"lastName"`
	BirthDate            string      `json:"birthDate"`
	Nationality          string      `json:"nationality"`
	ResidentialAddress   kyc.Address `json:"residentialAddress"`
	Locale               string      `json:"locale,omitempty"`
	TimeZone             string      `json:"timeZone,omitempty"`
	SocialSecurityNumber string      `json:"socialSecurityNumber,omitempty"`
}

// KYCView is the verification state of a user.
type KYCView struct {
	VerificationStatus kyc.Status `json:"verificationStatus"`
	Tier               kyc.Tier   `json:"tier"`
	MissingDocuments   []string   `json:"missingDocuments"`
}

// me is Service.Me.
func (k *kycSteps) me(ctx context.Context, userID string) (*UserView, error) {
	// The user with its factors in one read (as getUser: an erased user is
	// not found).
	if !validID(userID) {
		return nil, onboardkit.CodeNotFound.Err()
	}
	l, err := k.store.GetLogin(ctx, storage.LoginByID, userID)
	var u *storage.User
	if err == nil {
		u = l.User
	}
	if u, err = k.liveUser(ctx, u, err); err != nil {
		return nil, err
	}
	p := ProgressOf(u)
	v := &UserView{
		UserID: u.ID, Status: p.Status, Next: k.flow.Next(p),
		PhoneNumber: u.Phone, PhoneVerified: u.PhoneVerified, Email: u.Email, EmailVerified: u.EmailVerified,
		KYC:       KYCView{VerificationStatus: p.KYC, Tier: kyc.Tier(u.KYCTier), MissingDocuments: []string{}},
		Limits:    k.validator.Limits(kyc.Tier(u.KYCTier)),
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
		MissingFields: []string{}, Roles: append([]string{}, u.Roles...),
	}
	v.IsPasskeyActivated, v.IsOtpActivated = l.Passkeys > 0, l.TOTPConfirmed
	prof, err := k.pii.profile(ctx, k.store, u)
	if err != nil {
		return nil, k.storeErr(ctx, "open profile", err)
	}
	if !u.ProfileComplete {
		v.MissingFields = append(v.MissingFields, k.validator.MissingProfileFields(savedProfile(u, prof))...)
	}
	if v.Metadata, err = k.pii.metadata(ctx, k.store, u); err != nil {
		return nil, k.storeErr(ctx, "open metadata", err)
	}
	if prof != nil {
		v.Profile = &ProfileView{
			FirstName: prof.FirstName, MiddleName: prof.MiddleName, LastName: prof.LastName, BirthDate: prof.BirthDate,
			Nationality: prof.Nationality, ResidentialAddress: prof.Address, Locale: u.Locale, TimeZone: prof.TimeZone,
		}
		if prof.SSN != "" {
			v.Profile.SocialSecurityNumber = kyc.MaskSSN(prof.SSN)
		}
	}
	if p.KYC == kyc.StatusNotStarted {
		return v, nil // nothing submitted yet
	}
	if last, err := k.store.LatestKYCStatus(ctx, userID); err == nil {
		if last.MissingDocuments != nil {
			v.KYC.MissingDocuments = last.MissingDocuments
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, k.storeErr(ctx, "kyc lookup", err)
	}
	return v, nil
}
