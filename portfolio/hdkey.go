package portfolio

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/onboardkit/onboardkit"
)

// Network selects Bitcoin main net or test net.
type Network string

// The networks.
const (
	Mainnet Network = "mainnet"
	Testnet Network = "testnet"
)

// Option configures a deriver.
type Option func(*deriverOptions)

type deriverOptions struct {
	network     Network
	accountPath string
}

// WithNetwork requires the extended key to be for the network n; a key of
// the other network is rejected ([ErrKeyNetwork]). Without it a Bitcoin
// deriver takes the network from the key's prefix (xpub/zpub: mainnet,
// tpub/vpub: testnet). The Ethereum deriver accepts only Mainnet.
func WithNetwork(n Network) Option { return func(o *deriverOptions) { o.network = n } }

// WithAccountPath sets the BIP32 path of the extended key, used in the
// DerivationPath of addresses and checked against the key: its depth must
// equal the number of path steps and its child number the last step.
// Hardened steps are written with ', h or H ("m/84'/0'/1'"). Defaults:
// m/84'/0'/0' (Bitcoin mainnet), m/84'/1'/0' (Bitcoin testnet),
// m/44'/60'/0' (Ethereum).
func WithAccountPath(path string) Option { return func(o *deriverOptions) { o.accountPath = path } }

// Errors wrapped (Err) by the *onboardkit.Error (code validation, field
// "extendedKey") a deriver constructor returns for a bad key; test with
// errors.Is. Messages never repeat the key.
var (
	// ErrKeyMalformed: empty, not base58, or not 82 bytes once decoded, or
	// its public key is not a point of secp256k1.
	ErrKeyMalformed = errors.New("portfolio: malformed extended key")
	// ErrKeyChecksum: the base58check checksum does not match (a typo).
	ErrKeyChecksum = errors.New("portfolio: extended key checksum mismatch")
	// ErrKeyPrivate: the key is an extended PRIVATE key (xprv, zprv, tprv,
	// vprv…). The server must only hold public keys.
	ErrKeyPrivate = errors.New("portfolio: extended private key refused")
	// ErrKeyVersion: the version prefix is unknown or not the kind this
	// deriver takes (e.g. ypub for the BIP84 deriver, zpub for Ethereum).
	ErrKeyVersion = errors.New("portfolio: unsupported extended key version")
	// ErrKeyNetwork: the key is for another network than WithNetwork asks.
	ErrKeyNetwork = errors.New("portfolio: extended key of the wrong network")
	// ErrKeyDepth: the key's depth or child number does not match the
	// account path (e.g. a master or address-level key).
	ErrKeyDepth = errors.New("portfolio: extended key is not at the account path")
	// ErrAccountPath: the WithAccountPath value is not a BIP32 path.
	ErrAccountPath = errors.New("portfolio: invalid account path")
)

func keyError(sentinel error, code onboardkit.FieldCode, msg string) error {
	return &onboardkit.Error{
		Code:    onboardkit.CodeValidation,
		Message: "The extended public key is not valid: " + msg,
		Fields:  []onboardkit.FieldError{{Field: "extendedKey", Code: code, Message: msg}},
		Err:     sentinel,
	}
}

type keyVersion struct {
	name    string // "xpub", …
	private bool
	net     Network
}

// knownVersions are the SLIP-132 version bytes a user is likely to paste.
var knownVersions = map[[4]byte]keyVersion{
	{0x04, 0x88, 0xb2, 0x1e}: {"xpub", false, Mainnet},
	{0x04, 0x88, 0xad, 0xe4}: {"xprv", true, Mainnet},
	{0x04, 0x9d, 0x7c, 0xb2}: {"ypub", false, Mainnet},
	{0x04, 0x9d, 0x78, 0x78}: {"yprv", true, Mainnet},
	{0x04, 0xb2, 0x47, 0x46}: {"zpub", false, Mainnet},
	{0x04, 0xb2, 0x43, 0x0c}: {"zprv", true, Mainnet},
	{0x02, 0x95, 0xb4, 0x3f}: {"Ypub", false, Mainnet},
	{0x02, 0x95, 0xb0, 0x05}: {"Yprv", true, Mainnet},
	{0x02, 0xaa, 0x7e, 0xd3}: {"Zpub", false, Mainnet},
	{0x02, 0xaa, 0x7a, 0x99}: {"Zprv", true, Mainnet},
	{0x04, 0x35, 0x87, 0xcf}: {"tpub", false, Testnet},
	{0x04, 0x35, 0x83, 0x94}: {"tprv", true, Testnet},
	{0x04, 0x4a, 0x52, 0x62}: {"upub", false, Testnet},
	{0x04, 0x4a, 0x4e, 0x28}: {"uprv", true, Testnet},
	{0x04, 0x5f, 0x1c, 0xf6}: {"vpub", false, Testnet},
	{0x04, 0x5f, 0x18, 0xbc}: {"vprv", true, Testnet},
	{0x02, 0x42, 0x89, 0xef}: {"Upub", false, Testnet},
	{0x02, 0x42, 0x85, 0xb5}: {"Uprv", true, Testnet},
	{0x02, 0x57, 0x54, 0x83}: {"Vpub", false, Testnet},
	{0x02, 0x57, 0x50, 0x48}: {"Vprv", true, Testnet},
}

// canonicalVersion is the BIP32 public version (xpub/tpub) hdkeychain works
// with, whatever prefix the user pasted.
var canonicalVersion = map[Network][4]byte{
	Mainnet: {0x04, 0x88, 0xb2, 0x1e},
	Testnet: {0x04, 0x35, 0x87, 0xcf},
}

const serializedKeyLen = 78 // version 4, depth 1, parent fp 4, child 4, chain code 32, key 33

// parsedKey is a validated account-level extended public key.
type parsedKey struct {
	key     *hdkeychain.ExtendedKey // canonical xpub/tpub version
	net     Network
	version string // the prefix the user gave ("zpub")
	keyID   string
}

// parseExtendedPublicKey decodes s and checks everything but the depth:
// encoding, checksum, public (not private), a version among accept (by
// name), the network when want is set, and a valid curve point.
func parseExtendedPublicKey(s string, accept []string, want Network) (*parsedKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, keyError(ErrKeyMalformed, onboardkit.FieldRequired, "no key was given.")
	}
	raw := base58.Decode(s)
	if len(raw) != serializedKeyLen+4 {
		return nil, keyError(ErrKeyMalformed, onboardkit.FieldMalformed,
			"it is not a base58 extended key of the expected length (check for a truncated or mistyped key).")
	}
	payload, sum := raw[:serializedKeyLen], raw[serializedKeyLen:]
	if !bytes.Equal(doubleSHA256(payload)[:4], sum) {
		return nil, keyError(ErrKeyChecksum, onboardkit.FieldBadChecksum, "its checksum does not match (the key is mistyped).")
	}
	var ver [4]byte
	copy(ver[:], payload[:4])
	kv, known := knownVersions[ver]
	keyData := payload[45:78]
	if kv.private || keyData[0] == 0x00 {
		name := "an extended private key"
		if known {
			name = "an extended private key (" + kv.name + ")"
		}
		return nil, keyError(ErrKeyPrivate, onboardkit.FieldPrivateKey,
			"it is "+name+"; configure the account-level extended PUBLIC key and keep private keys off the server.")
	}
	if !known {
		return nil, keyError(ErrKeyVersion, onboardkit.FieldUnsupportedVersion,
			"its version prefix is unknown; expected one of "+strings.Join(accept, ", ")+".")
	}
	if !contains(accept, kv.name) {
		return nil, keyError(ErrKeyVersion, onboardkit.FieldUnsupportedVersion,
			"a "+kv.name+" key is not accepted here; expected one of "+strings.Join(accept, ", ")+".")
	}
	if want != "" && kv.net != want {
		return nil, keyError(ErrKeyNetwork, onboardkit.FieldWrongNetwork,
			fmt.Sprintf("a %s key is for %s but %s is configured.", kv.name, kv.net, want))
	}
	if _, err := btcec.ParsePubKey(keyData); err != nil {
		return nil, keyError(ErrKeyMalformed, onboardkit.FieldInvalidPublicKey, "its public key is not a valid secp256k1 point.")
	}
	canon := canonicalVersion[kv.net]
	canonical := make([]byte, serializedKeyLen)
	copy(canonical, payload)
	copy(canonical[:4], canon[:])
	id := sha256.Sum256(canonical)
	key := hdkeychain.NewExtendedKey(canon[:], append([]byte(nil), keyData...),
		append([]byte(nil), payload[13:45]...), append([]byte(nil), payload[5:9]...),
		payload[4], binary.BigEndian.Uint32(payload[9:13]), false)
	return &parsedKey{key: key, net: kv.net, version: kv.name, keyID: hex.EncodeToString(id[:8])}, nil
}

func doubleSHA256(b []byte) []byte {
	h := sha256.Sum256(b)
	h = sha256.Sum256(h[:])
	return h[:]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// bip32Path is a parsed derivation path; hardened steps carry the
// hdkeychain.HardenedKeyStart bit.
type bip32Path []uint32

// parsePath parses "m/84'/0'/0'" (', h or H for hardened).
func parsePath(s string) (bip32Path, error) {
	bad := func(msg string) error {
		return &onboardkit.Error{Code: onboardkit.CodeValidation,
			Message: "The account path is not valid: " + msg,
			Fields:  []onboardkit.FieldError{{Field: "accountPath", Code: onboardkit.FieldInvalidFormat, Message: msg}},
			Err:     ErrAccountPath}
	}
	parts := strings.Split(strings.TrimSpace(s), "/")
	if parts[0] != "m" {
		return nil, bad(`it must start with "m".`)
	}
	if len(parts)-1 > 255 {
		return nil, bad("it has more than 255 steps.")
	}
	p := make(bip32Path, 0, len(parts)-1)
	for _, part := range parts[1:] {
		hardened := false
		if n := len(part); n > 0 && (part[n-1] == '\'' || part[n-1] == 'h' || part[n-1] == 'H') {
			hardened, part = true, part[:n-1]
		}
		if part == "" || part[0] == '+' || part[0] == '-' {
			return nil, bad("each step is a number, optionally followed by ' for hardened.")
		}
		v, err := strconv.ParseUint(part, 10, 31)
		if err != nil {
			return nil, bad("each step is a number below 2^31, optionally followed by ' for hardened.")
		}
		if hardened {
			v += hdkeychain.HardenedKeyStart
		}
		p = append(p, uint32(v))
	}
	return p, nil
}

// String renders the path with ' for hardened steps.
func (p bip32Path) String() string {
	var b strings.Builder
	b.WriteByte('m')
	for _, v := range p {
		b.WriteByte('/')
		if v >= hdkeychain.HardenedKeyStart {
			b.WriteString(strconv.FormatUint(uint64(v-hdkeychain.HardenedKeyStart), 10))
			b.WriteByte('\'')
		} else {
			b.WriteString(strconv.FormatUint(uint64(v), 10))
		}
	}
	return b.String()
}

// checkDepth verifies the key sits at path: same depth and, below the
// master, the same last child number.
func checkDepth(k *hdkeychain.ExtendedKey, path bip32Path) error {
	if int(k.Depth()) != len(path) {
		return keyError(ErrKeyDepth, onboardkit.FieldWrongDepth, fmt.Sprintf(
			"it is at depth %d but an account-level key at %s (depth %d) is expected; export the account xpub, or set the account path.",
			k.Depth(), path, len(path)))
	}
	if len(path) > 0 && k.ChildIndex() != path[len(path)-1] {
		return keyError(ErrKeyDepth, onboardkit.FieldPathMismatch, fmt.Sprintf(
			"its child number does not match the last step of the account path %s; set the account path of this key.", path))
	}
	return nil
}

// chainKeys holds the cached account key and its external (0) and internal
// (1) chain children, so that each address costs one child derivation.
type chainKeys struct {
	path     bip32Path
	external *hdkeychain.ExtendedKey
	internal *hdkeychain.ExtendedKey
	prefix   [2]string // "m/84'/0'/0'/0/", "m/84'/0'/0'/1/"
}

func newChainKeys(k *hdkeychain.ExtendedKey, path bip32Path) (chainKeys, error) {
	ext, err := k.Derive(0)
	if err != nil {
		return chainKeys{}, keyError(ErrKeyMalformed, onboardkit.FieldUnusableKey, "its external chain (/0) cannot be derived; use another account.")
	}
	in, err := k.Derive(1)
	if err != nil {
		return chainKeys{}, keyError(ErrKeyMalformed, onboardkit.FieldUnusableKey, "its internal chain (/1) cannot be derived; use another account.")
	}
	ps := path.String()
	return chainKeys{path: path, external: ext, internal: in, prefix: [2]string{ps + "/0/", ps + "/1/"}}, nil
}

// child derives the public key of …/change/index, compressed.
func (c chainKeys) child(change bool, index uint32) (*btcec.PublicKey, string, error) {
	if index >= hdkeychain.HardenedKeyStart {
		return nil, "", indexError(ErrIndexOutOfRange)
	}
	parent, branch := c.external, uint32(0)
	if change {
		parent, branch = c.internal, 1
	}
	k, err := parent.Derive(index)
	if err != nil {
		return nil, "", &onboardkit.Error{Code: onboardkit.CodeInternal,
			Message: "The deposit address could not be derived; try again.", Err: fmt.Errorf("%w: %v", ErrUnusableIndex, err)}
	}
	pub, err := k.ECPubKey()
	if err != nil {
		return nil, "", &onboardkit.Error{Code: onboardkit.CodeInternal,
			Message: "The deposit address could not be derived; try again.", Err: fmt.Errorf("%w: %v", ErrUnusableIndex, err)}
	}
	return pub, c.prefix[branch] + strconv.FormatUint(uint64(index), 10), nil
}

func buildOptions(opts []Option) (deriverOptions, error) {
	var o deriverOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.network != "" && o.network != Mainnet && o.network != Testnet {
		return o, &onboardkit.Error{Code: onboardkit.CodeValidation,
			Message: "The network is not valid: use mainnet or testnet.",
			Fields:  []onboardkit.FieldError{{Field: "network", Code: onboardkit.FieldUnsupported, Message: "Use mainnet or testnet."}}}
	}
	return o, nil
}
