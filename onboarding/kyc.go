package onboarding

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage"
)

// Event types of the KYC steps.
const (
	EventProfileUpdated         = "profile.updated"
	EventComplianceSubmitted    = "compliance.submitted"
	EventKYCSubmitted           = "kyc.submitted"
	EventKYCApproved            = "kyc.approved"
	EventKYCRejected            = "kyc.rejected"
	EventKYCInformationRequired = "kyc.information_required"
	EventIndividualCreated      = "integrator.individual_created"
)

// DecisionResult is the outcome of RecordKYCDecision.
type DecisionResult struct {
	UserID             string     `json:"userId"`
	VerificationStatus kyc.Status `json:"verificationStatus"`
	Tier               kyc.Tier   `json:"tier"`
}

// IndividualAccountResult is the outcome of CreateIndividualAccount.
type IndividualAccountResult struct {
	UserID                string               `json:"userId"`
	AccountID             string               `json:"accountId"`
	VerificationStatus    kyc.Status           `json:"verificationStatus"`
	MissingDocuments      []string             `json:"missingDocuments"`
	VerificationDocuments []kyc.DocumentResult `json:"verificationDocuments"`
}

// UpdateProfile stores the user's personal details. The first complete
// profile moves the user to profile_completed and tier KYC_0; later updates
// keep the status (and are refused once KYC is under review).
func (s *Service) UpdateProfile(ctx context.Context, userID string, p kyc.Profile) error {
	if err := s.kyc.ValidateProfile(p); err != nil {
		return err
	}
	ev := s.event(EventProfileUpdated, userID)
	err := s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if _, err := s.updateUser(ctx, tx, userID, func(u *storage.User) error {
			to, err := s.flow.Fire(u, TriggerCompleteProfile)
			if err != nil {
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
			u.Status = string(to)
			u.KYCTier = string(s.tier(u))
			return nil
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if err != nil {
		return s.stepErr(ctx, "update profile", err)
	}
	s.emit(ctx, ev)
	return nil
}

// SubmitCompliance stores the compliance declarations: terms acceptance
// (its timestamp and version kept), the politically-exposed-person
// declaration and the questionnaire. The user moves to
// compliance_completed.
func (s *Service) SubmitCompliance(ctx context.Context, userID string, c kyc.Compliance) error {
	if err := s.kyc.ValidateCompliance(c); err != nil {
		return err
	}
	now := s.now()
	ev := s.event(EventComplianceSubmitted, userID)
	err := s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if _, err := s.updateUser(ctx, tx, userID, func(u *storage.User) error {
			to, err := s.flow.Fire(u, TriggerSubmitCompliance)
			if err != nil {
				return err
			}
			u.Compliance = complianceRecord(c.AcceptedAt(), c.TermsVersion, c.PEP(), c.Questionnaire, now)
			u.Status = string(to)
			return nil
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if err != nil {
		return s.stepErr(ctx, "submit compliance", err)
	}
	s.emit(ctx, ev)
	return nil
}

func complianceRecord(accepted time.Time, version string, pep bool, q *kyc.AdditionalUserInfo, now time.Time) *storage.Compliance {
	c := &storage.Compliance{TermsAcceptedAt: accepted.UTC(), TermsVersion: version, PoliticallyExposed: pep, SubmittedAt: now}
	if q != nil {
		c.EmploymentStatus, c.SourceOfFunds = q.EmploymentStatus, q.SourceOfFunds
		c.ExpectedMonthlyPaymentsUSD, c.MostRecentOccupation = q.ExpectedMonthlyPaymentsUSD, q.MostRecentOccupation
	}
	return c
}

// SubmitKYC stores a KYC submission and its documents and evaluates it: the
// result lists missing documents and fields and each document's warnings and
// errors. A complete submission goes under_review (and to the configured
// Reviewer); one with missing items waits for information. Document numbers,
// document bytes and the SSN are stored as sealed PII and never logged.
func (s *Service) SubmitKYC(ctx context.Context, userID string, sub kyc.Submission) (*kyc.Result, error) {
	if err := s.kyc.ValidateSubmission(sub); err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.userErr(ctx, err)
	}
	if _, err := s.flow.Fire(u, TriggerSubmitKYC); err != nil {
		return nil, err
	}
	previous := 0
	if last, err := s.store.LatestKYCSubmission(ctx, userID); err == nil {
		previous = last.Attempt
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, s.internal(ctx, "kyc lookup", err)
	}
	if err := s.kyc.CheckSubmission(kyc.Status(u.KYCStatus), previous); err != nil {
		return nil, err
	}
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
	res, err := s.kyc.Evaluate(ctx, in)
	if err != nil {
		return nil, err
	}
	subID, err := s.newID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	rec := submissionRecord(subID, userID, previous+1, res, sub.SocialSecurityNumber, now)
	ev := s.event(EventKYCSubmitted, userID, "submission_id", subID, "verification_status", string(res.Status))
	err = s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if _, err := s.updateUser(ctx, tx, userID, func(u *storage.User) error {
			to, err := s.flow.Fire(u, TriggerSubmitKYC)
			if err != nil {
				return err
			}
			if err := s.kyc.CheckSubmission(kyc.Status(u.KYCStatus), previous); err != nil {
				return err
			}
			if err := kyc.Transition(kyc.StatusInit, res.Status); err != nil {
				return err
			}
			u.Status, u.KYCStatus = string(to), string(res.Status)
			if sub.SocialSecurityNumber != "" && u.Profile != nil {
				u.Profile.SSN = storage.Sealed{Data: []byte(sub.SocialSecurityNumber)}
			}
			return nil
		}); err != nil {
			return err
		}
		if err := tx.CreateKYCSubmission(ctx, rec); err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if err != nil {
		return nil, s.stepErr(ctx, "submit kyc", err)
	}
	s.emit(ctx, ev)
	s.review(ctx, userID, subID, res)
	return res, nil
}

// review hands an under_review submission to the Reviewer and applies a
// synchronous decision. Failures are logged: the submission stays under
// review and the decision can arrive later.
func (s *Service) review(ctx context.Context, userID, subID string, res *kyc.Result) {
	if s.cfg.Reviewer == nil || res.Status != kyc.StatusUnderReview {
		return
	}
	d, err := s.cfg.Reviewer.Submit(ctx, kyc.Review{UserID: userID, SubmissionID: subID, Result: res})
	if err != nil {
		s.log.WarnContext(ctx, "onboarding: kyc reviewer hand-over failed", slog.String("user_id", userID), slog.String("error", err.Error()))
		return
	}
	if d == nil {
		return
	}
	if _, err := s.RecordKYCDecision(ctx, userID, *d); err != nil {
		s.log.WarnContext(ctx, "onboarding: kyc reviewer decision not applied", slog.String("user_id", userID), slog.String("error", err.Error()))
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

// KYCStatus returns the user's verification status, missing items and the
// findings of the latest submission.
func (s *Service) KYCStatus(ctx context.Context, userID string) (*kyc.Result, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.userErr(ctx, err)
	}
	res := &kyc.Result{Status: kyc.Status(u.KYCStatus), MissingDocuments: []string{}, MissingFields: []string{}, Documents: []kyc.DocumentResult{}}
	last, err := s.store.LatestKYCSubmission(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return res, nil
	}
	if err != nil {
		return nil, s.internal(ctx, "kyc lookup", err)
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

func kycFindings(fs []storage.Finding) []kyc.Finding {
	out := make([]kyc.Finding, len(fs))
	for i, f := range fs {
		out[i] = kyc.Finding{Code: f.Code, Message: f.Message}
	}
	return out
}

// errAlreadyDecided stops a decision that the user already has.
var errAlreadyDecided = errors.New("onboarding: decision already recorded")

// RecordKYCDecision applies a reviewer's decision (a KYC provider's webhook
// or an integrator's signed call). active makes the user active at tier
// KYC_1, activates their accounts and, unless disabled, gives their first
// account a TRADING portfolio; rejected rejects; waiting_for_information asks
// for the listed documents. Delivering the same decision twice changes
// nothing the second time and answers the same result.
func (s *Service) RecordKYCDecision(ctx context.Context, userID string, d kyc.Decision) (*DecisionResult, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	trigger := map[kyc.Status]Trigger{
		kyc.StatusActive: TriggerKYCApproved, kyc.StatusRejected: TriggerKYCRejected,
		kyc.StatusWaitingForInformation: TriggerKYCMoreInfo,
	}[d.Status]
	evType := map[kyc.Status]string{
		kyc.StatusActive: EventKYCApproved, kyc.StatusRejected: EventKYCRejected,
		kyc.StatusWaitingForInformation: EventKYCInformationRequired,
	}[d.Status]
	now := s.now()
	var trading *portfolio.Portfolio
	if d.Status == kyc.StatusActive {
		need, err := s.needsTrading(ctx, userID)
		if err != nil {
			return nil, s.internal(ctx, "plan provisioning", err)
		}
		if need {
			if trading, err = s.allocateTrading(ctx); err != nil {
				return nil, err
			}
		}
	}
	for attempt := 0; ; attempt++ {
		u, evs, err := s.decide(ctx, userID, d, trigger, evType, trading, now)
		if errors.Is(err, errNeedAddress) && attempt == 0 {
			// The accounts changed since the plan: allocate and retry once.
			if trading, err = s.allocateTrading(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if errors.Is(err, errAlreadyDecided) {
			if u, err = s.store.GetUser(ctx, userID); err != nil {
				return nil, s.userErr(ctx, err)
			}
			return &DecisionResult{UserID: userID, VerificationStatus: kyc.Status(u.KYCStatus), Tier: kyc.Tier(u.KYCTier)}, nil
		}
		if err != nil {
			return nil, s.stepErr(ctx, "record kyc decision", err)
		}
		s.emit(ctx, evs...)
		return &DecisionResult{UserID: userID, VerificationStatus: kyc.Status(u.KYCStatus), Tier: kyc.Tier(u.KYCTier)}, nil
	}
}

// allocateTrading allocates the deposit address of an auto-provisioned
// trading portfolio, outside any transaction.
func (s *Service) allocateTrading(ctx context.Context) (*portfolio.Portfolio, error) {
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	p := &portfolio.Portfolio{ID: id, Type: portfolio.TypeTrading}
	if err := s.assignAddress(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// decide applies a decision in one transaction.
func (s *Service) decide(ctx context.Context, userID string, d kyc.Decision, trigger Trigger, evType string, trading *portfolio.Portfolio, now time.Time) (*storage.User, []Event, error) {
	var u *storage.User
	var evs []Event
	err := s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		evs = evs[:0]
		var err error
		u, err = s.updateUser(ctx, tx, userID, func(u *storage.User) error {
			if kyc.Status(u.KYCStatus) == d.Status && d.Status != kyc.StatusWaitingForInformation {
				return errAlreadyDecided
			}
			if err := kyc.CheckDecision(kyc.Status(u.KYCStatus), d); err != nil {
				return err
			}
			to, err := s.flow.Fire(u, trigger)
			if err != nil {
				return err
			}
			u.Status, u.KYCStatus = string(to), string(d.Status)
			u.KYCTier = string(s.tier(u))
			return nil
		})
		if err != nil {
			return err
		}
		if last, err := tx.LatestKYCSubmission(ctx, userID); err == nil {
			missing := last.MissingDocuments
			if d.Status == kyc.StatusWaitingForInformation {
				missing = d.MissingDocuments
			}
			if err := tx.UpdateKYCSubmissionStatus(ctx, last.ID, string(d.Status), d.Reason, missing, now); err != nil {
				return err
			}
		} else if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		evs = append(evs, s.event(evType, userID))
		if d.Status == kyc.StatusActive {
			more, err := s.provision(ctx, tx, userID, trading, now)
			if err != nil {
				return err
			}
			evs = append(evs, more...)
		}
		return s.record(ctx, tx, evs...)
	})
	return u, evs, err
}

// CreateIndividualAccount is the integrator's one-call creation of a fully
// described customer (seed create-individual-account): it runs the same
// validation as the step-by-step journey, creates the user with verified
// contact details (the integrator vouches for them), the profile, the terms
// acceptance and questionnaire, evaluates the documents when given, and
// creates the user's account (inactive until KYC is active). The user has
// no password: they set one through ForgotPassword.
func (s *Service) CreateIndividualAccount(ctx context.Context, req kyc.IndividualAccountRequest) (*IndividualAccountResult, error) {
	if err := s.kyc.ValidateIndividualAccount(req); err != nil {
		return nil, err
	}
	info := req.UserInfo
	phone, pfe := s.parsePhone("userInfo.phone", info.Phone, true)
	email, efe := normalizeEmail("userInfo.email", info.Email)
	var fields []onboardkit.FieldError
	for _, fe := range []*onboardkit.FieldError{pfe, efe} {
		if fe != nil {
			fields = append(fields, *fe)
		}
	}
	if len(fields) > 0 {
		return nil, onboardkit.ValidationError(fields...)
	}
	if taken, err := s.identifierTaken(ctx, phone, email); err != nil {
		return nil, s.internal(ctx, "individual lookup", err)
	} else if taken {
		return nil, onboardkit.ErrIdentifierTaken
	}
	var res *kyc.Result
	if len(req.VerificationDocuments) > 0 {
		var err error
		if res, err = s.kyc.Evaluate(ctx, req.EvaluateInput()); err != nil {
			return nil, err
		}
	}
	ids := make([]string, 3)
	for i := range ids {
		var err error
		if ids[i], err = s.newID(); err != nil {
			return nil, err
		}
	}
	userID, accountID, subID := ids[0], ids[1], ids[2]
	now := s.now()
	u := &storage.User{
		ID: userID, Phone: phone, PhoneVerified: true, Email: email, EmailVerified: true,
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
	u.KYCTier = string(s.tier(u))
	acct, err := newAccountRecord(accountID, u, now)
	if err != nil {
		return nil, err
	}
	evs := []Event{s.event(EventIndividualCreated, userID), s.event(EventAccountCreated, userID, "account_id", accountID)}
	err = s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if res != nil {
			if err := tx.CreateKYCSubmission(ctx, submissionRecord(subID, userID, 1, res, info.SocialSecurityNumber, now)); err != nil {
				return err
			}
		}
		if err := tx.CreateAccount(ctx, acct); err != nil {
			return err
		}
		return s.record(ctx, tx, evs...)
	})
	if errors.Is(err, storage.ErrDuplicate) {
		return nil, onboardkit.ErrIdentifierTaken
	}
	if err != nil {
		return nil, s.stepErr(ctx, "create individual account", err)
	}
	s.emit(ctx, evs...)
	out := &IndividualAccountResult{UserID: userID, AccountID: accountID, VerificationStatus: kyc.Status(u.KYCStatus),
		MissingDocuments: []string{}, VerificationDocuments: []kyc.DocumentResult{}}
	if res != nil {
		out.MissingDocuments, out.VerificationDocuments = res.MissingDocuments, res.Documents
		s.review(ctx, userID, subID, res)
		if cur, err := s.store.GetUser(ctx, userID); err == nil {
			out.VerificationStatus = kyc.Status(cur.KYCStatus)
		}
	}
	return out, nil
}

// tier computes the user's KYC tier.
func (s *Service) tier(u *storage.User) kyc.Tier {
	return kyc.TierFor(u.PhoneVerified || u.EmailVerified, u.Profile != nil, kyc.Status(u.KYCStatus))
}

// stepErr maps storage errors of a step.
func (s *Service) stepErr(ctx context.Context, op string, err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return onboardkit.ErrNotFound
	}
	return s.internal(ctx, op, err)
}
