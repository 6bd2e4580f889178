package httpapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/storage/postgres"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// signUp registers a phone and returns the challenge.
func (e *env) signUp(phone string) onboarding.Challenge {
	e.t.Helper()
	r := e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": phone, "password": testPassword})
	require.Equal(e.t, http.StatusCreated, r.status, "%s", r.body)
	var su onboarding.SignUpResult
	r.json(e.t, &su)
	return su.Challenge
}

// wrongCode returns a code of the right length that differs from code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestWrongCodeFiveTimes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	phone := newPhone()
	ch := e.signUp(phone)
	code := e.code(phone)
	for want := 4; want >= 1; want-- {
		r := e.do("POST", "/v1/phone/confirm", "", map[string]string{"challengeId": ch.ChallengeID, "code": wrongCode(code)})
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		p := r.problem(t)
		assert.Equal(t, "invalid_code", string(p.Code))
		assert.Equal(t, "https://onboardkit.dev/problems/invalid-code", p.Type)
		require.NotNil(t, p.AttemptsRemaining)
		assert.Equal(t, want, *p.AttemptsRemaining)
	}
	// The fifth wrong code burns the challenge; even the right code is
	// refused afterwards.
	r := e.do("POST", "/v1/phone/confirm", "", map[string]string{"challengeId": ch.ChallengeID, "code": wrongCode(code)})
	assert.Contains(t, []int{http.StatusBadRequest, http.StatusTooManyRequests}, r.status)
	r = e.do("POST", "/v1/phone/confirm", "", map[string]string{"challengeId": ch.ChallengeID, "code": code})
	require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r.body)
	assert.Equal(t, "too_many_attempts", string(r.problem(t).Code))
	assert.NotEmpty(t, r.header.Get("Retry-After"))
}

func TestExpiredCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	phone := newPhone()
	ch := e.signUp(phone)
	e.clock.Advance(11 * time.Minute)
	r := e.do("POST", "/v1/phone/confirm", "", map[string]string{"challengeId": ch.ChallengeID, "code": e.code(phone)})
	require.Equal(t, http.StatusGone, r.status, "%s", r.body)
	assert.Equal(t, "code_expired", string(r.problem(t).Code))
}

func TestResendTooSoonThenAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	phone := newPhone()
	ch := e.signUp(phone)
	e.clock.Advance(10 * time.Second)
	r := e.do("POST", "/v1/phone/resend", "", map[string]string{"challengeId": ch.ChallengeID})
	require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r.body)
	assert.Equal(t, "resend_too_soon", string(r.problem(t).Code))
	assert.Equal(t, "20", r.header.Get("Retry-After"))

	e.clock.Advance(20 * time.Second)
	r = e.do("POST", "/v1/phone/resend", "", map[string]string{"challengeId": ch.ChallengeID})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var res struct{ Challenge onboarding.Challenge }
	r.json(t, &res)
	assert.Equal(t, ch.ChallengeID, res.Challenge.ChallengeID)
	r = e.do("POST", "/v1/phone/confirm", "", map[string]string{"challengeId": ch.ChallengeID, "code": e.code(phone)})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
		field       string
	}{
		{"bad JSON", "application/json", `{"phoneNumber":`, 400, "malformed_request", ""},
		{"syntax error", "application/json", `{"phoneNumber" "x"}`, 400, "malformed_request", ""},
		{"unknown field", "application/json", `{"phoneNumber":"+33612345678","password":"x","admin":true}`, 400, "malformed_request", "admin"},
		{"wrong type", "application/json", `{"phoneNumber":33612345678,"password":"x"}`, 400, "malformed_request", "phoneNumber"},
		{"trailing data", "application/json", `{"phoneNumber":"+33612345678","password":"x"} {}`, 400, "malformed_request", ""},
		{"not an object", "application/json", `[1,2]`, 400, "malformed_request", ""},
		{"empty body", "application/json", ``, 400, "malformed_request", ""},
		{"text/plain", "text/plain", `{}`, 415, "unsupported_media_type", ""},
		{"no content type", "", `{}`, 415, "unsupported_media_type", ""},
		{"latin-1", "application/json; charset=iso-8859-1", `{}`, 415, "unsupported_media_type", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := e.request("POST", "/v1/signup", "", tt.body)
			req.Header.Del("Content-Type")
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			r := e.send(req)
			require.Equal(t, tt.status, r.status, "%s", r.body)
			p := r.problem(t)
			assert.Equal(t, tt.code, string(p.Code))
			if tt.field != "" {
				require.Len(t, p.Errors, 1)
				assert.Equal(t, tt.field, p.Errors[0].Field)
			}
		})
	}
	t.Run("charset utf-8 accepted", func(t *testing.T) {
		req := e.request("POST", "/v1/signup", "", map[string]string{"phoneNumber": newPhone(), "password": testPassword})
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
		r := e.send(req)
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	})
	t.Run("validation lists every password problem", func(t *testing.T) {
		r := e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": newPhone(), "password": "abc"})
		require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
		p := r.problem(t)
		assert.Equal(t, "password_policy", string(p.Code))
		assert.GreaterOrEqual(t, len(p.Errors), 2)
	})
}

func TestBodyLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.confirmedUser()
	big := `{"email":"` + strings.Repeat("a", httpapi.DefaultMaxBodyBytes-11) + `"}`
	require.Equal(t, httpapi.DefaultMaxBodyBytes+1, len(big))
	r := e.do("PUT", "/v1/email", u.access, big)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "%s", r.body)
	assert.Equal(t, "request_too_large", string(r.problem(t).Code))

	// Without a Content-Length (chunked), the limit holds while reading.
	req := e.request("PUT", "/v1/email", u.access, nil)
	req.Body = http.NoBody
	req.Body = nopCloser{strings.NewReader(big)}
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	r = e.send(req)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "%s", r.body)

	// The KYC route takes more than 1 MiB (the document is refused by the
	// validator, not by the size limit).
	doc := `{"verificationDocuments":[{"documentType":"passport","issuingCountry":"FRA","documentNumber":"1","document":"data:image/png;base64,` + strings.Repeat("A", 2<<20) + `"}]}`
	r = e.do("POST", "/v1/kyc", u.access, doc)
	assert.NotEqual(t, http.StatusRequestEntityTooLarge, r.status, "%s", r.body)
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.confirmedUser()

	r := e.do("GET", "/v1/me", "", nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "Bearer", r.header.Get("WWW-Authenticate"))
	assert.Equal(t, "invalid_token", string(r.problem(t).Code))

	req := e.request("GET", "/v1/me", "", nil)
	req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	r = e.send(req)
	require.Equal(t, http.StatusUnauthorized, r.status)

	r = e.do("GET", "/v1/me", "not-a-jwt", nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, `Bearer error="invalid_token"`, r.header.Get("WWW-Authenticate"))

	r = e.do("GET", "/v1/me", u.access, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	e.clock.Advance(16 * time.Minute) // past the 15-minute access TTL
	r = e.do("GET", "/v1/me", u.access, nil)
	require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
	assert.Equal(t, "invalid_token", string(r.problem(t).Code))
}

func TestOutOfOrderStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.confirmedUser()
	// Compliance before the email and the profile.
	r := e.do("POST", "/v1/compliance", u.access, testCompliance(e.clock.Now()))
	require.Equal(t, http.StatusConflict, r.status, "%s", r.body)
	assert.Equal(t, "invalid_transition", string(r.problem(t).Code))
	// A portfolio before KYC.
	r = e.do("POST", "/v1/accounts", u.access, nil)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var acct struct {
		AccountID string `json:"accountId"`
	}
	r.json(t, &acct)
	r = e.do("POST", "/v1/portfolios", u.access, map[string]string{"accountId": acct.AccountID, "name": "Main", "portfolioAccountType": "TRADING"})
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.Equal(t, "kyc_not_active", string(r.problem(t).Code))
}

func TestSignatureErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.confirmedUser()
	body := map[string]string{"userId": u.id, "verificationStatus": "rejected", "reason": "test"}
	path := "/v1/integrator/kyc-decisions"

	t.Run("missing headers", func(t *testing.T) {
		r := e.do("POST", path, "", body)
		require.Equal(t, http.StatusUnauthorized, r.status)
		assert.Equal(t, "invalid_signature", string(r.problem(t).Code))
		assert.Equal(t, `ECDSA-P256-SHA256 headers="X-Pubkey X-Timestamp X-Signature"`, r.header.Get("WWW-Authenticate"), "the signature scheme, not Bearer")
	})
	t.Run("tampered body", func(t *testing.T) {
		req := e.request("POST", path, "", body)
		require.NoError(t, httpapi.Sign(req, e.key, e.clock.Now()))
		req.Body = nopCloser{strings.NewReader(`{"userId":"` + u.id + `","verificationStatus":"active"}`)}
		req.ContentLength = -1
		r := e.send(req)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
	})
	t.Run("wrong path", func(t *testing.T) {
		req := e.request("POST", path, "", body)
		require.NoError(t, httpapi.Sign(req, e.key, e.clock.Now()))
		req.URL.RawQuery = "x=1"
		r := e.send(req)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
	})
	t.Run("unknown key", func(t *testing.T) {
		other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		req := e.request("POST", path, "", body)
		require.NoError(t, httpapi.Sign(req, other, e.clock.Now()))
		r := e.send(req)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		assert.Contains(t, r.problem(t).Detail, "not allowed")
	})
	t.Run("stale and future timestamps", func(t *testing.T) {
		for _, d := range []time.Duration{-61 * time.Second, 61 * time.Second} {
			req := e.request("POST", path, "", body)
			require.NoError(t, httpapi.Sign(req, e.key, e.clock.Now().Add(d)))
			r := e.send(req)
			require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		}
	})
	t.Run("bad encodings", func(t *testing.T) {
		for _, mutate := range []func(h http.Header){
			func(h http.Header) {
				h.Set(httpapi.HeaderSignature, strings.TrimPrefix(h.Get(httpapi.HeaderSignature), "0x"))
			},
			func(h http.Header) {
				h.Set(httpapi.HeaderPubkey, strings.TrimPrefix(h.Get(httpapi.HeaderPubkey), "0x"))
			},
			func(h http.Header) { h.Set(httpapi.HeaderTimestamp, "+"+h.Get(httpapi.HeaderTimestamp)) },
			func(h http.Header) { h.Set(httpapi.HeaderSignature, h.Get(httpapi.HeaderSignature)+"00") },
			func(h http.Header) { h.Set(httpapi.HeaderSignature, "0x"+strings.Repeat("30", 80)) },
		} {
			req := e.request("POST", path, "", body)
			require.NoError(t, httpapi.Sign(req, e.key, e.clock.Now()))
			mutate(req.Header)
			r := e.send(req)
			require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		}
	})
	t.Run("uppercase hex accepted, replay refused", func(t *testing.T) {
		req := e.request("POST", path, "", body)
		require.NoError(t, httpapi.Sign(req, e.key, e.clock.Now()))
		req.Header.Set(httpapi.HeaderSignature, "0x"+strings.ToUpper(strings.TrimPrefix(req.Header.Get(httpapi.HeaderSignature), "0x")))
		replay := req.Clone(req.Context())
		replay.Body, _ = req.GetBody()
		r := e.send(req)
		// The decision itself is refused (the user has not submitted KYC),
		// but the signature was accepted.
		require.Equal(t, http.StatusConflict, r.status, "%s", r.body)
		r = e.send(replay)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		assert.Contains(t, r.problem(t).Detail, "already used")
	})
}

func TestRoutingProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do("GET", "/v1/signup", "", nil)
	require.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "POST", r.header.Get("Allow"))
	assert.Equal(t, "method_not_allowed", string(r.problem(t).Code))
	r = e.do("DELETE", "/v1/kyc", "", nil)
	require.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "GET, HEAD, POST", r.header.Get("Allow"))
	r = e.do("GET", "/v2/nothing", "", nil)
	require.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "not_found", string(r.problem(t).Code))
	// Paths with an id in them.
	for path, allow := range map[string]string{
		"/v1/sessions/abc":                    "DELETE",
		"/v1/totp":                            "DELETE, POST",
		"/v1/accounts/abc/portfolios":         "GET, HEAD",
		"/v1/operator/users/abc/roles":        "PUT",
		"/v1/operator/users/abc/events":       "GET, HEAD",
		"/v1/operator/users":                  "GET, HEAD",
		"/v1/operator/users/abc/lock":         "POST",
		"/v1/operator/users/abc/unlock/extra": "",
	} {
		r = e.do("PATCH", path, "", nil)
		if allow == "" {
			require.Equal(t, http.StatusNotFound, r.status, "%s: %s", path, r.body)
			continue
		}
		require.Equal(t, http.StatusMethodNotAllowed, r.status, "%s: %s", path, r.body)
		assert.Equal(t, allow, r.header.Get("Allow"), path)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := e.request("GET", "/healthz", "", nil)
	req.Header.Set("X-Request-Id", "abc-123_x.y:z")
	r := e.send(req)
	assert.Equal(t, "abc-123_x.y:z", r.header.Get("X-Request-Id"))
	req = e.request("GET", "/healthz", "", nil)
	req.Header.Set("X-Request-Id", "bad id with spaces")
	r = e.send(req)
	assert.Len(t, r.header.Get("X-Request-Id"), 32)
	assert.Contains(t, e.logs.String(), `"request_id":"abc-123_x.y:z"`)
}

func TestRateLimitsOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *envConfig) {
		c.opts.RateLimits = httpapi.RateLimits{SignUpPerIP: 2}
	})
	for i := 0; i < 2; i++ {
		e.signUp(newPhone())
	}
	r := e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": newPhone(), "password": testPassword})
	require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r.body)
	assert.Equal(t, "rate_limited", string(r.problem(t).Code))
	// 2 per 5 minutes refills one every 150 s.
	assert.Equal(t, "150", r.header.Get("Retry-After"))
	e.clock.Advance(150 * time.Second)
	e.signUp(newPhone())

	// No limit per username: a stranger's failed logins never make the
	// owner's answer 429 (the Service's throttle, in the store, bounds
	// guesses per account and keeps the owner's devices apart).
	phone := newPhone()
	for i := 0; i < 12; i++ {
		r = e.do("POST", "/v1/login", "", map[string]string{"username": phone, "password": "wrong-" + strconv.Itoa(i)})
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
	}
}

// TestIdentifierTakenAnswersLimited: each identifier_taken answer tells a
// prober whether an identifier is registered; past IdentifierTakenPerIP per
// window (per user for PUT /v1/email) the route answers 429 before looking.
func TestIdentifierTakenAnswersLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *envConfig) {
		c.opts.RateLimits = httpapi.RateLimits{IdentifierTakenPerIP: 2, IdentifierTakenPerUser: 2}
	})
	owner := e.confirmedUser()
	for i := 0; i < 2; i++ {
		r := e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": owner.phone, "password": testPassword})
		require.Equal(t, http.StatusConflict, r.status, "%s", r.body)
	}
	r := e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": owner.phone, "password": testPassword})
	require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r.body)
	// The address's budget is spent: its next probe waits, whatever it asks.
	r = e.do("PUT", "/v1/email", owner.access, map[string]string{"email": "someone@example.com"})
	require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r.body)
	// Other answers are not counted: with a fresh budget, fresh addresses.
	e.clock.Advance(5 * time.Minute)
	for i := 0; i < 3; i++ {
		r = e.do("PUT", "/v1/email", owner.access, map[string]string{"email": fmt.Sprintf("free%d@example.com", i)})
		require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	}
}

func TestSendFailedSignUpStillCreated(t *testing.T) {
	t.Parallel()
	rec := failingSender{}
	e := newEnv(t, func(c *envConfig) {
		c.svc = func(cfg *onboarding.Config) { cfg.SMS = rec }
	})
	r := e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": newPhone(), "password": testPassword})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var su onboarding.SignUpResult
	r.json(t, &su)
	assert.NotEmpty(t, su.Challenge.ChallengeID)
	assert.Contains(t, e.logs.String(), "sign-up code not sent")

	// A resend that fails again is a 502 problem.
	r = e.do("POST", "/v1/phone/resend", "", map[string]string{"challengeId": su.Challenge.ChallengeID})
	require.Equal(t, http.StatusBadGateway, r.status, "%s", r.body)
	assert.Equal(t, "send_failed", string(r.problem(t).Code))
}

// FuzzRouteIDs sends every route that takes an id (or a token or username
// that reaches the store) an arbitrary string in its place: the answer is a
// problem below 500, never a 500. It runs on PostgreSQL when enabled, whose
// text columns refuse NUL bytes.
func FuzzRouteIDs(f *testing.F) {
	for _, s := range []string{"\x00", "a\x00b", "00000000-0000-4000-8000-000000000000", "abcdefghijklmnopqrstuvwxyz",
		"", " ", "%00", "\xff\xfe", strings.Repeat("x", 4096), "+33612345678\x00", "a@b.co\x00"} {
		f.Add(s)
	}
	e := newEnv(f, func(c *envConfig) {
		c.store = storeForTests(f)
		c.opts.RateLimits = httpapi.RateLimits{Disabled: true}
	})
	u := e.confirmedUser()
	f.Fuzz(func(t *testing.T, id string) {
		ee := *e
		ee.t = t
		for _, rq := range []struct {
			path, token string
			body        map[string]string
		}{
			{"/v1/phone/confirm", "", map[string]string{"challengeId": id, "code": "123456"}},
			{"/v1/phone/resend", "", map[string]string{"challengeId": id}},
			{"/v1/email/confirm", u.access, map[string]string{"challengeId": id, "code": id}},
			{"/v1/otp", "", map[string]string{"sessionId": id, "code": "123456"}},
			{"/v1/password/reset", "", map[string]string{"sessionId": id, "code": "1", "password": "Another-long-pass-42", "passwordConfirm": "Another-long-pass-42"}},
			{"/v1/password/confirm", u.access, map[string]string{"sessionId": id, "code": "123456"}},
			{"/v1/portfolios", u.access, map[string]string{"accountId": id, "name": "Main", "portfolioAccountType": "TRADING"}},
			{"/v1/refresh", "", map[string]string{"refreshToken": id}},
			{"/v1/logout", u.access, map[string]string{"refreshToken": id}},
			{"/v1/login", "", map[string]string{"username": id, "password": id, "deviceToken": id}},
			{"/v1/password/forgot", "", map[string]string{"username": id}},
			{"/v1/signup", "", map[string]string{"phoneNumber": id, "password": testPassword, "email": id, "locale": id}},
			{"/v1/email/resend", u.access, map[string]string{"challengeId": id}},
			{"/v1/phone/verify", u.access, map[string]string{"challengeId": id, "code": id}},
			{"/v1/login/resend", "", map[string]string{"sessionId": id}},
			{"/v1/login/recovery", "", map[string]string{"sessionId": id, "recoveryCode": id}},
			{"/v1/password/forgot/resend", "", map[string]string{"sessionId": id}},
			{"/v1/totp/confirm", u.access, map[string]string{"code": id}},
		} {
			if r := ee.do("POST", rq.path, rq.token, rq.body); r.status >= 500 {
				t.Fatalf("POST %s with %q: %d %s", rq.path, id, r.status, r.body)
			}
		}
		r, _ := ee.signed("POST", "/v1/integrator/kyc-decisions", map[string]string{"userId": id, "verificationStatus": "active"})
		if r.status >= 500 {
			t.Fatalf("kyc decision for %q: %d %s", id, r.status, r.body)
		}
		for _, rq := range []struct {
			method, path string
			body         any
		}{
			{"PUT", "/v1/email", map[string]string{"email": id}},
			{"PUT", "/v1/phone", map[string]string{"phoneNumber": id}},
			{"POST", "/v1/portfolios", map[string]string{"accountId": id, "name": "Main", "portfolioAccountType": "TRADING", "portfolioId": id}},
			{"DELETE", "/v1/sessions/" + url.PathEscape(id), nil},
			{"GET", "/v1/accounts/" + url.PathEscape(id) + "/portfolios", nil},
		} {
			if r := ee.do(rq.method, rq.path, u.access, rq.body); r.status >= 500 {
				t.Fatalf("%s %s %q: %d %s", rq.method, rq.path, id, r.status, r.body)
			}
		}
		users := "/v1/operator/users/" + url.PathEscape(id)
		for _, rq := range []struct {
			method, path string
			body         any
		}{
			{"POST", users + "/lock", nil},
			{"PUT", users + "/roles", map[string]any{"roles": []string{}}},
			{"GET", users + "/events?" + url.Values{"cursor": {id}}.Encode(), nil},
			{"GET", "/v1/operator/users?" + url.Values{"phoneNumber": {id}, "email": {id}, "cursor": {id}}.Encode(), nil},
			{"POST", "/v1/operator/accounts", map[string]string{"userId": id, "accountId": id, "email": id}},
		} {
			if r := ee.operator(rq.method, rq.path, rq.body); r.status >= 500 {
				t.Fatalf("%s %s %q: %d %s", rq.method, rq.path, id, r.status, r.body)
			}
		}
	})
}

// downStore fails the sign-up path with storage.ErrUnavailable while down.
type downStore struct {
	storage.Store
	down atomic.Bool
}

func (d *downStore) GetUserByPhone(ctx context.Context, phone string) (*storage.User, error) {
	if d.down.Load() {
		return nil, fmt.Errorf("dial tcp: connection refused: %w", storage.ErrUnavailable)
	}
	return d.Store.GetUserByPhone(ctx, phone)
}

// TestStoreOutageAnswers503: while the store cannot be reached the API
// answers 503 unavailable with Retry-After, and recovers by itself, on the
// memory store (a cut connection simulated) and on PostgreSQL (behind a
// proxy taken down).
func TestStoreOutageAnswers503(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) (storage.Store, func(bool))
	}{
		{"memory", func(t *testing.T) (storage.Store, func(bool)) {
			d := &downStore{Store: memory.New()}
			return d, func(down bool) { d.down.Store(down) }
		}},
		{"postgres", func(t *testing.T) (storage.Store, func(bool)) {
			st, proxy := postgrestest.NewBehindProxy(t)
			return st, func(down bool) {
				if down {
					proxy.Down()
				} else {
					proxy.Up()
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, setDown := tc.store(t)
			e := newEnv(t, func(c *envConfig) { c.store = st })
			setDown(true)
			r := e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": newPhone(), "password": testPassword})
			require.Equal(t, http.StatusServiceUnavailable, r.status, "%s", r.body)
			assert.Equal(t, "unavailable", string(r.problem(t).Code))
			assert.Equal(t, "5", r.header.Get("Retry-After"))
			assert.Contains(t, e.logs.String(), "store unavailable")
			setDown(false)
			r = e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": newPhone(), "password": testPassword})
			require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
		})
	}
}

// TestRateLimitsAcrossReplicas: with the PostgreSQL limiter two replicas
// share one allowance: 30 + 30 sign-ups from one address get 30.
func TestRateLimitsAcrossReplicas(t *testing.T) {
	a, b := postgrestest.NewPair(t)
	replica := func(st *postgres.Store) *env {
		return newEnv(t, func(c *envConfig) {
			c.store = st
			c.opts.Limiter = st.Limiter()
			c.opts.RateLimits = httpapi.RateLimits{SignUpPerIP: 30}
		})
	}
	envs := []*env{replica(a), replica(b)}
	var created atomic.Int64
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := envs[i%2].do("POST", "/v1/signup", "", map[string]string{"phoneNumber": newPhone(), "password": testPassword})
			if r.status == http.StatusCreated {
				created.Add(1)
			} else {
				assert.Equal(t, http.StatusTooManyRequests, r.status, "%s", r.body)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(30), created.Load())
}
