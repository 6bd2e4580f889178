// This file owns the events a step raises: their shape, every event type,
// and the hooks that receive them after commit.

package onboarding

import (
	"context"
	"time"
)

// Hook receives events after the step that raised them committed. An error
// is logged; it never undoes the step.
type Hook func(ctx context.Context, e Event) error

// Event is something that happened to a user. Data never holds secrets or
// clear PII. Every event is also appended to the store's audit log in the
// unit of work of its step.
type Event struct {
	Type   string            `json:"type"`
	UserID string            `json:"userId"`
	At     time.Time         `json:"at"`
	Data   map[string]string `json:"data,omitempty"`
}

// Event types.
const (
	EventUserRegistered       = "user.registered"
	EventSignUpDuplicate      = "signup.duplicate_attempt"
	EventUserReplaced         = "user.replaced" // an unconfirmed sign-up replaced by a new one
	EventCodeDropped          = "code.dropped"  // an anonymous request over its destination's budget
	EventPhoneConfirmed       = "phone.confirmed"
	EventPhoneChanged         = "phone.changed"
	EventEmailConfirmed       = "email.confirmed"
	EventEmailChangeRequested = "email.change_requested"
	EventLoginSucceeded       = "login.succeeded"
	EventLoginFailed          = "login.failed"
	EventPasswordReset        = "password.reset"
	EventPasswordChanged      = "password.changed"
	EventSessionReuseDetected = "session.reuse_detected"
	EventSessionRevoked       = "session.revoked"
	EventTOTPEnabled          = "totp.enabled"
	EventTOTPDisabled         = "totp.disabled"
	EventRecoveryCodeUsed     = "totp.recovery_code_used"

	EventProfileUpdated         = "profile.updated"
	EventComplianceSubmitted    = "compliance.submitted"
	EventKYCSubmitted           = "kyc.submitted"
	EventKYCApproved            = "kyc.approved"
	EventKYCRejected            = "kyc.rejected"
	EventKYCInformationRequired = "kyc.information_required"
	EventIndividualCreated      = "integrator.individual_created"

	EventUserErased = "user.erased" // the user and their data are gone (or the KYC records retained)
	EventUserPurged = "user.purged" // the retained KYC records of an erased user are gone

	EventAccountCreated   = "account.created"
	EventPortfolioCreated = "portfolio.created"
)
