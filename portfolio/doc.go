// Package portfolio is the domain of customer accounts and their portfolios:
// the Account and Portfolio records as the API shows them, the portfolio types
// (TRADING, SAVINGS, STAKING and host-defined ones), name and cap validation,
// the KYC gate, the auto-provisioning policy applied on KYC approval, and the
// deposit addresses portfolios are linked to.
//
// # The KYC gate
//
// An account can be created once the user's contact (phone or email) is
// verified ([CanCreateAccount]), but it stays inactive until the user's
// identity verification is active ([NewAccount] takes that fact from the
// caller, which derives it from the user's kyc.Status); approval activates
// every account of the user. A portfolio can only be created for an active
// account of a user whose verification is active ([Planner.NewPortfolio]);
// otherwise the error matches onboardkit.ErrKYCNotActive. The package holds
// no storage: the onboarding Service calls these pure functions and stores
// what they return.
//
// # Deposit addresses
//
// Each portfolio is linked to its own blockchain deposit address, handed out
// by an [AddressProvider]. The package ships two providers deriving addresses
// from an account-level BIP32 extended PUBLIC key, so the server never holds
// a private key: [BitcoinDeriver] (BIP84 native segwit, bc1…/tb1…) and
// [EthereumDeriver] (BIP44 coin type 60, EIP-55 checksummed 0x…). The
// portfolio with address index i gets the external-chain child …/0/i; the
// store allocates indexes per (Chain, KeyID) so no two portfolios share an
// address ([AssignAddress]).
//
// # The gap guarantee
//
// Wallets that watch an extended public key scan addresses in index order
// and stop after a run of unused ones (20 in BIP44), so a long gap would hide
// later deposits. The onboarding Service allocates an index in the same unit
// of work that stores the portfolio, after locking its account: a creation
// that fails (a taken name, the cap, a provider error) rolls back and
// releases its index, which the next creation takes. The indexes used on a
// (Chain, KeyID) therefore form 0, 1, 2, … without gaps; the only exception
// is a child key that cannot be derived ([ErrUnusableIndex], probability
// below 2^-127), which leaves a gap of one.
//
// [DevBitcoinZpub] and [DevEthereumXpub] are PUBLIC TEST KEYS whose private
// keys are known to everyone; they exist for development and examples only.
package portfolio
