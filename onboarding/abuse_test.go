package onboarding

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// eachPair runs fn with two stores on one database (one memory store
// shared, or two PostgreSQL pools), for tests of two Services as two
// replicas.
func eachPair(t *testing.T, fn func(t *testing.T, a, b storage.Store)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		st := memory.New()
		fn(t, st, st)
	})
	t.Run("postgres", func(t *testing.T) {
		a, b := postgrestest.NewPair(t)
		fn(t, a, b)
	})
}

// replicas returns two Services on a and b sharing one clock and one
// hasher, as two replicas of a host behind a load balancer.
func replicas(t *testing.T, a, b storage.Store, mods ...func(*Config)) (*harness, *harness) {
	h1 := newHarness(t, a, mods...)
	h2 := newHarness(t, b, append(mods, func(c *Config) {
		c.Hasher, c.Clock = h1.hasher, h1.clock
		c.Rand = newSeqReader(2) // replicas draw different ids
	})...)
	return h1, h2
}

// TestLoginThrottleHoldsUnderConcurrency: 60 concurrent wrong logins for one
// user, over two replicas, get at most FreeFailures password checks, and no
// failure is lost (afterwards even the right password is refused until the
// delay passes).
func TestLoginThrottleHoldsUnderConcurrency(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		h1, h2 := replicas(t, a, b)
		ctx := context.Background()
		phone := newPhone()
		h1.confirmed(phone)
		before := h1.hasher.verifies.Load()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 60 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				svc := []*Service{h1.svc, h2.svc}[i%2]
				_, err := svc.Login(ctx, LoginRequest{Username: phone, Password: fmt.Sprintf("wrong-password-%d", i)})
				assert.ErrorIs(t, err, onboardkit.ErrInvalidCredentials)
			}()
		}
		close(start)
		wg.Wait()
		assert.Equal(t, int64(5), h1.hasher.verifies.Load()-before, "password checks under a 60-concurrent attack")
		_, err := h2.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		requireCode(t, err, onboardkit.CodeInvalidCredentials)
		assert.Equal(t, int64(5), h1.hasher.verifies.Load()-before, "the right password is not checked while throttled")
	})
}

// TestDeviceTokenKeepsTheOwnerIn: a stranger's failures throttle logins
// without a device token, never the owner's known device; failures made
// with the device token throttle that device only.
func TestDeviceTokenKeepsTheOwnerIn(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		first := h.confirmed(phone)
		require.NotEmpty(t, first.Tokens.DeviceToken, "sign-up confirmation gives a device token")
		res, err := h.login(phone, testPassword, phone)
		require.NoError(t, err)
		device := res.Tokens.DeviceToken
		require.NotEmpty(t, device)

		for i := range 20 { // a stranger, from anywhere
			_, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: fmt.Sprintf("guess-%d", i)})
			requireCode(t, err, onboardkit.CodeInvalidCredentials)
		}
		_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		requireCode(t, err, onboardkit.CodeInvalidCredentials) // a new device waits
		lr, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword, DeviceToken: device})
		require.NoError(t, err, "the owner's device is not throttled by strangers")
		again, err := h.svc.VerifyLoginChallenge(ctx, lr.SessionID, h.sms.LastCode(phone))
		require.NoError(t, err)
		assert.NotEmpty(t, again.Tokens.DeviceToken)

		// Another user's token, or a forged one, is no token.
		other := h.confirmed(newPhone())
		for _, tok := range []string{other.Tokens.DeviceToken, device[:len(device)-2] + "AA", "x"} {
			_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword, DeviceToken: tok})
			requireCode(t, err, onboardkit.CodeInvalidCredentials)
		}
		// Guessing with the device token throttles that device only.
		for range 5 {
			_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: "guess-again-1", DeviceToken: device})
			requireCode(t, err, onboardkit.CodeInvalidCredentials)
		}
		_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword, DeviceToken: device})
		requireCode(t, err, onboardkit.CodeInvalidCredentials)
		_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword, DeviceToken: again.Tokens.DeviceToken})
		requireCode(t, err, onboardkit.CodeInvalidCredentials) // the same device, its token renewed
		_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword, DeviceToken: first.Tokens.DeviceToken})
		require.NoError(t, err, "another device of the owner (the one that signed up) is not throttled")
	})
}

// TestStrangersCannotBlockTheOwnersCodes: anonymous forgot-password requests
// spend only the destination's anonymous budget; past it they answer alike,
// send nothing and record the drop, while the owner's login code goes out.
func TestStrangersCannotBlockTheOwnersCodes(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		h.confirmed(phone) // the sign-up code: 1 anonymous send
		var shapes []CodeDeliveryDetails
		for range 15 {
			res, err := h.svc.ForgotPassword(ctx, phone)
			require.NoError(t, err, "never send_limit for an anonymous request")
			shapes = append(shapes, res.CodeDeliveryDetails)
		}
		for _, s := range shapes {
			assert.Equal(t, shapes[0], s, "every answer has the same shape")
		}
		assert.Equal(t, 10, h.sms.Len(), "the anonymous budget (10 per hour) is spent")
		dropped := 0
		for _, e := range h.eventTypes() {
			if e == EventCodeDropped {
				dropped++
			}
		}
		assert.Equal(t, 6, dropped, "every dropped code is recorded")
		_, err := h.login(phone, testPassword, phone)
		require.NoError(t, err, "the owner's login code goes out")
		assert.Equal(t, 11, h.sms.Len())
	})
}

// TestUnconfirmedSignUpDoesNotHoldItsPhone: a sign-up that is never
// confirmed holds its phone only while its challenge can be answered and
// for at most UnconfirmedTTL; then a new sign-up replaces it, records and
// all. A user whose challenge burned signs up again.
func TestUnconfirmedSignUpDoesNotHoldItsPhone(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		signUp := func(phone string) (*SignUpResult, error) {
			return h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: phone, Password: testPassword})
		}
		// Held while fresh, replaced after UnconfirmedTTL.
		phone := newPhone()
		squatter, err := signUp(phone)
		require.NoError(t, err)
		_, err = signUp(phone)
		requireCode(t, err, onboardkit.CodeIdentifierTaken)
		h.clock.Advance(61 * time.Minute)
		owner, err := signUp(phone)
		require.NoError(t, err)
		_, err = h.store.GetUser(ctx, squatter.UserID)
		require.ErrorIs(t, err, storage.ErrNotFound, "the stale sign-up is gone")
		_, err = h.store.GetChallenge(ctx, squatter.Challenge.ChallengeID)
		require.ErrorIs(t, err, storage.ErrNotFound, "with its records")
		assert.Contains(t, h.eventTypes(), EventUserReplaced)
		_, err = h.svc.ConfirmPhone(ctx, owner.Challenge.ChallengeID, h.sms.LastCode(phone))
		require.NoError(t, err)

		// A burned challenge frees the phone at once: its owner signs up again.
		phone = newPhone()
		burned, err := signUp(phone)
		require.NoError(t, err)
		for range 5 {
			_, err = h.svc.ConfirmPhone(ctx, burned.Challenge.ChallengeID, "000000")
		}
		requireCode(t, err, onboardkit.CodeTooManyAttempts)
		fresh, err := signUp(phone)
		require.NoError(t, err)
		_, err = h.svc.ConfirmPhone(ctx, fresh.Challenge.ChallengeID, h.sms.LastCode(phone))
		require.NoError(t, err)
		// A verified phone is held for good.
		_, err = signUp(phone)
		requireCode(t, err, onboardkit.CodeIdentifierTaken)
	}, func(c *Config) { c.OTP.TTL = 2 * time.Hour })
}

// hookHasher runs before once, on the next Hash, then hashes.
type hookHasher struct {
	PasswordHasher
	before func()
}

// withHashHook puts hook in front of the harness's hasher.
func withHashHook(hook *hookHasher) func(*Config) {
	return func(c *Config) { hook.PasswordHasher, c.Hasher = c.Hasher, hook }
}

func (h *hookHasher) Hash(ctx context.Context, pw string) (string, error) {
	if f := h.before; f != nil {
		h.before = nil
		f()
	}
	return h.PasswordHasher.Hash(ctx, pw)
}

// TestRehashDoesNotUndoAReset: a login with the old password of a user
// whose hash needs an upgrade checks it, then, while the login hashes it
// again with today's parameters, the user resets the password. The login's
// rehash must not write the old password back over the new one.
func TestRehashDoesNotUndoAReset(t *testing.T) {
	hook := &hookHasher{}
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		a := h.confirmed(phone)
		h.outdatedHash(a.UserID)
		const fresh = "Another-long-pass-42"
		hook.before = func() {
			fp, err := h.svc.ForgotPassword(ctx, phone)
			require.NoError(t, err)
			assert.NoError(t, h.svc.ResetPassword(ctx, fp.SessionID, h.sms.LastCode(phone), fresh, fresh))
		}
		_, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		require.NoError(t, err, "the login whose password was checked before the reset")
		require.Nil(t, hook.before, "the reset did not run during the rehash")
		_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		requireCode(t, err, onboardkit.CodeInvalidCredentials)
		_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: fresh})
		require.NoError(t, err, "the reset password works")
	}, withHashHook(hook))
}

// TestLoginBegunBeforeAResetEndsWithoutASession: a login whose password
// was checked before a reset (or a logout everywhere) cannot complete its
// second factor after it: the reset promised to end every session. A login
// begun after it completes.
func TestLoginBegunBeforeAResetEndsWithoutASession(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		a := h.confirmed(phone)
		pw := testPassword
		const fresh = "Another-long-pass-42"
		for _, end := range []func(){
			func() {
				fp, err := h.svc.ForgotPassword(ctx, phone)
				require.NoError(t, err)
				require.NoError(t, h.svc.ResetPassword(ctx, fp.SessionID, h.sms.LastCode(phone), fresh, fresh))
				pw = fresh
			},
			func() { require.NoError(t, h.svc.LogoutEverywhere(ctx, a.UserID)) },
		} {
			h.clock.Advance(time.Second)
			lr, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: pw})
			require.NoError(t, err)
			code := h.sms.LastCode(phone)
			h.clock.Advance(time.Second)
			end()
			_, err = h.svc.VerifyLoginChallenge(ctx, lr.SessionID, code)
			requireCode(t, err, onboardkit.CodeCodeExpired)
			h.clock.Advance(time.Second)
			_, err = h.login(phone, pw, phone)
			require.NoError(t, err, "a login begun after it ends in a session")
		}
	})
}

// TestResetCodeOfAFormerPhoneResetsNothing: a reset code sent to the
// user's phone does not reset the password once the user has moved to
// another number (the old one's next holder may read it).
func TestResetCodeOfAFormerPhoneResetsNothing(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		oldPhone, newNumber := newPhone(), newPhone()
		a := h.confirmed(oldPhone)
		fp, err := h.svc.ForgotPassword(ctx, oldPhone)
		require.NoError(t, err)
		code := h.sms.LastCode(oldPhone)
		ch, err := h.svc.ChangePhone(ctx, a.UserID, newNumber)
		require.NoError(t, err)
		_, err = h.svc.ConfirmPhoneChange(ctx, a.UserID, ch.ChallengeID, h.sms.LastCode(newNumber))
		require.NoError(t, err)
		const taken = "Another-long-pass-42"
		requireCode(t, h.svc.ResetPassword(ctx, fp.SessionID, code, taken, taken), onboardkit.CodeInvalidCode)
		_, err = h.login(newNumber, testPassword, newNumber)
		require.NoError(t, err, "the password is unchanged")
	})
}

// TestFirstContactCodeCannotReplaceAVerifiedOne: without a recent login an
// access token may add a first email, not replace a verified one. A code
// issued for a first email must not replace the email the owner confirmed
// meanwhile.
func TestFirstContactCodeCannotReplaceAVerifiedOne(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a := h.confirmed(newPhone())
		h.clock.Advance(time.Hour) // the last login is not recent
		stolen, err := h.svc.AddEmail(ctx, a.UserID, "attacker@example.com")
		require.NoError(t, err, "a first email needs no recent login")
		own, err := h.svc.AddEmail(ctx, a.UserID, "owner@example.com")
		require.NoError(t, err)
		_, err = h.svc.ConfirmEmail(ctx, a.UserID, own.ChallengeID, h.email.LastCode("owner@example.com"))
		require.NoError(t, err)
		_, err = h.svc.ConfirmEmail(ctx, a.UserID, stolen.ChallengeID, h.email.LastCode("attacker@example.com"))
		requireCode(t, err, onboardkit.CodeRecentAuthRequired)
		u, err := h.store.GetUser(ctx, a.UserID)
		require.NoError(t, err)
		assert.Equal(t, "owner@example.com", u.Email)

		// A change issued after a recent login still confirms.
		_, err = h.login(u.Phone, testPassword, u.Phone)
		require.NoError(t, err)
		ch, err := h.svc.AddEmail(ctx, a.UserID, "new@example.com")
		require.NoError(t, err)
		h.clock.Advance(time.Minute)
		_, err = h.svc.ConfirmEmail(ctx, a.UserID, ch.ChallengeID, h.email.LastCode("new@example.com"))
		require.NoError(t, err)
	})
}

// TestReplacementSparesASignUpConfirmedMeanwhile: a sign-up chooses the
// stale unconfirmed sign-up it replaces before it hashes the password; if
// that sign-up is confirmed meanwhile (its code outlives UnconfirmedTTL
// here), the replacing sign-up finds the phone held and the confirmed user
// stays, rather than being deleted with its fresh session.
func TestReplacementSparesASignUpConfirmedMeanwhile(t *testing.T) {
	hook := &hookHasher{}
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		first, code := h.signUp(phone)
		h.clock.Advance(61 * time.Minute)
		hook.before = func() {
			_, err := h.svc.ConfirmPhone(ctx, first.Challenge.ChallengeID, code)
			assert.NoError(t, err, "the confirmation during the second sign-up's hashing")
		}
		_, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: phone, Password: testPassword})
		requireCode(t, err, onboardkit.CodeIdentifierTaken)
		assert.Nil(t, hook.before, "the hook did not run")
		u, err := h.store.GetUser(ctx, first.UserID)
		require.NoError(t, err, "the confirmed user was deleted")
		assert.True(t, u.PhoneVerified)
		assert.NotContains(t, h.eventTypes(), EventUserReplaced)
	}, func(c *Config) { c.OTP.TTL = 2 * time.Hour }, withHashHook(hook))
}

// readHook is a store that runs hook (once) right after a read of the
// user id returned (GetUser, or LatestKYCStatus when kyc is set), in a
// unit (on PostgreSQL another replica's step can commit between a unit's
// read and its writes) or outside one (a step committing between another
// step's read and its use of what it read).
type readHook struct {
	storage.Store
	id   string
	kyc  bool
	hook *func()
}

func (m *readHook) Tx(ctx context.Context, fn func(ctx context.Context, s storage.Store) error) error {
	return m.Store.Tx(ctx, func(ctx context.Context, s storage.Store) error {
		return fn(ctx, &readHook{Store: s, id: m.id, kyc: m.kyc, hook: m.hook})
	})
}

// Behind keeps the unit's write-behind view (storage.WriteBehind) under the
// hook.
func (m *readHook) Behind() storage.Store {
	return &readHook{Store: storage.Behind(m.Store), id: m.id, kyc: m.kyc, hook: m.hook}
}

func (m *readHook) GetUser(ctx context.Context, id string) (*storage.User, error) {
	u, err := m.Store.GetUser(ctx, id)
	m.fire(id, false)
	return u, err
}

func (m *readHook) LatestKYCStatus(ctx context.Context, id string) (*storage.KYCSubmission, error) {
	k, err := m.Store.LatestKYCStatus(ctx, id)
	m.fire(id, true)
	return k, err
}

// hooked wraps st in a readHook with no hook yet.
func hooked(st storage.Store) *readHook { return &readHook{Store: st, hook: new(func())} }

// hookedReplicas returns two Services on a (through a readHook) and b.
func hookedReplicas(t *testing.T, a, b storage.Store, mods ...func(*Config)) (*readHook, *harness, *harness) {
	st := hooked(a)
	h1, h2 := replicas(t, st, b, mods...)
	return st, h1, h2
}

// on makes fn the hook, run after the next read of the user id.
func (m *readHook) on(id string, fn func()) { m.id, *m.hook = id, fn }

// fired reports whether the hook ran.
func (m *readHook) fired() bool { return *m.hook == nil }

func (m *readHook) fire(id string, kyc bool) {
	if f := *m.hook; f != nil && id == m.id && kyc == m.kyc {
		*m.hook = nil
		f()
	}
}

// TestReplacementSparesAConfirmationCommittedMidUnit: the confirmation of
// the stale sign-up commits on another replica after the replacing unit
// read that sign-up and before it deletes it. The unit pinned the version
// it read, so it runs again, finds the phone held, and the confirmed user
// stays.
func TestReplacementSparesAConfirmationCommittedMidUnit(t *testing.T) {
	a, b := postgrestest.NewPair(t)
	mid, h1, h2 := hookedReplicas(t, a, b, func(c *Config) { c.OTP.TTL = 2 * time.Hour })
	ctx := context.Background()
	phone := newPhone()
	first, code := h2.signUp(phone)
	h1.clock.Advance(61 * time.Minute)
	mid.on(first.UserID, func() {
		_, err := h2.svc.ConfirmPhone(ctx, first.Challenge.ChallengeID, code)
		assert.NoError(t, err, "the confirmation on the other replica, mid-unit")
	})
	_, err := h1.svc.SignUp(ctx, SignUpRequest{PhoneNumber: phone, Password: testPassword})
	requireCode(t, err, onboardkit.CodeIdentifierTaken)
	assert.True(t, mid.fired(), "the hook did not run")
	u, err := h2.store.GetUser(ctx, first.UserID)
	require.NoError(t, err, "the confirmed user was deleted")
	assert.True(t, u.PhoneVerified)
}

// TestUnverifiedEmailNeverBlocks: an email given at sign-up or added but
// never confirmed does not stop its real owner from adding and confirming
// it; of two users confirming one email, the second gets identifier_taken.
func TestUnverifiedEmailNeverBlocks(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		_, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: newPhone(), Password: testPassword, Email: "claimed@example.com"})
		require.NoError(t, err)
		owner := h.confirmed(newPhone())
		ch, err := h.svc.AddEmail(ctx, owner.UserID, "claimed@example.com")
		require.NoError(t, err, "an unconfirmed email blocks nobody")
		_, err = h.svc.ConfirmEmail(ctx, owner.UserID, ch.ChallengeID, h.email.LastCode("claimed@example.com"))
		require.NoError(t, err)

		c, d := h.confirmed(newPhone()), h.confirmed(newPhone())
		chC, err := h.svc.AddEmail(ctx, c.UserID, "race@example.com")
		require.NoError(t, err)
		codeC := h.email.LastCode("race@example.com")
		chD, err := h.svc.AddEmail(ctx, d.UserID, "race@example.com")
		require.NoError(t, err)
		codeD := h.email.LastCode("race@example.com")
		_, err = h.svc.ConfirmEmail(ctx, d.UserID, chD.ChallengeID, codeD)
		require.NoError(t, err)
		_, err = h.svc.ConfirmEmail(ctx, c.UserID, chC.ChallengeID, codeC)
		requireCode(t, err, onboardkit.CodeIdentifierTaken)
		_, err = h.svc.AddEmail(ctx, c.UserID, "race@example.com")
		requireCode(t, err, onboardkit.CodeIdentifierTaken)
	})
}

// TestForgotPasswordAnswersAlike: the medium and masked destination of the
// answer follow the identifier given, whether it is a verified identifier of
// a user, an unverified one, or nobody's; only the first gets a code.
func TestForgotPasswordAnswersAlike(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		h.confirmed(phone)
		u := h.confirmed(newPhone())
		_, err := h.svc.AddEmail(ctx, u.UserID, "pending@example.com") // never confirmed
		require.NoError(t, err)
		sent := h.sms.Len() + h.email.Len()
		tests := []struct {
			username string
			want     CodeDeliveryDetails
			sends    bool
		}{
			{phone, CodeDeliveryDetails{otp.Mask(phone), "SMS", "phone_number"}, true},
			{"+33699999990", CodeDeliveryDetails{"+33******90", "SMS", "phone_number"}, false},
			{"pending@example.com", CodeDeliveryDetails{"p***@example.com", "EMAIL", "email"}, false},
			{"nobody@example.com", CodeDeliveryDetails{"n***@example.com", "EMAIL", "email"}, false},
		}
		for _, tt := range tests {
			res, err := h.svc.ForgotPassword(ctx, tt.username)
			require.NoError(t, err)
			assert.Equal(t, tt.want, res.CodeDeliveryDetails, tt.username)
			if tt.sends {
				sent++
			}
			assert.Equal(t, sent, h.sms.Len()+h.email.Len(), tt.username)
		}
	})
}

// TestOneSpellingPerPhone: extensions, tel: URIs and other spellings of a
// number are refused at sign-up and fail login like a wrong password, with
// no password check.
func TestOneSpellingPerPhone(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		h.confirmed(phone)
		national := "0" + phone[3:]
		for _, spelling := range []string{
			"tel:" + phone, phone + " ext. 1", phone + ";ext=3", "+33 (0)" + phone[3:], "+330" + phone[3:],
			phone + "#", " +" + phone, "++" + phone[1:], phone[:6] + "  " + phone[6:], national,
		} {
			_, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: spelling, Password: testPassword})
			oe := requireCode(t, err, onboardkit.CodeValidation)
			assert.Equal(t, onboardkit.FieldInvalidPhone, oe.Fields[0].Code, spelling)

			before := h.hasher.verifies.Load()
			_, err = h.svc.Login(ctx, LoginRequest{Username: spelling, Password: testPassword})
			requireCode(t, err, onboardkit.CodeInvalidCredentials)
			assert.Equal(t, before, h.hasher.verifies.Load(), "%q reaches no user", spelling)
		}
		// Separators between digits are the same spelling.
		_, err := h.login(phone[:3]+" "+phone[3:4]+" "+phone[4:6]+"-"+phone[6:8]+"."+phone[8:], testPassword, phone)
		require.NoError(t, err)
	})
}

func TestPlainNumber(t *testing.T) {
	ids := identifiers{region: "FR"}
	for raw, want := range map[string]string{
		"+33614125910": "+33614125910", "+33 6 14 12 59 10": "+33614125910", "06.14.12.59.10": "+33614125910",
		"0614125910": "+33614125910", "614125910": "+33614125910",
		"+33 (0)6 14 12 59 10": "", "+330614125910": "", "tel:+33614125910": "", "+33614125910;ext=1": "",
		"06 14 12 59 10 ext 2": "", "+33-6-14--12-59-10": "", "-0614125910": "", "0614125910-": "", "\x00": "",
	} {
		got, fe := ids.phone("p", raw, true)
		if want == "" {
			assert.NotNil(t, fe, "%q", raw)
			continue
		}
		assert.Nil(t, fe, "%q", raw)
		assert.Equal(t, want, got, "%q", raw)
	}
	_, fe := identifiers{}.phone("p", "0614125910", true)
	assert.NotNil(t, fe, "national format needs a default region")
}

// TestPasswordChangeEndsOtherSessions: confirming a password change revokes
// every other session of the user (their refresh and access tokens) and
// keeps the one that made the change.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		other := h.confirmed(phone)
		current, err := h.login(phone, testPassword, phone)
		require.NoError(t, err)
		claims, err := h.svc.VerifyAccessToken(ctx, current.Tokens.AccessToken)
		require.NoError(t, err)
		cctx := NewContext(ctx, claims)
		res, err := h.svc.ChangePassword(cctx, current.UserID, testPassword, "Another-long-pass-42", "Another-long-pass-42")
		require.NoError(t, err)
		require.NoError(t, h.svc.ConfirmPasswordChange(cctx, current.UserID, res.SessionID, h.sms.LastCode(phone)))

		_, err = h.svc.VerifyAccessToken(ctx, other.Tokens.AccessToken)
		requireCode(t, err, onboardkit.CodeInvalidToken)
		_, err = h.svc.Refresh(ctx, other.Tokens.RefreshToken)
		requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
		_, err = h.svc.VerifyAccessToken(ctx, current.Tokens.AccessToken)
		require.NoError(t, err, "the session that changed the password is kept")
		_, err = h.svc.Refresh(ctx, current.Tokens.RefreshToken)
		require.NoError(t, err)
	})
}

// TestWrongCurrentPasswordsAreThrottled: a stolen access token cannot guess
// the current password at ChangePassword: wrong ones count against the
// account's login throttle.
func TestWrongCurrentPasswordsAreThrottled(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a := h.confirmed(newPhone())
		for i := range 5 {
			_, err := h.svc.ChangePassword(ctx, a.UserID, fmt.Sprintf("guess-%d", i), "Another-long-pass-42", "Another-long-pass-42")
			requireCode(t, err, onboardkit.CodeInvalidCredentials)
		}
		before := h.hasher.verifies.Load()
		_, err := h.svc.ChangePassword(ctx, a.UserID, testPassword, "Another-long-pass-42", "Another-long-pass-42")
		oe := requireCode(t, err, onboardkit.CodeRateLimited)
		assert.Equal(t, 30*time.Second, oe.RetryAfter)
		assert.Equal(t, before, h.hasher.verifies.Load(), "no check while throttled")
		h.clock.Advance(31 * time.Second)
		_, err = h.svc.ChangePassword(ctx, a.UserID, testPassword, "Another-long-pass-42", "Another-long-pass-42")
		require.NoError(t, err)
	})
}

// TestAccessTokensEndWithTheirSession: logout needs the refresh token of
// the session it ends; the session's access tokens are refused from then on,
// and every token of a locked user is; with StatelessAccess an access token
// outlives its session (the documented cost) but not a lock.
func TestAccessTokensEndWithTheirSession(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		for _, stateless := range []bool{false, true} {
			h := newHarness(t, newStore(t), func(c *Config) { c.Tokens.StatelessAccess = stateless })
			ctx := context.Background()
			a := h.confirmed(newPhone())
			err := h.svc.Logout(ctx, a.UserID, "")
			oe := requireCode(t, err, onboardkit.CodeValidation)
			assert.Equal(t, "refreshToken", oe.Fields[0].Field)
			_, err = h.svc.VerifyAccessToken(ctx, a.Tokens.AccessToken)
			require.NoError(t, err, "an invalid logout ends nothing")

			require.NoError(t, h.svc.Logout(ctx, a.UserID, a.Tokens.RefreshToken))
			_, err = h.svc.VerifyAccessToken(ctx, a.Tokens.AccessToken)
			if stateless {
				require.NoError(t, err)
			} else {
				requireCode(t, err, onboardkit.CodeInvalidToken)
			}

			b := h.confirmed(newPhone())
			u, err := h.store.GetUser(ctx, b.UserID)
			require.NoError(t, err)
			u.AdminLocked = true
			require.NoError(t, h.store.UpdateUser(ctx, u))
			_, err = h.svc.VerifyAccessToken(ctx, b.Tokens.AccessToken)
			requireCode(t, err, onboardkit.CodeInvalidToken)
		}
	})
}

// TestMalformedIDsAreTyped: ids that are not ids (a NUL byte, another
// shape, a megabyte) answer a typed error on every step, on every store.
func TestMalformedIDsAreTyped(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a := h.confirmed(newPhone())
		for _, id := range []string{"\x00", "a\x00b", strings.Repeat("z", 1<<20), "00000000-0000-4000-8000-00000000000\x00", "ZZZZZZZZZZZZZZZZZZZZZZZZZZ", " "} {
			_, err := h.svc.ConfirmPhone(ctx, id, "123456")
			requireCode(t, err, onboardkit.CodeInvalidCode)
			_, err = h.svc.ResendPhoneCode(ctx, id)
			requireCode(t, err, onboardkit.CodeInvalidCode)
			_, err = h.svc.VerifyLoginChallenge(ctx, id, "123456")
			requireCode(t, err, onboardkit.CodeInvalidCode)
			err = h.svc.ResetPassword(ctx, id, "123456", "Another-long-pass-42", "Another-long-pass-42")
			requireCode(t, err, onboardkit.CodeInvalidCode)
			_, err = h.svc.ConfirmEmail(ctx, a.UserID, id, "123456")
			requireCode(t, err, onboardkit.CodeInvalidCode)
			_, err = h.svc.CreatePortfolio(ctx, a.UserID, PortfolioRequest{AccountID: id, Name: "Main", Type: "TRADING"})
			requireCode(t, err, onboardkit.CodeNotFound)
			_, err = h.svc.ListPortfolios(ctx, a.UserID, id)
			requireCode(t, err, onboardkit.CodeNotFound)
			_, err = h.svc.Me(ctx, id)
			requireCode(t, err, onboardkit.CodeNotFound)
		}
	}, withAddresses(t))
}

// TestLoginStoreWorkAlike: a login of an unknown user makes the same store
// calls, in the same order, as a failed login of a known one, so timing
// does not tell them apart (BenchmarkLoginKnownVsUnknown measures it).
func TestLoginStoreWorkAlike(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		rec := &callRecorder{Store: newStore(t)}
		h := newHarness(t, rec)
		ctx := context.Background()
		phone := newPhone()
		h.confirmed(phone)
		calls := func(username string) []string {
			rec.reset()
			_, err := h.svc.Login(ctx, LoginRequest{Username: username, Password: "wrong-password-" + fmt.Sprint(rand.IntN(1000))})
			requireCode(t, err, onboardkit.CodeInvalidCredentials)
			return rec.names()
		}
		known, unknown := calls(phone), calls(newPhone())
		assert.Equal(t, known, unknown)
		assert.Equal(t, []string{"GetLogin", "ReserveLoginAttempt", "AppendEvent"}, known)
		assert.Equal(t, calls("someone@example.com"), calls(strings.ToUpper("someone@example.com")))
	})
}

// callRecorder records the names of the store calls of the login path.
type callRecorder struct {
	storage.Store
	mu    sync.Mutex
	calls []string
}

func (r *callRecorder) add(name string) {
	r.mu.Lock()
	r.calls = append(r.calls, name)
	r.mu.Unlock()
}

func (r *callRecorder) reset() {
	r.mu.Lock()
	r.calls = nil
	r.mu.Unlock()
}

func (r *callRecorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func (r *callRecorder) GetLogin(ctx context.Context, by storage.LoginBy, value string) (*storage.Login, error) {
	r.add("GetLogin")
	return r.Store.GetLogin(ctx, by, value)
}

func (r *callRecorder) GetUserByPhone(ctx context.Context, phone string) (*storage.User, error) {
	r.add("GetUserByPhone")
	return r.Store.GetUserByPhone(ctx, phone)
}

func (r *callRecorder) GetUserByEmail(ctx context.Context, email string) (*storage.User, error) {
	r.add("GetUserByEmail")
	return r.Store.GetUserByEmail(ctx, email)
}

func (r *callRecorder) GetUser(ctx context.Context, id string) (*storage.User, error) {
	r.add("GetUser")
	return r.Store.GetUser(ctx, id)
}

func (r *callRecorder) UpdateUser(ctx context.Context, u *storage.User) error {
	r.add("UpdateUser")
	return r.Store.UpdateUser(ctx, u)
}

func (r *callRecorder) GetPassword(ctx context.Context, userID string) (string, error) {
	r.add("GetPassword")
	return r.Store.GetPassword(ctx, userID)
}

func (r *callRecorder) ReserveLoginAttempt(ctx context.Context, key string, now time.Time, p storage.ThrottlePolicy) (storage.Reservation, error) {
	r.add("ReserveLoginAttempt")
	return r.Store.ReserveLoginAttempt(ctx, key, now, p)
}

func (r *callRecorder) ResetLoginAttempts(ctx context.Context, key string) error {
	r.add("ResetLoginAttempts")
	return r.Store.ResetLoginAttempts(ctx, key)
}

func (r *callRecorder) AppendEvent(ctx context.Context, e *storage.Event) error {
	r.add("AppendEvent")
	return r.Store.AppendEvent(ctx, e)
}

func (r *callRecorder) GetTOTP(ctx context.Context, userID string) (*storage.TOTPEnrollment, error) {
	r.add("GetTOTP")
	return r.Store.GetTOTP(ctx, userID)
}

func (r *callRecorder) Tx(ctx context.Context, fn func(ctx context.Context, s storage.Store) error) error {
	r.add("Tx")
	return r.Store.Tx(ctx, fn)
}

// TestProvenSendLimit: a user's own codes have a budget of their own (10 per
// hour by default). Past it a login answers send_limit with RetryAfter until
// the window ends, and the refused login sends and stores nothing; once the
// window ends, codes go out again. On PostgreSQL the count runs with the
// login's commit (storage.SendCapper), so this is the deferred refusal.
func TestProvenSendLimit(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		h.confirmed(phone)
		sent := h.sms.Len()
		for i := range 10 {
			_, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
			require.NoError(t, err, "login %d", i+1)
		}
		require.Equal(t, sent+10, h.sms.Len())
		h.clock.Advance(10 * time.Minute)
		_, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		oe := requireCode(t, err, onboardkit.CodeSendLimit)
		assert.Greater(t, oe.RetryAfter, time.Duration(0), "RetryAfter is set")
		assert.LessOrEqual(t, oe.RetryAfter, time.Hour, "RetryAfter ends with the window")
		assert.Equal(t, sent+10, h.sms.Len(), "the refused login sends nothing")
		h.clock.Advance(oe.RetryAfter)
		_, err = h.login(phone, testPassword, phone)
		require.NoError(t, err, "the next window sends again")
	})
}
