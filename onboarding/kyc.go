// This file owns the KYC steps a user (or an integrator) takes: personal
// details, compliance declarations, the KYC submission and its hand-over to
// the reviewer, the verification status, and the integrator's one-call
// creation of a fully described customer. What a reviewer's decision does is
// in decisions.go.

package onboarding

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/storage"
)

// IndividualAccountResult is the outcome of CreateIndividualAccount.
// It echoes what the request described, as the source answer does: the
// userInfo as stored (the phone in E.164, the SSN masked), the terms
// timestamp under both its names, the questionnaire, and each document
// with its findings (the number masked).
type IndividualAccountResult struct {
	UserID                 string                  `json:"userId"`
	AccountID              string                  `json:"accountId"`
	VerificationStatus     kyc.Status              `json:"verificationStatus"`
	UserInfo               kyc.UserInfo            `json:"userInfo"`
	TermsSignedAt          string                  `json:"termsSignedAt"`
	ByzantineTermsSignedAt string                  `json:"byzantineTermsSignedAt"`
	AdditionalUserInfo     *kyc.AdditionalUserInfo `json:"additionalUserInfo,omitempty"`
	MissingDocuments       []string                `json:"missingDocuments"`
	VerificationDocuments  []IndividualDocument    `json:"verificationDocuments"`
	IsPasskeyActivated     bool                    `json:"isPasskeyActivated"`
	IsOtpActivated         bool                    `json:"isOtpActivated"`
}

// IndividualDocument is a document of an individual-account request as
// its answer echoes it: the number masked, the findings of the document.
type IndividualDocument struct {
	DocumentID     string           `json:"documentId"`
	DocumentType   kyc.DocumentType `json:"documentType"`
	IssuingCountry string           `json:"issuingCountry,omitempty"`
	DocumentNumber string           `json:"documentNumber,omitempty"`
	Description    string           `json:"description,omitempty"`
	Warnings       []kyc.Finding    `json:"warnings"`
	Errors         []kyc.Finding    `json:"errors"`
}

type kycSteps struct {
	*core
	passkeys  *passkeys
	pii       *pii
	validator *kyc.Validator
	reviewer  kyc.Reviewer
	ids       identifiers
	decisions *decisions
}

// ProfileResult is the outcome of saving a profile, whole or in parts.
type ProfileResult struct {
	Status Status `json:"status"`
	Next   []Step `json:"next"`
	// MissingFields lists the required profile fields still missing (JSON
	// paths); the profile is complete when it is empty.
	MissingFields []string `json:"missingFields"`
}

// patchProfile is Service.PatchProfile (and UpdateProfile, with every field
// given): the fields given are validated and saved, the others kept; the
// status moves to profile_completed when every required field is there.
func (k *kycSteps) patchProfile(ctx context.Context, userID string, patch kyc.ProfilePatch) (*ProfileResult, error) {
	var missing []string
	var u *storage.User
	err := k.step(ctx, "update profile", func(ctx context.Context, tx *unit) error {
		var err error
		u, err = k.updateUser(ctx, tx.later, userID, func(u *storage.User) error {
			to, err := k.flow.Fire(ProgressOf(u), TriggerCompleteProfile)
			if err != nil {
				return err
			}
			old, err := k.pii.profile(ctx, tx, u)
			if err != nil {
				return err
			}
			merged := patch.Apply(savedProfile(u, old))
			if missing, err = k.validator.ValidateProfilePatch(merged, patch.Paths()); err != nil {
				return err
			}
			d := &PersonalDetails{
				FirstName: merged.FirstName, MiddleName: merged.MiddleName, LastName: merged.LastName, BirthDate: merged.BirthDate,
				Nationality: merged.Nationality, Address: merged.ResidentialAddress, TimeZone: merged.TimeZone,
			}
			if old != nil {
				d.SSN, d.ProfilePictureURL = old.SSN, old.ProfilePictureURL
			}
			if u.Profile, err = k.pii.sealJSON(ctx, tx, u.ID, fieldProfile, d); err != nil {
				return err
			}
			u.Locale = merged.Locale
			if u.ProfileComplete = len(missing) == 0; u.ProfileComplete {
				u.Status = string(to)
			}
			return nil
		})
		if err != nil {
			return err
		}
		tx.raise(EventProfileUpdated, userID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if missing == nil {
		missing = []string{}
	}
	return &ProfileResult{Status: Status(u.Status), Next: k.next(u), MissingFields: missing}, nil
}

// savedProfile is the user's saved profile as a kyc.Profile (the locale is
// the user's).
func savedProfile(u *storage.User, d *PersonalDetails) kyc.Profile {
	p := kyc.Profile{Locale: u.Locale}
	if d != nil {
		p.FirstName, p.MiddleName, p.LastName, p.BirthDate = d.FirstName, d.MiddleName, d.LastName, d.BirthDate
		p.Nationality, p.ResidentialAddress, p.TimeZone = d.Nationality, d.Address, d.TimeZone
	}
	return p
}

// submitCompliance is Service.SubmitCompliance.
func (k *kycSteps) submitCompliance(ctx context.Context, userID string, c kyc.Compliance) error {
	if err := k.validator.ValidateCompliance(c); err != nil {
		return err
	}
	now := k.now()
	return k.step(ctx, "submit compliance", func(ctx context.Context, tx *unit) error {
		_, err := k.updateUser(ctx, tx.later, userID, func(u *storage.User) error {
			if err := k.fire(u, TriggerSubmitCompliance); err != nil {
				return err
			}
			var err error
			d := complianceRecord(c.AcceptedAt(), c.TermsVersion, c.PEP(), c.Questionnaire, now)
			u.Compliance, err = k.pii.sealJSON(ctx, tx, u.ID, fieldCompliance, d)
			return err
		})
		if err != nil {
			return err
		}
		tx.raise(EventComplianceSubmitted, userID)
		return nil
	})
}

func complianceRecord(accepted time.Time, version string, pep bool, q *kyc.AdditionalUserInfo, now time.Time) *Declarations {
	c := &Declarations{TermsAcceptedAt: accepted.UTC(), TermsVersion: version, PoliticallyExposed: pep, SubmittedAt: now}
	if q != nil {
		c.EmploymentStatus, c.SourceOfFunds = q.EmploymentStatus, q.SourceOfFunds
		c.ExpectedMonthlyPaymentsUSD, c.MostRecentOccupation = q.ExpectedMonthlyPaymentsUSD, q.MostRecentOccupation
	}
	return c
}

// latestAttempt returns the number of the user's latest submission in st
// (0 for none), with the store's error untranslated (see submit).
func latestAttempt(ctx context.Context, st storage.KYC, userID string) (int, error) {
	last, err := st.LatestKYCStatus(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return last.Attempt, nil
}

// evaluateSubmission evaluates a submission against what the user declared
// (opened in memory).
func (k *kycSteps) evaluateSubmission(ctx context.Context, u *storage.User, sub kyc.Submission) (*kyc.Result, error) {
	prof, err := k.pii.profile(ctx, k.store, u)
	if err != nil {
		return nil, k.storeErr(ctx, "open profile", err)
	}
	comp, err := k.pii.compliance(ctx, k.store, u)
	if err != nil {
		return nil, k.storeErr(ctx, "open compliance", err)
	}
	in := kyc.EvaluateInput{Documents: sub.VerificationDocuments, SSN: sub.SocialSecurityNumber}
	if prof != nil {
		in.BirthDate, in.Country = prof.BirthDate, prof.Address.Country
		if in.SSN == "" {
			in.SSN = prof.SSN
		}
	}
	if comp != nil {
		in.PEP, in.HasQuestionnaire = comp.PoliticallyExposed, comp.EmploymentStatus != ""
	}
	return k.validator.Evaluate(ctx, in)
}

// errDeclarationsChanged stops a KYC submission's unit when the profile or
// the declarations it was evaluated against changed since.
const errDeclarationsChanged signal = "onboarding: declarations changed during the submission"

// submit is Service.SubmitKYC. The submission is evaluated against the
// user's profile and declarations before its unit; if a concurrent step
// changed them by the time the unit runs, it is evaluated again (a few
// times, then conflict), so the stored result always matches what was
// declared.
func (k *kycSteps) submit(ctx context.Context, userID string, sub kyc.Submission) (*kyc.Result, error) {
	if err := k.validator.ValidateSubmission(sub); err != nil {
		return nil, err
	}
	for range 3 {
		res, err := k.submitOnce(ctx, userID, sub)
		if !errors.Is(err, errDeclarationsChanged) {
			return res, err
		}
	}
	return nil, onboardkit.NewError(onboardkit.CodeConflict, "The personal details or declarations kept changing during the submission; submit again.")
}

// submitOnce evaluates the submission and records it in one unit, or
// returns errDeclarationsChanged.
func (k *kycSteps) submitOnce(ctx context.Context, userID string, sub kyc.Submission) (*kyc.Result, error) {
	u, err := k.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if _, err := k.flow.Fire(ProgressOf(u), TriggerSubmitKYC); err != nil {
		return nil, err
	}
	// A first check, before the submission is evaluated and sealed; the
	// unit checks again.
	previous, err := latestAttempt(ctx, k.store, userID)
	if err != nil {
		return nil, k.storeErr(ctx, "kyc lookup", err)
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
	rec := submissionRecord(subID, userID, previous+1, res, k.now())
	err = k.step(ctx, "submit kyc", func(ctx context.Context, tx *unit) error {
		if err := k.sealSubmission(ctx, tx, rec, res, sub.SocialSecurityNumber); err != nil {
			return err
		}
		_, err := k.updateUser(ctx, tx.later, userID, func(fresh *storage.User) error {
			if !sameSealed(fresh.Profile, u.Profile) || !sameSealed(fresh.Compliance, u.Compliance) {
				return errDeclarationsChanged
			}
			u := fresh
			if err := k.fire(u, TriggerSubmitKYC); err != nil {
				return err
			}
			// The submissions are counted again in the unit, after the
			// user was read: a concurrent submission that committed
			// since the first check is counted, and one that commits
			// before this unit does changes the user's version, so this
			// unit runs again (a deferred UpdateUser checks the version).
			// Without it, concurrent submissions would pass the cap and
			// share an attempt number.
			n, err := latestAttempt(ctx, tx, userID)
			if err != nil {
				return err
			}
			if err := k.validator.CheckSubmission(ProgressOf(u).KYC, n); err != nil {
				return err
			}
			rec.Attempt = n + 1
			if err := kyc.Transition(kyc.StatusInit, res.Status); err != nil {
				return err
			}
			u.KYCStatus = string(res.Status)
			return k.keepSSN(ctx, tx, u, sub.SocialSecurityNumber)
		})
		if err != nil {
			return err
		}
		if err := tx.later.CreateKYCSubmission(ctx, rec); err != nil {
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
	if _, err := k.decisions.record(ctx, userID, *d, source{}); err != nil {
		k.log.WarnContext(ctx, "onboarding: kyc reviewer decision not applied", slog.String("user_id", userID), slog.String("error", err.Error()))
	}
}

// submissionRecord is the record of a submission without its personal
// values, which sealSubmission adds.
func submissionRecord(id, userID string, attempt int, res *kyc.Result, now time.Time) *storage.KYCSubmission {
	rec := &storage.KYCSubmission{
		ID: id, UserID: userID, Attempt: attempt, Status: string(res.Status),
		MissingDocuments: res.MissingDocuments, MissingFields: res.MissingFields,
		CreatedAt: now, UpdatedAt: now,
	}
	for _, d := range res.Documents {
		rec.Documents = append(rec.Documents, storage.KYCDocument{
			ID: d.DocumentID, SubmissionID: id, Type: string(d.DocumentType), IssuingCountry: d.IssuingCountry,
			MediaType: d.MediaType, ExpiryDate: d.ExpiryDate,
			Warnings: findings(d.Warnings), Errors: findings(d.Errors), CreatedAt: now,
		})
	}
	return rec
}

// sealSubmission seals the SSN and the documents' personal values into rec.
func (k *kycSteps) sealSubmission(ctx context.Context, st storage.DataKeys, rec *storage.KYCSubmission, res *kyc.Result, ssn string) error {
	w, err := k.pii.writer(ctx, st, rec.UserID)
	if err != nil {
		return err
	}
	if rec.SSN, err = sealString(w, fieldSubmissionSSN(rec.ID), ssn); err != nil {
		return err
	}
	return sealDocuments(w, rec.Documents, res.Documents)
}

// keepSSN records a newly given SSN in the user's sealed profile.
func (k *kycSteps) keepSSN(ctx context.Context, st storage.DataKeys, u *storage.User, ssn string) error {
	if ssn == "" {
		return nil
	}
	prof, err := k.pii.profile(ctx, st, u)
	if err != nil || prof == nil {
		return err
	}
	prof.SSN = ssn
	u.Profile, err = k.pii.sealJSON(ctx, st, u.ID, fieldProfile, prof)
	return err
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
// questionnaire sealed (through st); pending KYC when documents were
// evaluated.
func (k *kycSteps) individualUser(ctx context.Context, st storage.DataKeys, id, phone, email string, req kyc.IndividualAccountRequest, res *kyc.Result, now time.Time) (*storage.User, error) {
	info := req.UserInfo
	u := &storage.User{
		ID: id, Phone: phone, PhoneVerified: true, Email: email, EmailVerified: true,
		Status: string(StatusComplianceCompleted), KYCStatus: string(kyc.StatusNotStarted),
		ProfileComplete: true, CreatedAt: now, UpdatedAt: now,
	}
	w, err := k.pii.writer(ctx, st, id)
	if err != nil {
		return nil, err
	}
	u.Profile, err = sealValue(w, fieldProfile, &PersonalDetails{
		FirstName: info.FirstName, MiddleName: info.MiddleName, LastName: info.LastName,
		BirthDate: info.BirthDate, Nationality: info.Nationality, Address: info.ResidentialAddress,
		SSN: info.SocialSecurityNumber, ProfilePictureURL: info.ProfilePictureURL,
	})
	if err != nil {
		return nil, err
	}
	comp := complianceRecord(req.SignedAt(), "", false, req.AdditionalUserInfo, now)
	if u.Compliance, err = sealValue(w, fieldCompliance, comp); err != nil {
		return nil, err
	}
	if res != nil {
		u.Status, u.KYCStatus = string(StatusKYCPending), string(res.Status)
	}
	u.KYCTier = string(ProgressOf(u).Tier())
	return u, nil
}

// individualResult is the answer of CreateIndividualAccount but for the
// documents: the request echoed as stored.
func individualResult(req kyc.IndividualAccountRequest, u *storage.User, accountID string, passkey bool) *IndividualAccountResult {
	info := req.UserInfo
	info.Phone, info.Email = u.Phone, u.Email
	if info.SocialSecurityNumber != "" {
		info.SocialSecurityNumber = kyc.MaskSSN(info.SocialSecurityNumber)
	}
	terms := req.SignedAt().Format(time.RFC3339Nano)
	return &IndividualAccountResult{
		UserID: u.ID, AccountID: accountID, VerificationStatus: kyc.Status(u.KYCStatus),
		UserInfo: info, TermsSignedAt: terms, ByzantineTermsSignedAt: terms, AdditionalUserInfo: req.AdditionalUserInfo,
		MissingDocuments: []string{}, VerificationDocuments: []IndividualDocument{},
		IsPasskeyActivated: passkey,
	}
}

// createIndividual is Service.CreateIndividualAccount.
func (k *kycSteps) createIndividual(ctx context.Context, req kyc.IndividualAccountRequest) (*IndividualAccountResult, error) {
	phone, email, err := k.individualInput(ctx, req)
	if err != nil && !errors.Is(err, onboardkit.ErrValidation) {
		return nil, err
	}
	// The authenticators are checked even when other fields are wrong, so
	// that one answer lists every problem; a verified attestation is not
	// consumed until the account is created.
	enrolled, afields, aerr := k.passkeys.verifyAuthenticators(ctx, req.Authenticators)
	if aerr != nil {
		return nil, aerr
	}
	if err != nil || len(afields) > 0 {
		var fields []onboardkit.FieldError
		if e := onboardkit.AsError(err); e != nil {
			fields = e.Fields
		}
		return nil, onboardkit.ValidationError(append(fields, afields...)...)
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
	var u *storage.User
	err = k.step(ctx, "create individual account", func(ctx context.Context, tx *unit) error {
		var err error
		if u, err = k.individualUser(ctx, tx, userID, phone, email, req, res, now); err != nil {
			return err
		}
		acct, err := accountRecord(accountID, u, now)
		if err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if res != nil {
			rec := submissionRecord(subID, userID, 1, res, now)
			if err := k.sealSubmission(ctx, tx, rec, res, req.UserInfo.SocialSecurityNumber); err != nil {
				return err
			}
			if err := tx.CreateKYCSubmission(ctx, rec); err != nil {
				return err
			}
		}
		if err := tx.CreateAccount(ctx, acct); err != nil {
			return err
		}
		if err := k.passkeys.enroll(ctx, tx, userID, enrolled, now); err != nil {
			return err
		}
		tx.raise(EventIndividualCreated, userID)
		tx.raise(EventAccountCreated, userID, "account_id", accountID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := individualResult(req, u, accountID, len(enrolled) > 0)
	out.MissingDocuments = k.validator.MissingDocuments(nil)
	if res != nil {
		out.MissingDocuments = res.MissingDocuments
		for i, d := range res.Documents {
			out.VerificationDocuments = append(out.VerificationDocuments, IndividualDocument{
				DocumentID: d.DocumentID, DocumentType: d.DocumentType, IssuingCountry: d.IssuingCountry,
				DocumentNumber: kyc.MaskDocumentNumber(d.DocumentNumber), Description: req.VerificationDocuments[i].Description,
				Warnings: d.Warnings, Errors: d.Errors,
			})
		}
		k.review(ctx, userID, subID, res)
		if cur, err := k.store.GetUser(ctx, userID); err == nil {
			out.VerificationStatus = kyc.Status(cur.KYCStatus)
		}
	}
	return out, nil
}

// sameSealed reports whether two sealed values are the same stored value
// (a value sealed again, even with the same content, differs).
func sameSealed(a, b storage.Sealed) bool {
	return a.KeyRef == b.KeyRef && bytes.Equal(a.Data, b.Data)
}
