package kyc

import (
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit"
)

// Review is what the Service hands to the Reviewer after storing a
// submission whose Result.Status is under_review.
type Review struct {
	UserID       string
	SubmissionID string
	// Result is the evaluated submission, decoded documents included.
	Result *Result
}

// Reviewer is the host's KYC provider.
//
// Submit hands a submission over for review. A reviewer that decides at once
// (DevReviewer) returns its Decision, which the Service applies immediately;
// one that decides later (a provider calling a webhook) returns nil, and the
// decision reaches the Service later (POST /v1/integrator/kyc-decisions).
// An error means the hand-over failed; the submission stays under_review and
// the Service may retry.
type Reviewer interface {
	Submit(ctx context.Context, r Review) (*Decision, error)
}

// Decision is a reviewer's verdict. Its JSON is the body of POST
// /v1/integrator/kyc-decisions without userId.
type Decision struct {
	// Status is active, rejected or waiting_for_information.
	Status Status `json:"verificationStatus"`
	// Reason is an optional explanation (at most 500 characters). It is
	// shown to the user and stored, so reviewers must keep PII out of it.
	Reason string `json:"reason,omitempty"`
	// MissingDocuments lists what the user must add (for
	// waiting_for_information): MissingIdentityDocument,
	// MissingProofOfAddress, MissingSelfie or a document type.
	MissingDocuments []string `json:"missingDocuments,omitempty"`
}

// MaxReasonLength is the longest Decision.Reason accepted, in characters.
const MaxReasonLength = 500

// Validate checks the decision: a decisive status, a reason of at most
// MaxReasonLength printable characters, known missing-document names. It
// returns nil or a validation *onboardkit.Error (field paths
// "verificationStatus", "reason", "missingDocuments[i]").
func (d Decision) Validate() error {
	var fields []onboardkit.FieldError
	switch d.Status {
	case StatusActive, StatusRejected, StatusWaitingForInformation:
	case "":
		fields = append(fields, onboardkit.FieldError{Field: "verificationStatus", Code: onboardkit.FieldRequired, Message: codeMessages[onboardkit.FieldRequired]})
	default:
		fields = append(fields, onboardkit.FieldError{Field: "verificationStatus", Code: onboardkit.FieldInvalidEnum,
			Message: "Use one of: active, rejected, waiting_for_information."})
	}
	switch {
	case utf8.RuneCountInString(d.Reason) > MaxReasonLength:
		fields = append(fields, onboardkit.FieldError{Field: "reason", Code: onboardkit.FieldTooLong,
			Message: fmt.Sprintf("Use at most %d characters.", MaxReasonLength)})
	case !isText(d.Reason):
		fields = append(fields, onboardkit.FieldError{Field: "reason", Code: onboardkit.FieldInvalid, Message: tagMessages["kyc_text"]})
	}
	if len(d.MissingDocuments) > 20 {
		fields = append(fields, onboardkit.FieldError{Field: "missingDocuments", Code: onboardkit.FieldTooMany, Message: "At most 20 items are accepted."})
	} else {
		for i, m := range d.MissingDocuments {
			if !slices.Contains(missingNames, m) {
				fields = append(fields, onboardkit.FieldError{Field: fmt.Sprintf("missingDocuments[%d]", i), Code: onboardkit.FieldInvalidEnum,
					Message: "Use identity_document, proof_of_address, selfie or a document type."})
			}
		}
	}
	if len(fields) > 0 {
		return onboardkit.ValidationError(fields...)
	}
	return nil
}

var missingNames = func() []string {
	s := []string{MissingIdentityDocument, MissingProofOfAddress, MissingSelfie}
	for _, t := range documentTypes {
		if !slices.Contains(s, string(t)) {
			s = append(s, string(t))
		}
	}
	return s
}()

// CheckDecision validates d and checks that the status may move from the
// user's current status to d.Status (an invalid_transition
// *onboardkit.Error otherwise, e.g. a decision for a user not under review).
func CheckDecision(current Status, d Decision) error {
	if err := d.Validate(); err != nil {
		return err
	}
	return Transition(current, d.Status)
}

// DevReviewer is a development reviewer: it decides synchronously, approving
// (active) complete submissions whose documents have no errors, and asking
// for information (waiting_for_information, with the missing documents, or
// with a reason naming the documents with errors) otherwise. It never
// rejects. Do not use it in production.
type DevReviewer struct{}

// Submit returns the decision at once.
func (DevReviewer) Submit(ctx context.Context, r Review) (*Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.Result == nil {
		return nil, onboardkit.NewError(onboardkit.CodeInternal, "The review has no result.")
	}
	d := DevDecision(r.Result)
	return &d, nil
}

// DevDecision is DevReviewer's rule as a function.
func DevDecision(res *Result) Decision {
	switch {
	case !res.Complete():
		missing := slices.Clone(res.MissingDocuments)
		reason := "Documents are missing."
		if len(res.MissingFields) > 0 {
			reason = "Information is missing."
		}
		return Decision{Status: StatusWaitingForInformation, Reason: reason, MissingDocuments: missing}
	case res.HasErrors():
		var bad []string
		for _, doc := range res.Documents {
			if !doc.OK() && !slices.Contains(bad, string(doc.DocumentType)) {
				bad = append(bad, string(doc.DocumentType))
			}
		}
		return Decision{Status: StatusWaitingForInformation, Reason: "Some documents have errors.", MissingDocuments: bad}
	default:
		return Decision{Status: StatusActive}
	}
}
