// This file owns accounts and portfolios: creating an account (inactive
// until KYC is active), creating a typed portfolio behind the KYC gate and
// the cap, giving it a deposit address, and listing them. What KYC approval
// provisions is in decisions.go.
//
// A portfolio is created in one unit of work that locks its account first:
// the cap and the name are checked against what the account holds under
// that lock, and the deposit-address index is allocated in the same unit of
// work, so a creation that fails (a taken name, the cap) releases its index
// and the indexes an account's chain uses have no gaps.

package onboarding

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage"
)

type provisioning struct {
	*core
	pii       *pii
	planner   *portfolio.Planner
	addresses portfolio.AddressProvider
}

// AccountRequest describes an account to create (all fields optional).
type AccountRequest struct {
	// AccountID, when set, is the new account's id: a UUID the caller
	// chose. An id already taken answers conflict.
	AccountID string `json:"accountId,omitempty"`
	// Email is the account's contact address (the custody API's account
	// email), sealed at rest.
	Email string `json:"email,omitempty"`
	// AdditionalInfo is the host's string map about the account (at most
	// MaxMapKeys keys), sealed at rest.
	AdditionalInfo map[string]string `json:"additionalInfo,omitempty"`
}

// PortfolioRequest describes a portfolio to create.
type PortfolioRequest struct {
	AccountID      string `json:"accountId"`
	Name           string `json:"name"`
	Type           string `json:"portfolioAccountType"`
	PublicStrategy bool   `json:"publicStrategy"`
	// PortfolioID, when set, is the new portfolio's id (a UUID the caller
	// chose) and makes the call idempotent: the same id with the same
	// request answers the portfolio created the first time; with another
	// request, conflict.
	PortfolioID string `json:"portfolioId,omitempty"`
}

// accountRecord returns a new account of u, active when u's verification
// is (portfolio.NewAccount applies the gate).
func accountRecord(id string, u *storage.User, now time.Time) (*storage.Account, error) {
	p := ProgressOf(u)
	a, err := portfolio.NewAccount(id, u.ID, p.ContactVerified(), p.KYCActive(), now)
	if err != nil {
		return nil, err
	}
	return &storage.Account{ID: a.ID, UserID: a.UserID, Active: a.Active, CreatedAt: now, UpdatedAt: now}, nil
}

// checkAccountRequest reports every problem of req and returns its email
// normalised.
func checkAccountRequest(req AccountRequest) (string, error) {
	var problems []onboardkit.FieldError
	if req.AccountID != "" && !validID(req.AccountID) {
		problems = append(problems, onboardkit.FieldError{Field: "accountId", Code: onboardkit.FieldInvalidFormat, Message: "An account id is a lower-case UUID."})
	}
	email := ""
	if req.Email != "" {
		var fe *onboardkit.FieldError
		if email, fe = normalizeEmail("email", req.Email); fe != nil {
			problems = append(problems, *fe)
		}
	}
	problems = append(problems, checkMap("additionalInfo", req.AdditionalInfo)...)
	if len(problems) > 0 {
		return "", onboardkit.ValidationError(problems...)
	}
	return email, nil
}

// createAccount is Service.CreateAccount (and CreateAccountFor, whose
// events name the operator).
func (p *provisioning) createAccount(ctx context.Context, userID string, req AccountRequest, by Actor) (*portfolio.Account, error) {
	email, err := checkAccountRequest(req)
	if err != nil {
		return nil, err
	}
	u, err := p.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	id := req.AccountID
	if id == "" {
		if id, err = p.newID(); err != nil {
			return nil, err
		}
	}
	if _, err := accountRecord(id, u, p.now()); err != nil {
		return nil, err // refused before any write
	}
	var rec *storage.Account
	err = p.step(ctx, "create account", func(ctx context.Context, tx *unit) error {
		// The record is made from the user pinned in the unit: not after
		// an erasure (sealing would create a fresh data key), and active
		// exactly when the verification is as this unit commits (a KYC
		// approval that commits meanwhile makes the unit run again; one
		// that commits after activates this account with the others).
		u, err := p.pin(ctx, tx, userID, live)
		if err != nil {
			return err
		}
		if rec, err = accountRecord(id, u, p.now()); err != nil {
			return err
		}
		if err := p.sealAccount(ctx, tx, rec, email, req.AdditionalInfo); err != nil {
			return err
		}
		if err := tx.CreateAccount(ctx, rec); err != nil {
			var dup *storage.DuplicateError
			if errors.As(err, &dup) && dup.Field == "id" {
				return onboardkit.NewError(onboardkit.CodeConflict, "An account with this id exists.")
			}
			return err
		}
		tx.raise(EventAccountCreated, userID, by.data("account_id", id)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	a := accountView(rec, nil)
	a.Email, a.AdditionalInfo = email, req.AdditionalInfo
	return &a, nil
}

// sealAccount seals the email and additional information of an account
// record through st.
func (p *provisioning) sealAccount(ctx context.Context, st storage.DataKeys, rec *storage.Account, email string, info map[string]string) error {
	if email == "" && len(info) == 0 {
		return nil
	}
	w, err := p.pii.writer(ctx, st, rec.UserID)
	if err != nil {
		return err
	}
	if rec.Email, err = sealString(w, fieldAccount(rec.ID, "email"), email); err != nil {
		return err
	}
	if len(info) > 0 {
		rec.Info, err = sealValue(w, fieldAccount(rec.ID, "info"), info)
	}
	return err
}

// listAccounts is Service.ListAccounts.
func (p *provisioning) listAccounts(ctx context.Context, userID string) ([]portfolio.Account, error) {
	accts, err := p.pii.accounts(ctx, p.store, userID)
	if err != nil {
		return nil, p.storeErr(ctx, "list accounts", err)
	}
	return accts, nil
}

// listPortfolios is Service.ListPortfolios.
func (p *provisioning) listPortfolios(ctx context.Context, userID, accountID string) ([]portfolio.Portfolio, error) {
	if _, err := p.ownAccount(ctx, userID, accountID); err != nil {
		return nil, err
	}
	ps, err := p.store.ListPortfolios(ctx, accountID)
	if err != nil {
		return nil, p.storeErr(ctx, "list portfolios", err)
	}
	out := make([]portfolio.Portfolio, len(ps))
	for i, rec := range ps {
		out[i] = portfolioView(rec)
	}
	return out, nil
}

// createPortfolio is Service.CreatePortfolio.
func (p *provisioning) createPortfolio(ctx context.Context, userID string, req PortfolioRequest) (*portfolio.Portfolio, error) {
	if !validID(req.AccountID) {
		return nil, onboardkit.CodeNotFound.Err()
	}
	if req.PortfolioID != "" && !validID(req.PortfolioID) {
		return nil, onboardkit.ValidationError(onboardkit.FieldError{Field: "portfolioId", Code: onboardkit.FieldInvalidFormat, Message: "A portfolio id is a lower-case UUID."})
	}
	if p.addresses == nil {
		return nil, onboardkit.NewError(onboardkit.CodeUnavailable, "No deposit-address provider is configured.")
	}
	id := req.PortfolioID
	if id == "" {
		var err error
		if id, err = p.newID(); err != nil {
			return nil, err
		}
	}
	pf, err := p.addPortfolioStep(ctx, userID, id, req)
	var dup *storage.DuplicateError
	if req.PortfolioID != "" && errors.As(err, &dup) && dup.Field == "id" {
		// A concurrent call with the same id created it first.
		return p.replayPortfolio(ctx, userID, req, nil)
	}
	return pf, err
}

// addPortfolioStep creates the portfolio id in one unit of work under the
// account's lock, or answers the portfolio a former call with the same
// id created.
func (p *provisioning) addPortfolioStep(ctx context.Context, userID, id string, req PortfolioRequest) (*portfolio.Portfolio, error) {
	var pf portfolio.Portfolio
	var replay *portfolio.Portfolio
	err := p.step(ctx, "create portfolio", func(ctx context.Context, tx *unit) error {
		acct, err := tx.LockAccount(ctx, req.AccountID)
		if err != nil || acct.UserID != userID {
			return notOwned(err)
		}
		if req.PortfolioID != "" {
			prev, err := tx.GetPortfolio(ctx, id)
			if err == nil {
				replay, err = p.replayPortfolio(ctx, userID, req, prev)
				return err
			}
			if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		existing, err := tx.ListPortfolios(ctx, req.AccountID)
		if err != nil {
			return err
		}
		pf, err = p.planner.NewPortfolio(portfolio.NewPortfolioRequest{
			ID: id, AccountID: req.AccountID, UserID: userID, Name: req.Name, Type: req.Type, PublicStrategy: req.PublicStrategy,
			KYCActive: ProgressOf(u).KYCActive(), AccountActive: acct.Active, Existing: len(existing), CreatedAt: p.now(),
		})
		if err != nil {
			return err
		}
		for _, e := range existing {
			if e.Name == pf.Name {
				return portfolio.NameTakenError()
			}
		}
		if err := portfolio.AssignAddress(ctx, &pf, p.addresses, tx); err != nil {
			return err
		}
		return addPortfolio(ctx, tx, &pf, acct.TradingPortfolioID)
	})
	if err != nil {
		return nil, err
	}
	if replay != nil {
		return replay, nil
	}
	return &pf, nil
}

// replayPortfolio answers a call that names an existing portfolio (prev,
// read here when nil): the same portfolio when the request is the one
// that created it, else conflict.
func (p *provisioning) replayPortfolio(ctx context.Context, userID string, req PortfolioRequest, prev *storage.Portfolio) (*portfolio.Portfolio, error) {
	if prev == nil {
		var err error
		if prev, err = p.store.GetPortfolio(ctx, req.PortfolioID); err != nil {
			return nil, p.storeErr(ctx, "portfolio lookup", err)
		}
	}
	same := prev.UserID == userID && prev.AccountID == req.AccountID && prev.Name == strings.TrimSpace(req.Name) &&
		strings.EqualFold(prev.Type, strings.TrimSpace(req.Type)) && prev.PublicStrategy == req.PublicStrategy
	if !same {
		return nil, onboardkit.NewError(onboardkit.CodeConflict, "This portfolio id was used with another request.")
	}
	v := portfolioView(prev)
	return &v, nil
}

// notOwned hides another user's account as a missing one.
func notOwned(err error) error {
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		return onboardkit.CodeNotFound.Err()
	}
	return err
}

// addPortfolio stores pf, whose address is assigned, in the unit of work; it
// becomes its account's trading portfolio when it is the first TRADING one
// (portfolio.RecordsTrading).
func addPortfolio(ctx context.Context, tx *unit, pf *portfolio.Portfolio, accountTradingID string) error {
	err := tx.later.CreatePortfolio(ctx, &storage.Portfolio{
		ID: pf.ID, AccountID: pf.AccountID, UserID: pf.UserID, Name: pf.Name, Type: pf.Type, PublicStrategy: pf.PublicStrategy,
		Chain: pf.Address.Chain, Address: pf.Address.Address, DerivationPath: pf.Address.DerivationPath,
		KeyID: pf.KeyID, AddressIndex: pf.AddressIndex, CreatedAt: pf.CreatedAt,
	})
	if err != nil {
		return err
	}
	if portfolio.RecordsTrading(accountTradingID, *pf) {
		if err := tx.later.SetTradingPortfolio(ctx, pf.AccountID, pf.ID, pf.CreatedAt); err != nil {
			return err
		}
	}
	tx.raise(EventPortfolioCreated, pf.UserID, "account_id", pf.AccountID, "portfolio_id", pf.ID, "type", pf.Type)
	return nil
}

// userAccounts returns the user's accounts with their portfolios, read
// through st, without their sealed email and information.
func userAccounts(ctx context.Context, st storage.Accounts, userID string) ([]portfolio.Account, error) {
	_, accts, err := listAccounts(ctx, st, userID)
	return accts, err
}

// listAccounts returns the user's account records and their views with
// portfolios.
func listAccounts(ctx context.Context, st storage.Accounts, userID string) ([]*storage.Account, []portfolio.Account, error) {
	recs, err := st.ListAccounts(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	accts := make([]portfolio.Account, len(recs))
	for i, r := range recs {
		ps, err := st.ListPortfolios(ctx, r.ID)
		if err != nil {
			return nil, nil, err
		}
		accts[i] = accountView(r, ps)
	}
	return recs, accts, nil
}

// accounts returns the user's accounts with their portfolios, read and
// opened through st.
func (p *pii) accounts(ctx context.Context, st storage.Store, userID string) ([]portfolio.Account, error) {
	recs, accts, err := listAccounts(ctx, st, userID)
	if err != nil {
		return nil, err
	}
	for i, r := range recs {
		if accts[i].Email, err = p.openString(ctx, st, userID, fieldAccount(r.ID, "email"), r.Email); err != nil {
			return nil, err
		}
		if _, err = p.openJSON(ctx, st, userID, fieldAccount(r.ID, "info"), r.Info, &accts[i].AdditionalInfo); err != nil {
			return nil, err
		}
	}
	return accts, nil
}

// ownAccount returns the account when it belongs to the user; otherwise
// not_found, so account ids of other users are not revealed.
func (p *provisioning) ownAccount(ctx context.Context, userID, accountID string) (*storage.Account, error) {
	if !validID(accountID) {
		return nil, onboardkit.CodeNotFound.Err()
	}
	a, err := p.store.GetAccount(ctx, accountID)
	if err != nil || a.UserID != userID {
		return nil, p.storeErr(ctx, "account lookup", notOwned(err))
	}
	return a, nil
}

func accountView(a *storage.Account, ps []*storage.Portfolio) portfolio.Account {
	v := portfolio.Account{ID: a.ID, UserID: a.UserID, Active: a.Active, CreatedAt: a.CreatedAt.UTC(), TradingPortfolioID: a.TradingPortfolioID, Portfolios: []portfolio.Portfolio{}}
	for _, p := range ps {
		v.Portfolios = append(v.Portfolios, portfolioView(p))
	}
	return v
}

func portfolioView(p *storage.Portfolio) portfolio.Portfolio {
	return portfolio.Portfolio{
		ID: p.ID, AccountID: p.AccountID, UserID: p.UserID, Name: p.Name, Type: p.Type, PublicStrategy: p.PublicStrategy,
		Address: portfolio.Address{Chain: p.Chain, Address: p.Address, DerivationPath: p.DerivationPath},
		KeyID:   p.KeyID, AddressIndex: p.AddressIndex, CreatedAt: p.CreatedAt.UTC(),
	}
}
