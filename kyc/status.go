package kyc

import (
	"fmt"

	"github.com/onboardkit/onboardkit"
)

// Status is the verification status of a user.
type Status string

// The verification statuses.
const (
	// StatusNotStarted: nothing submitted yet.
	StatusNotStarted Status = "not_started"
	// StatusInit: a submission was received and is being checked. Every
	// submission passes through init; the Service normally stores the status
	// Evaluate returns right after.
	StatusInit Status = "init"
	// StatusUnderReview: a complete submission awaits the reviewer.
	StatusUnderReview Status = "under_review"
	// StatusWaitingForInformation: documents or fields are missing (found by
	// Evaluate or asked for by the reviewer); the user submits again.
	StatusWaitingForInformation Status = "waiting_for_information"
	// StatusActive: verified; the user is at tier KYC_1.
	StatusActive Status = "active"
	// StatusRejected: refused by the reviewer (final).
	StatusRejected Status = "rejected"
	// StatusInactive: a verified user deactivated afterwards; reactivation
	// goes back through review.
	StatusInactive Status = "inactive"
)

var statuses = []Status{
	StatusNotStarted, StatusInit, StatusUnderReview, StatusWaitingForInformation,
	StatusActive, StatusRejected, StatusInactive,
}

// Statuses returns every status, in journey order.
func Statuses() []Status { return append([]Status(nil), statuses...) }

// transitions is the verification status machine.
var transitions = map[Status][]Status{
	StatusNotStarted:            {StatusInit},
	StatusInit:                  {StatusUnderReview, StatusWaitingForInformation},
	StatusUnderReview:           {StatusActive, StatusRejected, StatusWaitingForInformation},
	StatusWaitingForInformation: {StatusInit, StatusUnderReview},
	StatusActive:                {StatusInactive},
	StatusRejected:              nil,
	StatusInactive:              {StatusUnderReview},
}

// Transitions returns a copy of the status machine: for each status, the
// statuses it may move to.
//
//	not_started             → init
//	init                    → under_review | waiting_for_information
//	under_review            → active | rejected | waiting_for_information
//	waiting_for_information → init (a new submission) | under_review
//	active                  → inactive (an operator deactivated the user)
//	inactive                → under_review (reactivation goes through review again)
//	rejected                → (final)
func Transitions() map[Status][]Status {
	m := make(map[Status][]Status, len(transitions))
	for k, v := range transitions {
		m[k] = append([]Status{}, v...)
	}
	return m
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// ParseStatus returns the status named s; the empty string (a user record
// created before any KYC step) reads as StatusNotStarted. An unknown name is
// a validation *onboardkit.Error.
func ParseStatus(s string) (Status, error) {
	if s == "" {
		return StatusNotStarted, nil
	}
	st := Status(s)
	if !st.Valid() {
		return "", onboardkit.ValidationError(onboardkit.FieldError{
			Field: "verificationStatus", Code: onboardkit.FieldInvalidEnum, Message: "This is not a verification status.",
		})
	}
	return st, nil
}

// CanTransition reports whether the status may move from from to to.
func CanTransition(from, to Status) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// Transition returns nil when from may move to to, and otherwise an
// *onboardkit.Error with Code invalid_transition naming both statuses.
func Transition(from, to Status) error {
	if CanTransition(from, to) {
		return nil
	}
	return &onboardkit.Error{
		Code:    onboardkit.CodeInvalidTransition,
		Message: fmt.Sprintf("The verification status cannot change from %q to %q.", from, to),
	}
}
