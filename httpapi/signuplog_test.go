package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

func signUpLogFlow(c *envConfig) {
	c.svc = func(sc *onboarding.Config) { sc.Flow = onboarding.SignUpLogFlow() }
}

func TestSignUpLogWalkMemory(t *testing.T) {
	t.Parallel()
	walkSignUpLog(t, newEnv(t, signUpLogFlow))
}

func TestSignUpLogWalkPostgres(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t) // skips without ONBOARDKIT_TEST_POSTGRES
	walkSignUpLog(t, newEnv(t, signUpLogFlow, func(c *envConfig) { c.store = st }))
}

// walkSignUpLog takes one user over HTTP through the order of the retail
// sign-up log: email, email code, names, address, birth date and
// nationality, phone, phone code, compliance, KYC, an integrator's
// decision, then an account with a portfolio.
func walkSignUpLog(t *testing.T, e *env) {
	phone := newPhone()
	email := "log" + phone[1:] + "@example.com"
	steps := func(s ...onboarding.Step) []onboarding.Step { return s }
	rest := steps(onboarding.StepSubmitCompliance, onboarding.StepSubmitKYC, onboarding.StepKYCReview)
	phoneSteps := steps(onboarding.StepAddPhone, onboarding.StepConfirmPhone)

	// Email and its code.
	r := e.expect(http.StatusCreated, "POST", "/v1/signup", "", map[string]string{"email": email, "password": testPassword})
	var su onboarding.SignUpResult
	r.json(t, &su)
	assert.Equal(t, onboarding.ChallengeEmail, su.Challenge.ChallengeType)
	var auth onboarding.AuthResult
	e.expect(http.StatusOK, "POST", "/v1/phone/confirm", "", map[string]string{"challengeId": su.Challenge.ChallengeID, "code": e.code(email)}).json(t, &auth)
	require.NotNil(t, auth.Tokens)
	access := auth.Tokens.AccessToken
	assert.Equal(t, onboarding.StatusContactVerified, auth.Status)
	assert.Equal(t, append(append(steps(onboarding.StepCompleteProfile), phoneSteps...), rest...), auth.Next)

	// The profile in three parts; each answer says what is missing.
	parts := []struct {
		patch   map[string]any
		status  onboarding.Status
		missing []string
	}{
		{map[string]any{"firstName": "Ada", "lastName": "Lovelace"}, onboarding.StatusContactVerified,
			[]string{"birthDate", "nationality", "residentialAddress.streetLine1", "residentialAddress.city", "residentialAddress.country"}},
		{map[string]any{"residentialAddress": map[string]string{"streetLine1": "12 Rue de Rivoli", "city": "Paris", "postalCode": "75004", "country": "FRA"}},
			onboarding.StatusContactVerified, []string{"birthDate", "nationality"}},
		{map[string]any{"birthDate": "1990-12-10", "nationality": "GBR", "middleName": nil}, onboarding.StatusProfileCompleted, []string{}},
	}
	for i, p := range parts {
		var pr onboarding.ProfileResult
		e.expect(http.StatusOK, "PATCH", "/v1/profile", access, p.patch).json(t, &pr)
		assert.Equal(t, p.status, pr.Status, "part %d", i)
		assert.Equal(t, p.missing, pr.MissingFields, "part %d", i)
		me := e.me(access)
		assert.Equal(t, p.missing, me.MissingFields, "part %d: /v1/me says the same", i)
		if i == 0 {
			require.NotNil(t, me.Profile)
			assert.Equal(t, "Lovelace", me.Profile.LastName)
		}
	}
	me := e.me(access)
	assert.Equal(t, "Ada", me.Profile.FirstName, "fields absent from a part are kept")
	assert.Equal(t, append(phoneSteps, rest...), me.Next)

	// A part that breaks a rule is refused, every problem listed; a
	// required field cannot be emptied.
	r = e.do("PATCH", "/v1/profile", access, map[string]any{"firstName": "", "nationality": "XXX"})
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
	var fields []string
	for _, fe := range r.problem(t).Errors {
		fields = append(fields, fe.Field)
	}
	assert.ElementsMatch(t, []string{"firstName", "nationality"}, fields)

	// Compliance waits for the phone.
	r = e.do("POST", "/v1/compliance", access, testCompliance(e.clock.Now()))
	require.Equal(t, http.StatusConflict, r.status, "%s", r.body)
	assert.Equal(t, "invalid_transition", string(r.problem(t).Code))

	// The phone and its code (a code past its TTL is refused; the number
	// is asked again).
	var ch struct{ Challenge onboarding.Challenge }
	e.expect(http.StatusAccepted, "PUT", "/v1/phone", access, map[string]string{"phoneNumber": phone}).json(t, &ch)
	e.clock.Advance(11 * time.Minute)
	r = e.do("POST", "/v1/phone/verify", access, map[string]string{"challengeId": ch.Challenge.ChallengeID, "code": e.code(phone)})
	require.Equal(t, http.StatusGone, r.status, "%s", r.body)
	assert.Equal(t, "code_expired", string(r.problem(t).Code))
	e.expect(http.StatusAccepted, "PUT", "/v1/phone", access, map[string]string{"phoneNumber": phone}).json(t, &ch)
	assert.Equal(t, onboarding.ChallengeSMS, ch.Challenge.ChallengeType)
	assert.NotContains(t, ch.Challenge.Destination, phone[4:])
	r = e.do("POST", "/v1/phone/verify", access, map[string]string{"challengeId": ch.Challenge.ChallengeID, "code": wrongCode(e.code(phone))})
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	var pv onboarding.AuthResult
	r = e.expect(http.StatusOK, "POST", "/v1/phone/verify", access, map[string]string{"challengeId": ch.Challenge.ChallengeID, "code": e.code(phone)})
	r.json(t, &pv)
	assert.NotContains(t, string(r.body), "tokens")
	assert.Equal(t, onboarding.AuthResult{UserID: auth.UserID, Status: onboarding.StatusProfileCompleted, Next: rest}, pv)
	me = e.me(access)
	assert.Equal(t, phone, me.PhoneNumber)
	assert.True(t, me.PhoneVerified)

	// Compliance, KYC and the integrator's decision.
	e.expect(http.StatusNoContent, "POST", "/v1/compliance", access, testCompliance(e.clock.Now()))
	e.expect(http.StatusAccepted, "POST", "/v1/kyc", access, testSubmission(t))
	r, _ = e.signed("POST", "/v1/integrator/kyc-decisions", map[string]string{"userId": auth.UserID, "verificationStatus": "active"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	me = e.me(access)
	assert.Equal(t, onboarding.StatusActive, me.Status)
	assert.Equal(t, kyc.StatusActive, me.KYC.VerificationStatus)

	// An active account with its portfolios; the phone now logs in.
	accts := e.accounts(access)
	require.Len(t, accts, 1)
	assert.True(t, accts[0].Active)
	acct := accts[0].ID
	e.expect(http.StatusCreated, "POST", "/v1/portfolios", access, map[string]any{"accountId": acct, "name": "Savings", "portfolioAccountType": "SAVINGS"})
	var list struct{ Portfolios []portfolio.Portfolio }
	e.expect(http.StatusOK, "GET", "/v1/accounts/"+acct+"/portfolios", access, nil).json(t, &list)
	require.Len(t, list.Portfolios, 2)
	assert.Equal(t, "TRADING", list.Portfolios[0].Type)
	assert.Equal(t, "SAVINGS", list.Portfolios[1].Type)
	lr := e.loginChallenge(phone)
	assert.Equal(t, onboarding.ChallengeSMS, lr.Challenge.ChallengeType)
	e.expect(http.StatusOK, "POST", "/v1/otp", "", map[string]string{"sessionId": lr.SessionID, "code": e.code(phone)})
}
