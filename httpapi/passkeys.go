package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/onboardkit/onboardkit/onboarding"
)

// passkeysResponse is the answer of GET /v1/passkeys.
type passkeysResponse struct {
	Passkeys []onboarding.Passkey `json:"passkeys"`
}

// passkeyAssertion answers a ceremony with the browser's assertion: the
// login session of a PASSKEY challenge, or a passwordless ceremony.
type sessionCredentialRequest struct {
	SessionID  string          `json:"sessionId"`
	Credential json.RawMessage `json:"credential"`
}

type ceremonyCredentialRequest struct {
	CeremonyID string          `json:"ceremonyId"`
	Credential json.RawMessage `json:"credential"`
}

func (a *api) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusOK, true, func(ctx context.Context, _ *noBody) (*onboarding.PasskeyOptions, error) {
		return a.svc.BeginPasskeyRegistration(ctx, userID(r))
	})
}

func (a *api) registerPasskey(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.verify, w, r, http.StatusCreated, func(ctx context.Context, req *onboarding.PasskeyRegistration) (*onboarding.Passkey, error) {
		return a.svc.RegisterPasskey(ctx, userID(r), *req)
	})
}

func (a *api) listPasskeys(w http.ResponseWriter, r *http.Request) {
	keys, err := a.svc.ListPasskeys(r.Context(), userID(r))
	answer(w, http.StatusOK, passkeysResponse{Passkeys: nonNil(keys)}, err)
}

func (a *api) removePasskey(w http.ResponseWriter, r *http.Request) {
	done(w, a.svc.RemovePasskey(r.Context(), userID(r), r.PathValue("passkeyId")))
}

func (a *api) assertLoginPasskey(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.verify, w, r, http.StatusOK, func(ctx context.Context, req *sessionCredentialRequest) (*onboarding.AuthResult, error) {
		return a.svc.VerifyLoginPasskey(ctx, req.SessionID, req.Credential)
	})
}

func (a *api) beginPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.login) {
		return
	}
	serve(w, r, http.StatusOK, true, func(ctx context.Context, _ *noBody) (*onboarding.PasskeyOptions, error) {
		return a.svc.BeginPasskeyLogin(ctx)
	})
}

func (a *api) loginWithPasskey(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.verify, w, r, http.StatusOK, func(ctx context.Context, req *ceremonyCredentialRequest) (*onboarding.AuthResult, error) {
		return a.svc.LoginWithPasskey(ctx, req.CeremonyID, req.Credential)
	})
}

func (a *api) passkeyChallenge(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusCreated, true, func(ctx context.Context, req *onboarding.PasskeyChallengeRequest) (*onboarding.PasskeyChallenge, error) {
		return a.svc.IssuePasskeyChallenge(ctx, *req)
	})
}
