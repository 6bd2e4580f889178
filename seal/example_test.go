package seal_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage/memory"
)

// Seal a value for a user, open it, then shred the user's data key: the
// value kept aside no longer opens.
func ExampleSealer() {
	ctx := context.Background()
	// In production: seal.ReadKeyringFile("/run/secrets/keyring") or a KMS.
	ring, err := seal.NewEphemeralKeyring("2026-11")
	if err != nil {
		panic(err)
	}
	st := memory.New() // the store keeps the wrapped data keys
	s := seal.New(ring, seal.Config{}, onboardkit.Runtime{})

	v, err := s.Seal(ctx, st, "user-1", "ssn", []byte("123-45-6789"))
	if err != nil {
		panic(err)
	}
	clear, err := s.Open(ctx, st, "user-1", "ssn", v)
	fmt.Println(string(clear), err)

	_, err = s.Open(ctx, st, "user-2", "ssn", v)
	fmt.Println(errors.Is(err, seal.ErrOpen) || errors.Is(err, seal.ErrKeyDestroyed))

	if err := s.Shred(ctx, st, "user-1"); err != nil {
		panic(err)
	}
	_, err = s.Open(ctx, st, "user-1", "ssn", v)
	fmt.Println(errors.Is(err, seal.ErrKeyDestroyed))
	// Output:
	// 123-45-6789 <nil>
	// true
	// true
}

// A keyring file holds one key per line, oldest first; the last one wraps
// new data keys. GenerateKey prints a line to append when rotating.
func ExampleParseKeyring() {
	_, line1, _ := seal.GenerateKey("2026-10", nil)
	_, line2, _ := seal.GenerateKey("2026-11", nil)
	ring, err := seal.ParseKeyring("# onboardkit keyring\n" + line1 + "\n" + line2 + "\n")
	if err != nil {
		panic(err)
	}
	fmt.Println(ring.Current())
	// Output: 2026-11
}
