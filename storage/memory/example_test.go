package memory_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

// A unit of work either commits whole or leaves no trace.
func Example() {
	ctx := context.Background()
	s := memory.New()

	err := s.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := tx.CreateUser(ctx, &storage.User{ID: "u1", Phone: "+33614125910", PhoneVerified: true}); err != nil {
			return err
		}
		return tx.CreateChallenge(ctx, &storage.Challenge{ID: "c1", UserID: "u1", MaxAttempts: 5})
	})
	fmt.Println("committed:", err)

	err = s.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := tx.CreateUser(ctx, &storage.User{ID: "u2", Phone: "+33614125911"}); err != nil {
			return err
		}
		// u1 holds the phone verified: the whole unit of work is rolled back.
		return tx.CreateUser(ctx, &storage.User{ID: "u3", Phone: "+33614125910", PhoneVerified: true})
	})
	fmt.Println("rolled back:", err)

	_, err = s.GetUser(ctx, "u2")
	fmt.Println("u2 stored:", !errors.Is(err, storage.ErrNotFound))
	u, _ := s.GetUserByPhone(ctx, "+33614125910")
	fmt.Println("u1 version:", u.Version)
	// Output:
	// committed: <nil>
	// rolled back: storage: duplicate phone
	// u2 stored: false
	// u1 version: 1
}
