package portfolio

import (
	"context"
	"errors"

	"github.com/onboardkit/onboardkit"
)

// The chains of the shipped address providers.
const (
	ChainBitcoin        = "bitcoin"
	ChainBitcoinTestnet = "bitcoin-testnet"
	ChainEthereum       = "ethereum"
)

// AddressRequest asks an [AddressProvider] for the deposit address of one
// portfolio.
type AddressRequest struct {
	// AccountID and PortfolioID identify the portfolio (providers that
	// derive from an extended key ignore them; custodial providers may use
	// them as labels).
	AccountID, PortfolioID string
	// Index is unique for the provider's (Chain, KeyID) across the whole
	// store; it selects the derived child key.
	Index uint32
}

// AddressProvider hands out the deposit address of a portfolio.
// Implementations must be safe for concurrent use.
type AddressProvider interface {
	// Chain names the chain: "bitcoin", "bitcoin-testnet", "ethereum", ….
	Chain() string
	// KeyID is a stable id of the key addresses derive from; the store
	// allocates indexes per (Chain, KeyID), so a new key starts again at 0
	// and the same key never hands out an index twice.
	KeyID() string
	// DepositAddress returns the address for req. The same request always
	// returns the same address.
	DepositAddress(ctx context.Context, req AddressRequest) (Address, error)
}

// IndexAllocator hands out address indexes. storage.Accounts satisfies it.
type IndexAllocator interface {
	// AllocateAddressIndex atomically returns the next unused index for
	// the (chain, keyID) pair, starting at 0.
	AllocateAddressIndex(ctx context.Context, chain, keyID string) (uint32, error)
}

// maxUnusableRetries bounds how many unusable indexes AssignAddress skips.
// An unusable BIP32 child has a probability below 2^-127, so one retry is
// already more than will ever happen.
const maxUnusableRetries = 3

// AssignAddress gives p its deposit address: it allocates an index for the
// provider's (Chain, KeyID), asks the provider for the address and sets
// p.Address, p.KeyID and p.AddressIndex. An index whose child key is
// unusable ([ErrUnusableIndex]) is skipped for the next one. Errors from the
// allocator and provider are returned as they are.
func AssignAddress(ctx context.Context, p *Portfolio, provider AddressProvider, alloc IndexAllocator) error {
	chain, keyID := provider.Chain(), provider.KeyID()
	for attempt := 0; ; attempt++ {
		idx, err := alloc.AllocateAddressIndex(ctx, chain, keyID)
		if err != nil {
			return err
		}
		addr, err := provider.DepositAddress(ctx, AddressRequest{AccountID: p.AccountID, PortfolioID: p.ID, Index: idx})
		if errors.Is(err, ErrUnusableIndex) && attempt < maxUnusableRetries {
			continue
		}
		if err != nil {
			return err
		}
		if addr.Chain != chain || addr.Address == "" {
			return internalError("portfolio: the address provider returned an address of another chain or an empty one")
		}
		p.Address, p.KeyID, p.AddressIndex = addr, keyID, idx
		return nil
	}
}

// ErrUnusableIndex is wrapped by DepositAddress when the child key at the
// index is invalid (BIP32: probability below 2^-127); use the next index.
var ErrUnusableIndex = errors.New("portfolio: the child key at this index is unusable")

// ErrIndexOutOfRange is wrapped by DepositAddress for an index >= 2^31, which
// would be a hardened child that cannot be derived from a public key.
var ErrIndexOutOfRange = errors.New("portfolio: address index out of the non-hardened range")

func indexError(err error) error {
	return &onboardkit.Error{Code: onboardkit.CodeLimitReached,
		Message: "No more deposit addresses can be derived from this key.", Err: err}
}
