package httpapi_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/onboarding"
)

// TestBasePath serves the API under /auth: routes answer there only, a
// signature is checked over the path the client sent, 405 names the
// methods of the prefixed path.
func TestBasePath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(httpapi.New(e.svc, httpapi.Config{BasePath: "/auth/", IntegratorKeys: []*ecdsa.PublicKey{&e.key.PublicKey}}))
	t.Cleanup(srv.Close)
	get := func(path string) *http.Response {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	assert.Equal(t, http.StatusOK, get("/auth/healthz").StatusCode)
	assert.Equal(t, http.StatusNotFound, get("/healthz").StatusCode)
	req, _ := http.NewRequest("DELETE", srv.URL+"/auth/v1/signup", nil)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	assert.Equal(t, "POST", res.Header.Get("Allow"))

	u := e.confirmedUser()
	body := `{"userId":"` + u.id + `","verificationStatus":"active"}`
	signed := func(signedPath string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/auth/v1/integrator/kyc-decisions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		sigReq, _ := http.NewRequest("POST", "http://x"+signedPath, strings.NewReader(body))
		require.NoError(t, httpapi.Sign(sigReq, e.key, e.clock.Now()))
		for _, h := range []string{"X-Pubkey", "X-Timestamp", "X-Signature"} {
			req.Header.Set(h, sigReq.Header.Get(h))
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, signed("/v1/integrator/kyc-decisions"), "a signature over the stripped path does not verify")
	assert.NotEqual(t, http.StatusUnauthorized, signed("/auth/v1/integrator/kyc-decisions"), "one over the path sent does")
}

// TestRequireUserForHostRoutes protects a host route with the Service, and
// another with the JWKS alone.
func TestRequireUserForHostRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.confirmedUser()
	jwks, err := onboarding.NewJWKSVerifier(e.svc.JWKS(), "", "", e.clock)
	require.NoError(t, err)
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := httpapi.Claims(r.Context())
		require.True(t, ok)
		_ = json.NewEncoder(w).Encode(map[string]string{"userId": c.UserID})
	})
	for name, v := range map[string]httpapi.TokenVerifier{"service": e.svc, "jwks": jwks} {
		t.Run(name, func(t *testing.T) {
			h := httpapi.RequireUser(v)(whoami)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/orders", nil))
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.Equal(t, "Bearer", rec.Header().Get("WWW-Authenticate"))
			req := httptest.NewRequest("GET", "/orders", nil)
			req.Header.Set("Authorization", "Bearer "+u.access)
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), u.id)
		})
	}
}
