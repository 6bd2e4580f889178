package kyc

import (
	"context"
	"fmt"
	"slices"
)

// Missing items named in Result.MissingDocuments and Result.MissingFields.
const (
	// MissingIdentityDocument: no error-free document of one of
	// Rules.IdentityDocumentTypes.
	MissingIdentityDocument = "identity_document"
	// MissingProofOfAddress: Rules.RequireProofOfAddress and no error-free
	// proof_of_address document.
	MissingProofOfAddress = "proof_of_address"
	// MissingSelfie: Rules.RequireSelfie and no error-free selfie.
	MissingSelfie = "selfie"

	// MissingAdditionalUserInfo: the questionnaire is required by the risk
	// rules and was not given ("questionnaire" of POST /v1/compliance,
	// "additionalUserInfo" of the integrator request).
	MissingAdditionalUserInfo = "additionalUserInfo"
	// MissingSocialSecurityNumber: the residence country is in
	// Rules.RequireSSNCountries and no number was given.
	MissingSocialSecurityNumber = "socialSecurityNumber"
)

// Risk factors named in Result.RiskFactors.
const (
	RiskAge             = "age"               // at least Rules.QuestionnaireAge years old
	RiskPEP             = "pep"               // declared politically exposed
	RiskHighRiskCountry = "high_risk_country" // resides in one of Rules.HighRiskCountries
)

// Rules decide which documents and fields a submission requires.
type Rules struct {
	// IdentityDocumentTypes are the documents that prove identity; one of
	// them without errors is required (default passport, id_card,
	// residence_permit). Empty means no identity document is required.
	IdentityDocumentTypes []DocumentType
	// RequireProofOfAddress requires an error-free proof_of_address document.
	RequireProofOfAddress bool
	// RequireSelfie requires an error-free selfie.
	RequireSelfie bool
	// QuestionnaireAge: users at least this old must answer the questionnaire
	// (default 60; 0 disables the age trigger).
	QuestionnaireAge int
	// HighRiskCountries (alpha-3): residents must answer the questionnaire.
	// Default PRK, IRN, MMR — the jurisdictions under the FATF "call for
	// action" (black list) as of 2025.
	HighRiskCountries []string
	// RequireSSNCountries (alpha-3): residents must give a social security
	// number (default USA).
	RequireSSNCountries []string
	// MaxSubmissions caps how many KYC submissions a user may make
	// (default 5); see Validator.CheckSubmission.
	MaxSubmissions int
}

// DefaultRules returns the default rules (see the field comments of Rules).
func DefaultRules() Rules {
	return Rules{
		IdentityDocumentTypes: []DocumentType{DocumentPassport, DocumentIDCard, DocumentResidencePermit},
		QuestionnaireAge:      60,
		HighRiskCountries:     []string{"PRK", "IRN", "MMR"},
		RequireSSNCountries:   []string{"USA"},
		MaxSubmissions:        5,
	}
}

func (r Rules) clone() Rules {
	r.IdentityDocumentTypes = slices.Clone(r.IdentityDocumentTypes)
	r.HighRiskCountries = slices.Clone(r.HighRiskCountries)
	r.RequireSSNCountries = slices.Clone(r.RequireSSNCountries)
	return r
}

func (r Rules) check() error {
	for _, t := range r.IdentityDocumentTypes {
		if !slices.Contains(documentTypes, t) {
			return fmt.Errorf("kyc: Rules.IdentityDocumentTypes: unknown document type %q", t)
		}
	}
	for _, list := range [][]string{r.HighRiskCountries, r.RequireSSNCountries} {
		for _, c := range list {
			if !IsCountry(c) {
				return fmt.Errorf("kyc: Rules: %q is not an ISO 3166-1 alpha-3 code", c)
			}
		}
	}
	if r.QuestionnaireAge < 0 {
		return fmt.Errorf("kyc: Rules.QuestionnaireAge %d is negative", r.QuestionnaireAge)
	}
	if r.MaxSubmissions < 1 {
		return fmt.Errorf("kyc: Rules.MaxSubmissions %d is below 1", r.MaxSubmissions)
	}
	return nil
}

// EvaluateInput is what Evaluate needs about a user and a submission. The
// Service fills it from the stored profile and compliance and the submitted
// documents (IndividualAccountRequest.EvaluateInput does it for the
// integrator request).
type EvaluateInput struct {
	// BirthDate ("YYYY-MM-DD") and Country (alpha-3 of residence) come from
	// the profile.
	BirthDate string
	Country   string
	// PEP is the politically-exposed declaration; HasQuestionnaire tells
	// whether the questionnaire was answered.
	PEP              bool
	HasQuestionnaire bool
	// Documents are the submitted documents.
	Documents []VerificationDocument
	// SSN is the social security number, if any (from the submission or the
	// profile). It is only checked for presence and shape.
	SSN string
}

// Finding is a warning or an error about one document, with a stable code
// (see the package documentation) and an English message that never holds
// document data.
type Finding struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// DocumentResult is the outcome of checking one document. Its JSON is the
// verificationDocuments item of the API ({documentId, documentType,
// warnings, errors}); the other fields are for the Service to store and are
// never serialised.
type DocumentResult struct {
	DocumentID   string       `json:"documentId"`
	DocumentType DocumentType `json:"documentType"`
	Warnings     []Finding    `json:"warnings"`
	Errors       []Finding    `json:"errors"`

	// MediaType is the declared media type when the data URL parsed.
	MediaType string `json:"-"`
	// Content is the decoded document (PII; nil when the data URL was
	// refused).
	Content []byte `json:"-"`
	// DocumentNumber is the normalised number (PII).
	DocumentNumber string `json:"-"`
	IssuingCountry string `json:"-"`
	ExpiryDate     string `json:"-"`
	Description    string `json:"-"`
}

// OK reports whether the document has no errors.
func (d DocumentResult) OK() bool { return len(d.Errors) == 0 }

// Result is the outcome of Evaluate. Its JSON is the body of the 202 answer
// to POST /v1/kyc ({verificationStatus, missingDocuments,
// verificationDocuments}, plus missingFields).
type Result struct {
	// Status is under_review when nothing is missing, and
	// waiting_for_information otherwise. Document errors alone do not
	// change it: the reviewer sees them.
	Status Status `json:"verificationStatus"`
	// MissingDocuments lists MissingIdentityDocument, MissingProofOfAddress,
	// MissingSelfie (never nil).
	MissingDocuments []string `json:"missingDocuments"`
	// MissingFields lists MissingAdditionalUserInfo,
	// MissingSocialSecurityNumber (never nil).
	MissingFields []string `json:"missingFields"`
	// Documents holds one result per submitted document, in order.
	Documents []DocumentResult `json:"verificationDocuments"`
	// RiskFactors lists why the questionnaire is required (RiskAge, RiskPEP,
	// RiskHighRiskCountry); for the reviewer, not the API.
	RiskFactors []string `json:"-"`
}

// Complete reports whether nothing is missing.
func (r *Result) Complete() bool { return len(r.MissingDocuments) == 0 && len(r.MissingFields) == 0 }

// HasErrors reports whether any document has errors.
func (r *Result) HasErrors() bool {
	for _, d := range r.Documents {
		if !d.OK() {
			return true
		}
	}
	return false
}

// evalInput is EvaluateInput as validated by Evaluate (field paths are those
// of the submission bodies).
type evalInput struct {
	BirthDate string                 `json:"birthDate" validate:"required,kyc_date"`
	Country   string                 `json:"country" validate:"required,kyc_country"`
	Documents []VerificationDocument `json:"verificationDocuments" validate:"max=10,dive"`
	SSN       string                 `json:"socialSecurityNumber" validate:"omitempty,kyc_ssn"`
}

// MissingDocuments lists what the rules require that the error-free
// documents among docs do not provide (MissingIdentityDocument,
// MissingProofOfAddress, MissingSelfie); with no documents, everything
// the rules require.
func (v *Validator) MissingDocuments(docs []DocumentResult) []string {
	has := func(ok func(DocumentType) bool) bool {
		for _, d := range docs {
			if d.OK() && ok(d.DocumentType) {
				return true
			}
		}
		return false
	}
	out := []string{}
	if len(v.rules.IdentityDocumentTypes) > 0 && !has(func(t DocumentType) bool { return v.identity[t] }) {
		out = append(out, MissingIdentityDocument)
	}
	if v.rules.RequireProofOfAddress && !has(func(t DocumentType) bool { return t == DocumentProofOfAddress }) {
		out = append(out, MissingProofOfAddress)
	}
	if v.rules.RequireSelfie && !has(func(t DocumentType) bool { return t == DocumentSelfie }) {
		out = append(out, MissingSelfie)
	}
	return out
}

// Evaluate checks a submission: it validates the documents' structure
// (returning a validation *onboardkit.Error, with the same field paths as
// ValidateSubmission, when it fails), decodes and examines every document
// (findings go into the Result, see the package documentation), applies the
// risk rules and lists what is missing. Result.Status is under_review when
// nothing is missing and waiting_for_information otherwise.
//
// Evaluate only reads the clock and the random source: it stores nothing.
// It returns ctx.Err() if ctx ends between two documents.
func (v *Validator) Evaluate(ctx context.Context, in EvaluateInput) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := v.validate(&evalInput{BirthDate: in.BirthDate, Country: in.Country, Documents: in.Documents, SSN: in.SSN}); err != nil {
		return nil, err
	}
	today := v.today()
	birth, _ := parseDate(in.BirthDate)
	res := &Result{
		MissingDocuments: []string{},
		MissingFields:    []string{},
		Documents:        make([]DocumentResult, 0, len(in.Documents)),
	}
	for i := range in.Documents {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dr, err := v.checkDocument(&in.Documents[i], birth, today)
		if err != nil {
			return nil, err
		}
		res.Documents = append(res.Documents, dr)
	}

	res.MissingDocuments = v.MissingDocuments(res.Documents)

	if v.rules.QuestionnaireAge > 0 && ageOn(birth, today) >= v.rules.QuestionnaireAge {
		res.RiskFactors = append(res.RiskFactors, RiskAge)
	}
	if in.PEP {
		res.RiskFactors = append(res.RiskFactors, RiskPEP)
	}
	if v.highRisk[in.Country] {
		res.RiskFactors = append(res.RiskFactors, RiskHighRiskCountry)
	}
	if len(res.RiskFactors) > 0 && !in.HasQuestionnaire {
		res.MissingFields = append(res.MissingFields, MissingAdditionalUserInfo)
	}
	if v.ssnRequired[in.Country] && in.SSN == "" {
		res.MissingFields = append(res.MissingFields, MissingSocialSecurityNumber)
	}

	res.Status = StatusUnderReview
	if !res.Complete() {
		res.Status = StatusWaitingForInformation
	}
	return res, nil
}
