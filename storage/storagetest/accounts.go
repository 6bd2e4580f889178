package storagetest

import (
	"context"
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit/storage"
)

// newAccount returns an inactive account of the user with a sealed email
// and information.
func (f *fixture) newAccount(userID string, sec int) *storage.Account {
	aid := id("acct")
	return &storage.Account{
		ID: aid, UserID: userID,
		Email:     f.seal(userID, recordField(fieldAcctEmail, aid), clearAcctEmail),
		Info:      f.seal(userID, recordField(fieldAcctInfo, aid), clearAcctInfo),
		CreatedAt: f.at(sec), UpdatedAt: f.at(sec),
	}
}

// newPortfolio returns a portfolio of the account with a public strategy
// and a deposit address.
func (f *fixture) newPortfolio(a *storage.Account, name string, sec int) *storage.Portfolio {
	return &storage.Portfolio{
		ID: id("pf"), AccountID: a.ID, UserID: a.UserID, Name: name, Type: "TRADING", PublicStrategy: true,
		Chain: "BTC", Address: "bc1q" + runID, DerivationPath: "m/0/7", KeyID: id("xpub"),
		AddressIndex: 7, CreatedAt: f.at(sec),
	}
}

func (f *fixture) getAccount(id string) *storage.Account {
	f.Helper()
	a, err := f.s.GetAccount(f.ctx, id)
	f.ok(err, "GetAccount")
	return a
}

func (f *fixture) getPortfolio(id string) *storage.Portfolio {
	f.Helper()
	p, err := f.s.GetPortfolio(f.ctx, id)
	f.ok(err, "GetPortfolio")
	return p
}

func (f *fixture) alloc(chain, key string) uint32 {
	f.Helper()
	i, err := f.s.AllocateAddressIndex(f.ctx, chain, key)
	f.ok(err, "AllocateAddressIndex")
	return i
}

var accountTests = []test{
	{"CreateAndGet", func(f *fixture) {
		a := f.newAccount(f.userID(), 0)
		a.Active, a.TradingPortfolioID = true, id("pf")
		f.ok(f.s.CreateAccount(f.ctx, a), "CreateAccount")
		f.equal(f.getAccount(a.ID), a, "GetAccount")
		f.accountOpens(f.getAccount(a.ID))

		// Without an email or information.
		b := f.newAccount(a.UserID, 1)
		b.Email, b.Info = storage.Sealed{}, storage.Sealed{}
		f.ok(f.s.CreateAccount(f.ctx, b), "CreateAccount without email and information")
		got := f.getAccount(b.ID)
		f.check(got.Email.IsZero() && got.Info.IsZero(), "zero Email/Info came back as %+v / %+v", got.Email, got.Info)
		f.equal(got, b, "GetAccount without email and information")
		list, err := f.s.ListAccounts(f.ctx, a.UserID)
		f.ok(err, "ListAccounts")
		f.equal(list, []*storage.Account{a, b}, "ListAccounts")
		f.accountOpens(list[0])
	}},
	{"DuplicateAccountID", func(f *fixture) {
		a := f.newAccount(f.userID(), 0)
		f.ok(f.s.CreateAccount(f.ctx, a), "CreateAccount")
		b := f.newAccount(f.userID(), 1)
		b.ID = a.ID
		f.dup(f.s.CreateAccount(f.ctx, b), "id", "CreateAccount with a taken id")
		f.equal(f.getAccount(a.ID), a, "first account")
	}},
	{"NotFound", func(f *fixture) {
		_, err := f.s.GetAccount(f.ctx, id("acct"))
		f.is(err, storage.ErrNotFound, "GetAccount")
		_, err = f.s.GetPortfolio(f.ctx, id("pf"))
		f.is(err, storage.ErrNotFound, "GetPortfolio")
		// Pinned: setting the trading portfolio of a missing account is ErrNotFound.
		f.is(f.s.SetTradingPortfolio(f.ctx, id("acct"), id("pf"), f.at(1)), storage.ErrNotFound, "SetTradingPortfolio")
		as, err := f.s.ListAccounts(f.ctx, id("user"))
		f.ok(err, "ListAccounts of an unknown user")
		f.check(len(as) == 0, "ListAccounts of an unknown user = %d accounts", len(as))
		ps, err := f.s.ListPortfolios(f.ctx, id("acct"))
		f.ok(err, "ListPortfolios of an unknown account")
		f.check(len(ps) == 0, "ListPortfolios of an unknown account = %d portfolios", len(ps))
	}},
	{"ListOldestFirst", func(f *fixture) {
		uid := f.userID()
		a2, a0, a1 := f.newAccount(uid, 20), f.newAccount(uid, 0), f.newAccount(uid, 10)
		for _, a := range []*storage.Account{a2, a0, a1} {
			f.ok(f.s.CreateAccount(f.ctx, a), "CreateAccount")
		}
		f.ok(f.s.CreateAccount(f.ctx, f.newAccount(f.userID(), 5)), "CreateAccount other user")
		got, err := f.s.ListAccounts(f.ctx, uid)
		f.ok(err, "ListAccounts")
		f.equal(got, []*storage.Account{a0, a1, a2}, "ListAccounts")
	}},
	{"SetAccountsActive", func(f *fixture) {
		// Each step sets Active on every account of the user and counts
		// the accounts it changed; only those get the step's UpdatedAt.
		uid := f.userID()
		a, b, c := f.newAccount(uid, 0), f.newAccount(uid, 1), f.newAccount(uid, 2)
		c.Active = true
		other := f.newAccount(f.userID(), 0)
		mine := []*storage.Account{a, b, c}
		for _, x := range append(mine, other) {
			f.ok(f.s.CreateAccount(f.ctx, x), "CreateAccount")
		}
		for _, step := range []struct {
			name   string
			active bool
			at     int
			want   int
		}{
			{"activate two of three", true, 100, 2},
			{"activate again", true, 200, 0},
			{"deactivate all", false, 300, 3},
			{"deactivate again", false, 400, 0},
			{"activate all", true, 500, 3},
		} {
			n, err := f.s.SetAccountsActive(f.ctx, uid, step.active, f.at(step.at))
			f.ok(err, "SetAccountsActive: "+step.name)
			f.check(n == step.want, "SetAccountsActive %s: changed %d, want %d", step.name, n, step.want)
			for _, x := range mine {
				if x.Active != step.active {
					x.Active, x.UpdatedAt = step.active, f.at(step.at)
				}
			}
			list, err := f.s.ListAccounts(f.ctx, uid)
			f.ok(err, "ListAccounts")
			f.equal(list, mine, "accounts after "+step.name)
			f.equal(f.getAccount(other.ID), other, "another user's account after "+step.name)
		}
		for _, active := range []bool{true, false} {
			n, err := f.s.SetAccountsActive(f.ctx, id("user"), active, f.at(600))
			f.ok(err, "SetAccountsActive of a user without accounts")
			f.check(n == 0, "SetAccountsActive of a user without accounts changed %d", n)
		}
	}},
	{"TradingPortfolio", func(f *fixture) {
		a := f.newAccount(f.userID(), 0)
		f.ok(f.s.CreateAccount(f.ctx, a), "CreateAccount")
		p := f.newPortfolio(a, "Main", 1)
		f.ok(f.s.CreatePortfolio(f.ctx, p), "CreatePortfolio")
		f.ok(f.s.SetTradingPortfolio(f.ctx, a.ID, p.ID, f.at(2)), "SetTradingPortfolio")
		got := f.getAccount(a.ID)
		f.check(got.TradingPortfolioID == p.ID, "TradingPortfolioID = %q, want %q", got.TradingPortfolioID, p.ID)
		f.check(got.UserID == a.UserID && got.CreatedAt.Equal(a.CreatedAt), "SetTradingPortfolio changed other fields: %+v", got)
	}},
	{"Portfolios", func(f *fixture) {
		a, b := f.newAccount(f.userID(), 0), f.newAccount(f.userID(), 0)
		f.ok(f.s.CreateAccount(f.ctx, a), "CreateAccount")
		f.ok(f.s.CreateAccount(f.ctx, b), "CreateAccount")
		p2, p0, p1 := f.newPortfolio(a, "Savings", 20), f.newPortfolio(a, "Main", 0), f.newPortfolio(a, "Other", 10)
		p2.Type, p1.PublicStrategy = "SAVINGS", false
		for _, p := range []*storage.Portfolio{p2, p0, p1} {
			f.ok(f.s.CreatePortfolio(f.ctx, p), "CreatePortfolio")
		}
		f.equal(f.getPortfolio(p2.ID), p2, "GetPortfolio")
		f.check(!f.getPortfolio(p1.ID).PublicStrategy, "PublicStrategy false came back true")
		got, err := f.s.ListPortfolios(f.ctx, a.ID)
		f.ok(err, "ListPortfolios")
		f.equal(got, []*storage.Portfolio{p0, p1, p2}, "ListPortfolios oldest first")

		d := f.newPortfolio(a, "Main", 30)
		f.dup(f.s.CreatePortfolio(f.ctx, d), "name", "CreatePortfolio with a name used in the account")
		_, err = f.s.GetPortfolio(f.ctx, d.ID)
		f.is(err, storage.ErrNotFound, "the refused portfolio")
		f.ok(f.s.CreatePortfolio(f.ctx, f.newPortfolio(b, "Main", 30)), "CreatePortfolio with the name in another account")
		e := f.newPortfolio(b, "Fresh", 40)
		e.ID = p0.ID
		f.dup(f.s.CreatePortfolio(f.ctx, e), "id", "CreatePortfolio with a taken id")
		got, err = f.s.ListPortfolios(f.ctx, a.ID)
		f.ok(err, "ListPortfolios")
		f.check(len(got) == 3, "ListPortfolios after refusals = %d portfolios, want 3", len(got))
	}},
	{"PortfolioAddressSlot", func(f *fixture) {
		// Pinned: two portfolios never share a deposit address slot (Chain,
		// KeyID, AddressIndex); portfolios without a KeyID never collide.
		a, b := f.newAccount(f.userID(), 0), f.newAccount(f.userID(), 0)
		f.ok(f.s.CreateAccount(f.ctx, a), "CreateAccount")
		f.ok(f.s.CreateAccount(f.ctx, b), "CreateAccount")
		p := f.newPortfolio(a, "Main", 0)
		f.ok(f.s.CreatePortfolio(f.ctx, p), "CreatePortfolio")
		q := f.newPortfolio(b, "Main", 0)
		q.KeyID = p.KeyID
		f.dup(f.s.CreatePortfolio(f.ctx, q), "address_index", "CreatePortfolio with a used address slot")
		q.AddressIndex = p.AddressIndex + 1
		f.ok(f.s.CreatePortfolio(f.ctx, q), "CreatePortfolio with the next index")
		r := f.newPortfolio(b, "Savings", 0)
		r.KeyID, r.Chain = p.KeyID, "ETH"
		f.ok(f.s.CreatePortfolio(f.ctx, r), "CreatePortfolio with the same index on another chain")
		for i, acct := range []*storage.Account{a, b} {
			x := f.newPortfolio(acct, "NoAddress", 0)
			x.Chain, x.Address, x.DerivationPath, x.KeyID, x.AddressIndex = "", "", "", "", 0
			f.ok(f.s.CreatePortfolio(f.ctx, x), fmt.Sprintf("CreatePortfolio without an address %d", i))
		}
	}},
	{"AddressIndex", func(f *fixture) {
		k1, k2 := id("xpub"), id("xpub")
		for want := range uint32(3) {
			got := f.alloc("BTC", k1)
			f.check(got == want, "AllocateAddressIndex(BTC, k1) = %d, want %d", got, want)
		}
		f.check(f.alloc("ETH", k1) == 0, "another chain does not start at 0")
		f.check(f.alloc("BTC", k2) == 0, "another key does not start at 0")
		f.check(f.alloc("BTC", k1) == 3, "the first pair did not continue at 3")
		f.check(f.alloc("ETH", k1) == 1, "the second pair did not continue at 1")
	}},
	{"AddressIndexReleasedOnRollback", func(f *fixture) {
		// An index allocated in a unit of work that rolls back is released
		// and handed out again; one allocated in a unit that commits stays
		// taken.
		k := id("xpub")
		f.check(f.alloc("BTC", k) == 0, "first index")
		for _, commit := range []bool{false, false, true} {
			var inTx uint32
			err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
				i, err := s.AllocateAddressIndex(ctx, "BTC", k)
				inTx = i
				if err != nil || commit {
					return err
				}
				return errRollback
			})
			if commit {
				f.ok(err, "Tx")
			} else {
				f.is(err, errRollback, "Tx")
			}
			f.check(inTx == 1, "index inside the Tx = %d, want 1 (commit %v)", inTx, commit)
		}
		f.check(f.alloc("BTC", k) == 2, "the index of the committed Tx was handed out again")
	}},
	{"LockAccount", func(f *fixture) {
		a := f.newAccount(f.userID(), 0)
		f.ok(f.s.CreateAccount(f.ctx, a), "CreateAccount")
		got, err := f.s.LockAccount(f.ctx, a.ID)
		f.ok(err, "LockAccount outside a Tx")
		f.equal(got, a, "LockAccount outside a Tx")
		_, err = f.s.LockAccount(f.ctx, id("acct"))
		f.is(err, storage.ErrNotFound, "LockAccount of a missing account")
		b := f.newAccount(a.UserID, 1)
		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			got, err := s.LockAccount(ctx, a.ID)
			if err != nil {
				return err
			}
			f.equal(got, a, "LockAccount inside a Tx")
			if _, err := s.LockAccount(ctx, a.ID); err != nil {
				return fmt.Errorf("LockAccount again in the same Tx: %w", err)
			}
			if _, err := s.LockAccount(ctx, id("acct")); !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("LockAccount of a missing account inside a Tx: %v", err)
			}
			if err := s.CreateAccount(ctx, b); err != nil {
				return err
			}
			got, err = s.LockAccount(ctx, b.ID)
			if err != nil {
				return fmt.Errorf("LockAccount of an account created in the Tx: %w", err)
			}
			f.equal(got, b, "LockAccount of an account created in the Tx")
			return s.CreatePortfolio(ctx, f.newPortfolio(a, "Main", 2))
		}), "Tx locking accounts")
		ps, err := f.s.ListPortfolios(f.ctx, a.ID)
		f.ok(err, "ListPortfolios")
		f.check(len(ps) == 1, "the portfolio created under the lock was not committed: %d portfolios", len(ps))
	}},
	{"DeepCopy", func(f *fixture) {
		a := f.newAccount(f.userID(), 0)
		f.ok(f.s.CreateAccount(f.ctx, a), "CreateAccount")
		want := a.Clone()
		a.Active = true
		a.Email.Data[0] ^= 0xff
		a.Info.KeyRef = "mutated"
		got := f.getAccount(a.ID)
		f.equal(got, want, "account after mutating the record passed in")
		got.TradingPortfolioID = "mutated"
		got.Email.Data[1] ^= 0xff
		got.Info.Data[0] ^= 0xff
		f.equal(f.getAccount(a.ID), want, "account after mutating a returned record")
		list, err := f.s.ListAccounts(f.ctx, a.UserID)
		f.ok(err, "ListAccounts")
		list[0].Active = true
		list[0].Email.Data[2] ^= 0xff
		f.equal(f.getAccount(a.ID), want, "account after mutating a listed record")
		locked, err := f.s.LockAccount(f.ctx, a.ID)
		f.ok(err, "LockAccount")
		locked.Info.Data[1] ^= 0xff
		f.equal(f.getAccount(a.ID), want, "account after mutating a locked record")
		f.accountOpens(f.getAccount(a.ID))

		p := f.newPortfolio(want, "Main", 0)
		f.ok(f.s.CreatePortfolio(f.ctx, p), "CreatePortfolio")
		pw := *p
		p.Name = "mutated"
		gp := f.getPortfolio(p.ID)
		f.equal(gp, &pw, "portfolio after mutating the record passed in")
		gp.Address = "mutated"
		ps, err := f.s.ListPortfolios(f.ctx, a.ID)
		f.ok(err, "ListPortfolios")
		ps[0].Type = "mutated"
		f.equal(f.getPortfolio(p.ID), &pw, "portfolio after mutating returned records")
	}},
}
