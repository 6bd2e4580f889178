package httpapi

import (
	"context"
	"net/http"

	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
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

func (a *api) exportMe(w http.ResponseWriter, r *http.Request) {
	v, err := a.svc.ExportUser(r.Context(), userID(r))
	if err != nil {
		WriteError(w, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="onboardkit-export.json"`)
	writeJSON(w, http.StatusOK, v)
}

func (a *api) eraseMe(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.EraseUser(r.Context(), userID(r)); err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) updateProfile(w http.ResponseWriter, r *http.Request) {
	serveNoContent(w, r, func(ctx context.Context, p *kyc.Profile) error {
		return a.svc.UpdateProfile(ctx, userID(r), *p)
	})
}

func (a *api) submitCompliance(w http.ResponseWriter, r *http.Request) {
	serveNoContent(w, r, func(ctx context.Context, c *kyc.Compliance) error {
		return a.svc.SubmitCompliance(ctx, userID(r), *c)
	})
}

func (a *api) submitKYC(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusAccepted, false, func(ctx context.Context, sub *kyc.Submission) (*kyc.Result, error) {
		return a.svc.SubmitKYC(ctx, userID(r), *sub)
	})
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
	serve(w, r, http.StatusOK, false, func(ctx context.Context, req *decisionRequest) (*onboarding.DecisionResult, error) {
		return a.svc.RecordKYCDecision(ctx, req.UserID, req.Decision)
	})
}

func (a *api) individualAccount(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusCreated, false, func(ctx context.Context, req *kyc.IndividualAccountRequest) (*onboarding.IndividualAccountResult, error) {
		return a.svc.CreateIndividualAccount(ctx, *req)
	})
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
	serve(w, r, http.StatusCreated, true, func(ctx context.Context, _ *createAccountRequest) (*portfolio.Account, error) {
		return a.svc.CreateAccount(ctx, userID(r))
	})
}

func (a *api) createPortfolio(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusCreated, false, func(ctx context.Context, req *createPortfolioRequest) (*portfolio.Portfolio, error) {
		return a.svc.CreatePortfolio(ctx, userID(r), req.AccountID, req.Name, req.PortfolioType)
	})
}
