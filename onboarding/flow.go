// This file owns the registration state machine: the statuses, the steps
// and triggers, the declarative transition table with its guards, and
// Progress, the view of a user that the machine reads and from which the
// derived values (tier, whether accounts are active) come.

package onboarding

import (
	"fmt"
	"slices"
	"strings"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/storage"
)

// Status is the registration status of a user.
type Status string

// Registration statuses.
const (
	StatusRegistered          Status = "registered"
	StatusContactVerified     Status = "contact_verified"
	StatusProfileCompleted    Status = "profile_completed"
	StatusComplianceCompleted Status = "compliance_completed"
	StatusKYCPending          Status = "kyc_pending"
	StatusActive              Status = "active"
	StatusRejected            Status = "rejected"
	// StatusErased is an erased user kept, anonymised, while its KYC
	// records are retained (Config.Retention); nothing leads out of it.
	StatusErased Status = "erased"
)

// Statuses lists every registration status in journey order.
var Statuses = []Status{
	StatusRegistered, StatusContactVerified, StatusProfileCompleted,
	StatusComplianceCompleted, StatusKYCPending, StatusActive, StatusRejected, StatusErased,
}

// Step names a step of the journey, as listed by Next.
type Step string

// Steps of the journey.
const (
	StepConfirmPhone     Step = "confirm_phone"
	StepAddPhone         Step = "add_phone"
	StepAddEmail         Step = "add_email"
	StepConfirmEmail     Step = "confirm_email"
	StepCompleteProfile  Step = "complete_profile"
	StepSubmitCompliance Step = "submit_compliance"
	StepSubmitKYC        Step = "submit_kyc"
	StepKYCReview        Step = "kyc_review"
)

// Trigger names a transition of the registration state machine.
type Trigger string

// State machine triggers. Each Service step fires one.
const (
	TriggerConfirmContact   Trigger = "confirm_contact"
	TriggerAddEmail         Trigger = "add_email"
	TriggerConfirmEmail     Trigger = "confirm_email"
	TriggerCompleteProfile  Trigger = "complete_profile"
	TriggerSubmitCompliance Trigger = "submit_compliance"
	TriggerSubmitKYC        Trigger = "submit_kyc"
	TriggerKYCApproved      Trigger = "kyc_approved"
	TriggerKYCRejected      Trigger = "kyc_rejected"
	TriggerKYCMoreInfo      Trigger = "kyc_more_info"
	TriggerAddPhone         Trigger = "add_phone"
	TriggerConfirmPhone     Trigger = "confirm_phone"
	TriggerKYCDeactivated   Trigger = "kyc_deactivated"
	TriggerKYCReactivated   Trigger = "kyc_reactivated"
)

// Transition is one row of the declarative transition table: Trigger moves a
// user in one of the From statuses to To (an empty To keeps the status).
// Guard, when set, must also allow it.
type Transition struct {
	Trigger Trigger
	From    []Status
	To      Status
	// Guard names the extra condition, for the diagram; the check itself
	// is Flow.guard.
	Guard string
}

// SignUpMode selects the identifier a user signs up with.
type SignUpMode string

// Sign-up modes.
const (
	SignUpWithPhone SignUpMode = "phone"
	SignUpWithEmail SignUpMode = "email"
)

// Flow is the host's configuration of the journey: how users sign up and
// which steps are required. The zero value is the seed flow: phone-first
// sign-up with an email required.
//
// An administrator's lock is not a status: an operator locks a user of any
// status (login is refused and sessions end) and unlocks them, and the
// status is kept (Progress.Locked).
type Flow struct {
	// SignUp selects phone-first ("" or SignUpWithPhone) or email-first
	// sign-up.
	SignUp SignUpMode
	// EmailOptional makes adding and confirming an email optional in
	// phone-first sign-up (by default it is a required step). Email-first
	// sign-ups confirm their email at sign-up.
	EmailOptional bool
	// PhoneRequired makes email-first users add and confirm a phone number
	// after their profile and before the compliance declarations, the
	// order of the retail sign-up log (see SignUpLogFlow). Without it an
	// email-first user may add a phone at any time after sign-up, or
	// never. Phone-first users always have one.
	PhoneRequired bool
}

// DefaultFlow returns the seed flow: phone-first sign-up, email required.
// It equals the zero Flow with SignUp spelled out.
func DefaultFlow() Flow { return Flow{SignUp: SignUpWithPhone} }

// SignUpLogFlow returns the flow of the retail sign-up log the product
// comes from: email, email code, names, address (the profile, which may be
// saved in parts), phone, phone code, compliance, KYC.
func SignUpLogFlow() Flow { return Flow{SignUp: SignUpWithEmail, PhoneRequired: true} }

// normalized returns f with SignUp spelled out.
func (f Flow) normalized() Flow {
	if f.SignUp == "" {
		f.SignUp = SignUpWithPhone
	}
	return f
}

// EmailFirst reports whether users sign up with an email address.
func (f Flow) EmailFirst() bool { return f.SignUp == SignUpWithEmail }

func (f Flow) emailRequired() bool { return !f.EmailFirst() && !f.EmailOptional }

func (f Flow) phoneRequired() bool { return f.EmailFirst() && f.PhoneRequired }

// validate reports a SignUp mode the flow does not know.
func (f Flow) validate() error {
	switch f.SignUp {
	case "", SignUpWithPhone, SignUpWithEmail:
		return nil
	}
	return fmt.Errorf("the Flow.SignUp %q is not %q or %q", f.SignUp, SignUpWithPhone, SignUpWithEmail)
}

// Progress is what the flow knows of a user: the facts its transitions,
// guards and Next read, and the values derived from them. ProgressOf reads
// it from a user record.
type Progress struct {
	Status        Status
	PhoneVerified bool
	HasEmail      bool
	EmailVerified bool
	// HasProfile reports a complete profile (one saved in parts is not).
	HasProfile    bool
	HasCompliance bool
	// Locked reports an administrator's lock.
	Locked bool
	// KYC is the identity-verification status (kyc.StatusNotStarted for a
	// user who submitted nothing).
	KYC kyc.Status
}

// ProgressOf returns the progress of a user record. A stored verification
// status that is empty reads as not_started.
func ProgressOf(u *storage.User) Progress {
	st, err := kyc.ParseStatus(u.KYCStatus)
	if err != nil {
		st = kyc.Status(u.KYCStatus) // unknown: kept as is, matches no rule
	}
	return Progress{
		Status: Status(u.Status), PhoneVerified: u.PhoneVerified,
		HasEmail: u.Email != "", EmailVerified: u.EmailVerified,
		HasProfile: u.ProfileComplete, HasCompliance: !u.Compliance.IsZero(), KYC: st, Locked: u.AdminLocked,
	}
}

// ContactVerified reports whether the phone or the email is verified.
func (p Progress) ContactVerified() bool { return p.PhoneVerified || p.EmailVerified }

// Tier is the KYC tier the progress has reached (kyc.TierFor).
func (p Progress) Tier() kyc.Tier { return kyc.TierFor(p.ContactVerified(), p.HasProfile, p.KYC) }

// KYCActive reports whether identity verification is active: only then are
// accounts active and portfolios allowed.
func (p Progress) KYCActive() bool { return p.KYC == kyc.StatusActive }

// awaitingInformation reports whether the verification waits for the user
// to submit again.
func (p Progress) awaitingInformation() bool { return p.KYC == kyc.StatusWaitingForInformation }

// Transitions returns the transition table of the flow.
func (f Flow) Transitions() []Transition {
	verified := []Status{StatusContactVerified, StatusProfileCompleted, StatusComplianceCompleted, StatusKYCPending, StatusActive}
	return []Transition{
		{Trigger: TriggerConfirmContact, From: []Status{StatusRegistered}, To: StatusContactVerified},
		{Trigger: TriggerAddEmail, From: append([]Status{StatusRegistered}, verified...)},
		{Trigger: TriggerConfirmEmail, From: append([]Status{StatusRegistered}, verified...)},
		{Trigger: TriggerAddPhone, From: verified},
		{Trigger: TriggerConfirmPhone, From: verified},
		{Trigger: TriggerCompleteProfile, From: []Status{StatusContactVerified}, To: StatusProfileCompleted, Guard: "email confirmed if required"},
		{Trigger: TriggerCompleteProfile, From: []Status{StatusProfileCompleted, StatusComplianceCompleted}},
		{Trigger: TriggerCompleteProfile, From: []Status{StatusKYCPending}, Guard: "kyc waiting for information"},
		{Trigger: TriggerSubmitCompliance, From: []Status{StatusProfileCompleted}, To: StatusComplianceCompleted, Guard: f.complianceGuard()},
		{Trigger: TriggerSubmitCompliance, From: []Status{StatusComplianceCompleted}},
		{Trigger: TriggerSubmitKYC, From: []Status{StatusComplianceCompleted, StatusKYCPending}, To: StatusKYCPending, Guard: "no submission under review"},
		{Trigger: TriggerKYCApproved, From: []Status{StatusKYCPending}, To: StatusActive},
		{Trigger: TriggerKYCRejected, From: []Status{StatusKYCPending}, To: StatusRejected},
		{Trigger: TriggerKYCMoreInfo, From: []Status{StatusKYCPending}, To: StatusKYCPending},
		{Trigger: TriggerKYCDeactivated, From: []Status{StatusActive}, Guard: "kyc active"},
		{Trigger: TriggerKYCReactivated, From: []Status{StatusActive}, To: StatusKYCPending, Guard: "kyc inactive"},
	}
}

// complianceGuard is the guard of the compliance step: the phone of a flow
// that requires one.
func (f Flow) complianceGuard() string {
	if f.phoneRequired() {
		return "phone confirmed"
	}
	return ""
}

// Fire checks that ev is allowed for a user at p and returns the status the
// user moves to. A step out of order returns an invalid_transition
// *onboardkit.Error that names the current status and the steps still
// required.
func (f Flow) Fire(p Progress, ev Trigger) (Status, error) {
	for _, t := range f.Transitions() {
		if t.Trigger != ev || !slices.Contains(t.From, p.Status) {
			continue
		}
		if err := f.guard(p, ev); err != nil {
			return p.Status, err
		}
		if t.To == "" {
			return p.Status, nil
		}
		return t.To, nil
	}
	return p.Status, f.invalid(p, ev, "")
}

func (f Flow) guard(p Progress, ev Trigger) error {
	switch ev {
	case TriggerCompleteProfile:
		if f.emailRequired() && !p.EmailVerified {
			return f.invalid(p, ev, "the email address must be confirmed first")
		}
		if p.Status == StatusKYCPending && !p.awaitingInformation() {
			return f.invalid(p, ev, "the submission is under review")
		}
	case TriggerSubmitCompliance:
		if f.phoneRequired() && !p.PhoneVerified {
			return f.invalid(p, ev, "the phone number must be confirmed first")
		}
	case TriggerSubmitKYC:
		if p.Status == StatusKYCPending && !p.awaitingInformation() {
			return f.invalid(p, ev, "a submission is already under review")
		}
	case TriggerKYCDeactivated:
		if p.KYC != kyc.StatusActive {
			return f.invalid(p, ev, "the verification is not active")
		}
	case TriggerKYCReactivated:
		if p.KYC != kyc.StatusInactive {
			return f.invalid(p, ev, "the verification is not inactive")
		}
	}
	return nil
}

func (f Flow) invalid(p Progress, ev Trigger, why string) error {
	next := f.Next(p)
	msg := fmt.Sprintf("Step %s is not allowed while the registration status is %s", ev, p.Status)
	if why != "" {
		msg += ": " + why
	}
	if len(next) > 0 {
		parts := make([]string, len(next))
		for i, s := range next {
			parts[i] = string(s)
		}
		msg += "; still required: " + strings.Join(parts, ", ")
	}
	return onboardkit.NewError(onboardkit.CodeInvalidTransition, msg+".")
}

// Next returns the steps a user at p must still complete, in order.
func (f Flow) Next(p Progress) []Step {
	switch {
	case p.Locked, p.Status == StatusActive, p.Status == StatusRejected, p.Status == StatusErased:
		return []Step{}
	}
	steps := []Step{}
	if f.EmailFirst() {
		if !p.EmailVerified {
			steps = append(steps, StepConfirmEmail)
		}
	} else {
		if !p.PhoneVerified {
			steps = append(steps, StepConfirmPhone)
		}
		if f.emailRequired() {
			if !p.HasEmail {
				steps = append(steps, StepAddEmail)
			}
			if !p.EmailVerified {
				steps = append(steps, StepConfirmEmail)
			}
		}
	}
	if !p.HasProfile {
		steps = append(steps, StepCompleteProfile)
	}
	if f.phoneRequired() && !p.PhoneVerified {
		steps = append(steps, StepAddPhone, StepConfirmPhone)
	}
	if !p.HasCompliance {
		steps = append(steps, StepSubmitCompliance)
	}
	if p.KYC == kyc.StatusNotStarted || p.awaitingInformation() {
		steps = append(steps, StepSubmitKYC)
	}
	return append(steps, StepKYCReview)
}

// Mermaid returns the flow as a Mermaid state diagram.
func (f Flow) Mermaid() string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	fmt.Fprintf(&b, "    [*] --> %s: sign_up (%s)\n", StatusRegistered, f.normalized().SignUp)
	for _, t := range f.Transitions() {
		if t.To == "" {
			continue
		}
		label := string(t.Trigger)
		if t.Guard != "" {
			label += " [" + t.Guard + "]"
		}
		for _, from := range t.From {
			fmt.Fprintf(&b, "    %s --> %s: %s\n", from, t.To, label)
		}
	}
	fmt.Fprintf(&b, "    %s --> [*]\n", StatusActive)
	if f.phoneRequired() {
		fmt.Fprintf(&b, "    note right of %s: add_phone, confirm_phone\n", StatusProfileCompleted)
	}
	fmt.Fprintf(&b, "    note right of %s: an operator can lock a user of any status and unlock them; the status is kept\n", StatusRegistered)
	fmt.Fprintf(&b, "    note right of %s: any user can be erased; the record stays only while KYC records are retained\n", StatusErased)
	return b.String()
}
