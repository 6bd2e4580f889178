package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/portfolio"
)

// loginChallenge logs in with the password and returns the login result.
func (e *env) loginChallenge(username string) onboarding.LoginResult {
	e.t.Helper()
	var lr onboarding.LoginResult
	e.expect(http.StatusOK, "POST", "/v1/login", "", map[string]string{"username": username, "password": testPassword}).json(e.t, &lr)
	return lr
}

// TestTOTPOverHTTP enrols an authenticator app, logs in with it at
// POST /v1/otp and with a recovery code, and removes it.
func TestTOTPOverHTTP(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		u := e.confirmedUser()
		r := e.expect(http.StatusOK, "POST", "/v1/totp", u.access, nil)
		var en struct {
			Secret     string `json:"secret"`
			OtpauthURL string `json:"otpauthUrl"`
			QRCode     string `json:"qrCode"`
		}
		r.json(t, &en)
		require.NotEmpty(t, en.Secret)
		assert.True(t, strings.HasPrefix(en.OtpauthURL, "otpauth://totp/"), en.OtpauthURL)
		assert.True(t, strings.HasPrefix(en.QRCode, "data:image/png;base64,"))
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"))

		code := func() string {
			c, err := totp.GenerateCode(en.Secret, e.clock.Now())
			require.NoError(t, err)
			return c
		}
		r = e.do("POST", "/v1/totp/confirm", u.access, map[string]string{"code": wrongCode(code())})
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		assert.Equal(t, "invalid_code", string(r.problem(t).Code))
		var rc struct {
			RecoveryCodes []string `json:"recoveryCodes"`
		}
		e.expect(http.StatusOK, "POST", "/v1/totp/confirm", u.access, map[string]string{"code": code()}).json(t, &rc)
		require.Len(t, rc.RecoveryCodes, 10)
		r = e.do("POST", "/v1/totp", u.access, map[string]any{})
		require.Equal(t, http.StatusConflict, r.status, "one is enrolled: %s", r.body)
		r = e.do("POST", "/v1/totp/confirm", u.access, map[string]string{"code": code()})
		require.Equal(t, http.StatusConflict, r.status, "none is waiting: %s", r.body)

		// Login answers a TOTP challenge, answered at POST /v1/otp; it has
		// no code to resend.
		e.clock.Advance(30 * time.Second)
		lr := e.loginChallenge(u.phone)
		assert.Equal(t, onboarding.ChallengeTOTP, lr.Challenge.ChallengeType)
		r = e.do("POST", "/v1/login/resend", "", map[string]string{"sessionId": lr.SessionID})
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		var ar onboarding.AuthResult
		e.expect(http.StatusOK, "POST", "/v1/otp", "", map[string]string{"sessionId": lr.SessionID, "code": code()}).json(t, &ar)
		require.NotNil(t, ar.Tokens)
		e.me(ar.Tokens.AccessToken)

		// A recovery code opens a TOTP login once (any case, dashes
		// optional).
		lr = e.loginChallenge(u.phone)
		r = e.do("POST", "/v1/login/recovery", "", map[string]string{"sessionId": lr.SessionID, "recoveryCode": "aaaa-bbbb-cccc-dddd"})
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		p := r.problem(t)
		assert.Equal(t, "invalid_code", string(p.Code))
		require.Len(t, p.Errors, 1)
		assert.Equal(t, "recoveryCode", p.Errors[0].Field, "the problem names the body's member")
		recovery := strings.ToUpper(strings.ReplaceAll(rc.RecoveryCodes[0], "-", ""))
		e.expect(http.StatusOK, "POST", "/v1/login/recovery", "", map[string]string{"sessionId": lr.SessionID, "recoveryCode": recovery}).json(t, &ar)
		require.NotNil(t, ar.Tokens)
		u.access = ar.Tokens.AccessToken
		lr = e.loginChallenge(u.phone)
		r = e.do("POST", "/v1/login/recovery", "", map[string]string{"sessionId": lr.SessionID, "recoveryCode": rc.RecoveryCodes[0]})
		require.Equal(t, http.StatusBadRequest, r.status, "a recovery code is single-use: %s", r.body)

		// Removal needs a recent login; then logins answer by SMS.
		e.clock.Advance(11 * time.Minute)
		r = e.do("DELETE", "/v1/totp", u.access, nil)
		require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
		assert.Equal(t, "recent_auth_required", string(r.problem(t).Code))
		r = e.do("POST", "/v1/totp", u.access, nil)
		require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
		lr = e.loginChallenge(u.phone)
		e.expect(http.StatusOK, "POST", "/v1/otp", "", map[string]string{"sessionId": lr.SessionID, "code": code()}).json(t, &ar)
		u.access = ar.Tokens.AccessToken
		e.expect(http.StatusNoContent, "DELETE", "/v1/totp", u.access, nil)
		r = e.do("DELETE", "/v1/totp", u.access, nil)
		require.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
		assert.Equal(t, onboarding.ChallengeSMS, e.loginChallenge(u.phone).Challenge.ChallengeType)
	}, func(c *envConfig) { c.opts.RateLimits = httpapi.RateLimits{Disabled: true} })
}

// TestResendRoutes: every resend route answers 429 resend_too_soon with
// Retry-After during the cooldown, then sends a new code that works.
func TestResendRoutes(t *testing.T) {
	t.Parallel()
	type started struct {
		idField, id, to string
		finish          func(code string) *resp // answers with the latest code
	}
	tests := []struct {
		name, path string
		user       bool // the route needs the user's token
		status     int
		start      func(e *env, u *user) started
	}{
		{"sign-up", "/v1/phone/resend", false, http.StatusOK, func(e *env, _ *user) started {
			phone := newPhone()
			ch := e.signUp(phone)
			return started{"challengeId", ch.ChallengeID, phone, func(code string) *resp {
				return e.do("POST", "/v1/phone/confirm", "", map[string]string{"challengeId": ch.ChallengeID, "code": code})
			}}
		}},
		{"email", "/v1/email/resend", true, http.StatusOK, func(e *env, u *user) started {
			email := "r" + u.phone[1:] + "@example.com"
			var ch struct{ Challenge onboarding.Challenge }
			e.expect(http.StatusAccepted, "PUT", "/v1/email", u.access, map[string]string{"email": email}).json(e.t, &ch)
			return started{"challengeId", ch.Challenge.ChallengeID, email, func(code string) *resp {
				return e.do("POST", "/v1/email/confirm", u.access, map[string]string{"challengeId": ch.Challenge.ChallengeID, "code": code})
			}}
		}},
		{"login", "/v1/login/resend", false, http.StatusOK, func(e *env, u *user) started {
			lr := e.loginChallenge(u.phone)
			return started{"sessionId", lr.SessionID, u.phone, func(code string) *resp {
				return e.do("POST", "/v1/otp", "", map[string]string{"sessionId": lr.SessionID, "code": code})
			}}
		}},
		{"password reset", "/v1/password/forgot/resend", false, http.StatusAccepted, func(e *env, u *user) started {
			var fp onboarding.ForgotPasswordResult
			e.expect(http.StatusAccepted, "POST", "/v1/password/forgot", "", map[string]string{"username": u.phone}).json(e.t, &fp)
			return started{"sessionId", fp.SessionID, u.phone, func(code string) *resp {
				const pw = "new-Staple-42-battery"
				return e.do("POST", "/v1/password/reset", "", map[string]string{"sessionId": fp.SessionID, "code": code, "password": pw, "passwordConfirm": pw})
			}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			u := e.confirmedUser()
			s := tt.start(e, u)
			first := e.code(s.to)
			token := ""
			if tt.user {
				token = u.access
			}
			body := map[string]string{s.idField: s.id}
			e.clock.Advance(10 * time.Second)
			r := e.do("POST", tt.path, token, body)
			require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r.body)
			assert.Equal(t, "resend_too_soon", string(r.problem(t).Code))
			assert.Equal(t, "20", r.header.Get("Retry-After"))

			e.clock.Advance(20 * time.Second)
			r = e.expect(tt.status, "POST", tt.path, token, body)
			assert.NotContains(t, string(r.body), s.to[1:], "the destination is masked")
			second := e.code(s.to)
			if second != first {
				r = s.finish(first)
				require.Equal(t, http.StatusBadRequest, r.status, "the previous code stops working: %s", r.body)
			}
			r = s.finish(second)
			require.Less(t, r.status, 300, "%s", r.body)
		})
	}

	t.Run("another user's email challenge", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		a, b := e.confirmedUser(), e.confirmedUser()
		var ch struct{ Challenge onboarding.Challenge }
		e.expect(http.StatusAccepted, "PUT", "/v1/email", a.access, map[string]string{"email": "a" + a.phone[1:] + "@example.com"}).json(t, &ch)
		e.clock.Advance(time.Minute)
		r := e.do("POST", "/v1/email/resend", b.access, map[string]string{"challengeId": ch.Challenge.ChallengeID})
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		assert.Equal(t, "invalid_code", string(r.problem(t).Code))
	})

	t.Run("password reset of an unknown identifier answers alike", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		u := e.confirmedUser()
		answers := map[string]onboarding.ForgotPasswordResult{}
		for name, username := range map[string]string{"known": u.phone, "unknown": newPhone()} {
			var fp onboarding.ForgotPasswordResult
			e.expect(http.StatusAccepted, "POST", "/v1/password/forgot", "", map[string]string{"username": username}).json(t, &fp)
			r := e.do("POST", "/v1/password/forgot/resend", "", map[string]string{"sessionId": fp.SessionID})
			require.Equal(t, http.StatusTooManyRequests, r.status, "%s: %s", name, r.body)
			assert.Equal(t, "resend_too_soon", string(r.problem(t).Code))
			e.clock.Advance(30 * time.Second)
			var again onboarding.ForgotPasswordResult
			e.expect(http.StatusAccepted, "POST", "/v1/password/forgot/resend", "", map[string]string{"sessionId": fp.SessionID}).json(t, &again)
			assert.Equal(t, fp, again, "%s: the resend answers like forgot", name)
			answers[name] = again
		}
		assert.Equal(t, answers["known"].CodeDeliveryDetails.DeliveryMedium, answers["unknown"].CodeDeliveryDetails.DeliveryMedium)
		assert.Equal(t, answers["known"].CodeDeliveryDetails.AttributeName, answers["unknown"].CodeDeliveryDetails.AttributeName)
	})
}

// TestSessionsOverHTTP lists the user's sessions, ends one, then all.
func TestSessionsOverHTTP(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		first := e.confirmedUser()
		second := *first
		e.clock.Advance(time.Minute)
		e.login(&second)

		var list struct{ Sessions []onboarding.SessionInfo }
		e.expect(http.StatusOK, "GET", "/v1/sessions", second.access, nil).json(t, &list)
		require.Len(t, list.Sessions, 2)
		assert.True(t, list.Sessions[0].Current, "newest first, the caller's marked")
		assert.False(t, list.Sessions[1].Current)
		firstSession := list.Sessions[1].SessionID

		e.expect(http.StatusNoContent, "DELETE", "/v1/sessions/"+firstSession, second.access, nil)
		r := e.do("GET", "/v1/me", first.access, nil)
		require.Equal(t, http.StatusUnauthorized, r.status, "the ended session's token is refused: %s", r.body)
		r = e.do("POST", "/v1/refresh", "", map[string]string{"refreshToken": first.refresh})
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		e.expect(http.StatusOK, "GET", "/v1/sessions", second.access, nil).json(t, &list)
		require.Len(t, list.Sessions, 1)
		for _, id := range []string{firstSession, "00000000-0000-4000-8000-000000000000", "nope"} {
			r = e.do("DELETE", "/v1/sessions/"+id, second.access, nil)
			require.Equal(t, http.StatusNotFound, r.status, "%s: %s", id, r.body)
		}

		e.clock.Advance(time.Second)
		e.expect(http.StatusNoContent, "POST", "/v1/logout/all", second.access, nil)
		r = e.do("GET", "/v1/me", second.access, nil)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		r = e.do("POST", "/v1/refresh", "", map[string]string{"refreshToken": second.refresh})
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		e.login(&second)
		e.expect(http.StatusOK, "GET", "/v1/sessions", second.access, nil).json(t, &list)
		assert.Len(t, list.Sessions, 1)
	})
}

// TestPortfoliosOverHTTP lists an account's portfolios and creates one
// idempotently with a client-chosen id.
func TestPortfoliosOverHTTP(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		u, acct := e.activeAccount()
		var list struct{ Portfolios []portfolio.Portfolio }
		e.expect(http.StatusOK, "GET", "/v1/accounts/"+acct+"/portfolios", u.access, nil).json(t, &list)
		require.Len(t, list.Portfolios, 1)
		assert.Equal(t, "TRADING", list.Portfolios[0].Type)

		const id = "5d0b8f0e-2c1a-4f3e-9b7d-6a5c4e3f2d1b"
		body := map[string]any{"accountId": acct, "name": "Strategy", "portfolioAccountType": "SAVINGS", "publicStrategy": true, "portfolioId": id}
		var created, again portfolio.Portfolio
		e.expect(http.StatusCreated, "POST", "/v1/portfolios", u.access, body).json(t, &created)
		assert.Equal(t, id, created.ID)
		assert.True(t, created.PublicStrategy)
		e.expect(http.StatusCreated, "POST", "/v1/portfolios", u.access, body).json(t, &again)
		assert.Equal(t, created, again, "the same request answers the same portfolio")
		body["name"] = "Other"
		r := e.do("POST", "/v1/portfolios", u.access, body)
		require.Equal(t, http.StatusConflict, r.status, "%s", r.body)
		assert.Equal(t, "conflict", string(r.problem(t).Code))

		e.expect(http.StatusOK, "GET", "/v1/accounts/"+acct+"/portfolios", u.access, nil).json(t, &list)
		require.Len(t, list.Portfolios, 2)
		assert.Equal(t, created, list.Portfolios[1])

		other := e.confirmedUser()
		for _, path := range []string{"/v1/accounts/" + acct + "/portfolios", "/v1/accounts/nope/portfolios"} {
			r = e.do("GET", path, other.access, nil)
			require.Equal(t, http.StatusNotFound, r.status, "%s: %s", path, r.body)
		}

		// Additional information on a new account.
		var extra portfolio.Account
		e.expect(http.StatusCreated, "POST", "/v1/accounts", u.access, map[string]any{"additionalInfo": map[string]string{"channel": "mobile"}}).json(t, &extra)
		assert.Equal(t, map[string]string{"channel": "mobile"}, extra.AdditionalInfo)
		assert.True(t, extra.Active)
		r = e.do("POST", "/v1/accounts", u.access, map[string]any{"additionalInfo": map[string]string{"bad key": "x"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
	})
}

// TestSignUpRolesAndMetadata: roles at sign-up are refused unless the host
// lets users give themselves those; metadata is kept and bounded.
func TestSignUpRolesAndMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do("POST", "/v1/signup", "", map[string]any{"phoneNumber": newPhone(), "password": testPassword, "roles": []string{"admin"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
	p := r.problem(t)
	require.Len(t, p.Errors, 1)
	assert.Equal(t, "roles[0]", p.Errors[0].Field)
	assert.Equal(t, "not_allowed", string(p.Errors[0].Code))

	many := map[string]string{}
	for i := range 17 {
		many["k"+string(rune('a'+i))] = "v"
	}
	r = e.do("POST", "/v1/signup", "", map[string]any{"phoneNumber": newPhone(), "password": testPassword, "metadata": many})
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
	assert.Equal(t, "metadata", r.problem(t).Errors[0].Field)

	self := newEnv(t, func(c *envConfig) {
		c.svc = func(sc *onboarding.Config) { sc.Roles = onboarding.RolesConfig{SelfAssigned: []string{"beta"}} }
	})
	phone := newPhone()
	r = self.expect(http.StatusCreated, "POST", "/v1/signup", "", map[string]any{"phoneNumber": phone, "password": testPassword,
		"roles": []string{"beta"}, "metadata": map[string]string{"referrer": "partner-42"}})
	var su onboarding.SignUpResult
	r.json(t, &su)
	var ar onboarding.AuthResult
	self.expect(http.StatusOK, "POST", "/v1/phone/confirm", "", map[string]string{"challengeId": su.Challenge.ChallengeID, "code": self.code(phone)}).json(t, &ar)
	claims, err := self.svc.VerifyAccessToken(context.Background(), ar.Tokens.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"beta"}, claims.Roles)
	me := self.me(ar.Tokens.AccessToken)
	assert.Equal(t, []string{"beta"}, me.Roles)
	assert.Equal(t, map[string]string{"referrer": "partner-42"}, me.Metadata)
}
