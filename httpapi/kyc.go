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
	// createAccountRequest is the body of POST /v1/accounts: a user does
	// not choose the account's id or email (unknown fields), an operator
	// does (POST /v1/operator/accounts).
	createAccountRequest struct {
		AdditionalInfo map[string]string `json:"additionalInfo,omitempty"`
	}
	accountsResponse struct {
		Accounts []portfolio.Account `json:"accounts"`
	}
	portfoliosResponse struct {
		Portfolios []portfolio.Portfolio `json:"portfolios"`
	}
)

func (a *api) me(w http.ResponseWriter, r *http.Request) {
	v, err := a.svc.Me(r.Context(), userID(r))
	answer(w, http.StatusOK, v, err)
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
	done(w, a.svc.EraseUser(r.Context(), userID(r)))
}

func (a *api) updateProfile(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusOK, false, func(ctx context.Context, p *kyc.ProfilePatch) (*onboarding.ProfileResult, error) {
		return a.svc.PatchProfile(ctx, userID(r), *p)
	})
}

func (a *api) submitCompliance(w http.ResponseWriter, r *http.Request) {
	serveNoContent(w, r, false, func(ctx context.Context, c *kyc.Compliance) error {
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
	answer(w, http.StatusOK, res, err)
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
	answer(w, http.StatusOK, accountsResponse{Accounts: nonNil(accts)}, err)
}

func (a *api) createAccount(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusCreated, true, func(ctx context.Context, req *createAccountRequest) (*portfolio.Account, error) {
		return a.svc.CreateAccount(ctx, userID(r), onboarding.AccountRequest{AdditionalInfo: req.AdditionalInfo})
	})
}

func (a *api) listPortfolios(w http.ResponseWriter, r *http.Request) {
	pfs, err := a.svc.ListPortfolios(r.Context(), userID(r), r.PathValue("accountId"))
	answer(w, http.StatusOK, portfoliosResponse{Portfolios: nonNil(pfs)}, err)
}

// createPortfolio answers 201 for a new portfolio and for the same request
// again with its portfolioId (the same portfolio); another request with
// that id is a 409 conflict.
func (a *api) createPortfolio(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusCreated, false, func(ctx context.Context, req *onboarding.PortfolioRequest) (*portfolio.Portfolio, error) {
		return a.svc.CreatePortfolio(ctx, userID(r), *req)
	})
}
