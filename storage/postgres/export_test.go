package postgres

import (
	"context"
	"slices"
)

// The lookup queries, for the plan tests of postgres_test.
var (
	UserLookup           = userQuery
	ChallengeLookup      = challengeQuery
	ByPhone              = byPhone
	ByEmail              = byEmail
	LatestChallengeWhere = latestChallenge
	SearchQuery          = searchQuery
	EventsAfter          = eventsAfter
	EnqueueQuery         = enqueueDeliveries
	ClaimQuery           = claimDeliveries
	DeliveryQuery        = deliveryQuery
)

// MigrateThrough applies the embedded migrations up to version only, as
// an older release left the database (for the tests of a migration).
func (s *Store) MigrateThrough(ctx context.Context, version int) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return s.applyAll(ctx, slices.DeleteFunc(ms, func(m migration) bool { return m.version > version }))
}
