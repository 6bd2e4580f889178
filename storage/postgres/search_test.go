package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/postgres"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// TestMigration0006: on a database left by migration 0005, a user holding
// a profile (saved whole, as every profile was then) reads as having a
// complete profile after 0006 and a user without one does not; the new
// columns read as their zero values (no roles, no metadata, accounts
// without email or information, portfolios without a public strategy),
// and the users and events written before page as those written after.
func TestMigration0006(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, exec := storeAt(t, 5)
	sl := newSealer(t)
	profile := sealAs(t, st, sl, "u1", "profile", clearProfile)
	exec(`INSERT INTO users (id, version, status, kyc_status, profile_key_ref, profile_data, created_at, updated_at)
		VALUES ('u1', 1, 'profile_completed', 'not_started', $1, $2, $3, $3)`, profile.KeyRef, profile.Data, t0)
	exec(`INSERT INTO users (id, version, status, created_at) VALUES ('u0', 1, 'registered', $1)`, t0)
	exec(`INSERT INTO users (id, version, status) VALUES ('u2', 1, 'registered')`) // no creation time
	exec(`INSERT INTO accounts (id, user_id, active, created_at) VALUES ('a1', 'u1', true, $1)`, t0)
	exec(`INSERT INTO portfolios (id, account_id, user_id, name, portfolio_type) VALUES ('p1', 'a1', 'u1', 'Main', 'TRADING')`)
	exec(`INSERT INTO events (id, event_type, user_id, at) VALUES ('e1', 'user.registered', 'u1', $1)`, t0)

	require.NoError(t, st.Migrate(ctx))
	assertSchemaVersion(t, st, postgres.SchemaVersion())

	u1, err := st.GetUser(ctx, "u1")
	require.NoError(t, err)
	assert.True(t, u1.ProfileComplete, "a user holding a profile before 0006 has a complete profile")
	assert.Equal(t, profile, u1.Profile)
	opened, err := sl.Open(ctx, st, "u1", "profile", u1.Profile)
	require.NoError(t, err)
	assert.Equal(t, clearProfile, opened)
	for _, id := range []string{"u0", "u2"} {
		u, err := st.GetUser(ctx, id)
		require.NoError(t, err)
		assert.False(t, u.ProfileComplete, "a user without a profile: %s", id)
	}
	assert.Nil(t, u1.Roles)
	assert.True(t, u1.Metadata.IsZero())
	var roles []string
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT roles FROM users WHERE id = 'u1'`).Scan(&roles))
	assert.Equal(t, []string{}, roles, "roles default to the empty array")

	a, err := st.GetAccount(ctx, "a1")
	require.NoError(t, err)
	assert.True(t, a.Active && a.Email.IsZero() && a.Info.IsZero(), "%+v", a)
	p, err := st.GetPortfolio(ctx, "p1")
	require.NoError(t, err)
	assert.False(t, p.PublicStrategy)

	// Rows from before and after the migration page together.
	u3 := newUser()
	u3.Roles = []string{"ops"}
	require.NoError(t, st.CreateUser(ctx, u3))
	got, err := st.SearchUsers(ctx, storage.UserQuery{})
	require.NoError(t, err)
	var ids []string
	for _, u := range got {
		ids = append(ids, u.ID)
	}
	assert.Equal(t, []string{"u2", "u0", "u1", u3.ID}, ids, "a NULL created_at first, then by (created_at, id)")
	e2 := &storage.Event{Type: "user.locked", UserID: "u1", At: t0}
	require.NoError(t, st.AppendEvent(ctx, e2))
	evs, err := st.ListEvents(ctx, "u1", 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, "e1", evs[0].ID)
	assert.Equal(t, e2.Seq, evs[1].Seq)
	assert.Less(t, evs[0].Seq, evs[1].Seq)
}

// TestPagingUsesIndexes: the pages of SearchUsers and ListEvents are read
// in order from an index that the cursor starts, never sorted.
func TestPagingUsesIndexes(t *testing.T) {
	t.Parallel()
	conn := plannerConn(t, postgrestest.New(t))
	from := t0.Add(-time.Hour)
	search := func(q storage.UserQuery) (string, []any) {
		sql, args := postgres.SearchQuery(q)
		return sql + ` LIMIT 20`, args
	}
	for _, tc := range []struct {
		name string
		q    storage.UserQuery
	}{
		{"FirstPage", storage.UserQuery{}},
		{"NextPage", storage.UserQuery{After: storage.UserCursor{CreatedAt: t0, ID: "u"}}},
		{"NextPageInRange", storage.UserQuery{CreatedFrom: from, CreatedTo: t0.Add(time.Hour),
			After: storage.UserCursor{CreatedAt: t0, ID: "u"}}},
		{"NextPageOfStatus", storage.UserQuery{Status: "active", KYCStatus: "active",
			After: storage.UserCursor{CreatedAt: t0, ID: "u"}}},
		{"AfterZeroTime", storage.UserQuery{After: storage.UserCursor{ID: "u"}}},
	} {
		t.Run("SearchUsers"+tc.name, func(t *testing.T) {
			sql, args := search(tc.q)
			plan := explain(t, conn, sql, args...)
			assert.Contains(t, plan, "Index Scan using users_created_idx", plan)
			assert.NotContains(t, plan, "Sort", plan)
		})
	}
	t.Run("SearchUsersCursorIsIndexCondition", func(t *testing.T) {
		sql, args := search(storage.UserQuery{After: storage.UserCursor{CreatedAt: t0, ID: "u"}})
		plan := explain(t, conn, sql, args...)
		assert.Contains(t, plan, "Index Cond: (ROW(created_at, (id)::text) > ROW(", plan)
	})
	t.Run("ListEvents", func(t *testing.T) {
		plan := explain(t, conn, postgres.EventsAfter+` LIMIT 20`, "u", int64(7))
		assert.Contains(t, plan, "Index Scan using events_user_seq_idx", plan)
		assert.NotContains(t, plan, "Sort", plan)
	})
}
