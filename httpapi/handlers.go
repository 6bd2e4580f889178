package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/onboarding"
)

// Request bodies. Their JSON is the contract of docs/API.md; unknown fields are
// refused.
type (
	confirmRequest struct {
		ChallengeID string `json:"challengeId"`
		Code        string `json:"code"`
	}
	resendRequest struct {
		ChallengeID string `json:"challengeId"`
	}
	emailRequest struct {
		Email string `json:"email"`
	}
	sessionCodeRequest struct {
		SessionID string `json:"sessionId"`
		Code      string `json:"code"`
	}
	sessionRequest struct {
		SessionID string `json:"sessionId"`
	}
	recoveryRequest struct {
		SessionID    string `json:"sessionId"`
		RecoveryCode string `json:"recoveryCode"`
	}
	phoneRequest struct {
		PhoneNumber string `json:"phoneNumber"`
	}
	codeRequest struct {
		Code string `json:"code"`
	}
	refreshRequest struct {
		RefreshToken string `json:"refreshToken"`
	}
	forgotRequest struct {
		Username string `json:"username"`
	}
	resetRequest struct {
		SessionID       string `json:"sessionId"`
		Code            string `json:"code"`
		Password        string `json:"password"`
		PasswordConfirm string `json:"passwordConfirm"`
	}
	changePasswordRequest struct {
		CurrentPassword string `json:"currentPassword"`
		Password        string `json:"password"`
		PasswordConfirm string `json:"passwordConfirm"`
	}
)

// Response wrappers.
type (
	challengeResponse struct {
		Challenge *onboarding.Challenge `json:"challenge"`
	}
	tokensResponse struct {
		Tokens *onboarding.Tokens `json:"tokens"`
	}
	sessionsResponse struct {
		Sessions []onboarding.SessionInfo `json:"sessions"`
	}
	// totpEnrollment is the answer of POST /v1/totp (otp.Enrollment in
	// the API's camelCase).
	totpEnrollment struct {
		Secret string `json:"secret"`
		URL    string `json:"otpauthUrl"`
		// QRCode is the QR code of URL as a PNG data URL ("" when the
		// Service draws none).
		QRCode string `json:"qrCode,omitempty"`
	}
	recoveryCodesResponse struct {
		RecoveryCodes []string `json:"recoveryCodes"`
	}
)

// serveLimited is serve behind the per-IP quota q.
func serveLimited[Req, Res any](a *api, q quota, w http.ResponseWriter, r *http.Request, status int, fn func(ctx context.Context, req *Req) (Res, error)) {
	if !a.allowIP(w, r, q) {
		return
	}
	serve(w, r, status, false, fn)
}

// resend serves a resend route: the per-IP resend quota, then fn, answered
// 200 with the new challenge. A cooldown answers 429 resend_too_soon with
// Retry-After, a challenge out of sends 429 send_limit.
func resend[Req any](a *api, w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, req *Req) (*onboarding.Challenge, error)) {
	serveLimited(a, a.limits.resend, w, r, http.StatusOK, func(ctx context.Context, req *Req) (challengeResponse, error) {
		ch, err := fn(ctx, req)
		return challengeResponse{Challenge: ch}, err
	})
}

// withoutTokens drops the tokens of a confirmation that does not start a
// session (docs/API.md: {userId, status, next}).
func withoutTokens(res *onboarding.AuthResult, err error) (*onboarding.AuthResult, error) {
	if res != nil {
		res.Tokens = nil
	}
	return res, err
}

func (a *api) signUp(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.signUp) {
		return
	}
	var req onboarding.SignUpRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	if !a.probeAllowed(w, r, "") {
		return
	}
	res, err := a.svc.SignUp(r.Context(), req)
	a.countProbe(r, "", err)
	if err != nil && !(res != nil && isSendFailed(err)) {
		WriteError(w, err)
		return
	}
	if err != nil {
		// The user and the challenge exist; the client can resend at once.
		a.log.Warn("sign-up code not sent; the client may resend", "request_id", RequestID(r.Context()), "user_id", res.UserID)
	}
	writeJSON(w, http.StatusCreated, res)
}

func (a *api) confirmPhone(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.verify, w, r, http.StatusOK, func(ctx context.Context, req *confirmRequest) (*onboarding.AuthResult, error) {
		return a.svc.ConfirmPhone(ctx, req.ChallengeID, req.Code)
	})
}

func (a *api) resendPhone(w http.ResponseWriter, r *http.Request) {
	resend(a, w, r, func(ctx context.Context, req *resendRequest) (*onboarding.Challenge, error) {
		return a.svc.ResendPhoneCode(ctx, req.ChallengeID)
	})
}

// addContact serves PUT /v1/email and PUT /v1/phone: their identifier_taken
// answers tell whether an identifier is registered, so they are counted
// per client IP and user.
func addContact[Req any](a *api, w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, req *Req) (*onboarding.Challenge, error)) {
	if !a.probeAllowed(w, r, userID(r)) {
		return
	}
	serve(w, r, http.StatusAccepted, false, func(ctx context.Context, req *Req) (challengeResponse, error) {
		ch, err := fn(ctx, req)
		a.countProbe(r, userID(r), err)
		return challengeResponse{Challenge: ch}, err
	})
}

func (a *api) addEmail(w http.ResponseWriter, r *http.Request) {
	addContact(a, w, r, func(ctx context.Context, req *emailRequest) (*onboarding.Challenge, error) {
		return a.svc.AddEmail(ctx, userID(r), req.Email)
	})
}

func (a *api) confirmEmail(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.verify, w, r, http.StatusOK, func(ctx context.Context, req *confirmRequest) (*onboarding.AuthResult, error) {
		return withoutTokens(a.svc.ConfirmEmail(ctx, userID(r), req.ChallengeID, req.Code))
	})
}

func (a *api) resendEmail(w http.ResponseWriter, r *http.Request) {
	resend(a, w, r, func(ctx context.Context, req *resendRequest) (*onboarding.Challenge, error) {
		return a.svc.ResendEmailCode(ctx, userID(r), req.ChallengeID)
	})
}

func (a *api) changePhone(w http.ResponseWriter, r *http.Request) {
	addContact(a, w, r, func(ctx context.Context, req *phoneRequest) (*onboarding.Challenge, error) {
		return a.svc.ChangePhone(ctx, userID(r), req.PhoneNumber)
	})
}

func (a *api) confirmPhoneChange(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.verify, w, r, http.StatusOK, func(ctx context.Context, req *confirmRequest) (*onboarding.AuthResult, error) {
		return withoutTokens(a.svc.ConfirmPhoneChange(ctx, userID(r), req.ChallengeID, req.Code))
	})
}

func (a *api) login(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.login) {
		return
	}
	var req onboarding.LoginRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	res, err := a.svc.Login(r.Context(), req)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *api) verifyOTP(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.verify, w, r, http.StatusOK, func(ctx context.Context, req *sessionCodeRequest) (*onboarding.AuthResult, error) {
		return a.svc.VerifyLoginChallenge(ctx, req.SessionID, req.Code)
	})
}

func (a *api) resendLogin(w http.ResponseWriter, r *http.Request) {
	resend(a, w, r, func(ctx context.Context, req *sessionRequest) (*onboarding.Challenge, error) {
		return a.svc.ResendLoginCode(ctx, req.SessionID)
	})
}

func (a *api) loginWithRecoveryCode(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.verify, w, r, http.StatusOK, func(ctx context.Context, req *recoveryRequest) (*onboarding.AuthResult, error) {
		res, err := a.svc.LoginWithRecoveryCode(ctx, req.SessionID, req.RecoveryCode)
		return res, renameField(err, "code", "recoveryCode")
	})
}

// renameField returns err with its field problems at from named to: the
// member of the body that carried that input.
func renameField(err error, from, to string) error {
	oe := onboardkit.AsError(err)
	if oe == nil || !slices.ContainsFunc(oe.Fields, func(fe onboardkit.FieldError) bool { return fe.Field == from }) {
		return err
	}
	c := *oe
	c.Fields = slices.Clone(oe.Fields)
	for i := range c.Fields {
		if c.Fields[i].Field == from {
			c.Fields[i].Field = to
		}
	}
	return &c
}

func (a *api) refresh(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusOK, false, func(ctx context.Context, req *refreshRequest) (tokensResponse, error) {
		t, err := a.svc.Refresh(ctx, req.RefreshToken)
		return tokensResponse{Tokens: t}, err
	})
}

func (a *api) logout(w http.ResponseWriter, r *http.Request) {
	serveNoContent(w, r, false, func(ctx context.Context, req *refreshRequest) error {
		return a.svc.Logout(ctx, userID(r), req.RefreshToken)
	})
}

func (a *api) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	serveNoContent(w, r, true, func(ctx context.Context, _ *noBody) error {
		return a.svc.LogoutEverywhere(ctx, userID(r))
	})
}

func (a *api) listSessions(w http.ResponseWriter, r *http.Request) {
	sessions, err := a.svc.ListSessions(r.Context(), userID(r))
	answer(w, http.StatusOK, sessionsResponse{Sessions: nonNil(sessions)}, err)
}

func (a *api) endSession(w http.ResponseWriter, r *http.Request) {
	done(w, a.svc.EndSession(r.Context(), userID(r), r.PathValue("sessionId")))
}

func (a *api) forgotPassword(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.forgot, w, r, http.StatusAccepted, func(ctx context.Context, req *forgotRequest) (*onboarding.ForgotPasswordResult, error) {
		return a.svc.ForgotPassword(ctx, req.Username)
	})
}

// resendPasswordReset answers like POST /v1/password/forgot, in the same
// shape for a session of an unknown identifier (a decoy: nothing is sent)
// and of a registered one.
func (a *api) resendPasswordReset(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.resend, w, r, http.StatusAccepted, func(ctx context.Context, req *sessionRequest) (*onboarding.ForgotPasswordResult, error) {
		return a.svc.ResendPasswordResetCode(ctx, req.SessionID)
	})
}

func (a *api) resetPassword(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.verify) {
		return
	}
	serveNoContent(w, r, false, func(ctx context.Context, req *resetRequest) error {
		return a.svc.ResetPassword(ctx, req.SessionID, req.Code, req.Password, req.PasswordConfirm)
	})
}

func (a *api) changePassword(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusAccepted, false, func(ctx context.Context, req *changePasswordRequest) (*onboarding.PasswordChangeResult, error) {
		return a.svc.ChangePassword(ctx, userID(r), req.CurrentPassword, req.Password, req.PasswordConfirm)
	})
}

func (a *api) confirmPasswordChange(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.verify) {
		return
	}
	serveNoContent(w, r, false, func(ctx context.Context, req *sessionCodeRequest) error {
		return a.svc.ConfirmPasswordChange(ctx, userID(r), req.SessionID, req.Code)
	})
}

func (a *api) beginTOTP(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusOK, true, func(ctx context.Context, _ *noBody) (*totpEnrollment, error) {
		en, err := a.svc.BeginTOTP(ctx, userID(r))
		if err != nil {
			return nil, err
		}
		res := &totpEnrollment{Secret: en.Secret, URL: en.URL}
		if len(en.QRPNG) > 0 {
			res.QRCode = "data:image/png;base64," + base64.StdEncoding.EncodeToString(en.QRPNG)
		}
		return res, nil
	})
}

func (a *api) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	serveLimited(a, a.limits.verify, w, r, http.StatusOK, func(ctx context.Context, req *codeRequest) (recoveryCodesResponse, error) {
		codes, err := a.svc.ConfirmTOTP(ctx, userID(r), req.Code)
		return recoveryCodesResponse{RecoveryCodes: codes}, err
	})
}

func (a *api) removeTOTP(w http.ResponseWriter, r *http.Request) {
	done(w, a.svc.RemoveTOTP(r.Context(), userID(r)))
}

// nonNil returns s, or an empty slice for nil (JSON [] rather than null).
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *api) jwks(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(a.svc.JWKS())
}

func (a *api) openAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/yaml")
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDocument)
}

// healthz is the liveness check: the process answers.
func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is the readiness check: the store answers (503 unavailable,
// with Retry-After, while it does not).
func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.Ping(r.Context()); err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
