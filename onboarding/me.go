package onboarding

import (
	"context"
	"errors"
	"time"

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
	KYC           KYCView      `json:"kyc"`
	Limits        kyc.Limits   `json:"limits"`
	CreatedAt     time.Time    `json:"createdAt"`
	UpdatedAt     time.Time    `json:"updatedAt"`
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

// Me returns the user's view of their own record.
func (s *Service) Me(ctx context.Context, userID string) (*UserView, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.userErr(ctx, err)
	}
	v := &UserView{
		UserID: u.ID, Status: Status(u.Status), Next: s.flow.Next(u),
		PhoneNumber: u.Phone, PhoneVerified: u.PhoneVerified, Email: u.Email, EmailVerified: u.EmailVerified,
		KYC:       KYCView{VerificationStatus: kyc.Status(u.KYCStatus), Tier: kyc.Tier(u.KYCTier), MissingDocuments: []string{}},
		Limits:    s.kyc.Limits(kyc.Tier(u.KYCTier)),
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
	}
	if p := u.Profile; p != nil {
		v.Profile = &ProfileView{
			FirstName: p.FirstName, MiddleName: p.MiddleName, LastName: p.LastName, BirthDate: p.BirthDate,
			Nationality: p.Nationality, ResidentialAddress: kyc.Address(p.Address), Locale: u.Locale, TimeZone: p.TimeZone,
		}
		if p.SSN.KeyRef == "" && len(p.SSN.Data) > 0 {
			v.Profile.SocialSecurityNumber = kyc.MaskSSN(string(p.SSN.Data))
		} else if !p.SSN.IsZero() {
			v.Profile.SocialSecurityNumber = "***-**-****"
		}
	}
	if u.KYCStatus == "" || u.KYCStatus == string(kyc.StatusNotStarted) {
		return v, nil // nothing submitted yet
	}
	if last, err := s.store.LatestKYCSubmission(ctx, userID); err == nil {
		if last.MissingDocuments != nil {
			v.KYC.MissingDocuments = last.MissingDocuments
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, s.internal(ctx, "kyc lookup", err)
	}
	return v, nil
}
