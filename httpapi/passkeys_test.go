package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/onboarding/passkeytest"
)

const passkeyOrigin = "https://app.example.com"

// withPasskeys enables WebAuthn for example.com on the env's Service.
func withPasskeys(c *envConfig) {
	c.svc = func(sc *onboarding.Config) {
		sc.WebAuthn = onboarding.WebAuthnConfig{RPID: "example.com", RPName: "Example Bank", Origins: []string{passkeyOrigin}}
	}
}

// ceremony is the answer of the options routes.
type ceremony struct {
	CeremonyID string          `json:"ceremonyId"`
	PublicKey  json.RawMessage `json:"publicKey"`
	ExpiresAt  time.Time       `json:"expiresAt"`
}

// registerPasskey registers a passkey of a for u over HTTP.
func (e *env) registerPasskey(u *user, a *passkeytest.Authenticator) (*passkeytest.Credential, onboarding.Passkey) {
	e.t.Helper()
	var c ceremony
	e.expect(http.StatusOK, "POST", "/v1/passkeys/options", u.access, nil).json(e.t, &c)
	reg, err := a.Create(c.PublicKey, passkeytest.Tweaks{})
	require.NoError(e.t, err)
	var pk onboarding.Passkey
	e.expect(http.StatusCreated, "POST", "/v1/passkeys", u.access, map[string]any{"ceremonyId": c.CeremonyID, "name": "Phone", "credential": reg.JSON}).json(e.t, &pk)
	return reg.Credential, pk
}

func TestPasskeyRoutes(t *testing.T) {
	e := newEnv(t, withPasskeys, func(c *envConfig) { c.store = storeForTests(t) })
	a := &passkeytest.Authenticator{Origin: passkeyOrigin, Format: "packed"}
	u := e.confirmedUser()

	var me onboarding.UserView
	e.expect(http.StatusOK, "GET", "/v1/me", u.access, nil).json(t, &me)
	assert.False(t, me.IsPasskeyActivated)
	assert.False(t, me.IsOtpActivated)

	// A credential that does not verify: 400 passkey_invalid naming the
	// reason; an unknown ceremony 400 invalid_code.
	var c ceremony
	e.expect(http.StatusOK, "POST", "/v1/passkeys/options", u.access, map[string]any{}).json(t, &c)
	bad, err := a.Create(c.PublicKey, passkeytest.Tweaks{Origin: "https://evil.example.net"})
	require.NoError(t, err)
	p := e.expect(http.StatusBadRequest, "POST", "/v1/passkeys", u.access, map[string]any{"ceremonyId": c.CeremonyID, "credential": bad.JSON}).problem(t)
	assert.Equal(t, "passkey_invalid", string(p.Code))
	require.Len(t, p.Errors, 1)
	assert.Equal(t, "origin_mismatch", string(p.Errors[0].Code))
	p = e.expect(http.StatusBadRequest, "POST", "/v1/passkeys", u.access, map[string]any{"ceremonyId": "nope", "credential": bad.JSON}).problem(t)
	assert.Equal(t, "invalid_code", string(p.Code))
	e.expect(http.StatusUnprocessableEntity, "POST", "/v1/passkeys", u.access, map[string]any{"ceremonyId": c.CeremonyID, "name": "Phone", "credential": nil})

	cred, pk := e.registerPasskey(u, a)
	assert.Equal(t, "Phone", pk.Name)
	var list struct{ Passkeys []onboarding.Passkey }
	e.expect(http.StatusOK, "GET", "/v1/passkeys", u.access, nil).json(t, &list)
	require.Len(t, list.Passkeys, 1)
	e.expect(http.StatusOK, "GET", "/v1/me", u.access, nil).json(t, &me)
	assert.True(t, me.IsPasskeyActivated)

	// The login's second factor.
	var lr onboarding.LoginResult
	e.expect(http.StatusOK, "POST", "/v1/login", "", map[string]string{"username": u.phone, "password": testPassword}).json(t, &lr)
	require.Equal(t, onboarding.ChallengePasskey, lr.Challenge.ChallengeType)
	tampered, err := a.Get(lr.Challenge.PublicKey, cred, passkeytest.Tweaks{TamperSignature: true})
	require.NoError(t, err)
	p = e.expect(http.StatusBadRequest, "POST", "/v1/login/passkey/assert", "", map[string]any{"sessionId": lr.SessionID, "credential": tampered}).problem(t)
	assert.Equal(t, "bad_signature", string(p.Errors[0].Code))
	assertion, err := a.Get(lr.Challenge.PublicKey, cred, passkeytest.Tweaks{})
	require.NoError(t, err)
	var ar onboarding.AuthResult
	e.expect(http.StatusOK, "POST", "/v1/login/passkey/assert", "", map[string]any{"sessionId": lr.SessionID, "credential": assertion}).json(t, &ar)
	require.NotNil(t, ar.Tokens)
	u.access = ar.Tokens.AccessToken
	e.expect(http.StatusBadRequest, "POST", "/v1/login/passkey/assert", "", map[string]any{"sessionId": lr.SessionID, "credential": assertion})

	// Passwordless; a counter going backwards is 409 passkey_cloned.
	e.expect(http.StatusOK, "POST", "/v1/login/passkey/options", "", nil).json(t, &c)
	assertion, err = a.Get(c.PublicKey, cred, passkeytest.Tweaks{})
	require.NoError(t, err)
	e.expect(http.StatusOK, "POST", "/v1/login/passkey", "", map[string]any{"ceremonyId": c.CeremonyID, "credential": assertion}).json(t, &ar)
	assert.Equal(t, u.id, ar.UserID)
	zero := uint32(1)
	e.expect(http.StatusOK, "POST", "/v1/login/passkey/options", "", map[string]any{}).json(t, &c)
	assertion, err = a.Get(c.PublicKey, cred, passkeytest.Tweaks{Counter: &zero})
	require.NoError(t, err)
	p = e.expect(http.StatusConflict, "POST", "/v1/login/passkey", "", map[string]any{"ceremonyId": c.CeremonyID, "credential": assertion}).problem(t)
	assert.Equal(t, "passkey_cloned", string(p.Code))

	// Removal: a recent login, then 204 and 404.
	e.clock.Advance(11 * time.Minute) // past RecentAuth, within the token's life
	e.expect(http.StatusForbidden, "DELETE", "/v1/passkeys/"+pk.PasskeyID, ar.Tokens.AccessToken, nil)
	cred.Count += 10 // past the counter the server holds
	e.expect(http.StatusOK, "POST", "/v1/login/passkey/options", "", nil).json(t, &c)
	assertion, _ = a.Get(c.PublicKey, cred, passkeytest.Tweaks{})
	e.expect(http.StatusOK, "POST", "/v1/login/passkey", "", map[string]any{"ceremonyId": c.CeremonyID, "credential": assertion}).json(t, &ar)
	e.expect(http.StatusNoContent, "DELETE", "/v1/passkeys/"+pk.PasskeyID, ar.Tokens.AccessToken, nil)
	e.expect(http.StatusNotFound, "DELETE", "/v1/passkeys/"+pk.PasskeyID, ar.Tokens.AccessToken, nil)
	r := e.do("PUT", "/v1/passkeys/options", ar.Tokens.AccessToken, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "POST", r.header.Get("Allow"))
}

func TestPasskeysDisabledRoutes(t *testing.T) {
	e := newEnv(t)
	u := e.confirmedUser()
	p := e.expect(http.StatusNotFound, "POST", "/v1/passkeys/options", u.access, nil).problem(t)
	assert.Equal(t, "passkeys_disabled", string(p.Code))
	e.expect(http.StatusNotFound, "POST", "/v1/login/passkey/options", "", nil)
	r, _ := e.signed("POST", "/v1/integrator/passkey-challenges", map[string]any{})
	assert.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
	var list struct{ Passkeys []onboarding.Passkey }
	e.expect(http.StatusOK, "GET", "/v1/passkeys", u.access, nil).json(t, &list)
	assert.Empty(t, list.Passkeys)
}
