// Package webhook delivers the module's events to HTTP endpoints: a
// transactional outbox with at-least-once delivery, signed as the Standard
// Webhooks specification (https://www.standardwebhooks.com) says.
//
// Every event a step raises is appended to the store's audit log in the
// step's unit of work (package onboarding), so an event exists exactly
// when its step committed. A Deliverer, which the host runs on any number
// of replicas (Run), enqueues new events — one pending delivery per
// endpoint — claims due deliveries under a lease, POSTs each to its
// endpoint and acknowledges it. A failed attempt is retried with
// exponential backoff and jitter until Config.MaxAttempts, then the
// delivery is failed: Failed lists them and Replay sends one again.
//
// Guarantees, with the storage contract of storage.Outbox:
//
//   - At least once: a delivery is acknowledged only after a 2xx answer; a
//     deliverer stopped between claiming and acknowledging leaves the lease
//     to expire, and another deliverer sends the message again with the
//     same webhook-id, which receivers use to drop duplicates.
//   - One sender at a time: a delivery is held by one claim until its lease
//     ends (Config.Lease, longer than Config.Timeout), and a deliverer
//     posts a claimed delivery only while at least Config.Timeout of its
//     lease is left (one that waited too long for a free slot is left to
//     the next claim), so two deliverers on one database never post the
//     same message at the same time, as long as their clocks agree.
//   - Per-user order: a user's next event is not sent to an endpoint before
//     the previous one was delivered or failed for good. A user's events
//     commit in the order of their seq, even from concurrent steps on
//     different replicas (storage.Audit.AppendEvent), so the seq in the
//     payload increases from one message of a user to the next.
//
// Each message is
//
//	POST <endpoint URL>
//	webhook-id: <the event's id>
//	webhook-timestamp: <unix seconds of this attempt>
//	webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>
//	content-type: application/json
//
//	{"type":"kyc.approved","timestamp":"2026-…Z","data":{"eventId":"…","seq":42,"userId":"…"}}
//
// Payloads carry ids, types, statuses, counts and timestamps only: the
// event's data keys are filtered against onboarding.EventDataKeys, which
// hold no personal data, codes or tokens.
package webhook

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/storage"
)

// Endpoint is one receiver of the events.
type Endpoint struct {
	// ID names the endpoint in the outbox: 1 to 64 of a-z, 0-9, '_', '.'
	// and '-'. Keep it stable: pending deliveries belong to it.
	ID string
	// URL receives the messages (http or https; https in production).
	URL string
	// Secret signs the messages: "whsec_" and the base64 of 24 to 64
	// random bytes (NewSecret).
	Secret string
}

// Config configures a Deliverer. Endpoints is required; every other zero
// value is the documented default.
type Config struct {
	Endpoints []Endpoint
	// MaxAttempts is how many failed attempts make a delivery failed for
	// good (default 10).
	MaxAttempts int
	// MinBackoff is the wait after the first failure (default 10s); each
	// further failure doubles it, up to MaxBackoff (default 1h), with a
	// jitter of ±50%.
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration
	// Lease is how long a claim holds a delivery (default 1 minute; more
	// than Timeout).
	Lease time.Duration
	// BatchSize is how many events are enqueued, and deliveries claimed,
	// per pass (default 100).
	BatchSize int
	// Concurrency is how many messages one pass sends at once (default 8).
	Concurrency int
	// PollInterval is the pause of Run after a pass that found nothing to
	// do (default 1s).
	PollInterval time.Duration
	// Client sends the messages (default: an http.Client that follows no
	// redirect; Timeout applies through the request context).
	Client *http.Client
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.MinBackoff, 10*time.Second)
	def(&c.MaxBackoff, time.Hour)
	def(&c.Timeout, 10*time.Second)
	def(&c.Lease, time.Minute)
	def(&c.PollInterval, time.Second)
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.Client == nil {
		c.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return c
}

// endpoint is an Endpoint with its key decoded.
type endpoint struct {
	Endpoint
	key []byte
}

// Deliverer delivers the outbox of a store. It is safe for concurrent use;
// run one per replica (or several).
type Deliverer struct {
	st        storage.Outbox
	cfg       Config
	rt        onboardkit.Runtime
	endpoints map[string]endpoint
	ids       []string
	dataKeys  []string

	mu sync.Mutex // guards rt.Rand
}

// New checks cfg and returns a Deliverer of st's outbox.
func New(st storage.Outbox, cfg Config, rt onboardkit.Runtime) (*Deliverer, error) {
	cfg = cfg.withDefaults()
	d := &Deliverer{st: st, cfg: cfg, rt: rt.WithDefaults(), endpoints: map[string]endpoint{}, dataKeys: onboarding.EventDataKeys()}
	var problems []error
	if len(cfg.Endpoints) == 0 {
		problems = append(problems, errors.New("at least one endpoint is required"))
	}
	if cfg.Lease <= cfg.Timeout {
		problems = append(problems, fmt.Errorf("the lease (%s) must be longer than the timeout (%s)", cfg.Lease, cfg.Timeout))
	}
	for _, e := range cfg.Endpoints {
		if err := checkEndpoint(e); err != nil {
			problems = append(problems, err)
			continue
		}
		if _, dup := d.endpoints[e.ID]; dup {
			problems = append(problems, fmt.Errorf("endpoint %q: duplicate id", e.ID))
			continue
		}
		key, _ := decodeSecret(e.Secret)
		d.endpoints[e.ID] = endpoint{Endpoint: e, key: key}
		d.ids = append(d.ids, e.ID)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("webhook: invalid config: %w", errors.Join(problems...))
	}
	return d, nil
}

func checkEndpoint(e Endpoint) error {
	if !validID(e.ID) {
		return fmt.Errorf("endpoint %q: an id is 1 to 64 of a-z, 0-9, '_', '.' and '-'", e.ID)
	}
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("endpoint %q: the URL must be an absolute http(s) URL", e.ID)
	}
	if _, err := decodeSecret(e.Secret); err != nil {
		return fmt.Errorf("endpoint %q: %w", e.ID, err)
	}
	return nil
}

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Pass counts what one pass did.
type Pass struct {
	Enqueued  int // events enqueued
	Delivered int // messages acknowledged by their endpoint
	Retried   int // failed attempts to retry later
	Failed    int // deliveries failed for good
}

// Run delivers until ctx ends: a pass, then another at once if there was
// work, else after Config.PollInterval. Errors of a pass (a store outage)
// are returned only when ctx ends; in between they pause like an idle
// pass.
func (d *Deliverer) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		p, err := d.RunOnce(ctx)
		wait := time.Duration(0)
		if err != nil || p == (Pass{}) {
			wait = d.cfg.PollInterval
		}
		t.Reset(wait)
	}
}

// RunOnce makes one pass: it enqueues new events, claims the due
// deliveries and sends them, Config.Concurrency at a time.
func (d *Deliverer) RunOnce(ctx context.Context) (Pass, error) {
	var p Pass
	now := d.rt.Now()
	n, err := d.st.EnqueueDeliveries(ctx, d.ids, now, d.cfg.BatchSize)
	if err != nil {
		return p, fmt.Errorf("webhook: enqueue: %w", err)
	}
	p.Enqueued = n
	token, err := d.token()
	if err != nil {
		return p, err
	}
	claimed, err := d.st.ClaimDeliveries(ctx, token, now, d.cfg.Lease, d.cfg.BatchSize)
	if err != nil {
		return p, fmt.Errorf("webhook: claim: %w", err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, d.cfg.Concurrency)
	var firstErr error
	for _, dl := range claimed {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			outcome, err := d.deliver(ctx, dl, token)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && firstErr == nil:
				firstErr = err
			case outcome == delivered:
				p.Delivered++
			case outcome == retried:
				p.Retried++
			case outcome == failed:
				p.Failed++
			}
		}()
	}
	wg.Wait()
	return p, firstErr
}

type outcome int

const (
	lost outcome = iota // the claim was lost; someone else sends it
	delivered
	retried
	failed
)

// deliver sends one claimed delivery and records the outcome.
func (d *Deliverer) deliver(ctx context.Context, dl *storage.Delivery, token string) (outcome, error) {
	ep, ok := d.endpoints[dl.EndpointID]
	if !ok {
		// An endpoint this deliverer does not know (a replica configured
		// differently during a roll-out): leave it to the lease, for a
		// deliverer that knows it.
		return lost, nil
	}
	if d.rt.Now().Add(d.cfg.Timeout).After(dl.LeaseUntil) {
		// It waited for a slot so long that its attempt could outlive
		// the lease, when another deliverer may claim and post it: leave
		// it to the next claim.
		return lost, nil
	}
	status, reason := d.post(ctx, ep, dl)
	if reason == "" {
		err := d.st.CompleteDelivery(ctx, dl.EndpointID, dl.Event.Seq, token, d.rt.Now())
		if errors.Is(err, storage.ErrConflict) {
			return lost, nil // delivered, but another claim took over: it sends again (at least once)
		}
		if err != nil {
			return lost, fmt.Errorf("webhook: acknowledge: %w", err)
		}
		return delivered, nil
	}
	return d.fail(ctx, dl, token, status, reason, dl.Attempts+1 >= d.cfg.MaxAttempts)
}

func (d *Deliverer) fail(ctx context.Context, dl *storage.Delivery, token string, status int, reason string, final bool) (outcome, error) {
	next := d.rt.Now().Add(d.backoff(dl.Attempts + 1))
	err := d.st.FailDelivery(ctx, dl.EndpointID, dl.Event.Seq, token, status, reason, next, final)
	if errors.Is(err, storage.ErrConflict) {
		return lost, nil
	}
	if err != nil {
		return lost, fmt.Errorf("webhook: record a failed attempt: %w", err)
	}
	if final {
		return failed, nil
	}
	return retried, nil
}

// backoff is the wait after the attempt-th failure: MinBackoff doubled
// attempt-1 times, at most MaxBackoff, times a jitter in [0.5, 1.5).
func (d *Deliverer) backoff(attempt int) time.Duration {
	b := d.cfg.MinBackoff
	for i := 1; i < attempt && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.cfg.MaxBackoff)
	var r [8]byte
	d.mu.Lock()
	_, err := io.ReadFull(d.rt.Rand, r[:])
	d.mu.Unlock()
	if err != nil {
		return b
	}
	jitter := 0.5 + float64(binary.BigEndian.Uint64(r[:])>>11)/float64(1<<53)
	return time.Duration(float64(b) * jitter)
}

// token returns a fresh claim token.
func (d *Deliverer) token() (string, error) {
	var b [16]byte
	d.mu.Lock()
	_, err := io.ReadFull(d.rt.Rand, b[:])
	d.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("webhook: claim token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// post sends the message of dl to ep and returns the status and, when it
// failed, why (never a secret, never the response body).
func (d *Deliverer) post(ctx context.Context, ep endpoint, dl *storage.Delivery) (int, string) {
	body, err := d.Payload(dl.Event)
	if err != nil {
		return 0, err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "the request could not be built"
	}
	ts := d.rt.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "onboardkit-webhook/1")
	req.Header.Set(HeaderID, dl.Event.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, signature(ep.key, dl.Event.ID, ts, body))
	res, err := d.cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, "no answer within the timeout"
		}
		return 0, "the endpoint could not be reached"
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	_ = res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, "the endpoint answered " + strconv.Itoa(res.StatusCode)
	}
	return res.StatusCode, ""
}

// Payload returns the JSON body of an event's message: its type, time and
// data (the event id, its sequence number, the user id and the event's
// data keys that onboarding.EventDataKeys lists; nothing else).
func (d *Deliverer) Payload(e storage.Event) ([]byte, error) {
	data := map[string]any{"eventId": e.ID, "seq": e.Seq}
	if e.UserID != "" {
		data["userId"] = e.UserID
	}
	for k, v := range e.Data {
		if slices.Contains(d.dataKeys, k) {
			data[k] = v
		}
	}
	return json.Marshal(struct {
		Type      string         `json:"type"`
		Timestamp time.Time      `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}{e.Type, e.At.UTC(), data})
}

// Failed returns the deliveries of an endpoint ("" every one) that failed
// for good, after the event sequence number after, at most limit (1 to
// 100; 0 is 50).
func (d *Deliverer) Failed(ctx context.Context, endpointID string, after int64, limit int) ([]*storage.Delivery, error) {
	if limit <= 0 {
		limit = 50
	}
	return d.st.ListDeliveries(ctx, storage.DeliveryQuery{EndpointID: endpointID, State: storage.DeliveryFailed, After: after, Limit: min(limit, 100)})
}

// Replay makes a failed delivery pending again, due now: the next pass
// sends it with its original webhook-id.
func (d *Deliverer) Replay(ctx context.Context, endpointID string, seq int64) error {
	return d.st.ReplayDelivery(ctx, endpointID, seq, d.rt.Now())
}
