package portfolio_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/portfolio"
)

// FuzzExtendedKey feeds arbitrary strings to both constructors: they must
// never panic, must fail with a validation *onboardkit.Error, or succeed with
// a deriver that derives.
func FuzzExtendedKey(f *testing.F) {
	for _, s := range []string{
		portfolio.DevBitcoinZpub, portfolio.DevEthereumXpub, v1Master, v1MasterX, v1Depth3,
		"", "xpub", "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZY",
		"tpubDC8msFGeGuwnKG9Upg7DM2b4DaRqg3CUZa5g8v2SRQ6K4NSkxUgd7HsL2XVWbVm39yBA4LAxysQAm397zwQSQoQgewGiYZqrA9DsP4zbQ1M",
		"1111111111111111111111111111111111111111111111111111111111111111111111111111111111111",
		"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
		"\x00\xff", "0OIl",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(p portfolio.AddressProvider, err error) {
			if err != nil {
				var e *onboardkit.Error
				if !errors.As(err, &e) || e.Code != onboardkit.CodeValidation || len(e.Fields) != 1 {
					t.Fatalf("unexpected error %#v", err)
				}
				if len(s) > 24 && strings.Contains(err.Error(), s[4:24]) {
					t.Fatalf("error echoes the key")
				}
				return
			}
			a, err := p.DepositAddress(context.Background(), portfolio.AddressRequest{Index: 7})
			if err != nil || a.Address == "" || a.Chain != p.Chain() || len(p.KeyID()) != 16 {
				t.Fatalf("derivation failed: %v %+v", err, a)
			}
		}
		b, err := portfolio.NewBitcoinDeriver(s)
		check(b, err)
		e, err := portfolio.NewEthereumDeriver(s, portfolio.WithAccountPath("m/1/2/3"))
		check(e, err)
	})
}

// FuzzExtendedKeyPayload fuzzes the 78-byte serialization under a valid
// checksum, so that version, depth, child number and key data are all
// exercised (random strings almost never pass the checksum).
func FuzzExtendedKeyPayload(f *testing.F) {
	for _, s := range []string{portfolio.DevBitcoinZpub, portfolio.DevEthereumXpub, v1Master, v1MasterX, v1Depth3} {
		f.Add(payload(f, s))
	}
	f.Add(make([]byte, 78))
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) != 78 {
			return
		}
		key := encode(p)
		for _, ctor := range []func() (portfolio.AddressProvider, error){
			func() (portfolio.AddressProvider, error) { return portfolio.NewBitcoinDeriver(key) },
			func() (portfolio.AddressProvider, error) {
				return portfolio.NewBitcoinDeriver(key, portfolio.WithAccountPath("m/0/1/2"), portfolio.WithNetwork(portfolio.Testnet))
			},
			func() (portfolio.AddressProvider, error) { return portfolio.NewEthereumDeriver(key) },
		} {
			d, err := ctor()
			if err != nil {
				if !errors.Is(err, onboardkit.ErrValidation) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			if _, err := d.DepositAddress(context.Background(), portfolio.AddressRequest{Index: 3}); err != nil {
				t.Fatalf("derivation failed: %v", err)
			}
		}
	})
}

// FuzzValidateName checks the invariants of accepted names.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"Main", " Trading ", "", "\t", "a\u200bb", strings.Repeat("é", 65), "\xff", "日本株 🏦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := portfolio.ValidateName(s)
		if err != nil {
			if !errors.Is(err, onboardkit.ErrValidation) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if got != strings.TrimSpace(got) || got == "" || !utf8.ValidString(got) || utf8.RuneCountInString(got) > portfolio.MaxNameLength {
			t.Fatalf("accepted %q", got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("accepted control %q", got)
			}
		}
		if again, err := portfolio.ValidateName(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q", got)
		}
	})
}
