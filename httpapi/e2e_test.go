package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

func TestJourneyMemory(t *testing.T) {
	t.Parallel()
	walkJourney(t, newEnv(t))
}

func TestJourneyPostgres(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t) // skips without ONBOARDKIT_TEST_POSTGRES
	walkJourney(t, newEnv(t, func(c *envConfig) { c.store = st }))
}

// walkJourney takes one user through every step of docs/API.md over HTTP with a
// plain client.
func walkJourney(t *testing.T, e *env) {
	phone := newPhone()
	email := "jean" + phone[1:] + "@example.com"

	// Sign-up.
	r := e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": phone, "password": testPassword, "locale": "fr-FR"})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var su onboarding.SignUpResult
	r.json(t, &su)
	assert.Equal(t, onboarding.StatusRegistered, su.Status)
	assert.Equal(t, onboarding.ChallengeSMS, su.Challenge.ChallengeType)
	assert.NotContains(t, su.Challenge.Destination, phone[4:], "the destination is masked")
	assert.NotEmpty(t, r.header.Get("X-Request-Id"))

	// Phone confirmation.
	r = e.do("POST", "/v1/phone/confirm", "", map[string]string{"challengeId": su.Challenge.ChallengeID, "code": e.code(phone)})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var conf onboarding.AuthResult
	r.json(t, &conf)
	require.NotNil(t, conf.Tokens)
	assert.Equal(t, "Bearer", conf.Tokens.TokenType)
	assert.Equal(t, onboarding.StatusContactVerified, conf.Status)
	access := conf.Tokens.AccessToken

	// Email.
	r = e.do("PUT", "/v1/email", access, map[string]string{"email": email})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	var ch struct{ Challenge onboarding.Challenge }
	r.json(t, &ch)
	assert.Equal(t, onboarding.ChallengeEmail, ch.Challenge.ChallengeType)
	r = e.do("POST", "/v1/email/confirm", access, map[string]string{"challengeId": ch.Challenge.ChallengeID, "code": e.code(email)})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.NotContains(t, string(r.body), "tokens")

	// Profile and compliance.
	r = e.do("PATCH", "/v1/profile", access, testProfile)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var pr onboarding.ProfileResult
	r.json(t, &pr)
	assert.Equal(t, onboarding.ProfileResult{Status: onboarding.StatusProfileCompleted, Next: []onboarding.Step{onboarding.StepSubmitCompliance, onboarding.StepSubmitKYC, onboarding.StepKYCReview}, MissingFields: []string{}}, pr)
	r = e.do("POST", "/v1/compliance", access, testCompliance(e.clock.Now()))
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)

	// KYC with a real 400×400 PNG.
	sub := kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{{
		DocumentType: "passport", IssuingCountry: "FRA", Document: pngDataURL(t, 400, 400),
		DocumentNumber: "12AB34567", ExpiryDate: "2030-01-01",
	}}}
	r = e.do("POST", "/v1/kyc", access, sub)
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	var kr kyc.Result
	r.json(t, &kr)
	assert.Equal(t, kyc.StatusUnderReview, kr.Status)
	require.Len(t, kr.Documents, 1)
	assert.Empty(t, kr.Documents[0].Errors)
	assert.NotContains(t, string(r.body), "12AB34567", "document numbers are not echoed")
	r = e.do("GET", "/v1/kyc", access, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	// An account before approval is inactive.
	r = e.do("POST", "/v1/accounts", access, map[string]any{})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var early portfolio.Account
	r.json(t, &early)
	assert.False(t, early.Active)

	// Signed integrator decision.
	r, _ = e.signed("POST", "/v1/integrator/kyc-decisions", map[string]string{"userId": conf.UserID, "verificationStatus": "active"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var dr onboarding.DecisionResult
	r.json(t, &dr)
	assert.Equal(t, onboarding.DecisionResult{UserID: conf.UserID, VerificationStatus: kyc.StatusActive, Tier: "KYC_1"}, dr)

	// Me.
	r = e.do("GET", "/v1/me", access, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var me onboarding.UserView
	r.json(t, &me)
	assert.Equal(t, onboarding.StatusActive, me.Status)
	assert.True(t, me.PhoneVerified)
	assert.True(t, me.EmailVerified)
	assert.Equal(t, kyc.Limits{DailyDeposit: 100000, MonthlyDeposit: 500000}, me.Limits)

	// Accounts: approval activated the account and gave it a TRADING
	// portfolio.
	r = e.do("GET", "/v1/accounts", access, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var accts struct{ Accounts []portfolio.Account }
	r.json(t, &accts)
	require.Len(t, accts.Accounts, 1)
	assert.True(t, accts.Accounts[0].Active)
	require.Len(t, accts.Accounts[0].Portfolios, 1)
	assert.Equal(t, "TRADING", accts.Accounts[0].Portfolios[0].Type)

	// A second portfolio with its own address.
	r = e.do("POST", "/v1/portfolios", access, map[string]string{"accountId": early.ID, "name": "Savings", "portfolioAccountType": "SAVINGS"})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var pf portfolio.Portfolio
	r.json(t, &pf)
	assert.Equal(t, "bitcoin", pf.Address.Chain)
	assert.NotEqual(t, accts.Accounts[0].Portfolios[0].Address.Address, pf.Address.Address)
	r = e.do("POST", "/v1/portfolios", access, map[string]string{"accountId": early.ID, "name": "Savings", "portfolioAccountType": "STAKING"})
	assert.Equal(t, "name_taken", string(r.problem(t).Code))

	// Refresh rotates; the old refresh token is then refused.
	r = e.do("POST", "/v1/refresh", "", map[string]string{"refreshToken": conf.Tokens.RefreshToken})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var tr struct{ Tokens onboarding.Tokens }
	r.json(t, &tr)
	require.NotEmpty(t, tr.Tokens.RefreshToken)
	assert.NotEqual(t, conf.Tokens.RefreshToken, tr.Tokens.RefreshToken)
	r = e.do("POST", "/v1/refresh", "", map[string]string{"refreshToken": conf.Tokens.RefreshToken})
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "invalid_refresh_token", string(r.problem(t).Code))
	assert.Equal(t, "Bearer", r.header.Get("WWW-Authenticate"))

	// Forgot and reset the password; sessions are revoked.
	e.clock.Advance(time.Second)
	r = e.do("POST", "/v1/password/forgot", "", map[string]string{"username": phone})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	var fp onboarding.ForgotPasswordResult
	r.json(t, &fp)
	assert.Equal(t, "SMS", fp.CodeDeliveryDetails.DeliveryMedium)
	const newPassword = "new-Staple-42-battery"
	r = e.do("POST", "/v1/password/reset", "", map[string]string{"sessionId": fp.SessionID, "code": e.code(phone), "password": newPassword, "passwordConfirm": newPassword})
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	e.clock.Advance(time.Second)
	r = e.do("GET", "/v1/me", access, nil)
	require.Equal(t, http.StatusUnauthorized, r.status, "tokens issued before a reset are refused")
	assert.Equal(t, `Bearer error="invalid_token"`, r.header.Get("WWW-Authenticate"))

	// Login with the new password and the SMS code.
	r = e.do("POST", "/v1/login", "", map[string]string{"username": email, "password": testPassword})
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "invalid_credentials", string(r.problem(t).Code))
	r = e.do("POST", "/v1/login", "", map[string]string{"username": phone, "password": newPassword})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var lr onboarding.LoginResult
	r.json(t, &lr)
	r = e.do("POST", "/v1/otp", "", map[string]string{"sessionId": lr.SessionID, "code": e.code(phone)})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var li onboarding.AuthResult
	r.json(t, &li)
	require.NotNil(t, li.Tokens)
	access = li.Tokens.AccessToken
	r = e.do("GET", "/v1/me", access, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	// Authenticated password change, confirmed by a code.
	const third = "third-Orbit-93-lantern"
	r = e.do("PUT", "/v1/password", access, map[string]string{"currentPassword": newPassword, "password": third, "passwordConfirm": third})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	var pc onboarding.PasswordChangeResult
	r.json(t, &pc)
	r = e.do("POST", "/v1/password/confirm", access, map[string]string{"sessionId": pc.SessionID, "code": e.code(phone)})
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)

	// Logout revokes the refresh token.
	r = e.do("POST", "/v1/logout", access, map[string]string{"refreshToken": li.Tokens.RefreshToken})
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	r = e.do("POST", "/v1/refresh", "", map[string]string{"refreshToken": li.Tokens.RefreshToken})
	require.Equal(t, http.StatusUnauthorized, r.status)

	// Meta routes.
	r = e.do("GET", "/.well-known/jwks.json", "", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, string(r.body), `"keys"`)
	r = e.do("GET", "/healthz", "", nil)
	require.Equal(t, http.StatusOK, r.status)
	r = e.do("GET", "/openapi.yaml", "", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "application/yaml", r.header.Get("Content-Type"))

	// The access log holds routes and statuses, never the phone, the
	// email, codes or tokens.
	logs := e.logs.String()
	assert.Contains(t, logs, `"route":"POST /v1/signup"`)
	for _, secret := range []string{phone, phone[1:], email, access, li.Tokens.RefreshToken, "12AB34567"} {
		assert.NotContains(t, logs, secret)
	}
	for _, line := range strings.Split(strings.TrimSpace(e.outbox.String()), "\n") {
		var l outboxLine
		require.NoError(t, json.Unmarshal([]byte(line), &l))
		assert.NotContains(t, logs, `"`+l.Code+`"`)
	}
}

func TestIndividualAccountSigned(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	phone := newPhone()
	body := map[string]any{
		"userInfo": map[string]any{
			"firstName": "Grace", "lastName": "Hopper", "email": "grace" + phone[1:] + "@example.com", "phone": phone,
			"birthDate": "1986-12-09", "nationality": "FRA",
			"residentialAddress": map[string]string{"streetLine1": "1 rue de la Paix", "city": "Paris", "postalCode": "75002", "country": "FRA"},
		},
		"termsSignedAt":      e.clock.Now().Add(-time.Hour).Format(time.RFC3339),
		"additionalUserInfo": map[string]string{"employmentStatus": "employed", "sourceOfFunds": "salary", "expectedMonthlyPaymentsUsd": "0_4999", "mostRecentOccupation": "Engineer"},
		"verificationDocuments": []map[string]string{{
			"documentType": "passport", "issuingCountry": "FRA", "document": pngDataURL(t, 400, 400),
			"documentNumber": "98ZX76543", "expiryDate": "2031-01-01",
		}},
	}
	r, _ := e.signed("POST", "/v1/integrator/individual-accounts", body)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var res onboarding.IndividualAccountResult
	r.json(t, &res)
	assert.NotEmpty(t, res.UserID)
	assert.NotEmpty(t, res.AccountID)
	assert.Equal(t, kyc.StatusUnderReview, res.VerificationStatus)

	// Unsigned: 401.
	r = e.do("POST", "/v1/integrator/individual-accounts", "", body)
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "invalid_signature", string(r.problem(t).Code))

	// Invalid input under a valid signature: 422 with field errors.
	body["userInfo"].(map[string]any)["nationality"] = "XXX"
	body["userInfo"].(map[string]any)["phone"] = newPhone()
	body["userInfo"].(map[string]any)["email"] = "other" + phone[1:] + "@example.com"
	r, _ = e.signed("POST", "/v1/integrator/individual-accounts", body)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
	p := r.problem(t)
	assert.Equal(t, "validation", string(p.Code))
	require.NotEmpty(t, p.Errors)
	assert.Equal(t, "userInfo.nationality", p.Errors[0].Field)
}
