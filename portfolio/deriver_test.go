package portfolio_test

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/portfolio"
)

const (
	testMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	// BIP32 test vector 1.
	v1Master  = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"
	v1MasterX = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"
	v1Depth3  = "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5" // m/0H/1/2H
)

// payload decodes a base58check extended key to its 78-byte payload.
func payload(t testing.TB, key string) []byte {
	t.Helper()
	raw := base58.Decode(key)
	if len(raw) != 82 {
		t.Fatalf("bad test key length %d", len(raw))
	}
	return append([]byte(nil), raw[:78]...)
}

// encode base58check-encodes a 78-byte payload.
func encode(p []byte) string {
	h := sha256.Sum256(p)
	h = sha256.Sum256(h[:])
	return base58.Encode(append(append([]byte(nil), p...), h[:4]...))
}

func withVersion(t testing.TB, key string, v ...byte) string {
	p := payload(t, key)
	copy(p, v)
	return encode(p)
}

// accountKey derives the private key at m/<hardened steps> of the test
// mnemonic.
func accountKey(t testing.TB, net *chaincfg.Params, steps ...uint32) *hdkeychain.ExtendedKey {
	t.Helper()
	seed, err := pbkdf2.Key(sha512.New, testMnemonic, []byte("mnemonic"), 2048, 64)
	mustNoErr(t, err)
	k, err := hdkeychain.NewMaster(seed, net)
	mustNoErr(t, err)
	for _, s := range steps {
		k, err = k.Derive(hdkeychain.HardenedKeyStart + s)
		mustNoErr(t, err)
	}
	return k
}

func TestInvalidExtendedKeys(t *testing.T) {
	xprv84 := accountKey(t, &chaincfg.MainNetParams, 84, 0, 0).String()
	tprv84 := accountKey(t, &chaincfg.TestNet3Params, 84, 1, 0).String()
	tpubKey, err := accountKey(t, &chaincfg.TestNet3Params, 84, 1, 0).Neuter()
	mustNoErr(t, err)
	tpub84 := tpubKey.String()
	zprv84 := withVersion(t, xprv84, 0x04, 0xb2, 0x43, 0x0c)
	vprv84 := withVersion(t, tprv84, 0x04, 0x5f, 0x18, 0xbc)
	// A typo in the middle keeps the length but breaks the checksum.
	typo := []byte(portfolio.DevBitcoinZpub)
	if typo[60] == 'a' {
		typo[60] = 'b'
	} else {
		typo[60] = 'a'
	}
	// An xprv payload relabelled as xpub: private key data under a public
	// version.
	disguised := withVersion(t, xprv84, 0x04, 0xb2, 0x47, 0x46)
	notOnCurve := payload(t, portfolio.DevBitcoinZpub)
	for i := 46; i < 78; i++ {
		notOnCurve[i] = 0xff // x >= p
	}

	btc := func(opts ...portfolio.Option) func(string) error {
		return func(k string) error { _, err := portfolio.NewBitcoinDeriver(k, opts...); return err }
	}
	eth := func(opts ...portfolio.Option) func(string) error {
		return func(k string) error { _, err := portfolio.NewEthereumDeriver(k, opts...); return err }
	}
	tests := []struct {
		name     string
		ctor     func(string) error
		key      string
		sentinel error
		field    string
	}{
		{"empty", btc(), "", portfolio.ErrKeyMalformed, "required"},
		{"blank", eth(), "  \n", portfolio.ErrKeyMalformed, "required"},
		{"garbage", btc(), "hello world", portfolio.ErrKeyMalformed, "malformed"},
		{"not base58", btc(), "zpub0OIl" + portfolio.DevBitcoinZpub[8:], portfolio.ErrKeyMalformed, "malformed"},
		{"truncated", btc(), portfolio.DevBitcoinZpub[:100], portfolio.ErrKeyMalformed, "malformed"},
		{"too long", btc(), portfolio.DevBitcoinZpub + "z", portfolio.ErrKeyMalformed, "malformed"},
		{"bad checksum", btc(), string(typo), portfolio.ErrKeyChecksum, "bad_checksum"},
		{"bad checksum eth", eth(), portfolio.DevEthereumXpub[:50] + "Z" + portfolio.DevEthereumXpub[51:], portfolio.ErrKeyChecksum, "bad_checksum"},
		{"xprv", btc(), xprv84, portfolio.ErrKeyPrivate, "private_key"},
		{"xprv eth", eth(), accountKey(t, &chaincfg.MainNetParams, 44, 60, 0).String(), portfolio.ErrKeyPrivate, "private_key"},
		{"zprv", btc(), zprv84, portfolio.ErrKeyPrivate, "private_key"},
		{"tprv", btc(), tprv84, portfolio.ErrKeyPrivate, "private_key"},
		{"vprv", btc(), vprv84, portfolio.ErrKeyPrivate, "private_key"},
		{"master xprv", btc(), v1MasterX, portfolio.ErrKeyPrivate, "private_key"},
		{"private data under zpub version", btc(), disguised, portfolio.ErrKeyPrivate, "private_key"},
		{"ypub", btc(), withVersion(t, portfolio.DevBitcoinZpub, 0x04, 0x9d, 0x7c, 0xb2), portfolio.ErrKeyVersion, "unsupported_version"},
		{"multisig Zpub", btc(), withVersion(t, portfolio.DevBitcoinZpub, 0x02, 0xaa, 0x7e, 0xd3), portfolio.ErrKeyVersion, "unsupported_version"},
		{"unknown version", btc(), withVersion(t, portfolio.DevBitcoinZpub, 1, 2, 3, 4), portfolio.ErrKeyVersion, "unsupported_version"},
		{"zpub for ethereum", eth(), portfolio.DevBitcoinZpub, portfolio.ErrKeyVersion, "unsupported_version"},
		{"tpub for ethereum", eth(), tpub84, portfolio.ErrKeyVersion, "unsupported_version"},
		{"testnet key, mainnet deriver", btc(portfolio.WithNetwork(portfolio.Mainnet)), tpub84, portfolio.ErrKeyNetwork, "wrong_network"},
		{"mainnet key, testnet deriver", btc(portfolio.WithNetwork(portfolio.Testnet)), portfolio.DevBitcoinZpub, portfolio.ErrKeyNetwork, "wrong_network"},
		{"ethereum testnet", eth(portfolio.WithNetwork(portfolio.Testnet)), portfolio.DevEthereumXpub, portfolio.ErrKeyNetwork, "wrong_network"},
		{"not on curve", btc(), encode(notOnCurve), portfolio.ErrKeyMalformed, "invalid_public_key"},
		{"master key", btc(), v1Master, portfolio.ErrKeyDepth, "wrong_depth"},
		{"address-level key", eth(), func() string {
			k, err := accountKey(t, &chaincfg.MainNetParams, 44, 60, 0).Derive(0)
			mustNoErr(t, err)
			n, err := k.Neuter()
			mustNoErr(t, err)
			return n.String()
		}(), portfolio.ErrKeyDepth, "wrong_depth"},
		{"other account path", btc(), v1Depth3, portfolio.ErrKeyDepth, "path_mismatch"},
		{"account 1 with default path", eth(), func() string {
			n, err := accountKey(t, &chaincfg.MainNetParams, 44, 60, 1).Neuter()
			mustNoErr(t, err)
			return n.String()
		}(), portfolio.ErrKeyDepth, "path_mismatch"},
		{"bitcoin key for ethereum path", eth(), withVersion(t, portfolio.DevBitcoinZpub, 0x04, 0x88, 0xb2, 0x1e), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ctor(tt.key)
			if tt.sentinel == nil {
				// Same depth and child number: indistinguishable, accepted.
				mustNoErr(t, err)
				return
			}
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("got %v, want %v", err, tt.sentinel)
			}
			mustEqual(t, []string{"extendedKey:" + tt.field}, fieldCodes(t, err))
			if !errors.Is(err, onboardkit.ErrValidation) {
				t.Fatal("not ErrValidation")
			}
			k := strings.TrimSpace(tt.key)
			if len(k) > 20 && strings.Contains(err.Error(), k[4:20]) {
				t.Fatalf("the error echoes the key: %v", err)
			}
		})
	}
}

func TestDeriverOptions(t *testing.T) {
	_, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub, portfolio.WithAccountPath("m/84'/x"))
	if !errors.Is(err, portfolio.ErrAccountPath) {
		t.Fatalf("got %v", err)
	}
	_, err = portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub, portfolio.WithNetwork("regtest"))
	mustEqual(t, []string{"network:unsupported"}, fieldCodes(t, err))

	// A key at another path works once the path says so.
	d, err := portfolio.NewBitcoinDeriver(v1Depth3, portfolio.WithAccountPath("m/0h/1/2H"), nil)
	mustNoErr(t, err)
	mustEqual(t, "m/0'/1/2'", d.AccountPath())
	a, err := d.DepositAddress(context.Background(), portfolio.AddressRequest{Index: 5})
	mustNoErr(t, err)
	k, err := hdkeychain.NewKeyFromString(v1Depth3)
	mustNoErr(t, err)
	for _, i := range []uint32{0, 5} {
		k, err = k.Derive(i)
		mustNoErr(t, err)
	}
	pub, err := k.ECPubKey()
	mustNoErr(t, err)
	want, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub.SerializeCompressed()), &chaincfg.MainNetParams)
	mustNoErr(t, err)
	mustEqual(t, portfolio.Address{Chain: "bitcoin", Address: want.EncodeAddress(), DerivationPath: "m/0'/1/2'/0/5"}, a)

	// Surrounding white space of a pasted key is ignored.
	d2, err := portfolio.NewBitcoinDeriver(" " + portfolio.DevBitcoinZpub + "\n")
	mustNoErr(t, err)
	d3, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub, portfolio.WithNetwork(portfolio.Mainnet))
	mustNoErr(t, err)
	mustEqual(t, d2.KeyID(), d3.KeyID())
	mustEqual(t, 16, len(d2.KeyID()))
	e, err := portfolio.NewEthereumDeriver(portfolio.DevEthereumXpub, portfolio.WithNetwork(portfolio.Mainnet))
	mustNoErr(t, err)
	mustEqual(t, "ethereum", e.Chain())
	mustEqual(t, "m/44'/60'/0'", e.AccountPath())
	if e.KeyID() == d2.KeyID() {
		t.Fatal("different keys share a KeyID")
	}
}

func TestDepositAddressErrors(t *testing.T) {
	b, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub)
	mustNoErr(t, err)
	e, err := portfolio.NewEthereumDeriver(portfolio.DevEthereumXpub)
	mustNoErr(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, p := range []portfolio.AddressProvider{b, e} {
		_, err := p.DepositAddress(context.Background(), portfolio.AddressRequest{Index: 1 << 31})
		mustCode(t, err, onboardkit.CodeLimitReached)
		if !errors.Is(err, portfolio.ErrIndexOutOfRange) {
			t.Fatalf("got %v", err)
		}
		_, err = p.DepositAddress(ctx, portfolio.AddressRequest{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
		last, err := p.DepositAddress(context.Background(), portfolio.AddressRequest{Index: 1<<31 - 1})
		mustNoErr(t, err)
		if !strings.HasSuffix(last.DerivationPath, "/0/2147483647") {
			t.Fatalf("path %q", last.DerivationPath)
		}
	}
}

// TestDeriversConcurrent derives distinct indexes from 50 goroutines and
// compares with a sequential run (run with -race).
func TestDeriversConcurrent(t *testing.T) {
	b, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub)
	mustNoErr(t, err)
	e, err := portfolio.NewEthereumDeriver(portfolio.DevEthereumXpub)
	mustNoErr(t, err)
	const n = 50
	for _, p := range []portfolio.AddressProvider{b, e} {
		want := make([]portfolio.Address, n)
		for i := range want {
			want[i], err = p.DepositAddress(context.Background(), portfolio.AddressRequest{Index: uint32(i)})
			mustNoErr(t, err)
		}
		got := make([]portfolio.Address, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				got[i], errs[i] = p.DepositAddress(context.Background(),
					portfolio.AddressRequest{AccountID: "a", PortfolioID: fmt.Sprint("p", i), Index: uint32(i)})
			}(i)
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range got {
			mustNoErr(t, errs[i])
			mustEqual(t, want[i], got[i])
			if seen[got[i].Address] {
				t.Fatalf("address %s handed out twice", got[i].Address)
			}
			seen[got[i].Address] = true
		}
	}
}

// allocator is an in-memory IndexAllocator.
type allocator struct {
	mu   sync.Mutex
	next map[string]uint32
	err  error
}

func (a *allocator) AllocateAddressIndex(_ context.Context, chain, keyID string) (uint32, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return 0, a.err
	}
	if a.next == nil {
		a.next = map[string]uint32{}
	}
	k := chain + "/" + keyID
	i := a.next[k]
	a.next[k] = i + 1
	return i, nil
}

// flakyProvider wraps a provider and reports some indexes as unusable or
// answers for another chain.
type flakyProvider struct {
	portfolio.AddressProvider
	unusable  map[uint32]bool
	wrongName bool
}

func (f flakyProvider) DepositAddress(ctx context.Context, req portfolio.AddressRequest) (portfolio.Address, error) {
	if f.unusable[req.Index] {
		return portfolio.Address{}, fmt.Errorf("wrapped: %w", portfolio.ErrUnusableIndex)
	}
	a, err := f.AddressProvider.DepositAddress(ctx, req)
	if f.wrongName {
		a.Chain = "litecoin"
	}
	return a, err
}

func TestAssignAddress(t *testing.T) {
	ctx := context.Background()
	b, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub)
	mustNoErr(t, err)
	e, err := portfolio.NewEthereumDeriver(portfolio.DevEthereumXpub)
	mustNoErr(t, err)
	alloc := &allocator{}

	p := portfolio.Portfolio{ID: "p1", AccountID: "a1"}
	mustNoErr(t, portfolio.AssignAddress(ctx, &p, b, alloc))
	mustEqual(t, portfolio.Address{Chain: "bitcoin", Address: "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
		DerivationPath: "m/84'/0'/0'/0/0"}, p.Address)
	mustEqual(t, b.KeyID(), p.KeyID)
	mustEqual(t, uint32(0), p.AddressIndex)

	// Indexes are per (chain, key): the Ethereum deriver starts at 0 too.
	q := portfolio.Portfolio{ID: "p2", AccountID: "a1"}
	mustNoErr(t, portfolio.AssignAddress(ctx, &q, e, alloc))
	mustEqual(t, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", q.Address.Address)

	// An unusable index is skipped.
	r := portfolio.Portfolio{ID: "p3", AccountID: "a1"}
	mustNoErr(t, portfolio.AssignAddress(ctx, &r, flakyProvider{AddressProvider: b, unusable: map[uint32]bool{1: true}}, alloc))
	mustEqual(t, uint32(2), r.AddressIndex)
	mustEqual(t, "m/84'/0'/0'/0/2", r.Address.DerivationPath)

	// Always unusable: gives up.
	all := map[uint32]bool{}
	for i := uint32(0); i < 100; i++ {
		all[i] = true
	}
	err = portfolio.AssignAddress(ctx, &portfolio.Portfolio{}, flakyProvider{AddressProvider: b, unusable: all}, alloc)
	if !errors.Is(err, portfolio.ErrUnusableIndex) {
		t.Fatalf("got %v", err)
	}

	// A provider answering for another chain is a bug.
	err = portfolio.AssignAddress(ctx, &portfolio.Portfolio{}, flakyProvider{AddressProvider: b, wrongName: true}, alloc)
	mustCode(t, err, onboardkit.CodeInternal)

	// Allocator errors pass through.
	boom := errors.New("db down")
	err = portfolio.AssignAddress(ctx, &portfolio.Portfolio{}, b, &allocator{err: boom})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}
