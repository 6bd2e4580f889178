package httpapi

import (
	"net/http"

	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/portfolio"
)

type (
	// decisionRequest is the body of POST /v1/integrator/kyc-decisions.
	decisionRequest struct {
		UserID string `json:"userId"`
		kyc.Decision
	}
	createAccountRequest   struct{}
	createPortfolioRequest struct {
		AccountID     string `json:"accountId"`
		Name          string `json:"name"`
		PortfolioType string `json:"portfolioAccountType"`
	}
	accountsResponse struct {
		Accounts []portfolio.Account `json:"accounts"`
	}
)

func (a *api) me(w http.ResponseWriter, r *http.Request) {
	v, err := a.svc.Me(r.Context(), userID(r))
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *api) updateProfile(w http.ResponseWriter, r *http.Request) {
	var p kyc.Profile
	if err := decodeJSON(r, &p, false); err != nil {
		WriteError(w, err)
		return
	}
	if err := a.svc.UpdateProfile(r.Context(), userID(r), p); err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) submitCompliance(w http.ResponseWriter, r *http.Request) {
	var c kyc.Compliance
	if err := decodeJSON(r, &c, false); err != nil {
		WriteError(w, err)
		return
	}
	if err := a.svc.SubmitCompliance(r.Context(), userID(r), c); err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) submitKYC(w http.ResponseWriter, r *http.Request) {
	var sub kyc.Submission
	if err := decodeJSON(r, &sub, false); err != nil {
		WriteError(w, err)
		return
	}
	res, err := a.svc.SubmitKYC(r.Context(), userID(r), sub)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

func (a *api) kycStatus(w http.ResponseWriter, r *http.Request) {
	res, err := a.svc.KYCStatus(r.Context(), userID(r))
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *api) kycDecision(w http.ResponseWriter, r *http.Request) {
	var req decisionRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	res, err := a.svc.RecordKYCDecision(r.Context(), req.UserID, req.Decision)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *api) individualAccount(w http.ResponseWriter, r *http.Request) {
	var req kyc.IndividualAccountRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	res, err := a.svc.CreateIndividualAccount(r.Context(), req)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

func (a *api) listAccounts(w http.ResponseWriter, r *http.Request) {
	accts, err := a.svc.ListAccounts(r.Context(), userID(r))
	if err != nil {
		WriteError(w, err)
		return
	}
	if accts == nil {
		accts = []portfolio.Account{}
	}
	writeJSON(w, http.StatusOK, accountsResponse{Accounts: accts})
}

func (a *api) createAccount(w http.ResponseWriter, r *http.Request) {
	var req createAccountRequest
	if err := decodeJSON(r, &req, true); err != nil {
		WriteError(w, err)
		return
	}
	acct, err := a.svc.CreateAccount(r.Context(), userID(r))
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, acct)
}

func (a *api) createPortfolio(w http.ResponseWriter, r *http.Request) {
	var req createPortfolioRequest
	if err := decodeJSON(r, &req, false); err != nil {
		WriteError(w, err)
		return
	}
	p, err := a.svc.CreatePortfolio(r.Context(), userID(r), req.AccountID, req.Name, req.PortfolioType)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}
