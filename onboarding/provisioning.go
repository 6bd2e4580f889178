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
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage"
)

type provisioning struct {
	*core
	planner   *portfolio.Planner
	addresses portfolio.AddressProvider
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

// createAccount is Service.CreateAccount.
func (p *provisioning) createAccount(ctx context.Context, userID string) (*portfolio.Account, error) {
	u, err := p.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	id, err := p.newID()
	if err != nil {
		return nil, err
	}
	rec, err := accountRecord(id, u, p.now())
	if err != nil {
		return nil, err
	}
	err = p.step(ctx, "create account", func(ctx context.Context, tx *unit) error {
		if err := tx.CreateAccount(ctx, rec); err != nil {
			return err
		}
		tx.raise(EventAccountCreated, userID, "account_id", id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	a := accountView(rec, nil)
	return &a, nil
}

// listAccounts is Service.ListAccounts.
func (p *provisioning) listAccounts(ctx context.Context, userID string) ([]portfolio.Account, error) {
	accts, err := userAccounts(ctx, p.store, userID)
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
func (p *provisioning) createPortfolio(ctx context.Context, userID, accountID, name, typ string) (*portfolio.Portfolio, error) {
	if !validID(accountID) {
		return nil, onboardkit.CodeNotFound.Err()
	}
	if p.addresses == nil {
		return nil, onboardkit.NewError(onboardkit.CodeUnavailable, "No deposit-address provider is configured.")
	}
	id, err := p.newID()
	if err != nil {
		return nil, err
	}
	var pf portfolio.Portfolio
	err = p.step(ctx, "create portfolio", func(ctx context.Context, tx *unit) error {
		acct, err := tx.LockAccount(ctx, accountID)
		if err != nil || acct.UserID != userID {
			return notOwned(err)
		}
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		existing, err := tx.ListPortfolios(ctx, accountID)
		if err != nil {
			return err
		}
		pf, err = p.planner.NewPortfolio(portfolio.NewPortfolioRequest{
			ID: id, AccountID: accountID, UserID: userID, Name: name, Type: typ,
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
	return &pf, nil
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
	err := tx.CreatePortfolio(ctx, &storage.Portfolio{
		ID: pf.ID, AccountID: pf.AccountID, UserID: pf.UserID, Name: pf.Name, Type: pf.Type,
		Chain: pf.Address.Chain, Address: pf.Address.Address, DerivationPath: pf.Address.DerivationPath,
		KeyID: pf.KeyID, AddressIndex: pf.AddressIndex, CreatedAt: pf.CreatedAt,
	})
	if err != nil {
		return err
	}
	if portfolio.RecordsTrading(accountTradingID, *pf) {
		if err := tx.SetTradingPortfolio(ctx, pf.AccountID, pf.ID, pf.CreatedAt); err != nil {
			return err
		}
	}
	tx.raise(EventPortfolioCreated, pf.UserID, "account_id", pf.AccountID, "portfolio_id", pf.ID, "type", pf.Type)
	return nil
}

// userAccounts returns the user's accounts with their portfolios, read
// through st.
func userAccounts(ctx context.Context, st storage.Accounts, userID string) ([]portfolio.Account, error) {
	recs, err := st.ListAccounts(ctx, userID)
	if err != nil {
		return nil, err
	}
	accts := make([]portfolio.Account, len(recs))
	for i, r := range recs {
		ps, err := st.ListPortfolios(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		accts[i] = accountView(r, ps)
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
		ID: p.ID, AccountID: p.AccountID, UserID: p.UserID, Name: p.Name, Type: p.Type,
		Address: portfolio.Address{Chain: p.Chain, Address: p.Address, DerivationPath: p.DerivationPath},
		KeyID:   p.KeyID, AddressIndex: p.AddressIndex, CreatedAt: p.CreatedAt.UTC(),
	}
}
