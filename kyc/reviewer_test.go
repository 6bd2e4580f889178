package kyc

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
)

func TestDecisionValidate(t *testing.T) {
	for _, s := range []Status{StatusActive, StatusRejected, StatusWaitingForInformation} {
		assert.NoError(t, Decision{Status: s}.Validate())
	}
	for _, tc := range []struct {
		d    Decision
		want []string
	}{
		{Decision{}, []string{"verificationStatus:required"}},
		{Decision{Status: StatusUnderReview}, []string{"verificationStatus:invalid_enum"}},
		{Decision{Status: StatusInactive}, []string{"verificationStatus:invalid_enum"}},
		{Decision{Status: "approved"}, []string{"verificationStatus:invalid_enum"}},
		{Decision{Status: StatusRejected, Reason: strings.Repeat("é", 501)}, []string{"reason:too_long"}},
		{Decision{Status: StatusRejected, Reason: "bad\x00"}, []string{"reason:invalid"}},
		{Decision{Status: StatusWaitingForInformation, MissingDocuments: []string{"selfie", "passport", "visa"}}, []string{"missingDocuments[2]:invalid_enum"}},
		{Decision{Status: StatusWaitingForInformation, MissingDocuments: make([]string, 21)}, []string{"missingDocuments:too_many"}},
	} {
		assert.Equal(t, tc.want, pairs(fieldErrors(t, tc.d.Validate())), "%+v", tc.d)
	}
	assert.NoError(t, Decision{Status: StatusRejected, Reason: strings.Repeat("é", 500)}.Validate())
}

func TestDecisionJSON(t *testing.T) {
	var d Decision
	require.NoError(t, json.Unmarshal([]byte(`{"verificationStatus":"waiting_for_information","reason":"blurry","missingDocuments":["selfie"]}`), &d))
	assert.Equal(t, Decision{Status: StatusWaitingForInformation, Reason: "blurry", MissingDocuments: []string{"selfie"}}, d)
	b, _ := json.Marshal(Decision{Status: StatusActive})
	assert.JSONEq(t, `{"verificationStatus":"active"}`, string(b))
}

func TestCheckDecision(t *testing.T) {
	assert.NoError(t, CheckDecision(StatusUnderReview, Decision{Status: StatusActive}))
	assert.NoError(t, CheckDecision(StatusUnderReview, Decision{Status: StatusRejected, Reason: "fraud"}))
	err := CheckDecision(StatusActive, Decision{Status: StatusRejected})
	assert.True(t, errors.Is(err, onboardkit.ErrInvalidTransition))
	err = CheckDecision(StatusNotStarted, Decision{Status: StatusActive})
	assert.True(t, errors.Is(err, onboardkit.ErrInvalidTransition))
	err = CheckDecision(StatusUnderReview, Decision{Status: StatusInactive})
	assert.True(t, errors.Is(err, onboardkit.ErrValidation))
}

// The dev reviewer is a Reviewer.
var _ Reviewer = DevReviewer{}

func TestDevReviewer(t *testing.T) {
	v := newTestValidator(t)
	ctx := context.Background()
	eval := func(in EvaluateInput) *Result {
		res, err := v.Evaluate(ctx, in)
		require.NoError(t, err)
		return res
	}
	base := EvaluateInput{BirthDate: "1985-04-12", Country: "FRA"}

	in := base
	in.Documents = []VerificationDocument{doc(DocumentPassport)}
	d, err := DevReviewer{}.Submit(ctx, Review{UserID: "u1", SubmissionID: "s1", Result: eval(in)})
	require.NoError(t, err)
	assert.Equal(t, &Decision{Status: StatusActive}, d)
	require.NoError(t, CheckDecision(StatusUnderReview, *d))

	in.Documents = []VerificationDocument{doc(DocumentDrivingLicence)}
	d, err = DevReviewer{}.Submit(ctx, Review{Result: eval(in)})
	require.NoError(t, err)
	assert.Equal(t, &Decision{Status: StatusWaitingForInformation, Reason: "Documents are missing.", MissingDocuments: []string{"identity_document"}}, d)
	require.NoError(t, d.Validate())

	in.Documents = []VerificationDocument{doc(DocumentPassport)}
	in.PEP = true
	d, _ = DevReviewer{}.Submit(ctx, Review{Result: eval(in)})
	assert.Equal(t, &Decision{Status: StatusWaitingForInformation, Reason: "Information is missing.", MissingDocuments: []string{}}, d)

	in = base
	in.Documents = []VerificationDocument{doc(DocumentPassport), doc(DocumentDrivingLicence, expired)}
	res := eval(in)
	require.Equal(t, StatusUnderReview, res.Status)
	d, _ = DevReviewer{}.Submit(ctx, Review{Result: res})
	assert.Equal(t, &Decision{Status: StatusWaitingForInformation, Reason: "Some documents have errors.", MissingDocuments: []string{"driving_licence"}}, d)
	require.NoError(t, d.Validate())

	_, err = DevReviewer{}.Submit(ctx, Review{})
	assert.Error(t, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = DevReviewer{}.Submit(cctx, Review{Result: res})
	assert.ErrorIs(t, err, context.Canceled)
}
