// This file owns the KYC steps a user (or an integrator) takes: personal
// details, compliance declarations, the KYC submission and its hand-over to
// the reviewer, the verification status, and the integrator's one-call
// creation of a fully described customer. What a reviewer's decision does is
// in decisions.go.

package onboarding

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/storage"
)

// IndividualAccountResult is the outcome of CreateIndividualAccount.
type IndividualAccountResult struct {
	UserID                string               `json:"userId"`
	AccountID             string               `json:"accountId"`
	VerificationStatus    kyc.Status           `json:"verificationStatus"`
	MissingDocuments      []string             `json:"missingDocuments"`
	VerificationDocuments []kyc.DocumentResult `json:"verificationDocuments"`
}

type kycSteps struct {
	*core
	validator *kyc.Validator
	reviewer  kyc.Reviewer
	ids       identifiers
	decisions *decisions
}

// updateProfile is Service.UpdateProfile.
func (k *kycSteps) updateProfile(ctx context.Context, userID string, p kyc.Profile) error {
	if err := k.validator.ValidateProfile(p); err != nil {
		return err
	}
	return k.step(ctx, "update profile", func(ctx context.Context, tx *unit) error {
		_, err := k.updateUser(ctx, tx, userID, func(u *storage.User) error {
			if err := k.fire(u, TriggerCompleteProfile); err != nil {
				return err
			}
			var ssn storage.Sealed
			if u.Profile != nil {
				ssn = u.Profile.SSN
			}
			u.Profile = &storage.Profile{
				FirstName: p.FirstName, MiddleName: p.MiddleName, LastName: p.LastName,
				BirthDate: p.BirthDate, Nationality: p.Nationality, TimeZone: p.TimeZone, SSN: ssn,
				Address: storage.Address(p.ResidentialAddress),
			}
			if p.Locale != "" {
				u.Locale = p.Locale
			}
			return nil
		})
		if err != nil {
			return err
		}
		tx.raise(EventProfileUpdated, userID)
		return nil
	})
}

// submitCompliance is Service.SubmitCompliance.
func (k *kycSteps) submitCompliance(ctx context.Context, userID string, c kyc.Compliance) error {
	if err := k.validator.ValidateCompliance(c); err != nil {
		return err
	}
	now := k.now()
	return k.step(ctx, "submit compliance", func(ctx context.Context, tx *unit) error {
		_, err := k.updateUser(ctx, tx, userID, func(u *storage.User) error {
			if err := k.fire(u, TriggerSubmitCompliance); err != nil {
				return err
			}
			u.Compliance = complianceRecord(c.AcceptedAt(), c.TermsVersion, c.PEP(), c.Questionnaire, now)
			return nil
		})
		if err != nil {
			return err
		}
		tx.raise(EventComplianceSubmitted, userID)
		return nil
	})
}

func complianceRecord(accepted time.Time, version string, pep bool, q *kyc.AdditionalUserInfo, now time.Time) *storage.Compliance {
	c := &storage.Compliance{TermsAcceptedAt: accepted.UTC(), TermsVersion: version, PoliticallyExposed: pep, SubmittedAt: now}
	if q != nil {
		c.EmploymentStatus, c.SourceOfFunds = q.EmploymentStatus, q.SourceOfFunds
		c.ExpectedMonthlyPaymentsUSD, c.MostRecentOccupation = q.ExpectedMonthlyPaymentsUSD, q.MostRecentOccupation
	}
	return c
}

// latestAttempt returns the number of the user's latest submission (0 for
// none).
func (k *kycSteps) latestAttempt(ctx context.Context, userID string) (int, error) {
	last, err := k.store.LatestKYCSubmission(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, k.storeErr(ctx, "kyc lookup", err)
	}
	return last.Attempt, nil
}

// evaluateSubmission evaluates a submission against what the user declared.
func (k *kycSteps) evaluateSubmission(ctx context.Context, u *storage.User, sub kyc.Submission) (*kyc.Result, error) {
	ssn := sub.SocialSecurityNumber
	if ssn == "" && u.Profile != nil && u.Profile.SSN.KeyRef == "" {
		ssn = string(u.Profile.SSN.Data)
	}
	in := kyc.EvaluateInput{Documents: sub.VerificationDocuments, SSN: ssn}
	if u.Profile != nil {
		in.BirthDate, in.Country = u.Profile.BirthDate, u.Profile.Address.Country
	}
	if u.Compliance != nil {
		in.PEP, in.HasQuestionnaire = u.Compliance.PoliticallyExposed, u.Compliance.EmploymentStatus != ""
	}
	return k.validator.Evaluate(ctx, in)
}

// submit is Service.SubmitKYC.
func (k *kycSteps) submit(ctx context.Context, userID string, sub kyc.Submission) (*kyc.Result, error) {
	if err := k.validator.ValidateSubmission(sub); err != nil {
		return nil, err
	}
	u, err := k.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if _, err := k.flow.Fire(ProgressOf(u), TriggerSubmitKYC); err != nil {
		return nil, err
	}
	previous, err := k.latestAttempt(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := k.validator.CheckSubmission(ProgressOf(u).KYC, previous); err != nil {
		return nil, err
	}
	res, err := k.evaluateSubmission(ctx, u, sub)
	if err != nil {
		return nil, err
	}
	subID, err := k.newID()
	if err != nil {
		return nil, err
	}
	rec := submissionRecord(subID, userID, previous+1, res, sub.SocialSecurityNumber, k.now())
	err = k.step(ctx, "submit kyc", func(ctx context.Context, tx *unit) error {
		_, err := k.updateUser(ctx, tx, userID, func(u *storage.User) error {
			if err := k.fire(u, TriggerSubmitKYC); err != nil {
				return err
			}
			if err := k.validator.CheckSubmission(ProgressOf(u).KYC, previous); err != nil {
				return err
			}
			if err := kyc.Transition(kyc.StatusInit, res.Status); err != nil {
				return err
			}
			u.KYCStatus = string(res.Status)
			if sub.SocialSecurityNumber != "" && u.Profile != nil {
				u.Profile.SSN = storage.Sealed{Data: []byte(sub.SocialSecurityNumber)}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.CreateKYCSubmission(ctx, rec); err != nil {
			return err
		}
		tx.raise(EventKYCSubmitted, userID, "submission_id", subID, "verification_status", string(res.Status))
		return nil
	})
	if err != nil {
		return nil, err
	}
	k.review(ctx, userID, subID, res)
	return res, nil
}

// review hands an under_review submission to the Reviewer and applies a
// synchronous decision. Failures are logged: the submission stays under
// review and the decision can arrive later.
func (k *kycSteps) review(ctx context.Context, userID, subID string, res *kyc.Result) {
	if k.reviewer == nil || res.Status != kyc.StatusUnderReview {
		return
	}
	d, err := k.reviewer.Submit(ctx, kyc.Review{UserID: userID, SubmissionID: subID, Result: res})
	if err != nil {
		k.log.WarnContext(ctx, "onboarding: kyc reviewer hand-over failed", slog.String("user_id", userID), slog.String("error", err.Error()))
		return
	}
	if d == nil {
		return
	}
	if _, err := k.decisions.record(ctx, userID, *d); err != nil {
		k.log.WarnContext(ctx, "onboarding: kyc reviewer decision not applied", slog.String("user_id", userID), slog.String("error", err.Error()))
	}
}

func submissionRecord(id, userID string, attempt int, res *kyc.Result, ssn string, now time.Time) *storage.KYCSubmission {
	rec := &storage.KYCSubmission{
		ID: id, UserID: userID, Attempt: attempt, Status: string(res.Status),
		MissingDocuments: res.MissingDocuments, MissingFields: res.MissingFields,
		CreatedAt: now, UpdatedAt: now,
	}
	if ssn != "" {
		rec.SSN = storage.Sealed{Data: []byte(ssn)}
	}
	for _, d := range res.Documents {
		rec.Documents = append(rec.Documents, storage.KYCDocument{
			ID: d.DocumentID, SubmissionID: id, Type: string(d.DocumentType), IssuingCountry: d.IssuingCountry,
			MediaType: d.MediaType, Number: storage.Sealed{Data: []byte(d.DocumentNumber)},
			Content: storage.Sealed{Data: d.Content}, ExpiryDate: d.ExpiryDate, Description: d.Description,
			Warnings: findings(d.Warnings), Errors: findings(d.Errors), CreatedAt: now,
		})
	}
	return rec
}

func findings(fs []kyc.Finding) []storage.Finding {
	out := make([]storage.Finding, len(fs))
	for i, f := range fs {
		out[i] = storage.Finding{Code: f.Code, Message: f.Message}
	}
	return out
}

func kycFindings(fs []storage.Finding) []kyc.Finding {
	out := make([]kyc.Finding, len(fs))
	for i, f := range fs {
		out[i] = kyc.Finding{Code: f.Code, Message: f.Message}
	}
	return out
}

// status is Service.KYCStatus.
func (k *kycSteps) status(ctx context.Context, userID string) (*kyc.Result, error) {
	u, err := k.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	res := &kyc.Result{Status: kyc.Status(u.KYCStatus), MissingDocuments: []string{}, MissingFields: []string{}, Documents: []kyc.DocumentResult{}}
	last, err := k.store.LatestKYCSubmission(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return res, nil
	}
	if err != nil {
		return nil, k.storeErr(ctx, "kyc lookup", err)
	}
	if last.MissingDocuments != nil {
		res.MissingDocuments = last.MissingDocuments
	}
	if last.MissingFields != nil {
		res.MissingFields = last.MissingFields
	}
	for _, d := range last.Documents {
		res.Documents = append(res.Documents, kyc.DocumentResult{
			DocumentID: d.ID, DocumentType: kyc.DocumentType(d.Type),
			Warnings: kycFindings(d.Warnings), Errors: kycFindings(d.Errors),
		})
	}
	return res, nil
}

// individualInput validates an integrator's request and returns its
// normalised phone and email.
func (k *kycSteps) individualInput(ctx context.Context, req kyc.IndividualAccountRequest) (phone, email string, err error) {
	if err := k.validator.ValidateIndividualAccount(req); err != nil {
		return "", "", err
	}
	phone, pfe := k.ids.phone("userInfo.phone", req.UserInfo.Phone, true)
	email, efe := normalizeEmail("userInfo.email", req.UserInfo.Email)
	var fields []onboardkit.FieldError
	for _, fe := range []*onboardkit.FieldError{pfe, efe} {
		if fe != nil {
			fields = append(fields, *fe)
		}
	}
	if len(fields) > 0 {
		return "", "", onboardkit.ValidationError(fields...)
	}
	byPhone, byEmail, err := holders(ctx, k.store, phone, email)
	if err != nil {
		return "", "", k.storeErr(ctx, "individual lookup", err)
	}
	if byPhone != nil && byPhone.PhoneVerified || byEmail != nil && byEmail.EmailVerified {
		return "", "", onboardkit.CodeIdentifierTaken.Err()
	}
	return phone, email, nil
}

// individualUser is the user record of an integrator's customer: verified
// contact details (the integrator vouches for them), profile, terms and
// questionnaire; pending KYC when documents were evaluated.
func individualUser(id, phone, email string, req kyc.IndividualAccountRequest, res *kyc.Result, now time.Time) *storage.User {
	info := req.UserInfo
	u := &storage.User{
		ID: id, Phone: phone, PhoneVerified: true, Email: email, EmailVerified: true,
		Status: string(StatusComplianceCompleted), KYCStatus: string(kyc.StatusNotStarted),
		Profile: &storage.Profile{
			FirstName: info.FirstName, MiddleName: info.MiddleName, LastName: info.LastName,
			BirthDate: info.BirthDate, Nationality: info.Nationality,
			Address: storage.Address(info.ResidentialAddress), ProfilePictureURL: info.ProfilePictureURL,
		},
		Compliance: complianceRecord(req.SignedAt(), "", false, req.AdditionalUserInfo, now),
		CreatedAt:  now, UpdatedAt: now,
	}
	if info.SocialSecurityNumber != "" {
		u.Profile.SSN = storage.Sealed{Data: []byte(info.SocialSecurityNumber)}
	}
	if res != nil {
		u.Status, u.KYCStatus = string(StatusKYCPending), string(res.Status)
	}
	u.KYCTier = string(ProgressOf(u).Tier())
	return u
}

// createIndividual is Service.CreateIndividualAccount.
func (k *kycSteps) createIndividual(ctx context.Context, req kyc.IndividualAccountRequest) (*IndividualAccountResult, error) {
	phone, email, err := k.individualInput(ctx, req)
	if err != nil {
		return nil, err
	}
	var res *kyc.Result
	if len(req.VerificationDocuments) > 0 {
		if res, err = k.validator.Evaluate(ctx, req.EvaluateInput()); err != nil {
			return nil, err
		}
	}
	ids, err := k.newIDs(3)
	if err != nil {
		return nil, err
	}
	userID, accountID, subID, now := ids[0], ids[1], ids[2], k.now()
	u := individualUser(userID, phone, email, req, res, now)
	acct, err := accountRecord(accountID, u, now)
	if err != nil {
		return nil, err
	}
	err = k.step(ctx, "create individual account", func(ctx context.Context, tx *unit) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if res != nil {
			if err := tx.CreateKYCSubmission(ctx, submissionRecord(subID, userID, 1, res, req.UserInfo.SocialSecurityNumber, now)); err != nil {
				return err
			}
		}
		if err := tx.CreateAccount(ctx, acct); err != nil {
			return err
		}
		tx.raise(EventIndividualCreated, userID)
		tx.raise(EventAccountCreated, userID, "account_id", accountID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &IndividualAccountResult{UserID: userID, AccountID: accountID, VerificationStatus: kyc.Status(u.KYCStatus),
		MissingDocuments: []string{}, VerificationDocuments: []kyc.DocumentResult{}}
	if res != nil {
		out.MissingDocuments, out.VerificationDocuments = res.MissingDocuments, res.Documents
		k.review(ctx, userID, subID, res)
		if cur, err := k.store.GetUser(ctx, userID); err == nil {
			out.VerificationStatus = kyc.Status(cur.KYCStatus)
		}
	}
	return out, nil
}
