package portfolio

import (
	"context"
	"encoding/hex"

	"github.com/onboardkit/onboardkit"
	"golang.org/x/crypto/sha3"
)

// DefaultEthereumAccountPath is the default BIP44 account path of Ethereum.
const DefaultEthereumAccountPath = "m/44'/60'/0'"

// EthereumDeriver is an [AddressProvider] of Ethereum addresses (EIP-55
// checksummed 0x…) derived from an account-level extended public key: index
// i gives <account path>/0/i, the address being the last 20 bytes of the
// Keccak-256 of the uncompressed public key. It holds no private key and is
// safe for concurrent use.
type EthereumDeriver struct {
	keyID string
	keys  chainKeys
}

var _ AddressProvider = (*EthereumDeriver)(nil)

// NewEthereumDeriver parses a standard xpub at the account path (default
// m/44'/60'/0'; see [WithAccountPath]) and returns a deriver for it. Only
// the xpub prefix is accepted ([WithNetwork] may only say Mainnet); bad
// keys are rejected as by [NewBitcoinDeriver].
func NewEthereumDeriver(extendedKey string, opts ...Option) (*EthereumDeriver, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.network == Testnet {
		return nil, keyError(ErrKeyNetwork, onboardkit.FieldWrongNetwork,
			"the Ethereum deriver takes a mainnet xpub (Ethereum test networks use the same addresses).")
	}
	pk, err := parseExtendedPublicKey(extendedKey, []string{"xpub"}, Mainnet)
	if err != nil {
		return nil, err
	}
	if o.accountPath == "" {
		o.accountPath = DefaultEthereumAccountPath
	}
	path, err := parsePath(o.accountPath)
	if err != nil {
		return nil, err
	}
	if err := checkDepth(pk.key, path); err != nil {
		return nil, err
	}
	d := &EthereumDeriver{keyID: pk.keyID}
	if d.keys, err = newChainKeys(pk.key, path); err != nil {
		return nil, err
	}
	return d, nil
}

// Chain returns "ethereum".
func (d *EthereumDeriver) Chain() string { return ChainEthereum }

// KeyID returns the hex of the first 8 bytes of the SHA-256 of the key's
// 78-byte BIP32 serialization.
func (d *EthereumDeriver) KeyID() string { return d.keyID }

// AccountPath returns the BIP32 path of the account key, e.g. "m/44'/60'/0'".
func (d *EthereumDeriver) AccountPath() string { return d.keys.path.String() }

// DepositAddress returns the address <account path>/0/req.Index. Errors are
// as for [BitcoinDeriver.DepositAddress].
func (d *EthereumDeriver) DepositAddress(ctx context.Context, req AddressRequest) (Address, error) {
	if err := ctx.Err(); err != nil {
		return Address{}, err
	}
	pub, path, err := d.keys.child(false, req.Index)
	if err != nil {
		return Address{}, err
	}
	uncompressed := pub.SerializeUncompressed() // 0x04 || X || Y
	h := sha3.NewLegacyKeccak256()
	h.Write(uncompressed[1:])
	var sum [32]byte
	h.Sum(sum[:0])
	return Address{Chain: ChainEthereum, Address: eip55(sum[12:]), DerivationPath: path}, nil
}

// eip55 renders a 20-byte address as 0x-prefixed hex with the EIP-55 mixed
// case checksum: a letter is upper-case when the matching nibble of the
// Keccak-256 of the lower-case hex is >= 8.
func eip55(addr []byte) string {
	var buf [42]byte
	buf[0], buf[1] = '0', 'x'
	hex.Encode(buf[2:], addr)
	h := sha3.NewLegacyKeccak256()
	h.Write(buf[2:])
	var sum [32]byte
	h.Sum(sum[:0])
	for i := 2; i < len(buf); i++ {
		c := buf[i]
		if c < 'a' {
			continue
		}
		nibble := sum[(i-2)/2]
		if (i-2)%2 == 0 {
			nibble >>= 4
		}
		if nibble&0x0f >= 8 {
			buf[i] = c - 32
		}
	}
	return string(buf[:])
}
