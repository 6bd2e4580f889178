// This file owns the events a step raises: their shape, every event type,
// and the hooks that receive them after commit.

package onboarding

import (
	"context"
	"time"
)

// Hook receives events after the step that raised them committed, in
// process and at most once: an error is logged and never undoes the step,
// and a crash loses the call. For durable delivery to other services, run
// a webhook.Deliverer: it delivers the audit log, written in each step's
// unit of work, at least once.
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
	EventPasskeyAdded         = "passkey.added"
	EventPasskeyRemoved       = "passkey.removed"
	EventPasskeyUsed          = "passkey.used"

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

	// Operator actions (operator.go); data.actor names the operator.
	EventUserLocked       = "user.locked"
	EventUserUnlocked     = "user.unlocked"
	EventKYCDeactivated   = "kyc.deactivated"
	EventKYCReactivated   = "kyc.reactivated"
	EventRolesChanged     = "user.roles_changed"
	EventMetadataChanged  = "user.metadata_changed"
	EventOperatorSearched = "operator.users_searched"
	EventOperatorReadLog  = "operator.events_read"
)

// EventTypes returns every event type the Service raises.
func EventTypes() []string {
	return []string{
		EventUserRegistered, EventSignUpDuplicate, EventUserReplaced, EventCodeDropped,
		EventPhoneConfirmed, EventPhoneChanged, EventEmailConfirmed, EventEmailChangeRequested,
		EventLoginSucceeded, EventLoginFailed, EventPasswordReset, EventPasswordChanged,
		EventSessionReuseDetected, EventSessionRevoked, EventTOTPEnabled, EventTOTPDisabled, EventRecoveryCodeUsed,
		EventPasskeyAdded, EventPasskeyRemoved, EventPasskeyUsed,
		EventProfileUpdated, EventComplianceSubmitted, EventKYCSubmitted, EventKYCApproved, EventKYCRejected,
		EventKYCInformationRequired, EventIndividualCreated, EventUserErased, EventUserPurged,
		EventAccountCreated, EventPortfolioCreated,
		EventUserLocked, EventUserUnlocked, EventKYCDeactivated, EventKYCReactivated,
		EventRolesChanged, EventMetadataChanged, EventOperatorSearched, EventOperatorReadLog,
	}
}

// EventDataKeys lists every key an event's Data may hold: ids, statuses,
// reasons, counts and the operator's key, never personal data, codes or
// secrets. A test holds every raised event to it.
func EventDataKeys() []string {
	return []string{
		"account_id", "portfolio_id", "submission_id", "family_id", "replaced_by",
		"verification_status", "type", "signup", "scope", "method", "purpose",
		"reason", "consecutive", "results", "kyc_retained_until", "roles", "actor", "provider", "passkey_id",
	}
}
