package portfolio_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/portfolio"
)

// Deriving the BIP84 receive addresses of the public development zpub.
func ExampleNewBitcoinDeriver() {
	d, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub) // PUBLIC TEST KEY
	if err != nil {
		panic(err)
	}
	for i := uint32(0); i < 2; i++ {
		a, err := d.DepositAddress(context.Background(), portfolio.AddressRequest{Index: i})
		if err != nil {
			panic(err)
		}
		fmt.Println(a.Chain, a.DerivationPath, a.Address)
	}
	// Output:
	// bitcoin m/84'/0'/0'/0/0 bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu
	// bitcoin m/84'/0'/0'/0/1 bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g
}

// Deriving an Ethereum address from the public development xpub.
func ExampleNewEthereumDeriver() {
	d, err := portfolio.NewEthereumDeriver(portfolio.DevEthereumXpub) // PUBLIC TEST KEY
	if err != nil {
		panic(err)
	}
	a, err := d.DepositAddress(context.Background(), portfolio.AddressRequest{Index: 0})
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Chain, a.DerivationPath, a.Address)
	// Output: ethereum m/44'/60'/0'/0/0 0x9858EfFD232B4033E47d90003D41EC34EcaEda94
}

// A private key is refused without echoing it.
func ExampleNewBitcoinDeriver_privateKey() {
	_, err := portfolio.NewBitcoinDeriver("xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi")
	fmt.Println(errors.Is(err, portfolio.ErrKeyPrivate), errors.Is(err, onboardkit.ErrValidation))
	fmt.Println(err)
	// Output:
	// true true
	// validation: The extended public key is not valid: it is an extended private key (xprv); configure the account-level extended PUBLIC key and keep private keys off the server. (extendedKey: private_key)
}

type memAllocator struct{ next map[string]uint32 }

func (m *memAllocator) AllocateAddressIndex(_ context.Context, chain, keyID string) (uint32, error) {
	i := m.next[chain+keyID]
	m.next[chain+keyID] = i + 1
	return i, nil
}

// The Service's flow for POST /v1/portfolios: gate and validate, then give
// the portfolio its address, then store it.
func ExamplePlanner_NewPortfolio() {
	planner, err := portfolio.NewPlanner(portfolio.Config{})
	if err != nil {
		panic(err)
	}
	req := portfolio.NewPortfolioRequest{
		ID: "pf_1", AccountID: "acc_1", UserID: "usr_1", Name: "  Savings ", Type: "savings",
		KYCActive: false, AccountActive: false,
		CreatedAt: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	}
	_, err = planner.NewPortfolio(req)
	fmt.Println(errors.Is(err, onboardkit.ErrKYCNotActive))

	req.KYCActive, req.AccountActive = true, true
	p, err := planner.NewPortfolio(req)
	if err != nil {
		panic(err)
	}
	provider, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub)
	if err != nil {
		panic(err)
	}
	if err := portfolio.AssignAddress(context.Background(), &p, provider, &memAllocator{next: map[string]uint32{}}); err != nil {
		panic(err)
	}
	fmt.Printf("%q %s %s %d\n", p.Name, p.Type, p.Address.Address, p.AddressIndex)
	// Output:
	// true
	// "Savings" SAVINGS bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu 0
}

// On KYC approval: what auto-provisioning asks for.
func ExamplePlanner_ProvisionPlan() {
	planner, err := portfolio.NewPlanner(portfolio.Config{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", planner.ProvisionPlan(nil))
	fmt.Printf("%+v\n", planner.ProvisionPlan([]portfolio.Account{{ID: "acc_1"}}))
	fmt.Printf("%+v\n", planner.ProvisionPlan([]portfolio.Account{{ID: "acc_1", TradingPortfolioID: "pf_1"}}))
	// Output:
	// {CreateAccount:true AccountID: CreateTrading:true TradingName:Trading LinkTradingID:}
	// {CreateAccount:false AccountID:acc_1 CreateTrading:true TradingName:Trading LinkTradingID:}
	// {CreateAccount:false AccountID: CreateTrading:false TradingName: LinkTradingID:}
}

// The account gate: created once the contact is verified, active once KYC is.
func ExampleNewAccount() {
	_, err := portfolio.NewAccount("acc_1", "usr_1", false, false, time.Time{})
	fmt.Println(errors.Is(err, onboardkit.ErrInvalidTransition))
	a, _ := portfolio.NewAccount("acc_1", "usr_1", true, false, time.Time{})
	b, _ := portfolio.NewAccount("acc_2", "usr_1", true, true, time.Time{})
	fmt.Println(a.Active, b.Active)
	// Output:
	// true
	// false true
}
