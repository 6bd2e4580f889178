package portfolio

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"testing"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
)

const testMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

// bip39Seed is the BIP39 seed of a mnemonic: PBKDF2-HMAC-SHA512(mnemonic,
// "mnemonic"+passphrase, 2048, 64).
func bip39Seed(t testing.TB, mnemonic, passphrase string) []byte {
	t.Helper()
	seed, err := pbkdf2.Key(sha512.New, mnemonic, []byte("mnemonic"+passphrase), 2048, 64)
	check.NoError(t, err)
	return seed
}

// accountXpub derives the neutered key at m/<hardened steps> from seed.
func accountXpub(t testing.TB, seed []byte, net *chaincfg.Params, steps ...uint32) string {
	t.Helper()
	k, err := hdkeychain.NewMaster(seed, net)
	check.NoError(t, err)
	for _, s := range steps {
		k, err = k.Derive(hdkeychain.HardenedKeyStart + s)
		check.NoError(t, err)
	}
	n, err := k.Neuter()
	check.NoError(t, err)
	return n.String()
}

// reversion re-encodes an extended key with other version bytes.
func reversion(t testing.TB, key string, version [4]byte) string {
	t.Helper()
	raw := base58.Decode(key)
	check.Len(t, raw, 82)
	payload := append([]byte(nil), raw[:78]...)
	copy(payload, version[:])
	return base58.Encode(append(payload, doubleSHA256(payload)[:4]...))
}

// TestBIP32PublicDerivation checks the public-only steps of the BIP32 test
// vectors through the package's parser: parse the parent xpub, derive the
// non-hardened child, compare the serialized child xpub.
func TestBIP32PublicDerivation(t *testing.T) {
	tests := []struct {
		name          string
		parent, child string
		index         uint32
	}{
		{"v1 m/0H -> m/0H/1",
			"xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw",
			"xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ", 1},
		{"v1 m/0H/1/2H -> m/0H/1/2H/2",
			"xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5",
			"xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV", 2},
		{"v1 m/0H/1/2H/2 -> m/0H/1/2H/2/1000000000",
			"xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV",
			"xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy", 1000000000},
		{"v2 m -> m/0",
			"xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB",
			"xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH", 0},
		{"v2 m/0/2147483647H -> m/0/2147483647H/1",
			"xpub6ASAVgeehLbnwdqV6UKMHVzgqAG8Gr6riv3Fxxpj8ksbH9ebxaEyBLZ85ySDhKiLDBrQSARLq1uNRts8RuJiHjaDMBU4Zn9h8LZNnBC5y4a",
			"xpub6DF8uhdarytz3FWdA8TvFSvvAh8dP3283MY7p2V4SeE2wyWmG5mg5EwVvmdMVCQcoNJxGoWaU9DCWh89LojfZ537wTfunKau47EL2dhHKon", 1},
		{"v2 m/0/2147483647H/1/2147483646H -> .../2",
			"xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL",
			"xpub6FnCn6nSzZAw5Tw7cgR9bi15UV96gLZhjDstkXXxvCLsUXBGXPdSnLFbdpq8p9HmGsApME5hQTZ3emM2rnY5agb9rXpVGyy3bdW6EEgAtqt", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pk, err := parseExtendedPublicKey(tt.parent, []string{"xpub"}, Mainnet)
			check.NoError(t, err)
			child, err := pk.key.Derive(tt.index)
			check.NoError(t, err)
			check.Equal(t, tt.child, child.String())
		})
	}

	// Cross-check vector 1 from its seed with private derivation.
	seed := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	m, err := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
	check.NoError(t, err)
	k := m
	for _, s := range []uint32{hdkeychain.HardenedKeyStart, 1, hdkeychain.HardenedKeyStart + 2, 2, 1000000000} {
		k, err = k.Derive(s)
		check.NoError(t, err)
	}
	n, err := k.Neuter()
	check.NoError(t, err)
	check.Equal(t, tests[2].child, n.String())

	// A hardened step cannot be taken from a public key.
	pk, err := parseExtendedPublicKey(tests[0].child, []string{"xpub"}, Mainnet)
	check.NoError(t, err)
	_, err = pk.key.Derive(hdkeychain.HardenedKeyStart + 2)
	check.ErrorIs(t, err, hdkeychain.ErrDeriveHardFromPublic)
}

func TestBIP84Vectors(t *testing.T) {
	d, err := NewBitcoinDeriver(DevBitcoinZpub)
	check.NoError(t, err)
	for _, tt := range []struct {
		change bool
		index  uint32
		want   string
		path   string
	}{
		{false, 0, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "m/84'/0'/0'/0/0"},
		{false, 1, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g", "m/84'/0'/0'/0/1"},
		{true, 0, "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el", "m/84'/0'/0'/1/0"},
	} {
		a, err := d.address(tt.change, tt.index)
		check.NoError(t, err)
		check.Equal(t, Address{Chain: ChainBitcoin, Address: tt.want, DerivationPath: tt.path}, a)
	}

	// The zpub is the BIP84 account key of the test mnemonic.
	xpub := accountXpub(t, bip39Seed(t, testMnemonic, ""), &chaincfg.MainNetParams, 84, 0, 0)
	check.Equal(t, DevBitcoinZpub, reversion(t, xpub, [4]byte{0x04, 0xb2, 0x47, 0x46}))
	dx, err := NewBitcoinDeriver(xpub)
	check.NoError(t, err)
	check.Equal(t, d.KeyID(), dx.KeyID(), "zpub and xpub of one key share the KeyID")
	a, err := dx.address(false, 0)
	check.NoError(t, err)
	check.Equal(t, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", a.Address)
}

func TestBitcoinTestnet(t *testing.T) {
	seed := bip39Seed(t, testMnemonic, "")
	tpub := accountXpub(t, seed, &chaincfg.TestNet3Params, 84, 1, 0)
	vpub := reversion(t, tpub, [4]byte{0x04, 0x5f, 0x1c, 0xf6})
	dt, err := NewBitcoinDeriver(tpub)
	check.NoError(t, err)
	dv, err := NewBitcoinDeriver(vpub, WithNetwork(Testnet))
	check.NoError(t, err)
	check.Equal(t, ChainBitcoinTestnet, dv.Chain())
	check.Equal(t, dt.KeyID(), dv.KeyID())
	check.Equal(t, DefaultBitcoinTestnetAccountPath, dv.AccountPath())

	// Private derivation of m/84'/1'/0'/0/0 gives the same address.
	k, err := hdkeychain.NewMaster(seed, &chaincfg.TestNet3Params)
	check.NoError(t, err)
	for _, s := range []uint32{hdkeychain.HardenedKeyStart + 84, hdkeychain.HardenedKeyStart + 1, hdkeychain.HardenedKeyStart, 0, 0} {
		k, err = k.Derive(s)
		check.NoError(t, err)
	}
	pub, err := k.ECPubKey()
	check.NoError(t, err)
	want, err := btcutilP2WPKH(pub.SerializeCompressed(), &chaincfg.TestNet3Params)
	check.NoError(t, err)

	for _, d := range []*BitcoinDeriver{dt, dv} {
		a, err := d.address(false, 0)
		check.NoError(t, err)
		check.Equal(t, want, a.Address)
		check.Equal(t, "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl", a.Address) // BIP84 test mnemonic, testnet 0/0
		check.Equal(t, "m/84'/1'/0'/0/0", a.DerivationPath)
	}
}

func TestEthereumTestMnemonic(t *testing.T) {
	xpub := accountXpub(t, bip39Seed(t, testMnemonic, ""), &chaincfg.MainNetParams, 44, 60, 0)
	check.Equal(t, DevEthereumXpub, xpub)
	d, err := NewEthereumDeriver(xpub)
	check.NoError(t, err)
	for i, want := range []string{
		"0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
		"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0",
	} {
		a, err := d.DepositAddress(t.Context(), AddressRequest{Index: uint32(i)})
		check.NoError(t, err)
		check.Equal(t, want, a.Address)
	}
}

func TestEIP55(t *testing.T) {
	// The examples of the EIP-55 specification.
	for _, want := range []string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
		"0x52908400098527886E0F7030069857D2E4169EE7",
		"0x8617E340B3D01FA5F11F306F4090FD50E238070D",
		"0xde709f2102306220921060314715629080e2fb77",
		"0x27b1fdb04752bbc536007a920d24acb045561c26",
	} {
		raw, err := hexDecodeLower(want[2:])
		check.NoError(t, err)
		check.Equal(t, want, eip55(raw))
	}
}

func TestParsePath(t *testing.T) {
	for in, want := range map[string]string{
		"m":               "m",
		"m/84'/0'/0'":     "m/84'/0'/0'",
		"m/84h/0H/7'":     "m/84'/0'/7'",
		" m/0/2147483647": "m/0/2147483647",
	} {
		p, err := parsePath(in)
		check.NoError(t, err, in)
		check.Equal(t, want, p.String())
	}
	for _, in := range []string{"", "M/0", "m/", "m//1", "m/-1", "m/+1", "m/2147483648", "m/1''", "m/x", "84'/0'"} {
		_, err := parsePath(in)
		check.ErrorIs(t, err, ErrAccountPath, in)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"m", "m/84'/0'/0'", "m/0h/1H/2", "m/2147483647'", "m//", "m/-1", "m/4294967295"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePath(s)
		if err != nil {
			return
		}
		q, err := parsePath(p.String())
		if err != nil || q.String() != p.String() {
			t.Fatalf("%q: round trip %q -> %v %v", s, p, q, err)
		}
	})
}
