package httpapi

import (
	"net/http"

	"github.com/onboardkit/onboardkit/onboarding"
)

// Request bodies. Their JSON is the contract of API.md; unknown fields are
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
	loginRequest struct {
		Username string `json:"username"`
		Password string `json:"password"`
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
	res, err := a.svc.SignUp(r.Context(), req)
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
	var req confirmRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	res, err := a.svc.ConfirmPhone(r.Context(), req.ChallengeID, req.Code)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *api) resendPhone(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.resend) {
		return
	}
	var req resendRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	ch, err := a.svc.ResendPhoneCode(r.Context(), req.ChallengeID)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, challengeResponse{Challenge: ch})
}

func (a *api) addEmail(w http.ResponseWriter, r *http.Request) {
	var req emailRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	ch, err := a.svc.AddEmail(r.Context(), userID(r), req.Email)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, challengeResponse{Challenge: ch})
}

func (a *api) confirmEmail(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.verify) {
		return
	}
	var req confirmRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	res, err := a.svc.ConfirmEmail(r.Context(), userID(r), req.ChallengeID, req.Code)
	if err != nil {
		WriteError(w, err)
		return
	}
	res.Tokens = nil // API.md: {userId, status, next}
	writeJSON(w, http.StatusOK, res)
}

func (a *api) login(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.login) {
		return
	}
	var req loginRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	if !a.allowKey(w, a.limits.loginID, identifierKey(req.Username)) {
		return
	}
	res, err := a.svc.Login(r.Context(), req.Username, req.Password)
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
	var req sessionCodeRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	res, err := a.svc.VerifyLoginChallenge(r.Context(), req.SessionID, req.Code)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *api) refresh(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	t, err := a.svc.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tokensResponse{Tokens: t})
}

func (a *api) logout(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	if err := a.svc.Logout(r.Context(), userID(r), req.RefreshToken); err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) forgotPassword(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.forgot) {
		return
	}
	var req forgotRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	res, err := a.svc.ForgotPassword(r.Context(), req.Username)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

func (a *api) resetPassword(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.verify) {
		return
	}
	var req resetRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	if err := a.svc.ResetPassword(r.Context(), req.SessionID, req.Code, req.Password, req.PasswordConfirm); err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) changePassword(w http.ResponseWriter, r *http.Request) {
	var req changePasswordRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	res, err := a.svc.ChangePassword(r.Context(), userID(r), req.CurrentPassword, req.Password, req.PasswordConfirm)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

func (a *api) confirmPasswordChange(w http.ResponseWriter, r *http.Request) {
	if !a.allowIP(w, r, a.limits.verify) {
		return
	}
	var req sessionCodeRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	if err := a.svc.ConfirmPasswordChange(r.Context(), userID(r), req.SessionID, req.Code); err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
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
