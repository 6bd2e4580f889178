package portfolio_test

import (
	"errors"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/portfolio"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestCanCreateAccount(t *testing.T) {
	mustNoErr(t, portfolio.CanCreateAccount(true))
	err := portfolio.CanCreateAccount(false)
	mustCode(t, err, onboardkit.CodeInvalidTransition)
	if !errors.Is(err, onboardkit.ErrInvalidTransition) {
		t.Fatal("not ErrInvalidTransition")
	}
}

func TestNewAccount(t *testing.T) {
	t.Run("contact not verified", func(t *testing.T) {
		_, err := portfolio.NewAccount("a1", "u1", false, true, t0)
		mustCode(t, err, onboardkit.CodeInvalidTransition)
	})
	t.Run("kyc not active", func(t *testing.T) {
		a, err := portfolio.NewAccount("a1", "u1", true, false, t0)
		mustNoErr(t, err)
		mustEqual(t, portfolio.Account{ID: "a1", UserID: "u1", Active: false, CreatedAt: t0, Portfolios: []portfolio.Portfolio{}}, a)
	})
	t.Run("active", func(t *testing.T) {
		a, err := portfolio.NewAccount("a1", "u1", true, true, t0)
		mustNoErr(t, err)
		if !a.Active {
			t.Fatal("account not active")
		}
	})
	t.Run("missing ids", func(t *testing.T) {
		_, err := portfolio.NewAccount("", "u1", true, true, t0)
		mustCode(t, err, onboardkit.CodeInternal)
	})
}

func TestNewPortfolioGateAndCap(t *testing.T) {
	p, err := portfolio.NewPlanner(portfolio.Config{})
	mustNoErr(t, err)
	req := func(kycActive, accountActive bool, existing int) portfolio.NewPortfolioRequest {
		return portfolio.NewPortfolioRequest{ID: "p1", AccountID: "a1", UserID: "u1", Name: "Main", Type: "TRADING",
			KYCActive: kycActive, AccountActive: accountActive, Existing: existing}
	}
	for _, active := range []bool{false, true} {
		_, err := p.NewPortfolio(req(false, active, 0))
		mustCode(t, err, onboardkit.CodeKYCNotActive)
		if !errors.Is(err, onboardkit.ErrKYCNotActive) {
			t.Fatal("not ErrKYCNotActive")
		}
	}
	// Verification active but the account not activated yet: still closed.
	_, err = p.NewPortfolio(req(true, false, 0))
	mustCode(t, err, onboardkit.CodeKYCNotActive)
	for _, n := range []int{0, 19} {
		_, err = p.NewPortfolio(req(true, true, n))
		mustNoErr(t, err)
	}
	_, err = p.NewPortfolio(req(true, true, 20))
	mustCode(t, err, onboardkit.CodeLimitReached)
	if !errors.Is(err, onboardkit.ErrLimitReached) {
		t.Fatal("not ErrLimitReached")
	}
	// The gate comes before the cap.
	_, err = p.NewPortfolio(req(false, true, 20))
	mustCode(t, err, onboardkit.CodeKYCNotActive)
}
