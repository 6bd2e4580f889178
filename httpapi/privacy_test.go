package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/onboarding"
)

// TestExportAndErase exports and erases a user over HTTP: both need a
// recent login; after the erasure the tokens are refused and the phone
// signs up again.
func TestExportAndErase(t *testing.T) {
	t.Parallel()
	emailOptional := func(c *onboarding.Config) { c.Flow = onboarding.Flow{EmailOptional: true} }
	for name, e := range map[string]*env{
		"memory": newEnv(t, func(c *envConfig) { c.svc = emailOptional }),
		"store":  newEnv(t, func(c *envConfig) { c.store, c.svc = storeForTests(t), emailOptional }),
	} {
		t.Run(name, func(t *testing.T) {
			u := e.confirmedUser()
			r := e.do("PATCH", "/v1/profile", u.access, testProfile)
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)

			r = e.do("GET", "/v1/me/export", u.access, nil)
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
			assert.Contains(t, r.header.Get("Content-Disposition"), "attachment")
			var ex onboarding.Export
			r.json(t, &ex)
			assert.Equal(t, 1, ex.FormatVersion)
			assert.Equal(t, u.phone, ex.User.PhoneNumber)
			require.NotNil(t, ex.Profile)
			assert.Equal(t, testProfile.LastName, ex.Profile.LastName)
			assert.True(t, ex.Credentials.PasswordSet)

			// Eleven minutes later the access token is still valid, the
			// login no longer recent.
			e.clock.Advance(11 * time.Minute)
			r = e.do("GET", "/v1/me/export", u.access, nil)
			require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
			assert.Equal(t, "recent_auth_required", string(r.problem(t).Code))
			r = e.do("DELETE", "/v1/me", u.access, nil)
			require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)

			r = e.do("POST", "/v1/login", "", map[string]string{"username": u.phone, "password": testPassword})
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			var lr onboarding.LoginResult
			r.json(t, &lr)
			r = e.do("POST", "/v1/otp", "", map[string]string{"sessionId": lr.SessionID, "code": e.code(u.phone)})
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			var li onboarding.AuthResult
			r.json(t, &li)
			r = e.do("DELETE", "/v1/me", li.Tokens.AccessToken, nil)
			require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)

			e.clock.Advance(time.Second)
			r = e.do("GET", "/v1/me", li.Tokens.AccessToken, nil)
			assert.Equal(t, http.StatusUnauthorized, r.status, "the erased user's tokens are refused")
			r = e.do("POST", "/v1/refresh", "", map[string]string{"refreshToken": li.Tokens.RefreshToken})
			assert.Equal(t, http.StatusUnauthorized, r.status)
			r = e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": u.phone, "password": testPassword})
			assert.Equal(t, http.StatusCreated, r.status, "the phone is free: %s", r.body)
		})
	}
}
