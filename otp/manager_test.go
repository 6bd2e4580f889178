package otp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

var testKey = bytes.Repeat([]byte("k"), 32)

const phone = "+33614125910"

type harness struct {
	m     *Manager
	store *memory.Store
	clock *clocktest.Clock
	rec   *sink
}

func newHarness(t testing.TB, mod ...func(*Config)) *harness {
	t.Helper()
	h := &harness{store: memory.New(), clock: clocktest.Default(), rec: &sink{}}
	var cfg Config
	for _, f := range mod {
		f(&cfg)
	}
	m, err := NewManager(h.store, testKey, Senders{SMS: h.rec, Email: h.rec}, cfg, onboardkit.Runtime{Clock: h.clock})
	must(t, err)
	h.m = m
	return h
}

// issue issues and sends a phone confirmation code in English and returns
// the challenge id and the code as received.
func (h *harness) issue(t testing.TB) (string, string) {
	t.Helper()
	return h.issueIn(t, "en")
}

// issueIn is issue in another locale.
func (h *harness) issueIn(t testing.TB, locale string) (string, string) {
	t.Helper()
	ctx := context.Background()
	p, err := h.m.Issue(ctx, IssueRequest{UserID: "u1", Purpose: PurposePhoneConfirmation, Channel: ChannelSMS, Destination: phone, Locale: locale})
	must(t, err)
	must(t, h.m.Send(ctx, p))
	return p.Challenge.ID, h.rec.LastCode(phone)
}

func (h *harness) stored(t testing.TB, id string) *storage.Challenge {
	t.Helper()
	c, err := h.store.GetChallenge(context.Background(), id)
	must(t, err)
	return c
}

// wrong returns a code of the right length that differs from code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestNewManagerConfig(t *testing.T) {
	store := memory.New()
	var rt onboardkit.Runtime
	_, err := NewManager(store, []byte("short"), Senders{}, Config{}, rt)
	isTrue(t, err != nil && strings.Contains(err.Error(), "key"), err)
	_, err = NewManager(nil, nil, Senders{}, Config{CodeLength: 3, TTL: -1, MaxAttempts: -1}, rt)
	isTrue(t, err != nil, "invalid config accepted")
	for _, want := range []string{"store", "key", "CodeLength", "TTL", "MaxAttempts"} {
		isTrue(t, strings.Contains(err.Error(), want), "every problem listed:", want, err)
	}
	_, err = NewManager(store, testKey, Senders{}, Config{CodeLength: 11}, rt)
	isTrue(t, err != nil, "length 11 accepted")
	m, err := NewManager(store, testKey, Senders{}, Config{}, rt)
	must(t, err)
	eq(t, m.cfg.CodeLength, 6)
	eq(t, m.cfg.TTL, 10*time.Minute)
	eq(t, m.cfg.MaxAttempts, 5)
	eq(t, m.cfg.MaxSends, 5)
	eq(t, m.cfg.ResendCooldown, 30*time.Second)
	eq(t, m.cfg.DestinationLimit, 10)
	eq(t, m.cfg.DestinationWindow, time.Hour)
	isTrue(t, m.cfg.Templates != nil, "default templates")
	isTrue(t, m.rt.Clock != nil && m.rt.Rand != nil && m.rt.Logger != nil, "Runtime defaults")
}

func TestIssueStoresOnlyTheHash(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, err := h.m.Issue(ctx, IssueRequest{UserID: "u1", Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone, Locale: "fr", Payload: []byte("x")})
	must(t, err)
	eq(t, h.rec.Len(), 0, "Issue sends nothing")
	c := h.stored(t, p.Challenge.ID)
	now := h.clock.Now()
	eq(t, c.UserID, "u1")
	eq(t, c.Purpose, "login")
	eq(t, c.Channel, "sms")
	eq(t, c.Destination, phone)
	eq(t, c.Locale, "fr")
	eq(t, c.Sends, 1)
	eq(t, c.Attempts, 0)
	eq(t, c.MaxAttempts, 5)
	eq(t, c.CreatedAt, now)
	eq(t, c.LastSentAt, now)
	eq(t, c.ExpiresAt, now.Add(10*time.Minute))
	eq(t, c.ResendAt, now.Add(30*time.Second))
	eq(t, c.Payload, []byte("x"))
	eq(t, len(c.CodeHash), 32)
	eq(t, len(p.code), 6)
	isTrue(t, !bytes.Contains(c.CodeHash, []byte(p.code)), "clear code stored")
	eq(t, c.CodeHash, h.m.mac.codeHash(c.ID, PurposeLogin, p.code))
	// The Pending holds the same challenge, without its hash.
	eq(t, p.Challenge, Challenge{
		ID: c.ID, UserID: "u1", Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone, Locale: "fr",
		CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute), MaxAttempts: 5, Sends: 1,
		LastSentAt: now, ResendAt: now.Add(30 * time.Second), Payload: []byte("x"),
	})
	got, err := h.m.Get(ctx, c.ID)
	must(t, err)
	eq(t, *got, p.Challenge, "Get")
	// The Pending never prints its code.
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%d"} {
		isTrue(t, !strings.Contains(fmt.Sprintf(f, p), p.code), f)
		isTrue(t, !strings.Contains(fmt.Sprintf(f, *p), p.code), f)
	}

	must(t, h.m.Send(ctx, p))
	msg := h.rec.Last(phone)
	eq(t, msg.Code, p.code)
	eq(t, msg.Channel, ChannelSMS)
	eq(t, msg.Purpose, PurposeLogin)
	eq(t, msg.Locale, "fr")
	isTrue(t, strings.HasPrefix(msg.Body, "Votre code"), msg.Body)
	eq(t, msg.Subject, "", "no subject on SMS")
	isTrue(t, strings.Contains(msg.Body, p.code), msg.Body)
}

func TestIssueValidation(t *testing.T) {
	h := newHarness(t)
	type field struct {
		name string
		code onboardkit.FieldCode
	}
	fieldsOf := func(err error) []field {
		t.Helper()
		var out []field
		for _, f := range okErr(t, err, onboardkit.CodeValidation).Fields {
			out = append(out, field{f.Field, f.Code})
		}
		return out
	}
	_, err := h.m.Issue(context.Background(), IssueRequest{Channel: "pigeon"})
	eq(t, fieldsOf(err), []field{
		{"purpose", onboardkit.FieldRequired}, {"channel", onboardkit.FieldInvalid}, {"destination", onboardkit.FieldRequired},
	})
	_, err = h.m.Issue(context.Background(), IssueRequest{Purpose: Purpose(strings.Repeat("p", 65)), Channel: ChannelSMS, Destination: strings.Repeat("1", 321), Locale: strings.Repeat("f", 36)})
	eq(t, fieldsOf(err), []field{
		{"purpose", onboardkit.FieldTooLong}, {"destination", onboardkit.FieldTooLong}, {"locale", onboardkit.FieldTooLong},
	})
	// ChannelTOTP needs no destination, but bounds one.
	_, err = h.m.Issue(context.Background(), IssueRequest{Purpose: PurposeLogin, Channel: ChannelTOTP, Destination: strings.Repeat("1", 321)})
	eq(t, fieldsOf(err), []field{{"destination", onboardkit.FieldTooLong}})
}

func TestIssueWithoutSender(t *testing.T) {
	h := newHarness(t)
	h.m.senders.Email = nil
	_, err := h.m.Issue(context.Background(), IssueRequest{Purpose: PurposeEmailConfirmation, Channel: ChannelEmail, Destination: "a@example.com"})
	isTrue(t, errors.Is(err, ErrNoSender), err)
}

func TestVerify(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, code := h.issue(t)
	c, err := h.m.Verify(ctx, id, " "+code+" ", PurposePhoneConfirmation)
	must(t, err)
	eq(t, c.UserID, "u1")
	eq(t, c.ConsumedAt, h.clock.Now())
	eq(t, h.stored(t, id).ConsumedAt, h.clock.Now())
	// A consumed code cannot be used again.
	_, err = h.m.Verify(ctx, id, code, PurposePhoneConfirmation)
	okErr(t, err, onboardkit.CodeInvalidCode)
	isTrue(t, errors.Is(err, onboardkit.ErrInvalidCode))
}

// An answer given to a challenge in the tests that run for both ways of
// answering one.
type answer int

const (
	rightAnswer  answer = iota
	wrongAnswer         // a wrong code, or a factor that does not check out
	otherPurpose        // the right answer, for another purpose
)

// answerer answers one challenge and, when the answer is accepted, consumes
// it.
type answerer func(ctx context.Context, a answer) error

// ways are the two ways of answering a challenge: a code through Check (a
// phone confirmation code sent by SMS) and a factor through CheckFactor (a
// ChannelTOTP login challenge).
var ways = []struct {
	name  string
	issue func(*harness, testing.TB) (string, answerer)
}{
	{"code", (*harness).codeChallenge},
	{"factor", (*harness).factorChallenge},
}

// codeChallenge issues and sends a phone confirmation code and returns the
// challenge id and its answerer (Verify: Check then Consume).
func (h *harness) codeChallenge(t testing.TB) (string, answerer) {
	t.Helper()
	id, code := h.issue(t)
	return id, func(ctx context.Context, a answer) error {
		c, purpose := code, PurposePhoneConfirmation
		switch a {
		case wrongAnswer:
			c = wrong(code)
		case otherPurpose:
			purpose = PurposeLogin
		}
		_, err := h.m.Verify(ctx, id, c, purpose)
		return err
	}
}

// factorChallenge issues a ChannelTOTP login challenge and returns its id
// and its answerer (CheckFactor then Consume).
func (h *harness) factorChallenge(t testing.TB) (string, answerer) {
	t.Helper()
	id := h.issueFactor(t).Challenge.ID
	return id, func(ctx context.Context, a answer) error {
		verify, purpose := accept, PurposeLogin
		switch a {
		case wrongAnswer:
			verify = reject
		case otherPurpose:
			purpose = PurposePasswordReset
		}
		v, err := h.m.CheckFactor(ctx, id, purpose, verify)
		if err == nil {
			err = h.m.Consume(ctx, v)
		}
		return err
	}
}

// A code (Check) and a factor (CheckFactor) answer alike: the same state
// errors in the same order, and wrong answers counted the same way.
func TestAnswerStates(t *testing.T) {
	ctx := context.Background()
	type step struct {
		answer  answer
		advance time.Duration
		want    onboardkit.Code
		remain  int // -1: AttemptsRemaining must be nil
	}
	tests := []struct {
		name     string
		steps    []step
		attempts int // stored attempts after the steps
	}{
		{"wrong answers count down then burn", []step{
			{wrongAnswer, 0, onboardkit.CodeInvalidCode, 4},
			{wrongAnswer, 0, onboardkit.CodeInvalidCode, 3},
			{wrongAnswer, 0, onboardkit.CodeInvalidCode, 2},
			{wrongAnswer, 0, onboardkit.CodeInvalidCode, 1},
			{wrongAnswer, 0, onboardkit.CodeTooManyAttempts, 0},
			{rightAnswer, 0, onboardkit.CodeTooManyAttempts, 0},
			{rightAnswer, time.Hour, onboardkit.CodeTooManyAttempts, 0}, // burned before expired
		}, 5},
		{"expired", []step{
			{rightAnswer, 10 * time.Minute, onboardkit.CodeCodeExpired, -1},
		}, 0},
		{"expired wrong answer is not counted", []step{
			{wrongAnswer, 11 * time.Minute, onboardkit.CodeCodeExpired, -1},
		}, 0},
		{"other purpose", []step{
			{otherPurpose, 0, onboardkit.CodeInvalidCode, -1},
		}, 0},
		{"right answer after wrong ones still works", []step{
			{wrongAnswer, 0, onboardkit.CodeInvalidCode, 4},
			{rightAnswer, 0, "", 0},
			{rightAnswer, 0, onboardkit.CodeInvalidCode, -1},         // consumed
			{wrongAnswer, 0, onboardkit.CodeInvalidCode, -1},         // and not counted
			{rightAnswer, time.Hour, onboardkit.CodeInvalidCode, -1}, // consumed before expired
		}, 1},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					h := newHarness(t)
					id, answer := w.issue(h, t)
					for i, s := range tt.steps {
						h.clock.Advance(s.advance)
						err := answer(ctx, s.answer)
						if s.want == "" {
							must(t, err)
							continue
						}
						answerErr(t, err, s.want, s.remain, "step", i)
					}
					eq(t, h.stored(t, id).Attempts, tt.attempts)
				})
			}
		})
	}
}

// Every wrong code counts, whatever its length or characters.
func TestCheckMalformedCodesCount(t *testing.T) {
	h := newHarness(t)
	id, _ := h.issue(t)
	for i, code := range []string{"12", "abcdef", "", strings.Repeat("9", 1000)} {
		_, err := h.m.Verify(context.Background(), id, code, PurposePhoneConfirmation)
		answerErr(t, err, onboardkit.CodeInvalidCode, 4-i, code)
	}
	eq(t, h.stored(t, id).Attempts, 4)
}

func TestUnknownChallengeIsInvalidCode(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, id := range []string{"", "nope", strings.Repeat("x", 500)} {
		_, err := h.m.Verify(ctx, id, "123456", PurposeLogin)
		okErr(t, err, onboardkit.CodeInvalidCode)
		_, err = h.m.Resend(ctx, id, PurposeLogin)
		okErr(t, err, onboardkit.CodeInvalidCode)
	}
	_, err := h.m.Get(ctx, "nope")
	okErr(t, err, onboardkit.CodeInvalidCode)
	isTrue(t, errors.Is(err, storage.ErrNotFound), "wraps storage.ErrNotFound")
	// A challenge without a code (a TOTP login challenge) never verifies.
	must(t, h.store.CreateChallenge(ctx, &storage.Challenge{ID: "totp1", Purpose: "login", Channel: "totp", MaxAttempts: 5, ExpiresAt: h.clock.Now().Add(time.Hour)}))
	_, err = h.m.Verify(ctx, "totp1", "", PurposeLogin)
	okErr(t, err, onboardkit.CodeInvalidCode)
}

func TestCheckThenConsume(t *testing.T) {
	ctx := context.Background()
	t.Run("two verified, one consumes", func(t *testing.T) {
		h := newHarness(t)
		id, code := h.issue(t)
		v1, err := h.m.Check(ctx, id, code, PurposePhoneConfirmation)
		must(t, err)
		v2, err := h.m.Check(ctx, id, code, PurposePhoneConfirmation)
		must(t, err)
		isTrue(t, v1.Challenge.ConsumedAt.IsZero(), "Check does not consume")
		must(t, h.m.Consume(ctx, v1))
		e := okErr(t, h.m.Consume(ctx, v2), onboardkit.CodeInvalidCode)
		isTrue(t, strings.Contains(e.Message, "already"), e.Message)
	})
	t.Run("resend between check and consume", func(t *testing.T) {
		h := newHarness(t)
		id, code := h.issue(t)
		v, err := h.m.Check(ctx, id, code, PurposePhoneConfirmation)
		must(t, err)
		h.clock.Advance(30 * time.Second)
		_, err = h.m.Resend(ctx, id, PurposePhoneConfirmation)
		must(t, err)
		e := okErr(t, h.m.Consume(ctx, v), onboardkit.CodeInvalidCode)
		isTrue(t, strings.Contains(e.Message, "replaced"), e.Message)
	})
	t.Run("expiry between check and consume", func(t *testing.T) {
		h := newHarness(t)
		id, code := h.issue(t)
		v, err := h.m.Check(ctx, id, code, PurposePhoneConfirmation)
		must(t, err)
		h.clock.Advance(10 * time.Minute)
		okErr(t, h.m.Consume(ctx, v), onboardkit.CodeCodeExpired)
	})
	t.Run("burn between check and consume", func(t *testing.T) {
		h := newHarness(t)
		id, code := h.issue(t)
		v, err := h.m.Check(ctx, id, code, PurposePhoneConfirmation)
		must(t, err)
		for i := 0; i < 5; i++ {
			h.m.Verify(ctx, id, wrong(code), PurposePhoneConfirmation)
		}
		okErr(t, h.m.Consume(ctx, v), onboardkit.CodeTooManyAttempts)
	})
	t.Run("consume inside a transaction", func(t *testing.T) {
		h := newHarness(t)
		id, code := h.issue(t)
		v, err := h.m.Check(ctx, id, code, PurposePhoneConfirmation)
		must(t, err)
		boom := errors.New("rollback")
		err = h.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
			must(t, h.m.WithStore(tx).Consume(ctx, v))
			return boom
		})
		isTrue(t, errors.Is(err, boom))
		isTrue(t, h.stored(t, id).ConsumedAt.IsZero(), "rolled back")
		v.Challenge.ConsumedAt = time.Time{}
		must(t, h.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
			return h.m.WithStore(tx).Consume(ctx, v)
		}))
		isTrue(t, !h.stored(t, id).ConsumedAt.IsZero(), "committed")
	})
}

func TestResend(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, code := h.issueIn(t, "fr")
	start := h.clock.Now()

	// One wrong attempt before: it carries over.
	_, err := h.m.Verify(ctx, id, wrong(code), PurposePhoneConfirmation)
	okErr(t, err, onboardkit.CodeInvalidCode)

	_, err = h.m.Resend(ctx, id, PurposePhoneConfirmation)
	e := okErr(t, err, onboardkit.CodeResendTooSoon)
	eq(t, e.RetryAfter, 30*time.Second)
	isTrue(t, errors.Is(err, onboardkit.ErrResendTooSoon))

	codes := []string{code}
	for i, cooldown := range []time.Duration{30, 60, 120, 240} {
		cooldown *= time.Second
		h.clock.Advance(cooldown - time.Second)
		_, err = h.m.Resend(ctx, id, PurposePhoneConfirmation)
		e := okErr(t, err, onboardkit.CodeResendTooSoon)
		eq(t, e.RetryAfter, time.Second, "send", i+2)
		h.clock.Advance(time.Second)
		p, err := h.m.Resend(ctx, id, PurposePhoneConfirmation)
		must(t, err)
		must(t, h.m.Send(ctx, p))
		msg := h.rec.Last(phone)
		isTrue(t, strings.Contains(msg.Body, "Votre code"), "in the locale of the challenge:", msg.Body)
		codes = append(codes, msg.Code)
		c := h.stored(t, id)
		now := h.clock.Now()
		eq(t, c.Sends, i+2)
		eq(t, c.Attempts, 1, "attempts carried over")
		eq(t, c.LastSentAt, now)
		eq(t, c.ExpiresAt, now.Add(10*time.Minute), "fresh TTL")
		eq(t, c.ResendAt, now.Add(2*cooldown))
	}
	eq(t, h.clock.Now().Sub(start), 450*time.Second)
	h.clock.Advance(time.Hour)
	_, err = h.m.Resend(ctx, id, PurposePhoneConfirmation)
	okErr(t, err, onboardkit.CodeSendLimit)

	// Expired after an hour, and only the newest code was ever valid:
	// revive check with a fresh harness-free look at the hashes.
	c := h.stored(t, id)
	for i, old := range codes[:len(codes)-1] {
		ne(t, h.m.mac.codeHash(id, PurposePhoneConfirmation, old), c.CodeHash, "old code", i)
	}
	eq(t, h.m.mac.codeHash(id, PurposePhoneConfirmation, codes[len(codes)-1]), c.CodeHash)
}

func TestResendOldCodeStopsWorking(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, code := h.issue(t)
	h.clock.Advance(30 * time.Second)
	p, err := h.m.Resend(ctx, id, PurposePhoneConfirmation)
	must(t, err)
	must(t, h.m.Send(ctx, p))
	newCode := h.rec.LastCode(phone)
	if newCode == code {
		t.Skip("the new code happens to equal the old one")
	}
	_, err = h.m.Verify(ctx, id, code, PurposePhoneConfirmation)
	e := okErr(t, err, onboardkit.CodeInvalidCode)
	eq(t, *e.AttemptsRemaining, 4)
	_, err = h.m.Verify(ctx, id, newCode, PurposePhoneConfirmation)
	must(t, err)
}

func TestResendStates(t *testing.T) {
	ctx := context.Background()
	t.Run("expired challenge can be resent with a fresh TTL", func(t *testing.T) {
		h := newHarness(t)
		id, _ := h.issue(t)
		h.clock.Advance(11 * time.Minute)
		p, err := h.m.Resend(ctx, id, PurposePhoneConfirmation)
		must(t, err)
		must(t, h.m.Send(ctx, p))
		_, err = h.m.Verify(ctx, id, h.rec.LastCode(phone), PurposePhoneConfirmation)
		must(t, err)
	})
	t.Run("consumed", func(t *testing.T) {
		h := newHarness(t)
		id, code := h.issue(t)
		_, err := h.m.Verify(ctx, id, code, PurposePhoneConfirmation)
		must(t, err)
		h.clock.Advance(time.Minute)
		_, err = h.m.Resend(ctx, id, PurposePhoneConfirmation)
		okErr(t, err, onboardkit.CodeInvalidCode)
	})
	t.Run("burned", func(t *testing.T) {
		h := newHarness(t)
		id, code := h.issue(t)
		for i := 0; i < 5; i++ {
			h.m.Verify(ctx, id, wrong(code), PurposePhoneConfirmation)
		}
		h.clock.Advance(time.Minute)
		_, err := h.m.Resend(ctx, id, PurposePhoneConfirmation)
		okErr(t, err, onboardkit.CodeTooManyAttempts)
	})
	t.Run("other purpose", func(t *testing.T) {
		h := newHarness(t)
		id, _ := h.issue(t)
		h.clock.Advance(time.Minute)
		_, err := h.m.Resend(ctx, id, PurposeLogin)
		okErr(t, err, onboardkit.CodeInvalidCode)
	})
	t.Run("sender removed", func(t *testing.T) {
		h := newHarness(t)
		id, _ := h.issue(t)
		h.clock.Advance(time.Minute)
		m2 := *h.m
		m2.senders.SMS = nil
		_, err := m2.Resend(ctx, id, PurposePhoneConfirmation)
		isTrue(t, errors.Is(err, ErrNoSender), err)
	})
}

// plainStore hides the memory store's CapSend: a store that only counts
// (no storage.SendCapper), whose count otp checks itself.
type plainStore struct{ storage.Challenges }

func TestDestinationWindow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(*memory.Store) storage.Challenges
	}{
		{"SendCapper", func(s *memory.Store) storage.Challenges { return s }},
		{"CountSend only", func(s *memory.Store) storage.Challenges { return plainStore{s} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.DestinationLimit = 3 })
			h.m = h.m.WithStore(tc.store(h.store))
			testDestinationWindow(t, h)
		})
	}
}

func testDestinationWindow(t *testing.T, h *harness) {
	ctx := context.Background()
	// The harness clock is at 03:04:05: the window ends at 04:00:00.
	req := IssueRequest{Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone, Proven: true}
	var ids []string
	for i := 0; i < 3; i++ {
		p, err := h.m.Issue(ctx, req)
		must(t, err)
		ids = append(ids, p.Challenge.ID)
	}
	req.Destination = "+33 6 14 12 59 10" // same number, other spelling
	_, err := h.m.Issue(ctx, req)
	e := okErr(t, err, onboardkit.CodeSendLimit)
	eq(t, e.RetryAfter, 55*time.Minute+55*time.Second)
	isTrue(t, errors.Is(err, onboardkit.ErrSendLimit))
	// Resends count in the same window.
	h.clock.Advance(time.Minute)
	_, err = h.m.Resend(ctx, ids[0], PurposeLogin)
	okErr(t, err, onboardkit.CodeSendLimit)
	eq(t, h.stored(t, ids[0]).Sends, 1, "nothing written")
	// Another destination is not affected.
	req.Destination = "+33614125911"
	_, err = h.m.Issue(ctx, req)
	must(t, err)
	// The next window starts afresh.
	h.clock.Advance(55 * time.Minute)
	p, err := h.m.Resend(ctx, ids[0], PurposeLogin)
	must(t, err)
	eq(t, p.Challenge.Sends, 2)
}

// TestLimited: the refusal of a deferred proven count (storage.ErrSendLimit
// from the unit of work) becomes send_limit with RetryAfter until the
// window ends; other errors pass through.
func TestLimited(t *testing.T) {
	h := newHarness(t) // the clock is at 03:04:05: the window ends at 04:00:00
	e := okErr(t, h.m.Limited(fmt.Errorf("unit: %w", storage.ErrSendLimit)), onboardkit.CodeSendLimit)
	eq(t, e.RetryAfter, 55*time.Minute+55*time.Second)
	other := errors.New("other")
	eq(t, h.m.Limited(other), other)
	eq(t, h.m.Limited(nil), nil)
}

// TestDestinationBudgets: a destination's proven and anonymous budgets are
// independent, so strangers spending the anonymous one (forgot-password,
// sign-up, resends of their own challenges) never block the codes the owner
// asked for; an anonymous request over its budget answers as usual, stores
// a decoy and sends nothing.
func TestDestinationBudgets(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DestinationLimit = 2 })
	ctx := context.Background()
	anon := IssueRequest{UserID: "u1", Purpose: PurposePasswordReset, Channel: ChannelSMS, Destination: phone}
	for i := 0; i < 2; i++ {
		p, err := h.m.Issue(ctx, anon)
		must(t, err)
		isTrue(t, !p.Dropped && !p.Challenge.Decoy, "within the anonymous budget")
		must(t, h.m.Send(ctx, p))
	}
	eq(t, h.rec.Len(), 2)
	dropped, err := h.m.Issue(ctx, anon)
	must(t, err)
	isTrue(t, dropped.Dropped && dropped.Challenge.Decoy, "over the anonymous budget: dropped as a decoy")
	eq(t, dropped.Challenge.UserID, "u1")
	must(t, h.m.Send(ctx, dropped))
	eq(t, h.rec.Len(), 2, "a dropped challenge sends nothing")
	_, err = h.m.Check(ctx, dropped.Challenge.ID, "000000", PurposePasswordReset)
	okErr(t, err, onboardkit.CodeInvalidCode)

	// The owner's proven codes still go out, up to their own budget.
	proven := IssueRequest{UserID: "u1", Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone, Proven: true}
	var first *Pending
	for i := 0; i < 2; i++ {
		p, err := h.m.Issue(ctx, proven)
		must(t, err)
		isTrue(t, p.Challenge.Proven && !p.Dropped)
		must(t, h.m.Send(ctx, p))
		if first == nil {
			first = p
		}
	}
	eq(t, h.rec.Len(), 4)
	_, err = h.m.Issue(ctx, proven)
	okErr(t, err, onboardkit.CodeSendLimit)
	// A resend counts against the budget its challenge was issued under.
	h.clock.Advance(time.Minute)
	_, err = h.m.Resend(ctx, first.Challenge.ID, PurposeLogin)
	okErr(t, err, onboardkit.CodeSendLimit)
	eq(t, h.stored(t, first.Challenge.ID).Proven, true)
}

func TestDestinationWindowDisabled(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DestinationLimit = -1 })
	for i := 0; i < 20; i++ {
		_, err := h.m.Issue(context.Background(), IssueRequest{Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone})
		must(t, err)
	}
}

func TestSendFailure(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, err := h.m.Issue(ctx, IssueRequest{Purpose: PurposeEmailConfirmation, Channel: ChannelEmail, Destination: "alice@example.com", Locale: "fr-FR"})
	must(t, err)
	cause := errors.New("provider down")
	h.rec.FailNext(cause)
	h.clock.Advance(5 * time.Second)
	err = h.m.Send(ctx, p)
	e := okErr(t, err, onboardkit.CodeSendFailed)
	isTrue(t, errors.Is(err, cause), "wraps the cause")
	isTrue(t, errors.Is(err, onboardkit.ErrSendFailed))
	isTrue(t, !strings.Contains(e.Message, "provider"), "cause not in the user message")
	now := h.clock.Now()
	eq(t, h.stored(t, p.Challenge.ID).ResendAt, now, "resendable at once")
	eq(t, p.Challenge.ResendAt, now)
	eq(t, h.rec.Len(), 0)
	// The resend goes through at once, with the doubled cooldown after it.
	p2, err := h.m.Resend(ctx, p.Challenge.ID, PurposeEmailConfirmation)
	must(t, err)
	eq(t, p2.Challenge.Locale, "fr-FR")
	must(t, h.m.Send(ctx, p2))
	msg := h.rec.Last("alice@example.com")
	eq(t, msg.Subject, "Confirmez votre adresse e-mail")
	eq(t, msg.Channel, ChannelEmail)
	eq(t, p2.Challenge.ResendAt, now.Add(time.Minute))
	_, err = h.m.Verify(ctx, p.Challenge.ID, msg.Code, PurposeEmailConfirmation)
	must(t, err)
}

func TestSendTemplateFailureIsSendFailed(t *testing.T) {
	tpl := NewTemplates()
	must(t, tpl.Add("custom", "en", "", "{{.Nope}}"))
	h := newHarness(t, func(c *Config) { c.Templates = tpl })
	ctx := context.Background()
	p, err := h.m.Issue(ctx, IssueRequest{Purpose: "custom", Channel: ChannelSMS, Destination: phone})
	must(t, err)
	okErr(t, h.m.Send(ctx, p), onboardkit.CodeSendFailed)
	isTrue(t, h.m.Send(ctx, nil) != nil)
}

func TestDecoy(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DestinationLimit = 2 })
	ctx := context.Background()
	req := IssueRequest{Purpose: PurposePasswordReset, Channel: ChannelSMS, Destination: "+33699999999"}
	p, err := h.m.IssueDecoy(ctx, req)
	must(t, err)
	must(t, h.m.Send(ctx, p))
	eq(t, h.rec.Len(), 0, "a decoy sends nothing")
	isTrue(t, p.Challenge.Decoy, "Pending.Challenge.Decoy")
	got, err := h.m.Get(ctx, p.Challenge.ID)
	must(t, err)
	isTrue(t, got.Decoy, "Get reports the decoy")
	c := h.stored(t, p.Challenge.ID)
	eq(t, c.UserID, "")
	eq(t, c.Sends, 1)
	eq(t, c.ResendAt, h.clock.Now().Add(30*time.Second))
	// Wrong codes count like on a real challenge; no code matches.
	for i, code := range []string{"000000", "123456", "999999", ""} {
		_, err = h.m.Verify(ctx, p.Challenge.ID, code, PurposePasswordReset)
		e := okErr(t, err, onboardkit.CodeInvalidCode)
		eq(t, *e.AttemptsRemaining, 4-i)
	}
	// Resend keeps it a decoy and sends nothing; the cooldown applies.
	_, err = h.m.Resend(ctx, p.Challenge.ID, PurposePasswordReset)
	okErr(t, err, onboardkit.CodeResendTooSoon)
	h.clock.Advance(30 * time.Second)
	p2, err := h.m.Resend(ctx, p.Challenge.ID, PurposePasswordReset)
	must(t, err)
	isTrue(t, p2.Challenge.Decoy, "still a decoy after a resend")
	must(t, h.m.Send(ctx, p2))
	eq(t, h.rec.Len(), 0)
	eq(t, h.stored(t, p.Challenge.ID).Sends, 2)
	// The decoy counted in the destination's (anonymous) window: the next
	// request is over the budget, answered alike, and sends nothing.
	h.clock.Advance(time.Minute)
	p3, err := h.m.Issue(ctx, req)
	must(t, err)
	isTrue(t, p3.Dropped && p3.Challenge.Decoy, "over the budget: dropped")
	must(t, h.m.Send(ctx, p3))
	eq(t, h.rec.Len(), 0)
}

func TestCustomLimits(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.CodeLength = 4
		c.MaxAttempts = 2
		c.TTL = time.Minute
		c.ResendCooldown = 10 * time.Second
		c.MaxSends = 2
	})
	ctx := context.Background()
	id, code := h.issue(t)
	eq(t, len(code), 4)
	c := h.stored(t, id)
	eq(t, c.ExpiresAt, h.clock.Now().Add(time.Minute))
	eq(t, c.ResendAt, h.clock.Now().Add(10*time.Second))
	h.clock.Advance(10 * time.Second)
	_, err := h.m.Resend(ctx, id, PurposePhoneConfirmation)
	must(t, err)
	h.clock.Advance(time.Hour)
	_, err = h.m.Resend(ctx, id, PurposePhoneConfirmation)
	okErr(t, err, onboardkit.CodeSendLimit)
	h.clock.Set(c.CreatedAt)
	id, code = h.issue(t)
	_, err = h.m.Verify(ctx, id, wrong(code), PurposePhoneConfirmation)
	e := okErr(t, err, onboardkit.CodeInvalidCode)
	eq(t, *e.AttemptsRemaining, 1)
	_, err = h.m.Verify(ctx, id, wrong(code), PurposePhoneConfirmation)
	okErr(t, err, onboardkit.CodeTooManyAttempts)
}

// A resend is rendered in the locale the challenge was issued in, not in
// English by default.
func TestResendInIssuedLocale(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		locale         string
		sms            string // start of the SMS body
		subject, email string // email subject and start of its body
	}{
		{"fr", "Votre code de confirmation de numéro de téléphone", "Confirmez votre adresse e-mail", "Votre code de confirmation d'adresse e-mail"},
		{"en", "Your code to confirm your phone number", "Confirm your email address", "Your code to confirm your email address"},
	}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			h := newHarness(t)
			id, _ := h.issueIn(t, tt.locale)
			first := h.rec.Last(phone)
			isTrue(t, strings.HasPrefix(first.Body, tt.sms), "first message:", first.Body)
			eq(t, first.Locale, tt.locale)
			for i := 1; i <= 2; i++ {
				h.clock.Advance(time.Hour)
				p, err := h.m.Resend(ctx, id, PurposePhoneConfirmation)
				must(t, err)
				eq(t, p.Challenge.Locale, tt.locale)
				must(t, h.m.Send(ctx, p))
				msg := h.rec.Last(phone)
				isTrue(t, strings.HasPrefix(msg.Body, tt.sms), "resend", i, msg.Body)
				eq(t, msg.Locale, tt.locale, "resend", i)
				ne(t, msg.Code, "", "resend", i)
			}

			// By email, the subject follows too.
			const to = "alice@example.com"
			p, err := h.m.Issue(ctx, IssueRequest{UserID: "u1", Purpose: PurposeEmailConfirmation, Channel: ChannelEmail, Destination: to, Locale: tt.locale})
			must(t, err)
			must(t, h.m.Send(ctx, p))
			h.clock.Advance(time.Hour)
			p, err = h.m.Resend(ctx, p.Challenge.ID, PurposeEmailConfirmation)
			must(t, err)
			must(t, h.m.Send(ctx, p))
			msg := h.rec.Last(to)
			eq(t, msg.Subject, tt.subject)
			isTrue(t, strings.HasPrefix(msg.Body, tt.email), msg.Body)
		})
	}
}

// A Pending or Verified built by hand cannot send or consume anything.
func TestHandBuiltPendingAndVerified(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, _ := h.issue(t)
	c, err := h.m.Get(ctx, id)
	must(t, err)
	isTrue(t, h.m.Send(ctx, &Pending{Challenge: *c}) != nil, "Send of a hand-built Pending")
	isTrue(t, h.m.Consume(ctx, &Verified{Challenge: *c}) != nil, "Consume of a hand-built Verified")
	isTrue(t, h.m.Consume(ctx, nil) != nil, "Consume(nil)")
	eq(t, h.rec.Len(), 1, "only the first message")
	isTrue(t, h.stored(t, id).ConsumedAt.IsZero(), "not consumed")
}
