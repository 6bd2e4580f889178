package kyc

import (
	"strings"
	"time"
)

// DocumentType is the kind of a submitted document.
type DocumentType string

// The document types a submission may carry.
const (
	DocumentPassport        DocumentType = "passport"
	DocumentIDCard          DocumentType = "id_card"
	DocumentDrivingLicence  DocumentType = "driving_licence"
	DocumentResidencePermit DocumentType = "residence_permit"
	DocumentProofOfAddress  DocumentType = "proof_of_address"
	DocumentSelfie          DocumentType = "selfie"
)

var documentTypes = []DocumentType{
	DocumentPassport, DocumentIDCard, DocumentDrivingLicence,
	DocumentResidencePermit, DocumentProofOfAddress, DocumentSelfie,
}

// DocumentTypes returns every accepted document type, in a fixed order.
func DocumentTypes() []DocumentType { return append([]DocumentType(nil), documentTypes...) }

// Supported reports whether t is one of DocumentTypes. A document of
// another type is refused with the per-document error
// unsupported_document_type.
func (t DocumentType) Supported() bool {
	for _, d := range documentTypes {
		if d == t {
			return true
		}
	}
	return false
}

// numbered reports whether documents of type t carry a document number and an
// issuing country (they are required for these types).
func (t DocumentType) numbered() bool {
	switch t {
	case DocumentPassport, DocumentIDCard, DocumentDrivingLicence, DocumentResidencePermit:
		return true
	}
	return false
}

// Employment statuses accepted in AdditionalUserInfo.EmploymentStatus.
const (
	EmploymentEmployed     = "employed"
	EmploymentSelfEmployed = "self_employed"
	EmploymentUnemployed   = "unemployed"
	EmploymentStudent      = "student"
	EmploymentRetired      = "retired"
	EmploymentOther        = "other"
)

// Sources of funds accepted in AdditionalUserInfo.SourceOfFunds.
const (
	FundsSalary      = "salary"
	FundsSavings     = "savings"
	FundsInvestments = "investments"
	FundsInheritance = "inheritance"
	FundsBusiness    = "business"
	FundsPension     = "pension"
	FundsGift        = "gift"
	FundsOther       = "other"
)

// Expected monthly payment bands, in whole US dollars, accepted in
// AdditionalUserInfo.ExpectedMonthlyPaymentsUSD. The bands are contiguous and
// cover every amount: 0–4 999, 5 000–9 999, 10 000–49 999, 50 000–99 999 and
// 100 000 or more.
const (
	Payments0To4999      = "0_4999"
	Payments5000To9999   = "5000_9999"
	Payments10000To49999 = "10000_49999"
	Payments50000To99999 = "50000_99999"
	Payments100000Plus   = "100000_plus"
)

var (
	employmentStatuses = []string{EmploymentEmployed, EmploymentSelfEmployed, EmploymentUnemployed, EmploymentStudent, EmploymentRetired, EmploymentOther}
	sourcesOfFunds     = []string{FundsSalary, FundsSavings, FundsInvestments, FundsInheritance, FundsBusiness, FundsPension, FundsGift, FundsOther}
	paymentBands       = []string{Payments0To4999, Payments5000To9999, Payments10000To49999, Payments50000To99999, Payments100000Plus}
)

// EmploymentStatuses returns the accepted employment statuses.
func EmploymentStatuses() []string { return append([]string(nil), employmentStatuses...) }

// SourcesOfFunds returns the accepted sources of funds.
func SourcesOfFunds() []string { return append([]string(nil), sourcesOfFunds...) }

// PaymentBands returns the accepted expected-monthly-payment bands, lowest first.
func PaymentBands() []string { return append([]string(nil), paymentBands...) }

// Address is a residential address. Country is an ISO 3166-1 alpha-3 code.
// PostalCode is required, and its shape checked, for the countries listed in
// the package documentation; elsewhere it is optional.
type Address struct {
	StreetLine1 string `json:"streetLine1" validate:"required,max=200,kyc_text"`
	StreetLine2 string `json:"streetLine2,omitempty" validate:"max=200,kyc_text"`
	City        string `json:"city" validate:"required,max=100,kyc_text"`
	PostalCode  string `json:"postalCode,omitempty" validate:"max=16"`
	Country     string `json:"country" validate:"required,kyc_country"`
	State       string `json:"state,omitempty" validate:"max=100,kyc_text"`
}

// UserInfo describes a person in the integrator's individual-account request.
// Phone is strict E.164 ("+33614125910"); BirthDate is "YYYY-MM-DD";
// Nationality is ISO 3166-1 alpha-3. SocialSecurityNumber is PII: it is never
// logged (see LogValue) nor echoed in errors.
type UserInfo struct {
	FirstName            string  `json:"firstName" validate:"required,max=100,kyc_name"`
	MiddleName           string  `json:"middleName,omitempty" validate:"omitempty,max=100,kyc_name"`
	LastName             string  `json:"lastName" validate:"required,max=100,kyc_name"`
	Email                string  `json:"email" validate:"required,max=254,email"`
	Phone                string  `json:"phone" validate:"required,kyc_phone"`
	BirthDate            string  `json:"birthDate" validate:"required,kyc_date,kyc_not_future,kyc_birth_range,kyc_adult"`
	Nationality          string  `json:"nationality" validate:"required,kyc_country"`
	ResidentialAddress   Address `json:"residentialAddress"`
	SocialSecurityNumber string  `json:"socialSecurityNumber,omitempty" validate:"omitempty,kyc_ssn"`
	ProfilePictureURL    string  `json:"profilePictureUrl,omitempty" validate:"omitempty,max=2048,kyc_https_url"`
}

// Profile returns the personal details of u as a Profile (without locale
// and time zone, which UserInfo does not carry).
func (u UserInfo) Profile() Profile {
	return Profile{
		FirstName:          u.FirstName,
		MiddleName:         u.MiddleName,
		LastName:           u.LastName,
		BirthDate:          u.BirthDate,
		Nationality:        u.Nationality,
		ResidentialAddress: u.ResidentialAddress,
	}
}

// Profile is the body of PATCH /v1/profile: the personal details of a user.
// Locale is a BCP 47 tag ("fr-FR"); TimeZone an IANA name ("Europe/Paris"),
// checked against the host's time-zone database.
type Profile struct {
	FirstName          string  `json:"firstName" validate:"required,max=100,kyc_name"`
	LastName           string  `json:"lastName" validate:"required,max=100,kyc_name"`
	MiddleName         string  `json:"middleName,omitempty" validate:"omitempty,max=100,kyc_name"`
	BirthDate          string  `json:"birthDate" validate:"required,kyc_date,kyc_not_future,kyc_birth_range,kyc_adult"`
	Nationality        string  `json:"nationality" validate:"required,kyc_country"`
	ResidentialAddress Address `json:"residentialAddress"`
	Locale             string  `json:"locale,omitempty" validate:"omitempty,max=35,bcp47_language_tag"`
	TimeZone           string  `json:"timeZone,omitempty" validate:"omitempty,max=64,timezone"`
}

// AdditionalUserInfo is the customer-knowledge questionnaire (the
// "questionnaire" of POST /v1/compliance and the "additionalUserInfo" of the
// integrator request). MostRecentOccupation is required when EmploymentStatus
// is employed or self_employed.
type AdditionalUserInfo struct {
	EmploymentStatus           string `json:"employmentStatus" validate:"required,kyc_employment"`
	SourceOfFunds              string `json:"sourceOfFunds" validate:"required,kyc_funds"`
	ExpectedMonthlyPaymentsUSD string `json:"expectedMonthlyPaymentsUsd" validate:"required,kyc_band"`
	MostRecentOccupation       string `json:"mostRecentOccupation,omitempty" validate:"max=100,kyc_text"`
}

// Compliance is the body of POST /v1/compliance. TermsAcceptedAt is an RFC
// 3339 timestamp, TermsVersion the optional version of the accepted terms.
// PoliticallyExposed must be given explicitly (true or false). Questionnaire
// is optional here; the risk rules of Evaluate decide whether it is required.
type Compliance struct {
	TermsAcceptedAt    string              `json:"termsAcceptedAt" validate:"required,kyc_timestamp,kyc_ts_not_future"`
	TermsVersion       string              `json:"termsVersion,omitempty" validate:"max=32,kyc_text"`
	PoliticallyExposed *bool               `json:"politicallyExposed" validate:"required"`
	Questionnaire      *AdditionalUserInfo `json:"questionnaire,omitempty"`
}

// AcceptedAt returns TermsAcceptedAt parsed (UTC), or the zero time when it
// is not a valid RFC 3339 timestamp.
func (c Compliance) AcceptedAt() time.Time { return parseTimestamp(c.TermsAcceptedAt) }

// PEP reports the politically-exposed-person declaration (false when absent).
func (c Compliance) PEP() bool { return c.PoliticallyExposed != nil && *c.PoliticallyExposed }

// VerificationDocument is one submitted document. Document is a data URL
// "data:<mediatype>;base64,<data>". IssuingCountry (alpha-3) and
// DocumentNumber are required for passport, id_card, driving_licence and
// residence_permit. DocumentNumber is compared after NormalizeDocumentNumber
// (spaces removed, upper-cased). ExpiryDate is "YYYY-MM-DD". MRZ holds the
// optional machine-readable-zone lines: 2 lines of 44 characters (TD3, for
// passports) or 3 lines of 30 (TD1, for id cards and residence permits).
type VerificationDocument struct {
	DocumentType   DocumentType `json:"documentType" validate:"required,max=64"`
	IssuingCountry string       `json:"issuingCountry,omitempty" validate:"omitempty,kyc_country"`
	Document       string       `json:"document" validate:"required"`
	DocumentNumber string       `json:"documentNumber,omitempty"`
	ExpiryDate     string       `json:"expiryDate,omitempty" validate:"omitempty,kyc_date"`
	Description    string       `json:"description,omitempty" validate:"max=500,kyc_text"`
	MRZ            []string     `json:"mrz,omitempty"`
}

// MaxDocuments is the most documents one submission may carry.
const MaxDocuments = 10

// Submission is the body of POST /v1/kyc.
type Submission struct {
	VerificationDocuments []VerificationDocument `json:"verificationDocuments" validate:"required,min=1,max=10,dive"`
	SocialSecurityNumber  string                 `json:"socialSecurityNumber,omitempty" validate:"omitempty,kyc_ssn"`
}

// IndividualAccountRequest is the body of POST
// /v1/integrator/individual-accounts. TermsSignedAt is RFC 3339;
// ByzantineTermsSignedAt is its synonym (the name of the source request):
// one of them is required, and when both are given they must name the
// same instant.
type IndividualAccountRequest struct {
	UserInfo               UserInfo               `json:"userInfo"`
	TermsSignedAt          string                 `json:"termsSignedAt,omitempty" validate:"omitempty,kyc_timestamp,kyc_ts_not_future"`
	ByzantineTermsSignedAt string                 `json:"byzantineTermsSignedAt,omitempty" validate:"omitempty,kyc_timestamp,kyc_ts_not_future"`
	AdditionalUserInfo     *AdditionalUserInfo    `json:"additionalUserInfo,omitempty"`
	VerificationDocuments  []VerificationDocument `json:"verificationDocuments,omitempty" validate:"max=10,dive"`
	// Authenticators are WebAuthn registrations (passkeys) made over
	// challenges the service issued (package onboarding verifies them).
	Authenticators []Authenticator `json:"authenticators,omitempty" validate:"max=10"`
}

// Terms returns the terms timestamp as given: TermsSignedAt, else
// ByzantineTermsSignedAt.
func (r IndividualAccountRequest) Terms() string {
	if r.TermsSignedAt != "" {
		return r.TermsSignedAt
	}
	return r.ByzantineTermsSignedAt
}

// SignedAt returns the terms timestamp parsed (UTC), or the zero time when
// it is not a valid RFC 3339 timestamp.
func (r IndividualAccountRequest) SignedAt() time.Time { return parseTimestamp(r.Terms()) }

// Authenticator is one WebAuthn registration of an individual-account
// request (the seed's authenticators[i]): the name the customer gives it,
// the challenge it was made over (base64url, as the service issued it) and
// the browser's attestation response. Binary values are base64url
// (standard base64 is accepted).
type Authenticator struct {
	AuthenticatorName string      `json:"authenticatorName"`
	Challenge         string      `json:"challenge"`
	Attestation       Attestation `json:"attestation"`
}

// Attestation is the browser's attestation response of an Authenticator.
// Transports are AUTHENTICATOR_TRANSPORT_USB, _NFC, _BLE, _INTERNAL,
// _HYBRID or _SMART_CARD.
type Attestation struct {
	CredentialID      string   `json:"credentialId"`
	ClientDataJSON    string   `json:"clientDataJson"`
	AttestationObject string   `json:"attestationObject"`
	Transports        []string `json:"transports,omitempty"`
}

// EvaluateInput returns the input of Validator.Evaluate for this request.
// The integrator body carries no PEP declaration, so PEP is false.
func (r IndividualAccountRequest) EvaluateInput() EvaluateInput {
	return EvaluateInput{
		BirthDate:        r.UserInfo.BirthDate,
		Country:          r.UserInfo.ResidentialAddress.Country,
		HasQuestionnaire: r.AdditionalUserInfo != nil,
		Documents:        r.VerificationDocuments,
		SSN:              r.UserInfo.SocialSecurityNumber,
	}
}

// NormalizeDocumentNumber returns n without spaces and upper-cased, the form
// in which document numbers are checked, compared and should be stored.
func NormalizeDocumentNumber(n string) string {
	if strings.IndexByte(n, ' ') >= 0 {
		n = strings.ReplaceAll(n, " ", "")
	}
	return strings.ToUpper(n)
}

func parseTimestamp(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// parseDate parses a strict "YYYY-MM-DD" date.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	for i := 0; i < 10; i++ {
		if i == 4 || i == 7 {
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1 {
		return time.Time{}, false
	}
	return t, true
}
