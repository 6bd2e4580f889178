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
// starts, so the figures are the store's own cost.
func Bench(b *testing.B, newStore func(b *testing.B) storage.Store) {
	ctx := context.Background()
	f := &fixture{ctx: ctx, base: base}
	// setup returns the store of one sub-benchmark with f's records owned
	// by one user of that store.
	setup := func(b *testing.B) storage.Store {
		s := newStore(b)
		owner := f.newUser()
		if err := s.CreateUser(ctx, owner); err != nil {
			b.Fatal(err)
		}
		f.user = owner.ID
		return s
	}

	b.Run("CreateUser", func(b *testing.B) {
		s := setup(b)
		users := make([]*storage.User, b.N)
		for i := range users {
			users[i] = f.newUser()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if err := s.CreateUser(ctx, users[i]); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("GetUserByPhone", func(b *testing.B) {
		s := setup(b)
		u := f.newUser()
		if err := s.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, err := s.GetUserByPhone(ctx, u.Phone); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("ConsumeChallenge", func(b *testing.B) {
		s := setup(b)
		chals := make([]*storage.Challenge, b.N)
		for i := range chals {
			chals[i] = f.newChallenge()
			if err := s.CreateChallenge(ctx, chals[i]); err != nil {
				b.Fatal(err)
			}
		}
		now := base.Add(1)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if err := s.ConsumeChallenge(ctx, chals[i].ID, chals[i].CodeHash, now); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("RotateRefreshToken", func(b *testing.B) {
		s := setup(b)
		first := f.newToken(f.user)
		if err := s.CreateRefreshToken(ctx, first); err != nil {
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
			if err := s.RotateRefreshToken(ctx, chain[i].Hash, chain[i+1], chain[i+1].IssuedAt); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("TxCreateChallenge", func(b *testing.B) {
		s := setup(b)
		chals := make([]*storage.Challenge, b.N)
		for i := range chals {
			chals[i] = f.newChallenge()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			err := s.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
				return tx.CreateChallenge(ctx, chals[i])
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
