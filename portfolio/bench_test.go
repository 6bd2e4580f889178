package portfolio_test

import (
	"context"
	"testing"

	"github.com/onboardkit/onboardkit/portfolio"
)

// BenchmarkDepositAddress measures one portfolio address derivation: one
// BIP32 public child derivation plus the chain's encoding.
func BenchmarkDepositAddress(b *testing.B) {
	btc, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub)
	if err != nil {
		b.Fatal(err)
	}
	eth, err := portfolio.NewEthereumDeriver(portfolio.DevEthereumXpub)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, p := range []portfolio.AddressProvider{btc, eth} {
		b.Run(p.Chain(), func(b *testing.B) {
			b.ReportAllocs()
			var i uint32
			for b.Loop() {
				if _, err := p.DepositAddress(ctx, portfolio.AddressRequest{Index: i}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkNewDeriver measures parsing a key and caching its chains (done
// once at start-up).
func BenchmarkNewDeriver(b *testing.B) {
	b.Run("bitcoin", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ethereum", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := portfolio.NewEthereumDeriver(portfolio.DevEthereumXpub); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkNewPortfolio measures the gate and validation of one request.
func BenchmarkNewPortfolio(b *testing.B) {
	p, err := portfolio.NewPlanner(portfolio.Config{})
	if err != nil {
		b.Fatal(err)
	}
	req := portfolio.NewPortfolioRequest{ID: "p1", AccountID: "a1", UserID: "u1", Name: " Long term ", Type: "savings",
		KYCActive: true, AccountActive: true, Existing: 3}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.NewPortfolio(req); err != nil {
			b.Fatal(err)
		}
	}
}
