package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp/otptest"
	"github.com/onboardkit/onboardkit/password"
)

// TestHost mounts the API under /auth in the host's mux, protects a host
// route with the middleware, and verifies a token from the JWKS alone in
// another handler.
func TestHost(t *testing.T) {
	sms := otptest.NewRecorder()
	var logs bytes.Buffer
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	hasher, err := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
	require.NoError(t, err)
	h, err := newHost(hostConfig{
		SMS:     sms,
		Logger:  slog.New(slog.NewJSONHandler(&logs, nil)),
		Service: func(c *onboarding.Config) { c.Hasher = hasher },
		API:     func(c *httpapi.Config) { c.IntegratorKeys = []*ecdsa.PublicKey{&key.PublicKey} },
	})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	h.reports.url = srv.URL + "/auth/.well-known/jwks.json" // where the other service finds the keys

	post := func(path string, body any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		res, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(b))
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	get := func(path, token string) int {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}

	status, su := post("/auth/v1/signup", map[string]string{"phoneNumber": "+33614125910", "password": "correct-horse-7-battery"})
	require.Equal(t, http.StatusCreated, status, "%v", su)
	challenge := su["challenge"].(map[string]any)["challengeId"].(string)
	status, conf := post("/auth/v1/phone/confirm", map[string]string{"challengeId": challenge, "code": sms.LastCode("+33614125910")})
	require.Equal(t, http.StatusOK, status, "%v", conf)
	tokens := conf["tokens"].(map[string]any)
	access, refresh := tokens["accessToken"].(string), tokens["refreshToken"].(string)

	assert.Equal(t, http.StatusUnauthorized, get("/orders", ""))
	assert.Equal(t, http.StatusOK, get("/orders", access))
	assert.Equal(t, http.StatusOK, get("/reports", access), "verified from the JWKS")
	assert.Equal(t, http.StatusUnauthorized, get("/reports", "not-a-token"))

	// A signed integrator call through the prefix verifies over the full
	// path the client sent.
	req, _ := http.NewRequest("POST", srv.URL+"/auth/v1/integrator/kyc-decisions", strings.NewReader(`{"userId":"`+conf["userId"].(string)+`","verificationStatus":"active"}`))
	req.Header.Set("Content-Type", "application/json")
	require.NoError(t, httpapi.Sign(req, key, onboardkit.SystemClock.Now()))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.NotEqual(t, http.StatusUnauthorized, res.StatusCode, "the signature verifies under the prefix")
	assert.Contains(t, logs.String(), `"route":"POST /auth/v1/integrator/kyc-decisions"`, "logs show the prefix")

	// After logout the Service refuses the token at once; the JWKS-only
	// service cannot see it until the token expires.
	req, _ = http.NewRequest("POST", srv.URL+"/auth/v1/logout", strings.NewReader(`{"refreshToken":"`+refresh+`"}`))
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("Content-Type", "application/json")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	assert.Equal(t, http.StatusUnauthorized, get("/orders", access))
	assert.Equal(t, http.StatusOK, get("/reports", access), "the JWKS alone does not see a logout")

	_, err = h.svc.VerifyAccessToken(context.Background(), access)
	assert.Error(t, err)
}
