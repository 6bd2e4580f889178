package onboarding

import (
	"fmt"
	"slices"
	"strings"

	"github.com/onboardkit/onboardkit"
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
	StatusLocked              Status = "locked"
)

// Statuses lists every registration status in journey order.
var Statuses = []Status{
	StatusRegistered, StatusContactVerified, StatusProfileCompleted,
	StatusComplianceCompleted, StatusKYCPending, StatusActive, StatusRejected, StatusLocked,
}

// Step names a step of the journey, as listed by Next.
type Step string

// Steps of the journey.
const (
	StepConfirmPhone     Step = "confirm_phone"
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
	TriggerLock             Trigger = "lock"
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
// which steps are required. The zero value is not valid; use DefaultFlow.
type Flow struct {
	// SignUp selects phone-first (the default) or email-first sign-up.
	SignUp SignUpMode
	// RequireEmail makes adding and confirming an email a required step of
	// phone-first sign-up (default true). Email-first sign-ups confirm their
	// email at sign-up.
	RequireEmail bool
}

// DefaultFlow returns the seed flow: phone-first sign-up, email required.
func DefaultFlow() Flow {
	return Flow{SignUp: SignUpWithPhone, RequireEmail: true}
}

// Transitions returns the transition table of the flow.
func (f Flow) Transitions() []Transition {
	verified := []Status{StatusContactVerified, StatusProfileCompleted, StatusComplianceCompleted, StatusKYCPending, StatusActive}
	return []Transition{
		{Trigger: TriggerConfirmContact, From: []Status{StatusRegistered}, To: StatusContactVerified},
		{Trigger: TriggerAddEmail, From: append([]Status{StatusRegistered}, verified...)},
		{Trigger: TriggerConfirmEmail, From: append([]Status{StatusRegistered}, verified...)},
		{Trigger: TriggerCompleteProfile, From: []Status{StatusContactVerified}, To: StatusProfileCompleted, Guard: "email confirmed if required"},
		{Trigger: TriggerCompleteProfile, From: []Status{StatusProfileCompleted, StatusComplianceCompleted}},
		{Trigger: TriggerCompleteProfile, From: []Status{StatusKYCPending}, Guard: "kyc waiting for information"},
		{Trigger: TriggerSubmitCompliance, From: []Status{StatusProfileCompleted}, To: StatusComplianceCompleted},
		{Trigger: TriggerSubmitCompliance, From: []Status{StatusComplianceCompleted}},
		{Trigger: TriggerSubmitKYC, From: []Status{StatusComplianceCompleted, StatusKYCPending}, To: StatusKYCPending, Guard: "no submission under review"},
		{Trigger: TriggerKYCApproved, From: []Status{StatusKYCPending}, To: StatusActive},
		{Trigger: TriggerKYCRejected, From: []Status{StatusKYCPending}, To: StatusRejected},
		{Trigger: TriggerKYCMoreInfo, From: []Status{StatusKYCPending}, To: StatusKYCPending},
		{Trigger: TriggerLock, From: []Status{StatusRegistered, StatusContactVerified, StatusProfileCompleted, StatusComplianceCompleted, StatusKYCPending, StatusActive, StatusRejected}, To: StatusLocked},
	}
}

// Fire checks that ev is allowed for u and returns the status u moves to.
// A step out of order returns an invalid_transition *onboardkit.Error that
// names the current status and the steps still required.
func (f Flow) Fire(u *storage.User, ev Trigger) (Status, error) {
	cur := Status(u.Status)
	for _, t := range f.Transitions() {
		if t.Trigger != ev || !slices.Contains(t.From, cur) {
			continue
		}
		if err := f.guard(u, ev); err != nil {
			return cur, err
		}
		if t.To == "" {
			return cur, nil
		}
		return t.To, nil
	}
	return cur, f.invalid(u, ev, "")
}

func (f Flow) guard(u *storage.User, ev Trigger) error {
	switch ev {
	case TriggerCompleteProfile:
		if f.SignUp == SignUpWithPhone && f.RequireEmail && !u.EmailVerified {
			return f.invalid(u, ev, "the email address must be confirmed first")
		}
		if Status(u.Status) == StatusKYCPending && u.KYCStatus != "waiting_for_information" {
			return f.invalid(u, ev, "the submission is under review")
		}
	case TriggerSubmitKYC:
		if Status(u.Status) == StatusKYCPending && u.KYCStatus != "waiting_for_information" {
			return f.invalid(u, ev, "a submission is already under review")
		}
	}
	return nil
}

func (f Flow) invalid(u *storage.User, ev Trigger, why string) error {
	next := f.Next(u)
	msg := fmt.Sprintf("Step %s is not allowed while the registration status is %s", ev, u.Status)
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
	return &onboardkit.Error{Code: onboardkit.CodeInvalidTransition, Message: msg + "."}
}

// Next returns the steps u must still complete, in order.
func (f Flow) Next(u *storage.User) []Step {
	var steps []Step
	switch Status(u.Status) {
	case StatusActive, StatusRejected, StatusLocked:
		return []Step{}
	}
	if f.SignUp == SignUpWithEmail {
		if !u.EmailVerified {
			steps = append(steps, StepConfirmEmail)
		}
	} else {
		if !u.PhoneVerified {
			steps = append(steps, StepConfirmPhone)
		}
		if f.RequireEmail {
			if u.Email == "" {
				steps = append(steps, StepAddEmail)
			}
			if !u.EmailVerified {
				steps = append(steps, StepConfirmEmail)
			}
		}
	}
	if u.Profile == nil {
		steps = append(steps, StepCompleteProfile)
	}
	if u.Compliance == nil {
		steps = append(steps, StepSubmitCompliance)
	}
	switch u.KYCStatus {
	case "", "not_started", "waiting_for_information":
		steps = append(steps, StepSubmitKYC)
	}
	steps = append(steps, StepKYCReview)
	if steps == nil {
		steps = []Step{}
	}
	return steps
}

// Mermaid returns the flow as a Mermaid state diagram.
func (f Flow) Mermaid() string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	fmt.Fprintf(&b, "    [*] --> %s: sign_up (%s)\n", StatusRegistered, f.SignUp)
	for _, t := range f.Transitions() {
		if t.To == "" || t.Trigger == TriggerLock {
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
	fmt.Fprintf(&b, "    note right of %s: any status except %s can be locked by an administrator\n", StatusLocked, StatusLocked)
	return b.String()
}
