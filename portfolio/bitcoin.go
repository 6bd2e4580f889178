package portfolio

import (
	"context"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
)

// Default BIP84 account paths.
const (
	DefaultBitcoinAccountPath        = "m/84'/0'/0'"
	DefaultBitcoinTestnetAccountPath = "m/84'/1'/0'"
)

// BitcoinDeriver is an [AddressProvider] of BIP84 native segwit (P2WPKH)
// addresses, bc1q… on mainnet and tb1q… on testnet, derived from an
// account-level extended public key: index i gives the receive address
// <account path>/0/i. It holds no private key and is safe for concurrent
// use.
type BitcoinDeriver struct {
	chain  string
	keyID  string
	params *chaincfg.Params
	keys   chainKeys
}

var _ AddressProvider = (*BitcoinDeriver)(nil)

// NewBitcoinDeriver parses an account-level extended public key and returns
// a deriver for it. Accepted prefixes: zpub or xpub (mainnet), vpub or tpub
// (testnet); the network follows the prefix unless [WithNetwork] is given.
// The key must sit at the account path (default m/84'/0'/0' on mainnet,
// m/84'/1'/0' on testnet; see [WithAccountPath]). Private keys, other
// versions (ypub, multisig Zpub…), bad checksums and malformed strings are
// rejected with an *onboardkit.Error (code validation) wrapping ErrKey…;
// the message never contains the key.
func NewBitcoinDeriver(extendedKey string, opts ...Option) (*BitcoinDeriver, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	pk, err := parseExtendedPublicKey(extendedKey, []string{"zpub", "xpub", "vpub", "tpub"}, o.network)
	if err != nil {
		return nil, err
	}
	d := &BitcoinDeriver{keyID: pk.keyID}
	defPath := DefaultBitcoinAccountPath
	if pk.net == Testnet {
		d.chain, d.params, defPath = ChainBitcoinTestnet, &chaincfg.TestNet3Params, DefaultBitcoinTestnetAccountPath
	} else {
		d.chain, d.params = ChainBitcoin, &chaincfg.MainNetParams
	}
	if o.accountPath == "" {
		o.accountPath = defPath
	}
	path, err := parsePath(o.accountPath)
	if err != nil {
		return nil, err
	}
	if err := checkDepth(pk.key, path); err != nil {
		return nil, err
	}
	if d.keys, err = newChainKeys(pk.key, path); err != nil {
		return nil, err
	}
	return d, nil
}

// Chain returns "bitcoin" or "bitcoin-testnet".
func (d *BitcoinDeriver) Chain() string { return d.chain }

// KeyID returns the hex of the first 8 bytes of the SHA-256 of the key's
// 78-byte BIP32 serialization with its version normalized to xpub/tpub, so
// the zpub and the xpub of one key share an id (and an index sequence).
func (d *BitcoinDeriver) KeyID() string { return d.keyID }

// AccountPath returns the BIP32 path of the account key, e.g. "m/84'/0'/0'".
func (d *BitcoinDeriver) AccountPath() string { return d.keys.path.String() }

// DepositAddress returns the receive address <account path>/0/req.Index. An
// index >= 2^31 returns an error wrapping [ErrIndexOutOfRange]; an
// unusable child (probability < 2^-127) one wrapping [ErrUnusableIndex].
func (d *BitcoinDeriver) DepositAddress(ctx context.Context, req AddressRequest) (Address, error) {
	if err := ctx.Err(); err != nil {
		return Address{}, err
	}
	return d.address(false, req.Index)
}

// address derives the P2WPKH address of …/0/index (change false) or
// …/1/index (change true).
func (d *BitcoinDeriver) address(change bool, index uint32) (Address, error) {
	pub, path, err := d.keys.child(change, index)
	if err != nil {
		return Address{}, err
	}
	a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub.SerializeCompressed()), d.params)
	if err != nil {
		return Address{}, internalError("portfolio: " + err.Error())
	}
	return Address{Chain: d.chain, Address: a.EncodeAddress(), DerivationPath: path}, nil
}
