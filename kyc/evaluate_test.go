package kyc

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
)

func doc(typ DocumentType, extra ...func(*VerificationDocument)) VerificationDocument {
	d := VerificationDocument{DocumentType: typ, Document: png400}
	if typ.numbered() {
		d.IssuingCountry, d.DocumentNumber = "FRA", "12AB34567"
	}
	for _, e := range extra {
		e(&d)
	}
	return d
}

func expired(d *VerificationDocument) { d.ExpiryDate = "2020-01-01" }

func TestEvaluateRules(t *testing.T) {
	base := EvaluateInput{BirthDate: "1985-04-12", Country: "FRA"}
	withDocs := func(in EvaluateInput, docs ...VerificationDocument) EvaluateInput {
		in.Documents = docs
		return in
	}
	strict := func(c *Config) {
		r := DefaultRules()
		r.RequireProofOfAddress, r.RequireSelfie = true, true
		c.Rules = &r
	}
	for _, tc := range []struct {
		name    string
		cfg     func(*Config)
		in      EvaluateInput
		status  Status
		docs    []string
		fields  []string
		factors []string
	}{
		{"passport", nil, withDocs(base, doc(DocumentPassport)), StatusUnderReview, nil, nil, nil},
		{"id card", nil, withDocs(base, doc(DocumentIDCard)), StatusUnderReview, nil, nil, nil},
		{"residence permit", nil, withDocs(base, doc(DocumentResidencePermit)), StatusUnderReview, nil, nil, nil},
		{"driving licence is not identity", nil, withDocs(base, doc(DocumentDrivingLicence)), StatusWaitingForInformation, []string{"identity_document"}, nil, nil},
		{"no documents", nil, base, StatusWaitingForInformation, []string{"identity_document"}, nil, nil},
		{"expired passport does not count", nil, withDocs(base, doc(DocumentPassport, expired)), StatusWaitingForInformation, []string{"identity_document"}, nil, nil},
		{"expired passport and good id card", nil, withDocs(base, doc(DocumentPassport, expired), doc(DocumentIDCard)), StatusUnderReview, nil, nil, nil},
		{"warnings still count", nil, withDocs(base, doc(DocumentPassport, func(d *VerificationDocument) { d.Document = dataURL("image/png", pngBytes(t, 100, 100, false)) })), StatusUnderReview, nil, nil, nil},
		{"strict: all missing", strict, withDocs(base, doc(DocumentDrivingLicence)), StatusWaitingForInformation, []string{"identity_document", "proof_of_address", "selfie"}, nil, nil},
		{"strict: complete", strict, withDocs(base, doc(DocumentPassport), doc(DocumentProofOfAddress, func(d *VerificationDocument) {
			d.Document = dataURL("application/pdf", []byte("%PDF-1.4 bill"))
		}), doc(DocumentSelfie)), StatusUnderReview, nil, nil, nil},
		{"strict: pdf selfie", strict, withDocs(base, doc(DocumentPassport), doc(DocumentProofOfAddress), doc(DocumentSelfie, func(d *VerificationDocument) {
			d.Document = dataURL("application/pdf", []byte("%PDF-1.4 bill"))
		})), StatusWaitingForInformation, []string{"selfie"}, nil, nil},
		{"age 60 needs questionnaire", nil, withDocs(EvaluateInput{BirthDate: "1966-01-02", Country: "FRA"}, doc(DocumentPassport)),
			StatusWaitingForInformation, nil, []string{"additionalUserInfo"}, []string{"age"}},
		{"age 59", nil, withDocs(EvaluateInput{BirthDate: "1966-01-03", Country: "FRA"}, doc(DocumentPassport)), StatusUnderReview, nil, nil, nil},
		{"age 60 with questionnaire", nil, withDocs(EvaluateInput{BirthDate: "1950-01-01", Country: "FRA", HasQuestionnaire: true}, doc(DocumentPassport)),
			StatusUnderReview, nil, nil, []string{"age"}},
		{"pep", nil, withDocs(EvaluateInput{BirthDate: "1985-04-12", Country: "FRA", PEP: true}, doc(DocumentPassport)),
			StatusWaitingForInformation, nil, []string{"additionalUserInfo"}, []string{"pep"}},
		{"high-risk country", nil, withDocs(EvaluateInput{BirthDate: "1985-04-12", Country: "IRN"}, doc(DocumentPassport)),
			StatusWaitingForInformation, nil, []string{"additionalUserInfo"}, []string{"high_risk_country"}},
		{"all factors", nil, withDocs(EvaluateInput{BirthDate: "1940-01-01", Country: "PRK", PEP: true, HasQuestionnaire: true}, doc(DocumentPassport)),
			StatusUnderReview, nil, nil, []string{"age", "pep", "high_risk_country"}},
		{"age trigger disabled", func(c *Config) { r := DefaultRules(); r.QuestionnaireAge = 0; c.Rules = &r },
			withDocs(EvaluateInput{BirthDate: "1940-01-01", Country: "FRA"}, doc(DocumentPassport)), StatusUnderReview, nil, nil, nil},
		{"custom high-risk list", func(c *Config) { r := DefaultRules(); r.HighRiskCountries = []string{"FRA"}; c.Rules = &r },
			withDocs(base, doc(DocumentPassport)), StatusWaitingForInformation, nil, []string{"additionalUserInfo"}, []string{"high_risk_country"}},
		{"US resident without SSN", nil, withDocs(EvaluateInput{BirthDate: "1985-04-12", Country: "USA"}, doc(DocumentPassport)),
			StatusWaitingForInformation, nil, []string{"socialSecurityNumber"}, nil},
		{"US resident with SSN", nil, withDocs(EvaluateInput{BirthDate: "1985-04-12", Country: "USA", SSN: "123-45-6789"}, doc(DocumentPassport)),
			StatusUnderReview, nil, nil, nil},
		{"no identity required", func(c *Config) { r := DefaultRules(); r.IdentityDocumentTypes = nil; c.Rules = &r },
			base, StatusUnderReview, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mods []func(*Config)
			if tc.cfg != nil {
				mods = append(mods, tc.cfg)
			}
			v := newTestValidator(t, mods...)
			res, err := v.Evaluate(context.Background(), tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.status, res.Status)
			assert.Equal(t, append([]string{}, tc.docs...), res.MissingDocuments)
			assert.Equal(t, append([]string{}, tc.fields...), res.MissingFields)
			assert.Equal(t, tc.factors, res.RiskFactors)
			assert.Equal(t, res.Status == StatusUnderReview, res.Complete())
			assert.Len(t, res.Documents, len(tc.in.Documents))
		})
	}
}

func TestEvaluateStructuralErrors(t *testing.T) {
	v := newTestValidator(t)
	bad := doc(DocumentPassport)
	bad.DocumentNumber = ""
	bad.IssuingCountry = "XXX"
	_, err := v.Evaluate(context.Background(), EvaluateInput{BirthDate: "1985-13-01", Country: "", Documents: []VerificationDocument{doc(DocumentIDCard), bad}})
	f := fieldErrors(t, err)
	assert.Equal(t, []string{"birthDate:invalid_date", "country:required",
		"verificationDocuments[1].issuingCountry:invalid_country"}, pairs(f), "a missing number is the document's error, not the request's")
}

func TestEvaluateContext(t *testing.T) {
	v := newTestValidator(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Evaluate(ctx, EvaluateInput{BirthDate: "1985-04-12", Country: "FRA", Documents: []VerificationDocument{doc(DocumentPassport)}})
	assert.ErrorIs(t, err, context.Canceled)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestEvaluateRandFailure(t *testing.T) {
	v := newTestValidatorAt(t, onboardkit.Runtime{Clock: clocktest.New(testNow), Rand: failingReader{}})
	_, err := v.Evaluate(context.Background(), EvaluateInput{BirthDate: "1985-04-12", Country: "FRA", Documents: []VerificationDocument{doc(DocumentPassport)}})
	assert.Equal(t, onboardkit.CodeInternal, onboardkit.ErrorCode(err))
}

func TestDocumentIDsUnique(t *testing.T) {
	v, err := NewValidator(Config{}, onboardkit.Runtime{}) // crypto/rand
	require.NoError(t, err)
	res, err := v.Evaluate(context.Background(), EvaluateInput{BirthDate: "1985-04-12", Country: "FRA",
		Documents: []VerificationDocument{doc(DocumentPassport), doc(DocumentPassport), doc(DocumentSelfie)}})
	require.NoError(t, err)
	ids := map[string]bool{}
	for _, d := range res.Documents {
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, d.DocumentID)
		ids[d.DocumentID] = true
	}
	assert.Len(t, ids, 3)
}

func TestResultJSON(t *testing.T) {
	v := newTestValidator(t)
	res, err := v.Evaluate(context.Background(), EvaluateInput{BirthDate: "1985-04-12", Country: "FRA",
		Documents: []VerificationDocument{doc(DocumentPassport, expired)}})
	require.NoError(t, err)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	assert.JSONEq(t, `{"verificationStatus":"waiting_for_information","missingDocuments":["identity_document"],"missingFields":[],
		"verificationDocuments":[{"documentId":"00010203-0405-4607-8809-0a0b0c0d0e0f","documentType":"passport","warnings":[],
		"errors":[{"code":"expired","message":"The document has expired."}]}]}`, string(b))
	assert.NotContains(t, string(b), "12AB34567")
}

func TestIndividualAccountEvaluateInput(t *testing.T) {
	r := seedRequest(t)
	in := r.EvaluateInput()
	assert.Equal(t, EvaluateInput{BirthDate: "1985-04-12", Country: "FRA", HasQuestionnaire: true,
		Documents: r.VerificationDocuments, SSN: "123-45-6789"}, in)
	assert.Equal(t, "2026-01-01T10:00:00Z", r.SignedAt().Format("2006-01-02T15:04:05Z07:00"))
	assert.True(t, IndividualAccountRequest{TermsSignedAt: "bad"}.SignedAt().IsZero())
	p := r.UserInfo.Profile()
	assert.Equal(t, "Jean", p.FirstName)
	assert.Equal(t, "75001", p.ResidentialAddress.PostalCode)
}
