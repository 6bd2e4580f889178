package kyc

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
)

func TestSeedIsValid(t *testing.T) {
	v := newTestValidator(t)
	require.NoError(t, v.ValidateIndividualAccount(seedRequest(t)))
}

// TestSeedFieldByField breaks each field of the seed in turn and expects
// exactly one field error with its JSON path and code.
func TestSeedFieldByField(t *testing.T) {
	v := newTestValidator(t)
	cases := []struct {
		name  string
		mod   func(r *IndividualAccountRequest)
		field string
		code  onboardkit.FieldCode
	}{
		{"firstName missing", func(r *IndividualAccountRequest) { r.UserInfo.FirstName = "" }, "userInfo.firstName", "required"},
		{"firstName digits", func(r *IndividualAccountRequest) { r.UserInfo.FirstName = "J3an" }, "userInfo.firstName", "invalid"},
		{"firstName too long", func(r *IndividualAccountRequest) { r.UserInfo.FirstName = strings.Repeat("é", 101) }, "userInfo.firstName", "too_long"},
		{"middleName bad", func(r *IndividualAccountRequest) { r.UserInfo.MiddleName = "--" }, "userInfo.middleName", "invalid"},
		{"lastName missing", func(r *IndividualAccountRequest) { r.UserInfo.LastName = "" }, "userInfo.lastName", "required"},
		{"lastName symbol", func(r *IndividualAccountRequest) { r.UserInfo.LastName = "Dupont!" }, "userInfo.lastName", "invalid"},
		{"email missing", func(r *IndividualAccountRequest) { r.UserInfo.Email = "" }, "userInfo.email", "required"},
		{"email bad", func(r *IndividualAccountRequest) { r.UserInfo.Email = "jean.dupont" }, "userInfo.email", "invalid_email"},
		{"email too long", func(r *IndividualAccountRequest) { r.UserInfo.Email = strings.Repeat("a", 250) + "@x.fr" }, "userInfo.email", "too_long"},
		{"phone missing", func(r *IndividualAccountRequest) { r.UserInfo.Phone = "" }, "userInfo.phone", "required"},
		{"phone not e164", func(r *IndividualAccountRequest) { r.UserInfo.Phone = "0614125910" }, "userInfo.phone", "invalid_phone"},
		{"phone parentheses", func(r *IndividualAccountRequest) { r.UserInfo.Phone = "+33 (6) 14 12 59 10" }, "userInfo.phone", "invalid_phone"},
		{"phone double space", func(r *IndividualAccountRequest) { r.UserInfo.Phone = "+33 6  14 12 59 10" }, "userInfo.phone", "invalid_phone"},
		{"phone invalid number", func(r *IndividualAccountRequest) { r.UserInfo.Phone = "+33012345678" }, "userInfo.phone", "invalid_phone"},
		{"birthDate missing", func(r *IndividualAccountRequest) { r.UserInfo.BirthDate = "" }, "userInfo.birthDate", "required"},
		{"birthDate format", func(r *IndividualAccountRequest) { r.UserInfo.BirthDate = "12/04/1985" }, "userInfo.birthDate", "invalid_date"},
		{"birthDate not a day", func(r *IndividualAccountRequest) { r.UserInfo.BirthDate = "1985-02-30" }, "userInfo.birthDate", "invalid_date"},
		{"birthDate future", func(r *IndividualAccountRequest) { r.UserInfo.BirthDate = "2026-01-03" }, "userInfo.birthDate", "in_future"},
		{"birthDate too young", func(r *IndividualAccountRequest) { r.UserInfo.BirthDate = "2008-01-03" }, "userInfo.birthDate", "too_young"},
		{"birthDate implausible", func(r *IndividualAccountRequest) { r.UserInfo.BirthDate = "1890-01-01" }, "userInfo.birthDate", "invalid_date"},
		{"nationality missing", func(r *IndividualAccountRequest) { r.UserInfo.Nationality = "" }, "userInfo.nationality", "required"},
		{"nationality alpha2", func(r *IndividualAccountRequest) { r.UserInfo.Nationality = "FR" }, "userInfo.nationality", "invalid_country"},
		{"nationality lower", func(r *IndividualAccountRequest) { r.UserInfo.Nationality = "fra" }, "userInfo.nationality", "invalid_country"},
		{"nationality reserved", func(r *IndividualAccountRequest) { r.UserInfo.Nationality = "XKX" }, "userInfo.nationality", "invalid_country"},
		{"street missing", func(r *IndividualAccountRequest) { r.UserInfo.ResidentialAddress.StreetLine1 = "" }, "userInfo.residentialAddress.streetLine1", "required"},
		{"street control char", func(r *IndividualAccountRequest) { r.UserInfo.ResidentialAddress.StreetLine1 = "10 rue\x00" }, "userInfo.residentialAddress.streetLine1", "invalid"},
		{"street2 too long", func(r *IndividualAccountRequest) {
			r.UserInfo.ResidentialAddress.StreetLine2 = strings.Repeat("a", 201)
		}, "userInfo.residentialAddress.streetLine2", "too_long"},
		{"city missing", func(r *IndividualAccountRequest) { r.UserInfo.ResidentialAddress.City = "" }, "userInfo.residentialAddress.city", "required"},
		{"postalCode missing", func(r *IndividualAccountRequest) { r.UserInfo.ResidentialAddress.PostalCode = "" }, "userInfo.residentialAddress.postalCode", "required"},
		{"postalCode shape", func(r *IndividualAccountRequest) { r.UserInfo.ResidentialAddress.PostalCode = "7500" }, "userInfo.residentialAddress.postalCode", "invalid_postal_code"},
		{"postalCode too long", func(r *IndividualAccountRequest) { r.UserInfo.ResidentialAddress.PostalCode = strings.Repeat("1", 17) }, "userInfo.residentialAddress.postalCode", "too_long"},
		{"country missing", func(r *IndividualAccountRequest) { r.UserInfo.ResidentialAddress.Country = "" }, "userInfo.residentialAddress.country", "required"},
		{"country bad", func(r *IndividualAccountRequest) { r.UserInfo.ResidentialAddress.Country = "FRX" }, "userInfo.residentialAddress.country", "invalid_country"},
		{"state too long", func(r *IndividualAccountRequest) { r.UserInfo.ResidentialAddress.State = strings.Repeat("a", 101) }, "userInfo.residentialAddress.state", "too_long"},
		{"ssn bad", func(r *IndividualAccountRequest) { r.UserInfo.SocialSecurityNumber = "12" }, "userInfo.socialSecurityNumber", "invalid"},
		{"ssn symbols", func(r *IndividualAccountRequest) { r.UserInfo.SocialSecurityNumber = "123--45-6789" }, "userInfo.socialSecurityNumber", "invalid"},
		{"picture http", func(r *IndividualAccountRequest) { r.UserInfo.ProfilePictureURL = "http://x.example/p.png" }, "userInfo.profilePictureUrl", "invalid"},
		{"termsSignedAt missing", func(r *IndividualAccountRequest) { r.TermsSignedAt = "" }, "termsSignedAt", "required"},
		{"termsSignedAt format", func(r *IndividualAccountRequest) { r.TermsSignedAt = "2026-01-01 10:00" }, "termsSignedAt", "invalid_date"},
		{"termsSignedAt future", func(r *IndividualAccountRequest) { r.TermsSignedAt = "2026-01-02T04:00:00Z" }, "termsSignedAt", "in_future"},
		{"employment missing", func(r *IndividualAccountRequest) { r.AdditionalUserInfo.EmploymentStatus = "" }, "additionalUserInfo.employmentStatus", "required"},
		{"employment enum", func(r *IndividualAccountRequest) { r.AdditionalUserInfo.EmploymentStatus = "astronaut" }, "additionalUserInfo.employmentStatus", "invalid_enum"},
		{"funds enum", func(r *IndividualAccountRequest) { r.AdditionalUserInfo.SourceOfFunds = "lottery" }, "additionalUserInfo.sourceOfFunds", "invalid_enum"},
		{"band enum", func(r *IndividualAccountRequest) { r.AdditionalUserInfo.ExpectedMonthlyPaymentsUSD = "0_5000" }, "additionalUserInfo.expectedMonthlyPaymentsUsd", "invalid_enum"},
		{"band missing", func(r *IndividualAccountRequest) { r.AdditionalUserInfo.ExpectedMonthlyPaymentsUSD = "" }, "additionalUserInfo.expectedMonthlyPaymentsUsd", "required"},
		{"occupation required when employed", func(r *IndividualAccountRequest) { r.AdditionalUserInfo.MostRecentOccupation = "" }, "additionalUserInfo.mostRecentOccupation", "required"},
		{"occupation too long", func(r *IndividualAccountRequest) {
			r.AdditionalUserInfo.MostRecentOccupation = strings.Repeat("a", 101)
		}, "additionalUserInfo.mostRecentOccupation", "too_long"},
		{"doc type missing", func(r *IndividualAccountRequest) { r.VerificationDocuments[0].DocumentType = "" }, "verificationDocuments[0].documentType", "required"},
		{"issuing missing", func(r *IndividualAccountRequest) { r.VerificationDocuments[0].IssuingCountry = "" }, "verificationDocuments[0].issuingCountry", "required"},
		{"issuing bad", func(r *IndividualAccountRequest) { r.VerificationDocuments[0].IssuingCountry = "FR" }, "verificationDocuments[0].issuingCountry", "invalid_country"},
		{"document missing", func(r *IndividualAccountRequest) { r.VerificationDocuments[0].Document = "" }, "verificationDocuments[0].document", "required"},
		{"expiry format", func(r *IndividualAccountRequest) { r.VerificationDocuments[0].ExpiryDate = "2030-13-01" }, "verificationDocuments[0].expiryDate", "invalid_date"},
		{"description too long", func(r *IndividualAccountRequest) { r.VerificationDocuments[0].Description = strings.Repeat("a", 501) }, "verificationDocuments[0].description", "too_long"},
		{"mrz lines", func(r *IndividualAccountRequest) { r.VerificationDocuments[0].MRZ = []string{strings.Repeat("<", 44)} }, "verificationDocuments[0].mrz", "invalid"},
		{"mrz charset", func(r *IndividualAccountRequest) {
			r.VerificationDocuments[0].MRZ = []string{strings.Repeat("<", 44), strings.Repeat("a", 44)}
		}, "verificationDocuments[0].mrz[1]", "invalid"},
		{"too many documents", func(r *IndividualAccountRequest) {
			for len(r.VerificationDocuments) <= MaxDocuments {
				r.VerificationDocuments = append(r.VerificationDocuments, r.VerificationDocuments[0])
			}
		}, "verificationDocuments", "too_many"},
	}
	seen := map[onboardkit.FieldCode]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := seedRequest(t)
			tc.mod(&r)
			fields := fieldErrors(t, v.ValidateIndividualAccount(r))
			require.Len(t, fields, 1, "%+v", fields)
			assert.Equal(t, tc.field, fields[0].Field)
			assert.Equal(t, tc.code, fields[0].Code)
			assert.NotEmpty(t, fields[0].Message)
		})
		seen[tc.code] = true
	}
	for _, code := range []onboardkit.FieldCode{onboardkit.FieldRequired, onboardkit.FieldInvalid, onboardkit.FieldInvalidCountry, onboardkit.FieldInvalidPhone, onboardkit.FieldInvalidDate,
		onboardkit.FieldInFuture, onboardkit.FieldTooYoung, onboardkit.FieldInvalidPostalCode, onboardkit.FieldInvalidEnum, onboardkit.FieldTooLong, onboardkit.FieldTooMany, onboardkit.FieldInvalidEmail} {
		assert.True(t, seen[code], "no case for %s", code)
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	v := newTestValidator(t)
	r := seedRequest(t)
	r.UserInfo.FirstName = ""
	r.UserInfo.Phone = "123"
	r.UserInfo.ResidentialAddress.PostalCode = "ABC"
	r.VerificationDocuments[0].DocumentNumber = "" // a finding of the document, not a field error
	r.TermsSignedAt = "yesterday"
	fields := fieldErrors(t, v.ValidateIndividualAccount(r))
	got := map[string]onboardkit.FieldCode{}
	for _, f := range fields {
		got[f.Field] = f.Code
	}
	assert.Equal(t, map[string]onboardkit.FieldCode{
		"userInfo.firstName":                     "required",
		"userInfo.phone":                         "invalid_phone",
		"userInfo.residentialAddress.postalCode": "invalid_postal_code",
		"termsSignedAt":                          "invalid_date",
	}, got)
}

func TestMessagesNeverEchoValues(t *testing.T) {
	v := newTestValidator(t)
	r := seedRequest(t)
	r.UserInfo.SocialSecurityNumber = "SECRET$$1"
	r.VerificationDocuments[0].DocumentNumber = "SECRETNUMBER1"
	r.UserInfo.Email = "secret-mail"
	err := v.ValidateIndividualAccount(r)
	require.Error(t, err)
	for _, f := range fieldErrors(t, err) {
		assert.NotContains(t, f.Message, "SECRET")
		assert.NotContains(t, f.Message, "secret")
	}
	assert.NotContains(t, err.Error(), "SECRET")
}

func TestDocumentNumberNormalised(t *testing.T) {
	v := newTestValidator(t)
	r := seedRequest(t)
	r.VerificationDocuments[0].DocumentNumber = "12ab 34567"
	require.NoError(t, v.ValidateIndividualAccount(r))
	assert.Equal(t, "12AB34567", NormalizeDocumentNumber("12ab 34567"))

	for _, tc := range []struct {
		typ    DocumentType
		number string
		ok     bool
	}{
		{DocumentIDCard, "12345", true},
		{DocumentIDCard, strings.Repeat("A", 20), true},
		{DocumentIDCard, strings.Repeat("A", 21), false},
		{DocumentIDCard, "1234", false},
		{DocumentResidencePermit, "RP123456", true},
		{DocumentDrivingLicence, "MORGA657054SM9IJ", true},
		{DocumentPassport, "123456", true},
		{DocumentProofOfAddress, "", true},
		{DocumentProofOfAddress, "INV-2025-001", true},
		{DocumentSelfie, "", true},
	} {
		s := Submission{VerificationDocuments: []VerificationDocument{{
			DocumentType: tc.typ, IssuingCountry: "FRA", Document: png400, DocumentNumber: tc.number,
		}}}
		// The shape of a number never fails the request: an unusual one
		// is a warning of the document (TestDocumentNumberFindings).
		assert.NoError(t, v.ValidateSubmission(s), "%s %q", tc.typ, tc.number)
		res, err := v.Evaluate(t.Context(), EvaluateInput{BirthDate: "1985-04-12", Country: "FRA", Documents: s.VerificationDocuments})
		require.NoError(t, err)
		unusual := slices.ContainsFunc(res.Documents[0].Warnings, func(f Finding) bool { return f.Code == FindingUnusualNumber })
		assert.Equal(t, !tc.ok, unusual, "%s %q", tc.typ, tc.number)
	}
	// Selfies and proofs of address need no issuing country.
	require.NoError(t, v.ValidateSubmission(Submission{VerificationDocuments: []VerificationDocument{{DocumentType: DocumentSelfie, Document: png400}}}))
}

func TestSubmissionStructure(t *testing.T) {
	v := newTestValidator(t)
	f := fieldErrors(t, v.ValidateSubmission(Submission{}))
	require.Len(t, f, 1)
	assert.Equal(t, onboardkit.FieldError{Field: "verificationDocuments", Code: "required", Message: "This field is required."}, f[0])
	f = fieldErrors(t, v.ValidateSubmission(Submission{VerificationDocuments: []VerificationDocument{}}))
	assert.Equal(t, onboardkit.FieldCode("required"), f[0].Code)
	f = fieldErrors(t, v.ValidateSubmission(Submission{
		VerificationDocuments: []VerificationDocument{{DocumentType: DocumentPassport, IssuingCountry: "FRA", Document: "x", DocumentNumber: "12AB34567"}},
		SocialSecurityNumber:  "1",
	}))
	assert.Equal(t, []onboardkit.FieldError{{Field: "socialSecurityNumber", Code: "invalid", Message: tagMessages["kyc_ssn"]}}, f)
}

func TestMRZShapeByType(t *testing.T) {
	v := newTestValidator(t)
	td1 := []string{strings.Repeat("<", 30), strings.Repeat("<", 30), strings.Repeat("<", 30)}
	td3 := []string{strings.Repeat("<", 44), strings.Repeat("<", 44)}
	for _, tc := range []struct {
		typ   DocumentType
		mrz   []string
		field string
	}{
		{DocumentPassport, td3, ""},
		{DocumentPassport, td1, "mrz"},
		{DocumentIDCard, td1, ""},
		{DocumentResidencePermit, td1, ""},
		{DocumentIDCard, td3, "mrz"},
		{DocumentIDCard, []string{td1[0], td1[1], td1[2][:29]}, "mrz[2]"},
		{DocumentDrivingLicence, td1, "mrz"},
	} {
		d := VerificationDocument{DocumentType: tc.typ, IssuingCountry: "FRA", Document: png400, DocumentNumber: "12AB345", MRZ: tc.mrz}
		err := v.ValidateSubmission(Submission{VerificationDocuments: []VerificationDocument{d}})
		if tc.field == "" {
			assert.NoError(t, err)
			continue
		}
		f := fieldErrors(t, err)
		require.Len(t, f, 1, "%s", tc.typ)
		assert.Equal(t, "verificationDocuments[0]."+tc.field, f[0].Field)
		assert.Equal(t, onboardkit.FieldCode("invalid"), f[0].Code)
	}
}

func TestProfile(t *testing.T) {
	v := newTestValidator(t)
	p := seedRequest(t).UserInfo.Profile()
	p.Locale, p.TimeZone = "fr-FR", "Europe/Paris"
	require.NoError(t, v.ValidateProfile(p))

	p.MiddleName = "Marie-Hélène"
	p.FirstName = "Zoë"
	p.LastName = "O’Connor d'Arc"
	require.NoError(t, v.ValidateProfile(p), "accents, hyphens, apostrophes")
	p.FirstName = "李"
	require.NoError(t, v.ValidateProfile(p), "other scripts")

	for _, tc := range []struct {
		mod   func(*Profile)
		field string
		cde   onboardkit.FieldCode
	}{
		{func(p *Profile) { p.Locale = "not a locale!" }, "locale", "invalid"},
		{func(p *Profile) { p.TimeZone = "Mars/Olympus" }, "timeZone", "invalid"},
		{func(p *Profile) { p.TimeZone = "Local" }, "timeZone", "invalid"},
		{func(p *Profile) { p.FirstName = " Jean" }, "firstName", "invalid"},
		{func(p *Profile) { p.FirstName = "Jean-" }, "firstName", "invalid"},
		{func(p *Profile) { p.FirstName = "Jean  Paul" }, "firstName", "invalid"},
		{func(p *Profile) { p.FirstName = "\u0301Jean" }, "firstName", "invalid"},
		{func(p *Profile) { p.LastName = strings.Repeat("a", 101) }, "lastName", "too_long"},
		{func(p *Profile) { p.ResidentialAddress.Country = "GBR" }, "residentialAddress.postalCode", "invalid_postal_code"},
	} {
		q := p
		tc.mod(&q)
		f := fieldErrors(t, v.ValidateProfile(q))
		require.Len(t, f, 1, "%+v", f)
		assert.Equal(t, tc.field, f[0].Field)
		assert.Equal(t, tc.cde, f[0].Code)
	}
	assert.Len(t, strings.Repeat("é", 100), 200, "100 runes")
	p.FirstName = strings.Repeat("é", 100)
	require.NoError(t, v.ValidateProfile(p), "the length is counted in characters")
}

func TestMinAge(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	v := newTestValidatorAt(t, onboardkit.Runtime{Clock: clk, Rand: &seqReader{}})
	p := seedRequest(t).UserInfo.Profile()

	p.BirthDate = "2008-03-01" // 18 today
	require.NoError(t, v.ValidateProfile(p))
	p.BirthDate = "2008-03-02" // 18 tomorrow
	f := fieldErrors(t, v.ValidateProfile(p))
	require.Len(t, f, 1)
	assert.Equal(t, onboardkit.FieldError{Field: "birthDate", Code: "too_young", Message: "The user must be at least 18 years old."}, f[0])

	// Born on 29 February: 18 on 1 March of a common year.
	p.BirthDate = "2008-02-29"
	require.NoError(t, v.ValidateProfile(p))
	clk.Set(time.Date(2026, 2, 28, 23, 59, 0, 0, time.UTC))
	require.Error(t, v.ValidateProfile(p))

	// "Today" follows the clock, in UTC.
	clk.Set(time.Date(2026, 3, 1, 0, 30, 0, 0, time.FixedZone("X", 2*3600))) // 2026-02-28 22:30 UTC
	require.Error(t, v.ValidateProfile(p))

	v16 := newTestValidatorAt(t, onboardkit.Runtime{Clock: clk, Rand: &seqReader{}}, func(c *Config) { c.MinAge = 16 })
	p.BirthDate = "2010-01-01"
	require.NoError(t, v16.ValidateProfile(p))
	p.BirthDate = "2026-02-28" // born today: not in the future
	f = fieldErrors(t, v16.ValidateProfile(p))
	assert.Equal(t, onboardkit.FieldCode("too_young"), f[0].Code)
	assert.Contains(t, f[0].Message, "16")
}

func TestCompliance(t *testing.T) {
	v := newTestValidator(t)
	yes, no := true, false
	c := Compliance{TermsAcceptedAt: "2026-01-02T03:00:00+01:00", TermsVersion: "2025-10", PoliticallyExposed: &no}
	require.NoError(t, v.ValidateCompliance(c))
	assert.Equal(t, time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC), c.AcceptedAt())
	assert.False(t, c.PEP())
	c.PoliticallyExposed = &yes
	assert.True(t, c.PEP())
	c.Questionnaire = &AdditionalUserInfo{EmploymentStatus: EmploymentStudent, SourceOfFunds: FundsGift, ExpectedMonthlyPaymentsUSD: Payments0To4999}
	require.NoError(t, v.ValidateCompliance(c), "a student needs no occupation")

	c.TermsAcceptedAt = "2026-01-02T03:08:05Z" // within the 5-minute skew
	require.NoError(t, v.ValidateCompliance(c))
	c.TermsAcceptedAt = "2026-01-02T03:10:05Z"
	f := fieldErrors(t, v.ValidateCompliance(c))
	assert.Equal(t, []string{"termsAcceptedAt:in_future"}, pairs(f))

	f = fieldErrors(t, v.ValidateCompliance(Compliance{Questionnaire: &AdditionalUserInfo{EmploymentStatus: "x", SourceOfFunds: "salary", ExpectedMonthlyPaymentsUSD: Payments100000Plus}}))
	assert.Equal(t, []string{"termsAcceptedAt:required", "politicallyExposed:required", "questionnaire.employmentStatus:invalid_enum"}, pairs(f))
	assert.Equal(t, "Use one of: employed, self_employed, unemployed, student, retired, other.", f[2].Message)

	f = fieldErrors(t, v.ValidateCompliance(Compliance{TermsAcceptedAt: "2026-01-02T03:04:05Z", PoliticallyExposed: new(bool), Questionnaire: &AdditionalUserInfo{}}))
	assert.Equal(t, []string{"questionnaire.employmentStatus:required", "questionnaire.sourceOfFunds:required", "questionnaire.expectedMonthlyPaymentsUsd:required"}, pairs(f))
}

func pairs(f []onboardkit.FieldError) []string {
	out := make([]string, len(f))
	for i, e := range f {
		out[i] = e.Field + ":" + string(e.Code)
	}
	return out
}

func TestEnumsComplete(t *testing.T) {
	v := newTestValidator(t)
	for _, e := range EmploymentStatuses() {
		for _, s := range SourcesOfFunds() {
			for _, b := range PaymentBands() {
				q := AdditionalUserInfo{EmploymentStatus: e, SourceOfFunds: s, ExpectedMonthlyPaymentsUSD: b, MostRecentOccupation: "Baker"}
				require.NoError(t, v.ValidateCompliance(Compliance{TermsAcceptedAt: "2026-01-02T03:04:05Z", PoliticallyExposed: new(bool), Questionnaire: &q}))
			}
		}
	}
	assert.Equal(t, []string{"0_4999", "5000_9999", "10000_49999", "50000_99999", "100000_plus"}, PaymentBands())
	assert.Len(t, DocumentTypes(), 6)
	// Returned lists are copies.
	PaymentBands()[0] = "x"
	assert.Equal(t, "0_4999", PaymentBands()[0])
}

func TestCountries(t *testing.T) {
	assert.Len(t, countries, 249)
	for _, c := range []string{"FRA", "DEU", "USA", "GBR", "PRK", "ALA", "BES", "SSD", "SXM", "UMI", "ATA", "PSE", "TWN"} {
		assert.True(t, IsCountry(c), c)
	}
	for _, c := range []string{"", "FR", "fra", "XKX", "ANT", "SUN", "YUG", "ZAR", "EUE", "AAA", "FRAN", "UTO"} {
		assert.False(t, IsCountry(c), c)
	}
}

func TestPostalCodes(t *testing.T) {
	for _, tc := range []struct {
		country, code string
		ok            bool
	}{
		{"FRA", "75001", true}, {"FRA", "7500", false}, {"FRA", "75OO1", false},
		{"DEU", "10115", true}, {"DEU", "1011", false},
		{"ITA", "00184", true}, {"ITA", "001840", false},
		{"ESP", "28013", true}, {"ESP", "53001", false}, {"ESP", "00123", false},
		{"GBR", "SW1A 1AA", true}, {"GBR", "sw1a1aa", true}, {"GBR", "EC1A 1BB", true}, {"GBR", "M1 1AE", true}, {"GBR", "12345", false},
		{"USA", "10001", true}, {"USA", "10001-1234", true}, {"USA", "1000", false}, {"USA", "10001-12", false},
		{"NLD", "1012 AB", true}, {"NLD", "1012AB", true}, {"NLD", "0123 AB", false},
		{"BEL", "1000", true}, {"BEL", "0100", false},
		{"CHE", "8001", true}, {"CHE", "80010", false},
		{"CAN", "K1A 0B1", true}, {"CAN", "k1a0b1", true}, {"CAN", "D1A 0B1", false},
		{"AUT", "1010", true}, {"PRT", "1000-001", true}, {"POL", "00-001", true}, {"LUX", "L-1234", true}, {"SWE", "114 55", true},
		{"JPN", "100-0001", true}, {"JPN", "", true}, {"JPN", "1#3", false}, {"IRL", "D02 X285", true},
	} {
		assert.Equal(t, tc.ok, ValidPostalCode(tc.country, tc.code), "%s %q", tc.country, tc.code)
	}
	assert.Len(t, PostalCodeCountries(), 15)
	for _, c := range PostalCodeCountries() {
		assert.True(t, IsCountry(c))
	}

	v := newTestValidator(t)
	p := seedRequest(t).UserInfo.Profile()
	p.ResidentialAddress = Address{StreetLine1: "1-1 Chiyoda", City: "Tokyo", Country: "JPN"}
	require.NoError(t, v.ValidateProfile(p), "postal code optional outside the listed countries")
}

func TestNewValidatorConfig(t *testing.T) {
	_, err := NewValidator(Config{}, onboardkit.Runtime{})
	require.NoError(t, err, "zero config")
	bad := []Config{
		{MinAge: -1},
		{MaxDocumentSize: -1},
		{MinImageWidth: -1},
		{MaxClockSkew: -time.Second},
		{AllowedMediaTypes: []string{"png"}},
		{Rules: &Rules{MaxSubmissions: 0}},
		{Rules: &Rules{MaxSubmissions: 1, HighRiskCountries: []string{"XX"}}},
		{Rules: &Rules{MaxSubmissions: 1, IdentityDocumentTypes: []DocumentType{"visa"}}},
		{Rules: &Rules{MaxSubmissions: 1, QuestionnaireAge: -1}},
	}
	for i, c := range bad {
		_, err := NewValidator(c, onboardkit.Runtime{})
		assert.Error(t, err, "config %d", i)
	}
	r := DefaultRules()
	v, err := NewValidator(Config{Rules: &r}, onboardkit.Runtime{})
	require.NoError(t, err)
	r.HighRiskCountries[0] = "FRA"
	assert.Equal(t, "PRK", v.Rules().HighRiskCountries[0], "rules are copied in")
}

func TestConcurrentUse(t *testing.T) {
	v := newTestValidator(t)
	r := seedRequest(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			q := r
			if i%2 == 0 {
				q.UserInfo.Phone = "bad"
			}
			for j := 0; j < 20; j++ {
				err := v.ValidateIndividualAccount(q)
				if (err == nil) != (i%2 == 1) {
					t.Errorf("goroutine %d: %v", i, err)
				}
				if _, err := v.Evaluate(t.Context(), q.EvaluateInput()); err != nil && i%2 == 1 {
					t.Error(err)
				}
			}
		}(i)
	}
	wg.Wait()
}

func TestTextFields(t *testing.T) {
	v := newTestValidator(t)
	p := seedRequest(t).UserInfo.Profile()
	p.ResidentialAddress.StreetLine1 = "10\u00a0rue de Rivoli – bâtiment B"
	require.NoError(t, v.ValidateProfile(p), "no-break space and dashes are text")
	for _, bad := range []string{"a\tb", "a\nb", "a\u200bb", "a\xffb"} {
		p.ResidentialAddress.StreetLine1 = bad
		assert.Equal(t, []string{"residentialAddress.streetLine1:invalid"}, pairs(fieldErrors(t, v.ValidateProfile(p))), "%q", bad)
	}
}

// The seed writes phones with spaces: spaces, dots and dashes between
// digits are accepted (onboarding stores the E.164 form).
func TestPhoneSeparators(t *testing.T) {
	v := newTestValidator(t)
	for _, p := range []string{"+33612345678", "+33 6 12 34 56 78", "+33.6.12.34.56.78", "+33-612-345-678", " +33 6 12 34 56 78 "} {
		r := seedRequest(t)
		r.UserInfo.Phone = p
		assert.NoError(t, v.ValidateIndividualAccount(r), "%q", p)
	}
	d, ok := PhoneDigits("+33 6 12 34 56 78")
	assert.True(t, ok)
	assert.Equal(t, "+33612345678", d)
	for _, p := range []string{"+33 (6) 12 34 56 78", "+33  612345678", "+33612345678-", "33 6 12 34 56 78 x"} {
		_, ok := PhoneDigits(p)
		assert.False(t, ok, "%q", p)
	}
}

// termsSignedAt and byzantineTermsSignedAt are synonyms: one is required,
// both are accepted when they name the same instant.
func TestTermsSynonym(t *testing.T) {
	v := newTestValidator(t)
	for _, tc := range []struct {
		name, terms, byzantine string
		field                  string
		code                   onboardkit.FieldCode
	}{
		{"termsSignedAt", "2026-01-01T10:00:00Z", "", "", ""},
		{"byzantineTermsSignedAt", "", "2025-11-19T21:14:58.328Z", "", ""},
		{"both, same instant", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00+01:00", "", ""},
		{"both, different", "2026-01-01T10:00:00Z", "2026-01-01T10:00:01Z", "byzantineTermsSignedAt", onboardkit.FieldMismatch},
		{"neither", "", "", "termsSignedAt", onboardkit.FieldRequired},
		{"byzantine bad", "", "yesterday", "byzantineTermsSignedAt", onboardkit.FieldInvalidDate},
		{"byzantine future", "", "2026-01-02T04:00:00Z", "byzantineTermsSignedAt", onboardkit.FieldInFuture},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := seedRequest(t)
			r.TermsSignedAt, r.ByzantineTermsSignedAt = tc.terms, tc.byzantine
			err := v.ValidateIndividualAccount(r)
			if tc.field == "" {
				require.NoError(t, err)
				assert.False(t, r.SignedAt().IsZero())
				return
			}
			f := fieldErrors(t, err)
			require.Len(t, f, 1)
			assert.Equal(t, tc.field, f[0].Field)
			assert.Equal(t, tc.code, f[0].Code)
		})
	}
}
