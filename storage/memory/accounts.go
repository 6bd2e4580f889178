package memory

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// CreateAccount stores a copy of a. A taken id returns a
// *storage.DuplicateError with Field "id".
func (s *Store) CreateAccount(_ context.Context, a *storage.Account) error {
	t := s.lock()
	defer s.unlock(t)
	if _, ok := s.d.accounts[a.ID]; ok {
		return duplicate("id")
	}
	c := a.Clone()
	put(t, s.d.accounts, c.ID, c)
	appendTo(t, s.d.userAccounts, c.UserID, c.ID)
	return nil
}

// GetAccount returns a copy of the account, or storage.ErrNotFound.
func (s *Store) GetAccount(_ context.Context, id string) (*storage.Account, error) {
	t := s.lock()
	defer s.unlock(t)
	a, ok := s.d.accounts[id]
	if !ok {
		return nil, notFound("account")
	}
	return a.Clone(), nil
}

// LockAccount returns a copy of the account, or storage.ErrNotFound. A Tx
// holds the whole store until it ends, so inside one the account is held
// too; outside a Tx it is GetAccount.
func (s *Store) LockAccount(ctx context.Context, id string) (*storage.Account, error) {
	return s.GetAccount(ctx, id)
}

// ListAccounts returns copies of the user's accounts, oldest CreatedAt first
// (creation order among equals); none is an empty list.
func (s *Store) ListAccounts(_ context.Context, userID string) ([]*storage.Account, error) {
	t := s.lock()
	defer s.unlock(t)
	ids := s.d.userAccounts[userID]
	out := make([]*storage.Account, len(ids))
	for i, id := range ids {
		out[i] = s.d.accounts[id].Clone()
	}
	slices.SortStableFunc(out, func(a, b *storage.Account) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// SetAccountsActive sets Active on every account of the user, with
// UpdatedAt = at on those it changes, and returns how many changed.
func (s *Store) SetAccountsActive(_ context.Context, userID string, active bool, at time.Time) (int, error) {
	t := s.lock()
	defer s.unlock(t)
	n := 0
	for _, id := range s.d.userAccounts[userID] {
		old := s.d.accounts[id]
		if old.Active == active {
			continue
		}
		a := old.Clone()
		a.Active, a.UpdatedAt = active, at
		put(t, s.d.accounts, id, a)
		n++
	}
	return n, nil
}

// SetTradingPortfolio records the account's trading portfolio with
// UpdatedAt = at, or returns storage.ErrNotFound for an unknown account.
func (s *Store) SetTradingPortfolio(_ context.Context, accountID, portfolioID string, at time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	old, ok := s.d.accounts[accountID]
	if !ok {
		return notFound("account")
	}
	a := old.Clone()
	a.TradingPortfolioID, a.UpdatedAt = portfolioID, at
	put(t, s.d.accounts, accountID, a)
	return nil
}

// CreatePortfolio stores a copy of p. A taken id returns a
// *storage.DuplicateError with Field "id"; a name already used in the account
// one with Field "name"; a deposit address slot (Chain, non-empty KeyID,
// AddressIndex) already used by another portfolio one with Field
// "address_index".
func (s *Store) CreatePortfolio(_ context.Context, p *storage.Portfolio) error {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	if _, ok := d.portfolios[p.ID]; ok {
		return duplicate("id")
	}
	nk := nameKey{p.AccountID, p.Name}
	if _, ok := d.portfolioName[nk]; ok {
		return duplicate("name")
	}
	slot := addrSlot{addrKey{p.Chain, p.KeyID}, p.AddressIndex}
	if p.KeyID != "" {
		if _, ok := d.portfolioAddr[slot]; ok {
			return duplicate("address_index")
		}
	}
	c := *p
	put(t, d.portfolios, c.ID, &c)
	put(t, d.portfolioName, nk, c.ID)
	if c.KeyID != "" {
		put(t, d.portfolioAddr, slot, c.ID)
	}
	appendTo(t, d.acctPortfolio, c.AccountID, c.ID)
	appendTo(t, d.userPortfolio, c.UserID, c.ID)
	return nil
}

// GetPortfolio returns a copy of the portfolio, or storage.ErrNotFound.
func (s *Store) GetPortfolio(_ context.Context, id string) (*storage.Portfolio, error) {
	t := s.lock()
	defer s.unlock(t)
	p, ok := s.d.portfolios[id]
	if !ok {
		return nil, notFound("portfolio")
	}
	c := *p
	return &c, nil
}

// ListPortfolios returns copies of the account's portfolios, oldest
// CreatedAt first (creation order among equals); none is an empty list.
func (s *Store) ListPortfolios(_ context.Context, accountID string) ([]*storage.Portfolio, error) {
	t := s.lock()
	defer s.unlock(t)
	ids := s.d.acctPortfolio[accountID]
	out := make([]*storage.Portfolio, len(ids))
	for i, id := range ids {
		c := *s.d.portfolios[id]
		out[i] = &c
	}
	slices.SortStableFunc(out, func(a, b *storage.Portfolio) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// errIndexesExhausted is returned once all 2^32 indexes of a pair are used.
var errIndexesExhausted = &wrapped{"address indexes exhausted", storage.ErrConflict}

// AllocateAddressIndex returns the next unused index for (chain, keyID),
// starting at 0. Inside a Tx the allocation is recorded in the undo log
// like any write, so a Tx that rolls back releases the index and the next
// allocation hands it out again; a Tx holds the whole store, so concurrent
// units of work take turns. After 2^32 allocations it returns an error
// wrapping storage.ErrConflict.
func (s *Store) AllocateAddressIndex(_ context.Context, chain, keyID string) (uint32, error) {
	t := s.lock()
	defer s.unlock(t)
	k := addrKey{chain, keyID}
	n := s.d.addrIndex[k]
	if n > math.MaxUint32 {
		return 0, errIndexesExhausted
	}
	put(t, s.d.addrIndex, k, n+1)
	return uint32(n), nil
}
