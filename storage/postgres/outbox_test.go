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

// deliveryKeys returns the (endpoint, seq) of each delivery.
func deliveryKeys(ds []*storage.Delivery) [][2]any {
	out := [][2]any{}
	for _, d := range ds {
		out = append(out, [2]any{d.EndpointID, d.Event.Seq})
	}
	return out
}

func appendEvent(t *testing.T, s storage.Store, userID string) *storage.Event {
	t.Helper()
	e := &storage.Event{Type: "user.registered", UserID: userID, At: t0}
	require.NoError(t, s.AppendEvent(context.Background(), e))
	return e
}

// TestMigration0007: on a database left by migration 0006, the events
// that exist are marked enqueued (the history before the outbox is never
// delivered), and the events appended after the migration are not.
func TestMigration0007(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, exec := storeAt(t, 6)
	exec(`INSERT INTO events (id, event_type, user_id, at) VALUES ('e1', 'user.registered', 'u1', $1)`, t0)
	exec(`INSERT INTO events (event_type, user_id) VALUES ('user.locked', '')`)

	require.NoError(t, st.Migrate(ctx))
	assertSchemaVersion(t, st, postgres.SchemaVersion())

	var old, marked int
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE enqueued) FROM events`).Scan(&old, &marked))
	assert.Equal(t, []int{2, 2}, []int{old, marked}, "events before 0007 (all, enqueued)")
	n, err := st.EnqueueDeliveries(ctx, []string{"ep"}, t0, 100)
	require.NoError(t, err)
	assert.Zero(t, n, "events from before 0007 enqueued")

	e := appendEvent(t, st, "u1")
	n, err = st.EnqueueDeliveries(ctx, []string{"ep"}, t0, 100)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "an event appended after 0007")
	ds, err := st.ListDeliveries(ctx, storage.DeliveryQuery{})
	require.NoError(t, err)
	assert.Equal(t, [][2]any{{"ep", e.Seq}}, deliveryKeys(ds))
	evs, err := st.ListEvents(ctx, "u1", 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, "e1", evs[0].ID, "the events before 0007 are kept")
}

// TestEnqueueSkipsLockedEvents: an enqueuer skips, without waiting, the
// events a unit of work of another replica is enqueuing, and the events
// of a unit of work still open; it takes the latter once they commit.
func TestEnqueueSkipsLockedEvents(t *testing.T) {
	t.Parallel()
	a, b := postgrestest.NewPair(t)
	e1, e2 := appendEvent(t, a, "u1"), appendEvent(t, a, "u2")
	eps := []string{"ep"}
	release, done := holdTx(t, a, func(ctx context.Context, s storage.Store) error {
		n, err := s.EnqueueDeliveries(ctx, eps, t0, 1)
		if err == nil && n != 1 {
			t.Errorf("the unit of work took %d events, want 1", n)
		}
		return err
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := b.EnqueueDeliveries(ctx, eps, t0, 10)
	require.NoError(t, err, "an enqueue while another unit of work holds an event (waited?)")
	assert.Equal(t, 1, n, "the other replica takes the event not held")
	release()
	require.NoError(t, <-done)

	var e3 *storage.Event
	release, done = holdTx(t, a, func(ctx context.Context, s storage.Store) error {
		e3 = appendEvent(t, s, "u1")
		return nil
	}, nil)
	n, err = b.EnqueueDeliveries(ctx, eps, t0, 10)
	require.NoError(t, err)
	assert.Zero(t, n, "an event of a unit of work still open was taken")
	release()
	require.NoError(t, <-done)
	n, err = b.EnqueueDeliveries(ctx, eps, t0, 10)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the event once its unit of work committed")

	ds, err := b.ListDeliveries(ctx, storage.DeliveryQuery{EndpointID: "ep"})
	require.NoError(t, err)
	assert.Equal(t, [][2]any{{"ep", e1.Seq}, {"ep", e2.Seq}, {"ep", e3.Seq}}, deliveryKeys(ds))
}

// TestClaimSkipsLockedKeepsUserOrder: a claimer skips the delivery that
// another replica's claim holds locked, without waiting, but not in favour
// of the next delivery of the same user: that one stays held back by the
// locked one, which is still pending, until its completion commits.
func TestClaimSkipsLockedKeepsUserOrder(t *testing.T) {
	t.Parallel()
	a, b := postgrestest.NewPair(t)
	first, second, other := appendEvent(t, a, "u"), appendEvent(t, a, "u"), appendEvent(t, a, "v")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := a.EnqueueDeliveries(ctx, []string{"ep"}, t0, 10)
	require.NoError(t, err)

	var held *storage.Delivery
	release, done := holdTx(t, a, func(ctx context.Context, s storage.Store) error {
		ds, err := s.ClaimDeliveries(ctx, "a", t0, time.Minute, 1)
		if err == nil && len(ds) == 1 {
			held = ds[0]
		}
		return err
	}, nil)
	require.NotNil(t, held)
	require.Equal(t, first.Seq, held.Event.Seq)
	ds, err := b.ClaimDeliveries(ctx, "b", t0, time.Minute, 10)
	require.NoError(t, err, "a claim while another one holds a row locked (waited?)")
	assert.Equal(t, [][2]any{{"ep", other.Seq}}, deliveryKeys(ds), "the claim beside a locked delivery of u")
	release()
	require.NoError(t, <-done)

	ds, err = b.ClaimDeliveries(ctx, "b", t0, time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, ds, "a claim while u's first delivery is leased")

	// The completion holds the row locked: the claim still sees the
	// delivery pending and holds u's second one back.
	release, done = holdTx(t, a, func(ctx context.Context, s storage.Store) error {
		return s.CompleteDelivery(ctx, "ep", first.Seq, "a", t0)
	}, nil)
	ds, err = b.ClaimDeliveries(ctx, "b", t0, time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, ds, "a claim while u's first delivery is being completed")
	release()
	require.NoError(t, <-done)

	ds, err = b.ClaimDeliveries(ctx, "b", t0, time.Minute, 10)
	require.NoError(t, err)
	assert.Equal(t, [][2]any{{"ep", second.Seq}}, deliveryKeys(ds), "u's second delivery once the first is delivered")
}

// TestOutboxUsesIndexes: the enqueue reads the events not enqueued from
// their partial index in seq order; the claim reads the due deliveries
// from the partial index of the pending ones and checks the per-user order
// with the other; the deliveries of an endpoint are a range of the primary
// key.
func TestOutboxUsesIndexes(t *testing.T) {
	t.Parallel()
	conn := plannerConn(t, postgrestest.New(t))
	_, err := conn.Exec(context.Background(), "RESET enable_sort") // the claim sorts the due deliveries
	require.NoError(t, err)
	t.Run("Enqueue", func(t *testing.T) {
		plan := explain(t, conn, postgres.EnqueueQuery, []string{"ep"}, t0, int64(10))
		assert.Contains(t, plan, "Index Scan using events_not_enqueued_idx", plan)
		assert.NotContains(t, plan, "Sort", plan)
	})
	t.Run("Claim", func(t *testing.T) {
		plan := explain(t, conn, postgres.ClaimQuery, t0, "tok", t0.Add(time.Minute), int64(10))
		assert.Contains(t, plan, "Index Scan using webhook_deliveries_due_idx", plan)
		assert.Contains(t, plan, "using webhook_deliveries_user_order_idx", plan)
	})
	t.Run("ListOfEndpoint", func(t *testing.T) {
		sql, args := postgres.DeliveryQuery(storage.DeliveryQuery{EndpointID: "ep", State: "failed", After: 5})
		plan := explain(t, conn, sql+` LIMIT 20`, args...)
		assert.Contains(t, plan, "Index Scan using webhook_deliveries_pkey", plan)
		assert.NotContains(t, plan, "Sort", plan)
	})
}
