// This file owns what a KYC decision does: the one table from a reviewer's
// verification status to the registration trigger and the event, and the
// effects of approval (tier KYC_1, every account active, and, unless
// disabled, a TRADING portfolio with its deposit address in the first
// account, created if there is none), all in one unit of work.

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

// DecisionResult is the outcome of RecordKYCDecision.
type DecisionResult struct {
	UserID             string     `json:"userId"`
	VerificationStatus kyc.Status `json:"verificationStatus"`
	Tier               kyc.Tier   `json:"tier"`
}

// outcome is what one decided verification status does.
type outcome struct {
	trigger Trigger
	event   string
	// approves runs the approval effects.
	approves bool
}

// outcomes is the table of decisions. kyc.Decision.Validate admits only
// these statuses.
var outcomes = map[kyc.Status]outcome{
	kyc.StatusActive:                {trigger: TriggerKYCApproved, event: EventKYCApproved, approves: true},
	kyc.StatusRejected:              {trigger: TriggerKYCRejected, event: EventKYCRejected},
	kyc.StatusWaitingForInformation: {trigger: TriggerKYCMoreInfo, event: EventKYCInformationRequired},
}

// errAlreadyDecided stops a decision that the user already has.
const errAlreadyDecided signal = "onboarding: decision already recorded"

type decisions struct {
	*core
	prov *provisioning
}

// source says where a decision comes from: an integrator's signed call
// (the zero value) or a provider's notification, recorded in the
// decision's unit of work so that it applies once.
type source struct {
	provider, eventID string
}

// record is Service.RecordKYCDecision and RecordProviderDecision.
func (d *decisions) record(ctx context.Context, userID string, dec kyc.Decision, src source) (*DecisionResult, error) {
	if err := dec.Validate(); err != nil {
		return nil, err
	}
	if !validID(userID) {
		return nil, onboardkit.CodeNotFound.Err()
	}
	u, err := d.apply(ctx, userID, dec, outcomes[dec.Status], src)
	if errors.Is(err, errAlreadyDecided) {
		if src.provider != "" {
			// The user already has what the notification decides: it is
			// answered, so record it (the unit that would have was rolled
			// back), lest the same signed body, replayed after the status
			// moved on (a deactivation and a reactivation), decide then.
			// A notification refused as an invalid transition is not
			// recorded: the provider's retry may apply once the state
			// allows it.
			err := d.store.RecordProviderEvent(ctx, src.provider, src.eventID, d.now())
			var dup *storage.DuplicateError
			if err != nil && !errors.As(err, &dup) {
				return nil, d.storeErr(ctx, "record provider event", err)
			}
		}
		u, err = d.getUser(ctx, userID)
	}
	if err != nil {
		return nil, err
	}
	return &DecisionResult{UserID: userID, VerificationStatus: kyc.Status(u.KYCStatus), Tier: kyc.Tier(u.KYCTier)}, nil
}

// apply records the decision in one unit of work: the user's statuses and
// tier, the latest submission's status, the event, and approval's effects.
// Delivering the same decision twice changes nothing the second time.
func (d *decisions) apply(ctx context.Context, userID string, dec kyc.Decision, out outcome, src source) (*storage.User, error) {
	now := d.now()
	var usr *storage.User
	err := d.step(ctx, "record kyc decision", func(ctx context.Context, tx *unit) error {
		var err error
		if src.provider != "" {
			err = tx.RecordProviderEvent(ctx, src.provider, src.eventID, now)
			var dup *storage.DuplicateError
			if errors.As(err, &dup) {
				return errAlreadyDecided // this notification was applied before
			}
			if err != nil {
				return err
			}
		}
		usr, err = d.updateUser(ctx, tx.later, userID, func(u *storage.User) error {
			cur := ProgressOf(u).KYC
			if cur == dec.Status && dec.Status != kyc.StatusWaitingForInformation {
				return errAlreadyDecided
			}
			if err := kyc.CheckDecision(cur, dec); err != nil {
				return err
			}
			if err := d.fire(u, out.trigger); err != nil {
				return err
			}
			u.KYCStatus = string(dec.Status)
			return nil
		})
		if err != nil {
			return err
		}
		if err := d.updateSubmission(ctx, tx, userID, dec, now); err != nil {
			return err
		}
		if src.provider != "" {
			tx.raise(out.event, userID, "provider", src.provider)
		} else {
			tx.raise(out.event, userID)
		}
		if out.approves {
			return d.approve(ctx, tx, userID, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return usr, nil
}

// updateSubmission records the decision on the user's latest submission.
func (d *decisions) updateSubmission(ctx context.Context, tx *unit, userID string, dec kyc.Decision, now time.Time) error {
	last, err := tx.LatestKYCStatus(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	missing := last.MissingDocuments
	if dec.Status == kyc.StatusWaitingForInformation {
		missing = dec.MissingDocuments
	}
	return tx.later.UpdateKYCSubmissionStatus(ctx, last.ID, string(dec.Status), dec.Reason, missing, now)
}

// approve runs in the decision's unit of work: every account of the user
// becomes active and, when configured, the first account (created if there
// is none) gets a TRADING portfolio, with a deposit address allocated in
// the same unit of work. It plans from the data in the unit of work, so a
// decision delivered twice creates nothing twice.
func (d *decisions) approve(ctx context.Context, tx *unit, userID string, now time.Time) error {
	if _, err := tx.SetAccountsActive(ctx, userID, true, now); err != nil {
		return err
	}
	accts, err := userAccounts(ctx, tx, userID)
	if err != nil {
		return err
	}
	plan := d.prov.planner.ProvisionPlan(accts)
	accountID := plan.AccountID
	if plan.CreateAccount {
		if accountID, err = d.newID(); err != nil {
			return err
		}
		if err := tx.later.CreateAccount(ctx, &storage.Account{ID: accountID, UserID: userID, Active: true, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		tx.raise(EventAccountCreated, userID, "account_id", accountID)
	}
	if plan.LinkTradingID != "" {
		return tx.later.SetTradingPortfolio(ctx, accountID, plan.LinkTradingID, now)
	}
	if !plan.CreateTrading || d.prov.addresses == nil {
		return nil
	}
	id, err := d.newID()
	if err != nil {
		return err
	}
	p := portfolio.Portfolio{ID: id, AccountID: accountID, UserID: userID, Name: plan.TradingName, Type: portfolio.TypeTrading, CreatedAt: now}
	if err := portfolio.AssignAddress(ctx, &p, d.prov.addresses, tx); err != nil {
		return err
	}
	return addPortfolio(ctx, tx, &p, "")
}
