package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
	"github.com/onboardkit/onboardkit/webhook"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// eachPair runs fn on two stores over one database: one memory store
// shared, or two PostgreSQL pools on one schema.
func eachPair(t *testing.T, fn func(t *testing.T, a, b storage.Store)) {
	t.Run("memory", func(t *testing.T) {
		st := memory.New()
		fn(t, st, st)
	})
	t.Run("postgres", func(t *testing.T) {
		a, b := postgrestest.NewPair(t)
		fn(t, a, b)
	})
}

// seqReader is a deterministic random source.
type seqReader struct{ r *rand.ChaCha8 }

func newRand(seed byte) *seqReader {
	var s [32]byte
	s[0] = seed
	return &seqReader{r: rand.NewChaCha8(s)}
}

func (s *seqReader) Read(p []byte) (int, error) { return s.r.Read(p) }

// received is one message as the receiver saw it.
type received struct {
	id, userID string
	seq        int64
	typ        string
	body       []byte
}

// receiver is an httptest endpoint that verifies every message with the
// independent check, records it, and answers what answer says.
type receiver struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	got      []received
	inFlight map[string]int
	overlaps int
	answer   func(n int, r received) int // status for the n-th message (from 1)
	delay    time.Duration
}

func newReceiver(t testing.TB, answer func(n int, r received) int) *receiver {
	rc := &receiver{t: t, inFlight: map[string]int{}, answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !independentVerify(testSecret, r.Header, body) {
		rc.t.Errorf("a message does not verify: %s", body)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p struct {
		Type string `json:"type"`
		Data struct {
			UserID string `json:"userId"`
			Seq    int64  `json:"seq"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		rc.t.Errorf("a message is not JSON: %s", body)
	}
	msg := received{id: r.Header.Get("webhook-id"), userID: p.Data.UserID, seq: p.Data.Seq, typ: p.Type, body: body}
	rc.mu.Lock()
	rc.inFlight[msg.id]++
	if rc.inFlight[msg.id] > 1 {
		rc.overlaps++
	}
	rc.got = append(rc.got, msg)
	n := len(rc.got)
	rc.mu.Unlock()
	if rc.delay > 0 {
		time.Sleep(rc.delay)
	}
	status := http.StatusNoContent
	if rc.answer != nil {
		status = rc.answer(n, msg)
	}
	rc.mu.Lock()
	rc.inFlight[msg.id]--
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) messages() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// appendEvents appends n events of userID (ids e-<user>-<i>).
func appendEvents(t testing.TB, st storage.Store, clk *clocktest.Clock, userID string, n int) {
	t.Helper()
	for i := range n {
		e := &storage.Event{ID: fmt.Sprintf("0a0b0c0d-%s-4000-8000-%012d", userID[:4], i), Type: "kyc.approved", UserID: userID, At: clk.Now(), Data: map[string]string{"account_id": "acc"}}
		require.NoError(t, st.AppendEvent(context.Background(), e))
	}
}

func newDeliverer(t testing.TB, st storage.Outbox, clk *clocktest.Clock, url string, seed byte, mod ...func(*webhook.Config)) *webhook.Deliverer {
	t.Helper()
	cfg := webhook.Config{Endpoints: []webhook.Endpoint{{ID: "ep-1", URL: url, Secret: testSecret}}, MinBackoff: time.Second, MaxBackoff: time.Minute}
	for _, m := range mod {
		m(&cfg)
	}
	d, err := webhook.New(st, cfg, onboardkit.Runtime{Clock: clk, Rand: newRand(seed)})
	require.NoError(t, err)
	return d
}

// TestRetriesUntilDelivered: an endpoint that fails the first three
// attempts gets the event once successfully, always with the same
// webhook-id, after growing waits.
func TestRetriesUntilDelivered(t *testing.T) {
	eachPair(t, func(t *testing.T, st, _ storage.Store) {
		ctx := context.Background()
		clk := clocktest.Default()
		rc := newReceiver(t, func(n int, _ received) int {
			if n <= 3 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		d := newDeliverer(t, st, clk, rc.srv.URL, 1)
		appendEvents(t, st, clk, "1111aaaa", 1)

		p, err := d.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, webhook.Pass{Enqueued: 1, Retried: 1}, p)
		for attempt := 2; attempt <= 4; attempt++ {
			p, err = d.RunOnce(ctx)
			require.NoError(t, err)
			assert.Zero(t, p.Delivered+p.Retried, "not due yet")
			clk.Advance(time.Duration(1<<(attempt-1)) * 1500 * time.Millisecond) // the backoff with its largest jitter
			p, err = d.RunOnce(ctx)
			require.NoError(t, err)
		}
		assert.Equal(t, 1, p.Delivered)
		msgs := rc.messages()
		require.Len(t, msgs, 4)
		for _, m := range msgs {
			assert.Equal(t, msgs[0].id, m.id, "the same webhook-id on every attempt")
		}
		p, err = d.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, webhook.Pass{}, p, "nothing left")
	})
}

// crashing is an outbox whose deliverer dies after sending: it never
// acknowledges.
type crashing struct{ storage.Outbox }

func (crashing) CompleteDelivery(context.Context, string, int64, string, time.Time) error {
	return errors.New("the process died")
}

// TestRedeliveredAfterACrash: a deliverer stopped between claiming and
// acknowledging leaves the delivery to its lease; another deliverer sends
// it again with the same webhook-id (at least once).
func TestRedeliveredAfterACrash(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		ctx := context.Background()
		clk := clocktest.Default()
		rc := newReceiver(t, nil)
		appendEvents(t, a, clk, "2222bbbb", 1)
		dead := newDeliverer(t, crashing{a}, clk, rc.srv.URL, 1)
		_, err := dead.RunOnce(ctx)
		require.Error(t, err)
		require.Len(t, rc.messages(), 1)

		live := newDeliverer(t, b, clk, rc.srv.URL, 2)
		p, err := live.RunOnce(ctx)
		require.NoError(t, err)
		assert.Zero(t, p.Delivered, "held by the dead claim until its lease ends")
		clk.Advance(time.Minute)
		p, err = live.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, p.Delivered)
		msgs := rc.messages()
		require.Len(t, msgs, 2)
		assert.Equal(t, msgs[0].id, msgs[1].id)
	})
}

// TestTwoDeliverersNeverOverlap: two deliverers on one database, passing
// at the same time over a slow endpoint, never post the same message at
// the same time, and deliver every event.
func TestTwoDeliverersNeverOverlap(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		ctx := context.Background()
		clk := clocktest.Default()
		rc := newReceiver(t, nil)
		rc.delay = 5 * time.Millisecond
		for u := range 6 {
			appendEvents(t, a, clk, fmt.Sprintf("%04dcccc", u), 5)
		}
		small := func(c *webhook.Config) { c.BatchSize = 7 }
		ds := []*webhook.Deliverer{newDeliverer(t, a, clk, rc.srv.URL, 1, small), newDeliverer(t, b, clk, rc.srv.URL, 2, small)}
		var wg sync.WaitGroup
		for round := 0; round < 20 && countDistinct(rc.messages()) < 30; round++ {
			for _, d := range ds {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := d.RunOnce(ctx)
					assert.NoError(t, err)
				}()
			}
			wg.Wait()
		}
		msgs := rc.messages()
		assert.Equal(t, 30, countDistinct(msgs), "every event delivered")
		assert.Len(t, msgs, 30, "each once: no lease ran out")
		assert.Zero(t, rc.overlaps, "never the same message twice at once")

		// Each user's events arrived in order.
		last := map[string]int64{}
		for _, m := range msgs {
			assert.Greater(t, m.seq, last[m.userID], "user %s out of order", m.userID)
			last[m.userID] = m.seq
		}
	})
}

// TestNoPostOutlivesItsLease: a deliverer posts one delivery at a time
// to an endpoint that takes 30 s per message; of its three claimed
// deliveries (lease 60 s, timeout 10 s), the third would start when its
// lease is over, so it is left to the next claim instead of being posted
// while another deliverer may post it too.
func TestNoPostOutlivesItsLease(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		ctx := context.Background()
		clk := clocktest.Default()
		rc := newReceiver(t, func(int, received) int {
			clk.Advance(30 * time.Second)
			return http.StatusNoContent
		})
		for u := range 3 {
			appendEvents(t, a, clk, fmt.Sprintf("%04ddddd", u), 1)
		}
		one := func(c *webhook.Config) { c.Concurrency, c.BatchSize = 1, 3 }
		p, err := newDeliverer(t, a, clk, rc.srv.URL, 1, one).RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, p.Delivered)
		require.Len(t, rc.messages(), 2, "the third post would have outlived its lease")

		p, err = newDeliverer(t, b, clk, rc.srv.URL, 2, one).RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, p.Delivered, "the next claim, once the lease ran out, sends it")
		assert.Equal(t, 3, countDistinct(rc.messages()))
	})
}

func countDistinct(msgs []received) int {
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.id] = true
	}
	return len(seen)
}

// TestPerUserOrderWaitsForARetry: while a user's event waits for its next
// attempt, the user's later events wait too; other users' do not.
func TestPerUserOrderWaitsForARetry(t *testing.T) {
	eachPair(t, func(t *testing.T, st, _ storage.Store) {
		ctx := context.Background()
		clk := clocktest.Default()
		var failed atomic.Bool
		rc := newReceiver(t, func(_ int, r received) int {
			if r.userID == "3333dddd" && failed.CompareAndSwap(false, true) {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		appendEvents(t, st, clk, "3333dddd", 2)
		appendEvents(t, st, clk, "4444eeee", 2)
		d := newDeliverer(t, st, clk, rc.srv.URL, 1, func(c *webhook.Config) { c.Concurrency = 1 })
		for range 3 {
			_, err := d.RunOnce(ctx)
			require.NoError(t, err)
		}
		var byUser = map[string][]int64{}
		for _, m := range rc.messages() {
			byUser[m.userID] = append(byUser[m.userID], m.seq)
		}
		assert.Len(t, byUser["4444eeee"], 2, "the other user is not held up")
		assert.Len(t, byUser["3333dddd"], 1, "the second event waits for the first")
		clk.Advance(2 * time.Second)
		for range 2 {
			_, err := d.RunOnce(ctx)
			require.NoError(t, err)
		}
		seqs := []int64{}
		for _, m := range rc.messages() {
			if m.userID == "3333dddd" {
				seqs = append(seqs, m.seq)
			}
		}
		require.Len(t, seqs, 3)
		assert.Equal(t, seqs[0], seqs[1], "the first again")
		assert.Less(t, seqs[1], seqs[2], "then the second")
	})
}

// TestFailedAndReplayed: a delivery that fails MaxAttempts times is failed
// for good; an operator lists it and replays it.
func TestFailedAndReplayed(t *testing.T) {
	eachPair(t, func(t *testing.T, st, _ storage.Store) {
		ctx := context.Background()
		clk := clocktest.Default()
		var up atomic.Bool
		rc := newReceiver(t, func(int, received) int {
			if up.Load() {
				return http.StatusOK
			}
			return http.StatusGone
		})
		appendEvents(t, st, clk, "5555ffff", 1)
		d := newDeliverer(t, st, clk, rc.srv.URL, 1, func(c *webhook.Config) { c.MaxAttempts = 3 })
		var total webhook.Pass
		for range 3 {
			p, err := d.RunOnce(ctx)
			require.NoError(t, err)
			total.Retried += p.Retried
			total.Failed += p.Failed
			clk.Advance(time.Hour)
		}
		assert.Equal(t, 2, total.Retried)
		assert.Equal(t, 1, total.Failed)
		failed, err := d.Failed(ctx, "", 0, 0)
		require.NoError(t, err)
		require.Len(t, failed, 1)
		assert.Equal(t, 3, failed[0].Attempts)
		assert.Equal(t, http.StatusGone, failed[0].LastStatus)
		assert.Equal(t, "the endpoint answered 410", failed[0].LastError)

		up.Store(true)
		require.NoError(t, d.Replay(ctx, "ep-1", failed[0].Event.Seq))
		require.ErrorIs(t, d.Replay(ctx, "ep-1", failed[0].Event.Seq), storage.ErrConflict, "pending now, not failed")
		p, err := d.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, p.Delivered)
		failed, err = d.Failed(ctx, "", 0, 0)
		require.NoError(t, err)
		assert.Empty(t, failed)
	})
}

func TestNewChecksTheConfig(t *testing.T) {
	st := memory.New()
	tests := []struct {
		name string
		cfg  webhook.Config
	}{
		{"no endpoint", webhook.Config{}},
		{"bad id", webhook.Config{Endpoints: []webhook.Endpoint{{ID: "Bad Id", URL: "https://x.example", Secret: testSecret}}}},
		{"bad url", webhook.Config{Endpoints: []webhook.Endpoint{{ID: "a", URL: "x.example/hook", Secret: testSecret}}}},
		{"bad secret", webhook.Config{Endpoints: []webhook.Endpoint{{ID: "a", URL: "https://x.example", Secret: "s3cret"}}}},
		{"duplicate", webhook.Config{Endpoints: []webhook.Endpoint{{ID: "a", URL: "https://x.example", Secret: testSecret}, {ID: "a", URL: "https://y.example", Secret: testSecret}}}},
		{"lease not longer than the timeout", webhook.Config{Endpoints: []webhook.Endpoint{{ID: "a", URL: "https://x.example", Secret: testSecret}}, Timeout: time.Minute, Lease: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.New(st, tt.cfg, onboardkit.Runtime{})
			assert.Error(t, err)
		})
	}
	s, err := webhook.NewSecret(newRand(1))
	require.NoError(t, err)
	_, err = webhook.New(st, webhook.Config{Endpoints: []webhook.Endpoint{{ID: "a", URL: "https://x.example", Secret: s}}}, onboardkit.Runtime{})
	assert.NoError(t, err)
}

// BenchmarkDelivery reports events delivered per second to a local
// receiver, from one deliverer.
func BenchmarkDelivery(b *testing.B) {
	for _, s := range []struct {
		name string
		new  func(b *testing.B) storage.Store
	}{
		{"memory", func(*testing.B) storage.Store { return memory.New() }},
		{"postgres", func(b *testing.B) storage.Store { return postgrestest.New(b) }},
	} {
		b.Run(s.name, func(b *testing.B) {
			st := s.new(b)
			clk := clocktest.Default()
			rc := newReceiver(b, nil)
			d := newDeliverer(b, st, clk, rc.srv.URL, 1, func(c *webhook.Config) { c.BatchSize = 200; c.Concurrency = 16 })
			ctx := context.Background()
			const perRound = 200
			delivered, busy, round := 0, time.Duration(0), 0
			for b.Loop() {
				round++
				b.StopTimer()
				for u := range perRound {
					e := &storage.Event{ID: strconv.Itoa(round) + "-" + strconv.Itoa(u), Type: "kyc.approved", UserID: fmt.Sprintf("u%05d", u), At: clk.Now()}
					if err := st.AppendEvent(ctx, e); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				for done := 0; done < perRound; {
					p, err := d.RunOnce(ctx)
					if err != nil {
						b.Fatal(err)
					}
					done += p.Delivered
					delivered += p.Delivered
				}
				busy += time.Since(start)
			}
			b.ReportMetric(float64(delivered)/busy.Seconds(), "events/s")
		})
	}
}
