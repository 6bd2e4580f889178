package onboarding

import (
	"context"
	"errors"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage"
)

// Event types of the account steps.
const (
	EventAccountCreated   = "account.created"
	EventPortfolioCreated = "portfolio.created"
)

// CreateAccount creates an account for a user whose contact is verified. It
// stays inactive until the user's verification is active.
func (s *Service) CreateAccount(ctx context.Context, userID string) (*portfolio.Account, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.userErr(ctx, err)
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	rec, err := newAccountRecord(id, u, now)
	if err != nil {
		return nil, err
	}
	ev := s.event(EventAccountCreated, userID, "account_id", id)
	err = s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := tx.CreateAccount(ctx, rec); err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if err != nil {
		return nil, s.stepErr(ctx, "create account", err)
	}
	s.emit(ctx, ev)
	a := accountView(rec, nil)
	return &a, nil
}

func newAccountRecord(id string, u *storage.User, now time.Time) (*storage.Account, error) {
	a, err := portfolio.NewAccount(id, u.ID, u.PhoneVerified || u.EmailVerified, u.KYCStatus, now)
	if err != nil {
		return nil, err
	}
	return &storage.Account{ID: a.ID, UserID: a.UserID, Active: a.Active, CreatedAt: now, UpdatedAt: now}, nil
}

// ListAccounts returns the user's accounts with their portfolios, oldest
// first.
func (s *Service) ListAccounts(ctx context.Context, userID string) ([]portfolio.Account, error) {
	accts, err := userAccounts(ctx, s.store, userID)
	if err != nil {
		return nil, s.internal(ctx, "list accounts", err)
	}
	return accts, nil
}

// ListPortfolios returns the portfolios of one of the user's accounts.
func (s *Service) ListPortfolios(ctx context.Context, userID, accountID string) ([]portfolio.Portfolio, error) {
	if _, err := s.ownAccount(ctx, s.store, userID, accountID); err != nil {
		return nil, err
	}
	ps, err := s.store.ListPortfolios(ctx, accountID)
	if err != nil {
		return nil, s.internal(ctx, "list portfolios", err)
	}
	out := make([]portfolio.Portfolio, len(ps))
	for i, p := range ps {
		out[i] = portfolioView(p)
	}
	return out, nil
}

// CreatePortfolio creates a typed portfolio in one of the user's accounts,
// linked to a fresh deposit address. It returns kyc_not_active unless the
// user's verification is active, name_taken for a name already used in the
// account and limit_reached past the configured cap.
func (s *Service) CreatePortfolio(ctx context.Context, userID, accountID, name, portfolioType string) (*portfolio.Portfolio, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.userErr(ctx, err)
	}
	acct, err := s.ownAccount(ctx, s.store, userID, accountID)
	if err != nil {
		return nil, err
	}
	existing, err := s.store.ListPortfolios(ctx, accountID)
	if err != nil {
		return nil, s.internal(ctx, "list portfolios", err)
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	p, err := s.planner.NewPortfolio(portfolio.NewPortfolioRequest{
		ID: id, AccountID: accountID, UserID: userID, Name: name, Type: portfolioType,
		VerificationStatus: u.KYCStatus, AccountActive: acct.Active, Existing: len(existing), CreatedAt: s.now(),
	})
	if err != nil {
		return nil, err
	}
	for _, e := range existing {
		if e.Name == p.Name {
			return nil, portfolio.NameTakenError()
		}
	}
	if err := s.assignAddress(ctx, &p); err != nil {
		return nil, err
	}
	var evs []Event
	err = s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		var err error
		evs, err = s.addPortfolio(ctx, tx, &p, acct.TradingPortfolioID == "")
		if err != nil {
			return err
		}
		return s.record(ctx, tx, evs...)
	})
	if err != nil {
		if errors.Is(err, storage.ErrDuplicate) {
			return nil, portfolio.NameTakenError()
		}
		return nil, s.stepErr(ctx, "create portfolio", err)
	}
	s.emit(ctx, evs...)
	return &p, nil
}

// assignAddress gives p its deposit address. The index comes from the
// store's allocator, so two replicas never hand out the same address, and
// an index is never reused even when the step later fails. It runs before
// the step's transaction: allocation is its own atomic write (on Postgres it
// takes a pooled connection of its own), so it must not wait inside one.
func (s *Service) assignAddress(ctx context.Context, p *portfolio.Portfolio) error {
	if s.cfg.Addresses == nil {
		return &onboardkit.Error{Code: onboardkit.CodeUnavailable, Message: "No deposit-address provider is configured."}
	}
	if err := portfolio.AssignAddress(ctx, p, s.cfg.Addresses, s.store); err != nil {
		return s.internal(ctx, "derive deposit address", err)
	}
	return nil
}

// addPortfolio stores p, whose address is assigned; a TRADING portfolio
// becomes the account's trading portfolio when it has none.
func (s *Service) addPortfolio(ctx context.Context, tx storage.Store, p *portfolio.Portfolio, linkTrading bool) ([]Event, error) {
	err := tx.CreatePortfolio(ctx, &storage.Portfolio{
		ID: p.ID, AccountID: p.AccountID, UserID: p.UserID, Name: p.Name, Type: p.Type,
		Chain: p.Address.Chain, Address: p.Address.Address, DerivationPath: p.Address.DerivationPath,
		KeyID: p.KeyID, AddressIndex: p.AddressIndex, CreatedAt: p.CreatedAt,
	})
	if err != nil {
		return nil, err
	}
	if linkTrading && p.Type == portfolio.TypeTrading {
		if err := tx.SetTradingPortfolio(ctx, p.AccountID, p.ID, p.CreatedAt); err != nil {
			return nil, err
		}
	}
	return []Event{s.event(EventPortfolioCreated, p.UserID, "account_id", p.AccountID, "portfolio_id", p.ID, "type", p.Type)}, nil
}

// errNeedAddress asks RecordKYCDecision to allocate a deposit address
// outside its transaction and run it again.
var errNeedAddress = errors.New("onboarding: provisioning needs a deposit address")

// userAccounts returns the user's accounts with their portfolios, read
// through st.
func userAccounts(ctx context.Context, st storage.Store, userID string) ([]portfolio.Account, error) {
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

// needsTrading reports whether approving the user would provision a
// trading portfolio, judged outside any transaction, so its address can be
// allocated beforehand.
func (s *Service) needsTrading(ctx context.Context, userID string) (bool, error) {
	if s.cfg.Addresses == nil {
		return false, nil
	}
	accts, err := userAccounts(ctx, s.store, userID)
	if err != nil {
		return false, err
	}
	return s.planner.ProvisionPlan(accts).CreateTrading, nil
}

// provision runs on KYC approval inside its transaction: every account of
// the user becomes active and, when configured, the first account (created
// if there is none) gets a TRADING portfolio. It plans from the data in the
// transaction, so a decision delivered twice creates nothing twice. trading
// carries an address allocated before the transaction; when the plan needs
// one and none was allocated, it returns errNeedAddress.
func (s *Service) provision(ctx context.Context, tx storage.Store, userID string, trading *portfolio.Portfolio, now time.Time) ([]Event, error) {
	if _, err := tx.ActivateAccounts(ctx, userID, now); err != nil {
		return nil, err
	}
	accts, err := userAccounts(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	plan := s.planner.ProvisionPlan(accts)
	if plan.CreateTrading && s.cfg.Addresses != nil && trading == nil {
		return nil, errNeedAddress
	}
	var evs []Event
	accountID := plan.AccountID
	if plan.CreateAccount {
		if accountID, err = s.newID(); err != nil {
			return nil, err
		}
		if err := tx.CreateAccount(ctx, &storage.Account{ID: accountID, UserID: userID, Active: true, CreatedAt: now, UpdatedAt: now}); err != nil {
			return nil, err
		}
		evs = append(evs, s.event(EventAccountCreated, userID, "account_id", accountID))
	}
	if plan.LinkTradingID != "" {
		if err := tx.SetTradingPortfolio(ctx, accountID, plan.LinkTradingID, now); err != nil {
			return nil, err
		}
	}
	if plan.CreateTrading && trading != nil {
		p := *trading
		p.AccountID, p.UserID, p.Name, p.Type, p.CreatedAt = accountID, userID, plan.TradingName, portfolio.TypeTrading, now
		more, err := s.addPortfolio(ctx, tx, &p, true)
		if err != nil {
			return nil, err
		}
		evs = append(evs, more...)
	}
	return evs, nil
}

// ownAccount returns the account when it belongs to the user; otherwise
// not_found, so account ids of other users are not revealed.
func (s *Service) ownAccount(ctx context.Context, st storage.Store, userID, accountID string) (*storage.Account, error) {
	a, err := st.GetAccount(ctx, accountID)
	if err != nil || a.UserID != userID {
		if err == nil || errors.Is(err, storage.ErrNotFound) {
			return nil, onboardkit.ErrNotFound
		}
		return nil, s.internal(ctx, "account lookup", err)
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
