package storagetest

import (
	"context"
	"testing"

	"github.com/onboardkit/onboardkit/storage"
)

// Bench runs the storage benchmarks every adapter reports: CreateUser,
// GetUserByPhone, ConsumeChallenge, RotateRefreshToken, and TxCreateChallenge
// (a unit of work creating one challenge, the cost Tx adds). newStore is
// called once per sub-benchmark. Records are prepared before the timer
// starts, so the figures are the store's own cost; their sealed values are
// stand-ins of a sealed value's size (no Sealer, no data key).
func Bench(b *testing.B, newStore func(b *testing.B) storage.Store) {
	ctx := context.Background()
	f := &fixture{ctx: ctx, base: base}
	for _, bc := range []struct {
		name string
		run  func(b *testing.B, s storage.Store, f *fixture)
	}{
		{"CreateUser", benchCreateUser},
		{"GetUserByPhone", benchGetUserByPhone},
		{"ConsumeChallenge", benchConsumeChallenge},
		{"RotateRefreshToken", benchRotateRefreshToken},
		{"TxCreateChallenge", benchTxCreateChallenge},
	} {
		b.Run(bc.name, func(b *testing.B) {
			// The store of one sub-benchmark, with f's records owned by
			// one user of that store.
			s := newStore(b)
			owner := f.newUser()
			if err := s.CreateUser(ctx, owner); err != nil {
				b.Fatal(err)
			}
			f.user = owner.ID
			bc.run(b, s, f)
		})
	}
}

func benchCreateUser(b *testing.B, s storage.Store, f *fixture) {
	users := make([]*storage.User, b.N)
	for i := range users {
		users[i] = f.newUser()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.CreateUser(f.ctx, users[i]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGetUserByPhone(b *testing.B, s storage.Store, f *fixture) {
	u := f.newUser()
	if err := s.CreateUser(f.ctx, u); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := s.GetUserByPhone(f.ctx, u.Phone); err != nil {
			b.Fatal(err)
		}
	}
}

func benchConsumeChallenge(b *testing.B, s storage.Store, f *fixture) {
	chals := make([]*storage.Challenge, b.N)
	for i := range chals {
		chals[i] = f.newChallenge()
		if err := s.CreateChallenge(f.ctx, chals[i]); err != nil {
			b.Fatal(err)
		}
	}
	now := base.Add(1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.ConsumeChallenge(f.ctx, chals[i].ID, chals[i].CodeHash, now); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRotateRefreshToken(b *testing.B, s storage.Store, f *fixture) {
	first := f.newToken(f.user)
	if err := s.CreateRefreshToken(f.ctx, first); err != nil {
		b.Fatal(err)
	}
	chain := make([]*storage.RefreshToken, b.N+1)
	chain[0] = first
	for i := 1; i <= b.N; i++ {
		chain[i] = f.nextToken(first, i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.RotateRefreshToken(f.ctx, chain[i].Hash, chain[i+1], chain[i+1].IssuedAt); err != nil {
			b.Fatal(err)
		}
	}
}

func benchTxCreateChallenge(b *testing.B, s storage.Store, f *fixture) {
	chals := make([]*storage.Challenge, b.N)
	for i := range chals {
		chals[i] = f.newChallenge()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		err := s.Tx(f.ctx, func(ctx context.Context, tx storage.Store) error {
			return tx.CreateChallenge(ctx, chals[i])
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
