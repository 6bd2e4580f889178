// This file owns what a KYC decision does: the one table from a reviewer's
// verification status to the registration trigger and the event, and the
// effects of approval (tier KYC_1, every account active, and, unless
// disabled, a TRADING portfolio with its deposit address in the first
// account, created if there is none).

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

// errPlanChanged stops an approval whose provisioning needs a deposit
// address that was not allocated beforehand.
const errPlanChanged signal = "onboarding: provisioning plan changed"

type decisions struct {
	*core
	prov *provisioning
}

// record is Service.RecordKYCDecision. An approval that provisions a
// trading portfolio allocates its deposit address before the unit of work
// (allocation is its own atomic write); when the user's accounts changed in
// between so that the plan needs an address it does not have, the decision
// is prepared and applied once more.
func (d *decisions) record(ctx context.Context, userID string, dec kyc.Decision) (*DecisionResult, error) {
	if err := dec.Validate(); err != nil {
		return nil, err
	}
	if !validID(userID) {
		return nil, onboardkit.CodeNotFound.Err()
	}
	out := outcomes[dec.Status]
	for attempt := 1; ; attempt++ {
		var trading *portfolio.Portfolio
		if out.approves {
			var err error
			if trading, err = d.prepareTrading(ctx, userID); err != nil {
				return nil, err
			}
		}
		u, err := d.apply(ctx, userID, dec, out, trading)
		switch {
		case errors.Is(err, errPlanChanged) && attempt < 2:
			continue
		case errors.Is(err, errPlanChanged):
			return nil, &onboardkit.Error{Code: onboardkit.CodeConflict, Message: onboardkit.CodeConflict.Message(), Err: err}
		case errors.Is(err, errAlreadyDecided):
			if u, err = d.getUser(ctx, userID); err != nil {
				return nil, err
			}
		case err != nil:
			return nil, err
		}
		return &DecisionResult{UserID: userID, VerificationStatus: kyc.Status(u.KYCStatus), Tier: kyc.Tier(u.KYCTier)}, nil
	}
}

// apply records the decision in one unit of work: the user's statuses and
// tier, the latest submission's status, the event, and approval's effects.
// Delivering the same decision twice changes nothing the second time.
func (d *decisions) apply(ctx context.Context, userID string, dec kyc.Decision, out outcome, trading *portfolio.Portfolio) (*storage.User, error) {
	now := d.now()
	var usr *storage.User
	err := d.step(ctx, "record kyc decision", func(ctx context.Context, tx *unit) error {
		var err error
		usr, err = d.updateUser(ctx, tx, userID, func(u *storage.User) error {
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
		tx.raise(out.event, userID)
		if out.approves {
			return d.approve(ctx, tx, userID, trading, now)
		}
		return nil
	})
	if errors.Is(err, errAlreadyDecided) || errors.Is(err, errPlanChanged) {
		return nil, err
	}
	return usr, err
}

// updateSubmission records the decision on the user's latest submission.
func (d *decisions) updateSubmission(ctx context.Context, tx *unit, userID string, dec kyc.Decision, now time.Time) error {
	last, err := tx.LatestKYCSubmission(ctx, userID)
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
	return tx.UpdateKYCSubmissionStatus(ctx, last.ID, string(dec.Status), dec.Reason, missing, now)
}

// prepareTrading allocates the deposit address of the trading portfolio
// approval would provision, judged outside any unit of work; nil when the
// plan provisions none.
func (d *decisions) prepareTrading(ctx context.Context, userID string) (*portfolio.Portfolio, error) {
	if d.prov.addresses == nil {
		return nil, nil
	}
	accts, err := userAccounts(ctx, d.store, userID)
	if err != nil {
		return nil, d.storeErr(ctx, "plan provisioning", err)
	}
	if !d.prov.planner.ProvisionPlan(accts).CreateTrading {
		return nil, nil
	}
	id, err := d.newID()
	if err != nil {
		return nil, err
	}
	p := &portfolio.Portfolio{ID: id, Type: portfolio.TypeTrading}
	if err := d.prov.assignAddress(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// approve runs in the decision's unit of work: every account of the user
// becomes active and, when configured, the first account (created if there
// is none) gets a TRADING portfolio. It plans from the data in the unit of
// work, so a decision delivered twice creates nothing twice.
func (d *decisions) approve(ctx context.Context, tx *unit, userID string, trading *portfolio.Portfolio, now time.Time) error {
	if _, err := tx.ActivateAccounts(ctx, userID, now); err != nil {
		return err
	}
	accts, err := userAccounts(ctx, tx, userID)
	if err != nil {
		return err
	}
	plan := d.prov.planner.ProvisionPlan(accts)
	if plan.CreateTrading && d.prov.addresses != nil && trading == nil {
		return errPlanChanged
	}
	accountID := plan.AccountID
	if plan.CreateAccount {
		if accountID, err = d.newID(); err != nil {
			return err
		}
		if err := tx.CreateAccount(ctx, &storage.Account{ID: accountID, UserID: userID, Active: true, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		tx.raise(EventAccountCreated, userID, "account_id", accountID)
	}
	if plan.LinkTradingID != "" {
		return tx.SetTradingPortfolio(ctx, accountID, plan.LinkTradingID, now)
	}
	if !plan.CreateTrading || trading == nil {
		return nil
	}
	p := *trading
	p.AccountID, p.UserID, p.Name, p.Type, p.CreatedAt = accountID, userID, plan.TradingName, portfolio.TypeTrading, now
	return addPortfolio(ctx, tx, &p, "")
}
