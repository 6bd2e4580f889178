package portfolio_test

import (
	"errors"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/portfolio"
)

// nonActive are the verification statuses that must keep the gate closed,
// including the case and space variants of "active" (statuses are exact).
var nonActive = []string{
	"not_started", "init", "under_review", "waiting_for_information", "rejected", "inactive",
	"", "ACTIVE", "Active", " active", "approved",
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestCanCreateAccount(t *testing.T) {
	mustNoErr(t, portfolio.CanCreateAccount(true))
	err := portfolio.CanCreateAccount(false)
	mustCode(t, err, onboardkit.CodeInvalidTransition)
	if !errors.Is(err, onboardkit.ErrInvalidTransition) {
		t.Fatal("not ErrInvalidTransition")
	}
}

func TestAccountActive(t *testing.T) {
	if !portfolio.AccountActive(portfolio.VerificationActive) {
		t.Fatal("active must activate")
	}
	for _, s := range nonActive {
		if portfolio.AccountActive(s) {
			t.Errorf("status %q activates accounts", s)
		}
	}
}

func TestNewAccount(t *testing.T) {
	t.Run("contact not verified", func(t *testing.T) {
		_, err := portfolio.NewAccount("a1", "u1", false, "active", t0)
		mustCode(t, err, onboardkit.CodeInvalidTransition)
	})
	for _, s := range nonActive {
		t.Run("inactive/"+s, func(t *testing.T) {
			a, err := portfolio.NewAccount("a1", "u1", true, s, t0)
			mustNoErr(t, err)
			mustEqual(t, portfolio.Account{ID: "a1", UserID: "u1", Active: false, CreatedAt: t0, Portfolios: []portfolio.Portfolio{}}, a)
		})
	}
	t.Run("active", func(t *testing.T) {
		a, err := portfolio.NewAccount("a1", "u1", true, "active", t0)
		mustNoErr(t, err)
		if !a.Active {
			t.Fatal("account not active")
		}
	})
	t.Run("missing ids", func(t *testing.T) {
		_, err := portfolio.NewAccount("", "u1", true, "active", t0)
		mustCode(t, err, onboardkit.CodeInternal)
	})
}

func TestCanCreatePortfolioGate(t *testing.T) {
	p, err := portfolio.NewPlanner(portfolio.DefaultConfig())
	mustNoErr(t, err)
	for _, s := range nonActive {
		for _, active := range []bool{false, true} {
			err := p.CanCreatePortfolio(s, active, 0)
			mustCode(t, err, onboardkit.CodeKYCNotActive)
			if !errors.Is(err, onboardkit.ErrKYCNotActive) {
				t.Fatalf("%q: not ErrKYCNotActive", s)
			}
		}
	}
	// Verification active but the account not activated yet: still closed.
	mustCode(t, p.CanCreatePortfolio("active", false, 0), onboardkit.CodeKYCNotActive)
	mustNoErr(t, p.CanCreatePortfolio("active", true, 0))
	mustNoErr(t, p.CanCreatePortfolio("active", true, 19))
	err = p.CanCreatePortfolio("active", true, 20)
	mustCode(t, err, onboardkit.CodeLimitReached)
	if !errors.Is(err, onboardkit.ErrLimitReached) {
		t.Fatal("not ErrLimitReached")
	}
	// The gate comes before the cap.
	mustCode(t, p.CanCreatePortfolio("under_review", true, 20), onboardkit.CodeKYCNotActive)
}

func TestNewPortfolioGate(t *testing.T) {
	p, err := portfolio.NewPlanner(portfolio.DefaultConfig())
	mustNoErr(t, err)
	for _, s := range nonActive {
		_, err := p.NewPortfolio(portfolio.NewPortfolioRequest{
			ID: "p1", AccountID: "a1", UserID: "u1", Name: "Main", Type: "TRADING",
			VerificationStatus: s, AccountActive: true,
		})
		mustCode(t, err, onboardkit.CodeKYCNotActive)
	}
}
