package httpapi

import (
	"context"
	"net/http"

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
)

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
	if !a.allowIP(w, r, a.limits.verify) {
		return
	}
	serve(w, r, http.StatusOK, false, func(ctx context.Context, req *confirmRequest) (*onboarding.AuthResult, error) {
		return a.svc.ConfirmPhone(ctx, req.ChallengeID, req.Code)
	})
}

func (a *api) resendPhone(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.resend) {
		return
	}
	serve(w, r, http.StatusOK, false, func(ctx context.Context, req *resendRequest) (challengeResponse, error) {
		ch, err := a.svc.ResendPhoneCode(ctx, req.ChallengeID)
		return challengeResponse{Challenge: ch}, err
	})
}

func (a *api) addEmail(w http.ResponseWriter, r *http.Request) {
	if !a.probeAllowed(w, r, userID(r)) {
		return
	}
	serve(w, r, http.StatusAccepted, false, func(ctx context.Context, req *emailRequest) (challengeResponse, error) {
		ch, err := a.svc.AddEmail(ctx, userID(r), req.Email)
		a.countProbe(r, userID(r), err)
		return challengeResponse{Challenge: ch}, err
	})
}

func (a *api) confirmEmail(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.verify) {
		return
	}
	serve(w, r, http.StatusOK, false, func(ctx context.Context, req *confirmRequest) (*onboarding.AuthResult, error) {
		res, err := a.svc.ConfirmEmail(ctx, userID(r), req.ChallengeID, req.Code)
		if res != nil {
			res.Tokens = nil // docs/API.md: {userId, status, next}
		}
		return res, err
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
	if !a.allowIP(w, r, a.limits.verify) {
		return
	}
	serve(w, r, http.StatusOK, false, func(ctx context.Context, req *sessionCodeRequest) (*onboarding.AuthResult, error) {
		return a.svc.VerifyLoginChallenge(ctx, req.SessionID, req.Code)
	})
}

func (a *api) refresh(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusOK, false, func(ctx context.Context, req *refreshRequest) (tokensResponse, error) {
		t, err := a.svc.Refresh(ctx, req.RefreshToken)
		return tokensResponse{Tokens: t}, err
	})
}

func (a *api) logout(w http.ResponseWriter, r *http.Request) {
	serveNoContent(w, r, func(ctx context.Context, req *refreshRequest) error {
		return a.svc.Logout(ctx, userID(r), req.RefreshToken)
	})
}

func (a *api) forgotPassword(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.forgot) {
		return
	}
	serve(w, r, http.StatusAccepted, false, func(ctx context.Context, req *forgotRequest) (*onboarding.ForgotPasswordResult, error) {
		return a.svc.ForgotPassword(ctx, req.Username)
	})
}

func (a *api) resetPassword(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.verify) {
		return
	}
	serveNoContent(w, r, func(ctx context.Context, req *resetRequest) error {
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
	serveNoContent(w, r, func(ctx context.Context, req *sessionCodeRequest) error {
		return a.svc.ConfirmPasswordChange(ctx, userID(r), req.SessionID, req.Code)
	})
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

func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
