package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/onboarding/passkeytest"
)

// passkeyChallenge asks the server for an integrator registration
// ceremony and has a answer it; it returns the authenticators[i] object of
// the seed and the credential.
func (e *env) seedAuthenticator(a *passkeytest.Authenticator, tw passkeytest.Tweaks) (map[string]any, *passkeytest.Credential) {
	e.t.Helper()
	r, _ := e.signed("POST", "/v1/integrator/passkey-challenges", map[string]any{"userName": "john.smith@example.com", "displayName": "John Smith"})
	require.Equal(e.t, http.StatusCreated, r.status, "%s", r.body)
	var ch struct {
		Challenge string          `json:"challenge"`
		PublicKey json.RawMessage `json:"publicKey"`
	}
	r.json(e.t, &ch)
	reg, err := a.Create(ch.PublicKey, tw)
	require.NoError(e.t, err)
	return map[string]any{
		"authenticatorName": "John's iPhone",
		"challenge":         ch.Challenge,
		"attestation": map[string]any{
			"credentialId":      passkeytest.B64(reg.CredentialID),
			"clientDataJson":    passkeytest.B64(reg.ClientDataJSON),
			"attestationObject": passkeytest.B64(reg.AttestationObject),
			"transports":        []string{"AUTHENTICATOR_TRANSPORT_BLE"},
		},
	}, reg.Credential
}

// seedBody is the example body of the source request
// (shared/seeds/002), its placeholders replaced by real values: a PNG, a
// French mobile written with spaces, an https picture URL.
func seedBody(t testing.TB, authenticators ...map[string]any) map[string]any {
	body := map[string]any{
		"userInfo": map[string]any{
			"firstName": "John", "lastName": "Smith", "email": "john.smith@example.com", "middleName": "William",
			"phone": "+33 6 12 34 56 78", "birthDate": "1990-01-01", "nationality": "FRA",
			"residentialAddress": map[string]any{"streetLine1": "33 Rue La Fayette", "city": "Paris", "postalCode": "75009",
				"country": "FRA", "streetLine2": "WeWork", "state": "IDF"},
			"socialSecurityNumber": "123-45-6789",
			"profilePictureUrl":    "https://cdn.example.com/avatars/john-smith.png",
		},
		"byzantineTermsSignedAt": "2025-11-19T21:14:58.328Z",
		"additionalUserInfo": map[string]any{"employmentStatus": "employed", "expectedMonthlyPaymentsUsd": "5000_9999",
			"sourceOfFunds": "salary", "mostRecentOccupation": "151252"},
		"verificationDocuments": []any{map[string]any{
			"documentType": "passport", "issuingCountry": "FRA", "document": pngDataURL(t, 400, 400),
			"documentNumber": "FR1234567890", "description": "Additional supporting document",
		}},
	}
	if len(authenticators) > 0 {
		body["authenticators"] = authenticators
	}
	return body
}

// TestSeedIndividualAccountAsWritten is the acceptance of issue 15: the
// source request's example, with real values and a passkey made by a
// virtual authenticator over a challenge this server issued, creates the
// account; the answer echoes the request, the passkey is active, and the
// passport's unusual number is a warning, not an error.
func TestSeedIndividualAccountAsWritten(t *testing.T) {
	e := newEnv(t, withPasskeys, func(c *envConfig) { c.store = storeForTests(t) })
	a := &passkeytest.Authenticator{Origin: passkeyOrigin, Format: "packed"}
	auth, cred := e.seedAuthenticator(a, passkeytest.Tweaks{})

	r, _ := e.signed("POST", "/v1/integrator/individual-accounts", seedBody(t, auth))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var res struct {
		UserID                 string         `json:"userId"`
		AccountID              string         `json:"accountId"`
		VerificationStatus     string         `json:"verificationStatus"`
		UserInfo               map[string]any `json:"userInfo"`
		TermsSignedAt          string         `json:"termsSignedAt"`
		ByzantineTermsSignedAt string         `json:"byzantineTermsSignedAt"`
		AdditionalUserInfo     map[string]any `json:"additionalUserInfo"`
		VerificationDocuments  []struct {
			DocumentID, DocumentType, IssuingCountry, DocumentNumber, Description string
			Warnings, Errors                                                      []struct{ Code, Message string }
		} `json:"verificationDocuments"`
		MissingDocuments   []string `json:"missingDocuments"`
		IsPasskeyActivated bool     `json:"isPasskeyActivated"`
		IsOtpActivated     bool     `json:"isOtpActivated"`
	}
	r.json(t, &res)
	assert.True(t, res.IsPasskeyActivated)
	assert.False(t, res.IsOtpActivated)
	assert.NotEmpty(t, res.AccountID)
	assert.Equal(t, "under_review", res.VerificationStatus)
	assert.Equal(t, "2025-11-19T21:14:58.328Z", res.ByzantineTermsSignedAt)
	assert.Equal(t, res.ByzantineTermsSignedAt, res.TermsSignedAt)
	assert.Equal(t, map[string]any{"employmentStatus": "employed", "expectedMonthlyPaymentsUsd": "5000_9999",
		"sourceOfFunds": "salary", "mostRecentOccupation": "151252"}, res.AdditionalUserInfo)
	assert.Equal(t, "John", res.UserInfo["firstName"])
	assert.Equal(t, "William", res.UserInfo["middleName"])
	assert.Equal(t, "+33612345678", res.UserInfo["phone"], "the phone as stored, in E.164")
	assert.Equal(t, "***-**-6789", res.UserInfo["socialSecurityNumber"], "the SSN masked")
	assert.Equal(t, "https://cdn.example.com/avatars/john-smith.png", res.UserInfo["profilePictureUrl"])
	assert.Equal(t, "WeWork", res.UserInfo["residentialAddress"].(map[string]any)["streetLine2"])
	require.Len(t, res.VerificationDocuments, 1)
	d := res.VerificationDocuments[0]
	assert.NotEmpty(t, d.DocumentID)
	assert.Equal(t, "passport", d.DocumentType)
	assert.Equal(t, "FRA", d.IssuingCountry)
	assert.Equal(t, "********7890", d.DocumentNumber, "the number masked")
	assert.Equal(t, "Additional supporting document", d.Description)
	require.Len(t, d.Warnings, 1)
	assert.Equal(t, "unusual_document_number", d.Warnings[0].Code)
	assert.Empty(t, d.Errors)
	assert.Empty(t, res.MissingDocuments, "the passport counts")
	assert.NotContains(t, string(r.body), "123-45-6789")
	assert.NotContains(t, string(r.body), "FR1234567890")

	// The created user has the passkey: a passwordless login works.
	var c ceremony
	e.expect(http.StatusOK, "POST", "/v1/login/passkey/options", "", nil).json(t, &c)
	assertion, err := a.Get(c.PublicKey, cred, passkeytest.Tweaks{})
	require.NoError(t, err)
	var ar struct {
		UserID string `json:"userId"`
	}
	e.expect(http.StatusOK, "POST", "/v1/login/passkey", "", map[string]any{"ceremonyId": c.CeremonyID, "credential": assertion}).json(t, &ar)
	assert.Equal(t, res.UserID, ar.UserID)

	// The challenge was used: sending it again fails the request, naming
	// the authenticator.
	body := seedBody(t, auth)
	body["userInfo"].(map[string]any)["email"] = "john.smith2@example.com"
	body["userInfo"].(map[string]any)["phone"] = "+33 6 12 34 56 79"
	r, _ = e.signed("POST", "/v1/integrator/individual-accounts", body)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
	p := r.problem(t)
	require.Len(t, p.Errors, 1)
	assert.Equal(t, "authenticators[0].challenge", p.Errors[0].Field)
	assert.Equal(t, "invalid_code", string(p.Errors[0].Code))
}

// TestSeedAuthenticatorRefusals: each authenticator that does not verify
// fails the request with 422 and field errors naming it, together with
// the request's other problems; nothing is created.
func TestSeedAuthenticatorRefusals(t *testing.T) {
	e := newEnv(t, withPasskeys)
	a := &passkeytest.Authenticator{Origin: passkeyOrigin}
	good, _ := e.seedAuthenticator(a, passkeytest.Tweaks{})
	wrongOrigin, _ := e.seedAuthenticator(a, passkeytest.Tweaks{Origin: "https://evil.example.net"})
	noUV, _ := e.seedAuthenticator(a, passkeytest.Tweaks{NoUserVerification: true})
	forged := map[string]any{"authenticatorName": "x", "challenge": "bm90IGEgY2hhbGxlbmdlIG9mIG91cnM", "attestation": good["attestation"]}
	body := seedBody(t, good, wrongOrigin, noUV, forged)
	body["userInfo"].(map[string]any)["firstName"] = ""
	r, _ := e.signed("POST", "/v1/integrator/individual-accounts", body)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
	got := map[string]string{}
	for _, f := range r.problem(t).Errors {
		got[f.Field] = string(f.Code)
	}
	assert.Equal(t, map[string]string{
		"userInfo.firstName":          "required",
		"authenticators[1]":           "origin_mismatch",
		"authenticators[2]":           "user_verification_required",
		"authenticators[3].challenge": "invalid_code",
	}, got)

	// The good one was not consumed: with the other problems fixed it
	// creates the account.
	r, _ = e.signed("POST", "/v1/integrator/individual-accounts", seedBody(t, good))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)

	// Without documents, missingDocuments says what is missing.
	body = seedBody(t)
	delete(body, "verificationDocuments")
	body["userInfo"].(map[string]any)["email"] = "other@example.com"
	body["userInfo"].(map[string]any)["phone"] = "+33.6.12.34.56.70"
	r, _ = e.signed("POST", "/v1/integrator/individual-accounts", body)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var res struct {
		MissingDocuments   []string `json:"missingDocuments"`
		IsPasskeyActivated bool     `json:"isPasskeyActivated"`
	}
	r.json(t, &res)
	assert.Equal(t, []string{"identity_document"}, res.MissingDocuments)
	assert.False(t, res.IsPasskeyActivated)
}
