package onboarding

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/onboarding/passkeytest"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

const testOrigin = "https://app.example.com"

// withWebAuthn enables passkeys for the relying party example.com.
func withWebAuthn(c *Config) {
	c.WebAuthn = WebAuthnConfig{RPID: "example.com", RPName: "Example Bank", Origins: []string{testOrigin}}
}

func newAuthenticator(format string) *passkeytest.Authenticator {
	return &passkeytest.Authenticator{Origin: testOrigin, Format: format}
}

// registered confirms a new user and registers a passkey of a.
func (h *harness) registered(a *passkeytest.Authenticator) (*AuthResult, *passkeytest.Credential) {
	h.t.Helper()
	ctx := context.Background()
	auth := h.confirmed(newPhone())
	opts, err := h.svc.BeginPasskeyRegistration(ctx, auth.UserID)
	require.NoError(h.t, err)
	reg, err := a.Create(opts.PublicKey, passkeytest.Tweaks{})
	require.NoError(h.t, err)
	_, err = h.svc.RegisterPasskey(ctx, auth.UserID, PasskeyRegistration{CeremonyID: opts.CeremonyID, Name: "Laptop", Credential: reg.JSON})
	require.NoError(h.t, err)
	return auth, reg.Credential
}

func TestPasskeyRegistrationLoginAndRemoval(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a := newAuthenticator("packed")
		auth, cred := h.registered(a)

		keys, err := h.svc.ListPasskeys(ctx, auth.UserID)
		require.NoError(t, err)
		require.Len(t, keys, 1)
		assert.Equal(t, "Laptop", keys[0].Name)
		assert.Equal(t, []string{"internal", "hybrid"}, keys[0].Transports)
		assert.Nil(t, keys[0].LastUsedAt)
		me, err := h.svc.Me(ctx, auth.UserID)
		require.NoError(t, err)
		assert.True(t, me.IsPasskeyActivated)
		assert.False(t, me.IsOtpActivated)

		// The login's second factor is the passkey; the assertion options
		// come with the challenge, and a code does not answer it.
		me, _ = h.svc.Me(ctx, auth.UserID)
		lr, err := h.svc.Login(ctx, LoginRequest{Username: me.PhoneNumber, Password: testPassword})
		require.NoError(t, err)
		assert.Equal(t, ChallengePasskey, lr.Challenge.ChallengeType)
		require.NotEmpty(t, lr.Challenge.PublicKey)
		var ro struct {
			RPID             string `json:"rpId"`
			UserVerification string `json:"userVerification"`
			AllowCredentials []any  `json:"allowCredentials"`
		}
		require.NoError(t, json.Unmarshal(lr.Challenge.PublicKey, &ro))
		assert.Equal(t, "example.com", ro.RPID)
		assert.Equal(t, "required", ro.UserVerification)
		assert.Len(t, ro.AllowCredentials, 1)
		_, err = h.svc.VerifyLoginChallenge(ctx, lr.SessionID, "000000")
		requireCode(t, err, onboardkit.CodeInvalidCode)
		_, err = h.svc.ResendLoginCode(ctx, lr.SessionID)
		requireCode(t, err, onboardkit.CodeInvalidCode)
		assertion, err := a.Get(lr.Challenge.PublicKey, cred, passkeytest.Tweaks{})
		require.NoError(t, err)
		res, err := h.svc.VerifyLoginPasskey(ctx, lr.SessionID, assertion)
		require.NoError(t, err)
		require.NotNil(t, res.Tokens)
		assert.Equal(t, auth.UserID, res.UserID)
		// One-time: the same assertion again is refused.
		_, err = h.svc.VerifyLoginPasskey(ctx, lr.SessionID, assertion)
		requireCode(t, err, onboardkit.CodeInvalidCode)

		// Passwordless: discoverable, no username.
		opts, err := h.svc.BeginPasskeyLogin(ctx)
		require.NoError(t, err)
		assertion, err = a.Get(opts.PublicKey, cred, passkeytest.Tweaks{})
		require.NoError(t, err)
		res, err = h.svc.LoginWithPasskey(ctx, opts.CeremonyID, assertion)
		require.NoError(t, err)
		assert.Equal(t, auth.UserID, res.UserID)
		require.NotNil(t, res.Tokens)
		keys, _ = h.svc.ListPasskeys(ctx, auth.UserID)
		require.NotNil(t, keys[0].LastUsedAt)

		// Removal needs a recent login.
		h.clock.Advance(time.Hour)
		requireCode(t, h.svc.RemovePasskey(ctx, auth.UserID, keys[0].PasskeyID), onboardkit.CodeRecentAuthRequired)
		opts, _ = h.svc.BeginPasskeyLogin(ctx)
		assertion, _ = a.Get(opts.PublicKey, cred, passkeytest.Tweaks{})
		_, err = h.svc.LoginWithPasskey(ctx, opts.CeremonyID, assertion)
		require.NoError(t, err)
		requireCode(t, h.svc.RemovePasskey(ctx, auth.UserID, "nope"), onboardkit.CodeNotFound)
		require.NoError(t, h.svc.RemovePasskey(ctx, auth.UserID, keys[0].PasskeyID))
		me, _ = h.svc.Me(ctx, auth.UserID)
		assert.False(t, me.IsPasskeyActivated)
		lr, err = h.svc.Login(ctx, LoginRequest{Username: me.PhoneNumber, Password: testPassword})
		require.NoError(t, err)
		assert.Equal(t, ChallengeSMS, lr.Challenge.ChallengeType, "without a passkey the login is back to SMS")
		assert.Empty(t, lr.Challenge.PublicKey)

		assert.Subset(t, h.eventTypes(), []string{EventPasskeyAdded, EventPasskeyUsed, EventPasskeyRemoved})
	}, withWebAuthn)
}

// TestPasskeyProtocolRefusals: every way a registration or an assertion
// can be wrong is refused with a typed error, the reason in the field
// code.
func TestPasskeyProtocolRefusals(t *testing.T) {
	cases := []struct {
		name   string
		tweaks passkeytest.Tweaks
		code   onboardkit.Code
		field  onboardkit.FieldCode
	}{
		{"wrong challenge", passkeytest.Tweaks{Challenge: []byte("another challenge of 32 bytes...")}, onboardkit.CodePasskeyInvalid, onboardkit.FieldChallengeMismatch},
		{"wrong origin", passkeytest.Tweaks{Origin: "https://evil.example.net"}, onboardkit.CodePasskeyInvalid, onboardkit.FieldOriginMismatch},
		{"wrong rp id", passkeytest.Tweaks{RPID: "evil.example.net"}, onboardkit.CodePasskeyInvalid, onboardkit.FieldRPIDMismatch},
		{"user verification missing", passkeytest.Tweaks{NoUserVerification: true}, onboardkit.CodePasskeyInvalid, onboardkit.FieldUserVerificationRequired},
		{"tampered signature", passkeytest.Tweaks{TamperSignature: true}, onboardkit.CodePasskeyInvalid, onboardkit.FieldBadSignature},
		{"wrong ceremony type", passkeytest.Tweaks{Type: "payment.get"}, onboardkit.CodePasskeyInvalid, onboardkit.FieldInvalid},
	}
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		t.Run("registration", func(t *testing.T) {
			for _, format := range []string{"none", "packed"} {
				a := newAuthenticator(format)
				auth := h.confirmed(newPhone())
				for _, tc := range cases {
					if tc.tweaks.TamperSignature && format == "none" {
						continue // nothing is signed at registration without attestation
					}
					opts, err := h.svc.BeginPasskeyRegistration(ctx, auth.UserID)
					require.NoError(t, err)
					reg, err := a.Create(opts.PublicKey, tc.tweaks)
					require.NoError(t, err)
					_, err = h.svc.RegisterPasskey(ctx, auth.UserID, PasskeyRegistration{CeremonyID: opts.CeremonyID, Credential: reg.JSON})
					e := requireCode(t, err, tc.code)
					require.Len(t, e.Fields, 1, "%s/%s", format, tc.name)
					assert.Equal(t, tc.field, e.Fields[0].Code, "%s/%s: %v", format, tc.name, err)
					assert.Equal(t, "credential", e.Fields[0].Field)
				}
				// The right one is accepted; the ceremony is then spent.
				opts, err := h.svc.BeginPasskeyRegistration(ctx, auth.UserID)
				require.NoError(t, err)
				reg, err := a.Create(opts.PublicKey, passkeytest.Tweaks{})
				require.NoError(t, err)
				_, err = h.svc.RegisterPasskey(ctx, auth.UserID, PasskeyRegistration{CeremonyID: opts.CeremonyID, Credential: reg.JSON})
				require.NoError(t, err, format)
				_, err = h.svc.RegisterPasskey(ctx, auth.UserID, PasskeyRegistration{CeremonyID: opts.CeremonyID, Credential: reg.JSON})
				requireCode(t, err, onboardkit.CodeInvalidCode)
				// Another user's ceremony does not register.
				other := h.confirmed(newPhone())
				opts, _ = h.svc.BeginPasskeyRegistration(ctx, other.UserID)
				reg, _ = a.Create(opts.PublicKey, passkeytest.Tweaks{})
				_, err = h.svc.RegisterPasskey(ctx, auth.UserID, PasskeyRegistration{CeremonyID: opts.CeremonyID, Credential: reg.JSON})
				requireCode(t, err, onboardkit.CodeInvalidCode)
				// Malformed JSON is a typed refusal too.
				opts, _ = h.svc.BeginPasskeyRegistration(ctx, auth.UserID)
				_, err = h.svc.RegisterPasskey(ctx, auth.UserID, PasskeyRegistration{CeremonyID: opts.CeremonyID, Credential: json.RawMessage(`{"id":"x"}`)})
				e := requireCode(t, err, onboardkit.CodePasskeyInvalid)
				assert.Equal(t, onboardkit.FieldMalformed, e.Fields[0].Code)
				// An expired ceremony neither; and a new one needs a recent
				// login.
				opts, _ = h.svc.BeginPasskeyRegistration(ctx, auth.UserID)
				reg, _ = a.Create(opts.PublicKey, passkeytest.Tweaks{})
				h.clock.Advance(11 * time.Minute)
				_, err = h.svc.RegisterPasskey(ctx, auth.UserID, PasskeyRegistration{CeremonyID: opts.CeremonyID, Credential: reg.JSON})
				requireCode(t, err, onboardkit.CodeCodeExpired)
				_, err = h.svc.BeginPasskeyRegistration(ctx, auth.UserID)
				requireCode(t, err, onboardkit.CodeRecentAuthRequired)
			}
		})
		t.Run("assertion", func(t *testing.T) {
			for _, format := range []string{"none", "packed"} {
				a := newAuthenticator(format)
				_, cred := h.registered(a)
				for _, tc := range cases {
					opts, err := h.svc.BeginPasskeyLogin(ctx)
					require.NoError(t, err)
					assertion, err := a.Get(opts.PublicKey, cred, tc.tweaks)
					require.NoError(t, err)
					_, err = h.svc.LoginWithPasskey(ctx, opts.CeremonyID, assertion)
					e := requireCode(t, err, tc.code)
					require.Len(t, e.Fields, 1)
					assert.Equal(t, tc.field, e.Fields[0].Code, "%s/%s: %v", format, tc.name, err)
				}
				// Counter regression: clone detection.
				opts, _ := h.svc.BeginPasskeyLogin(ctx)
				assertion, _ := a.Get(opts.PublicKey, cred, passkeytest.Tweaks{})
				_, err := h.svc.LoginWithPasskey(ctx, opts.CeremonyID, assertion)
				require.NoError(t, err)
				back := cred.Count - 1
				opts, _ = h.svc.BeginPasskeyLogin(ctx)
				assertion, _ = a.Get(opts.PublicKey, cred, passkeytest.Tweaks{Counter: &back})
				_, err = h.svc.LoginWithPasskey(ctx, opts.CeremonyID, assertion)
				requireCode(t, err, onboardkit.CodePasskeyCloned)
				// A reused ceremony: answered once, refused after.
				cred.Count += 5
				opts, _ = h.svc.BeginPasskeyLogin(ctx)
				assertion, _ = a.Get(opts.PublicKey, cred, passkeytest.Tweaks{})
				_, err = h.svc.LoginWithPasskey(ctx, opts.CeremonyID, assertion)
				require.NoError(t, err)
				more, _ := a.Get(opts.PublicKey, cred, passkeytest.Tweaks{})
				_, err = h.svc.LoginWithPasskey(ctx, opts.CeremonyID, more)
				requireCode(t, err, onboardkit.CodeInvalidCode)
				// An unknown credential.
				stranger, _ := newAuthenticator(format).Create(mustOptions(t, h), passkeytest.Tweaks{})
				opts, _ = h.svc.BeginPasskeyLogin(ctx)
				assertion, _ = a.Get(opts.PublicKey, stranger.Credential, passkeytest.Tweaks{})
				_, err = h.svc.LoginWithPasskey(ctx, opts.CeremonyID, assertion)
				e := requireCode(t, err, onboardkit.CodePasskeyInvalid)
				assert.Equal(t, onboardkit.FieldUnknownCredential, e.Fields[0].Code)
			}
		})
	}, withWebAuthn)
}

// mustOptions opens a registration ceremony of a new user (its options
// only).
func mustOptions(t *testing.T, h *harness) json.RawMessage {
	auth := h.confirmed(newPhone())
	opts, err := h.svc.BeginPasskeyRegistration(context.Background(), auth.UserID)
	require.NoError(t, err)
	return opts.PublicKey
}

// TestPasskeyCeremonyOnceAcrossReplicas: one ceremony answered by many
// concurrent requests on two Services with two stores (one PostgreSQL
// database): exactly one registers, exactly one logs in.
func TestPasskeyCeremonyOnceAcrossReplicas(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		h1, h2 := replicas(t, a, b, withWebAuthn)
		hs := [2]*harness{h1, h2}
		ctx := context.Background()
		auth := h1.confirmed(newPhone())
		opts, err := h1.svc.BeginPasskeyRegistration(ctx, auth.UserID)
		require.NoError(t, err)
		va := newAuthenticator("packed")
		reg, err := va.Create(opts.PublicKey, passkeytest.Tweaks{})
		require.NoError(t, err)
		errs := race(16, func(i int) error {
			_, err := hs[i%2].svc.RegisterPasskey(ctx, auth.UserID, PasskeyRegistration{CeremonyID: opts.CeremonyID, Credential: reg.JSON})
			return err
		})
		requireOneWinner(t, errs, onboardkit.CodeInvalidCode)
		keys, err := h2.svc.ListPasskeys(ctx, auth.UserID)
		require.NoError(t, err)
		assert.Len(t, keys, 1)

		lo, err := h2.svc.BeginPasskeyLogin(ctx)
		require.NoError(t, err)
		assertion, err := va.Get(lo.PublicKey, reg.Credential, passkeytest.Tweaks{})
		require.NoError(t, err)
		errs = race(16, func(i int) error {
			_, err := hs[i%2].svc.LoginWithPasskey(ctx, lo.CeremonyID, assertion)
			return err
		})
		requireOneWinner(t, errs, onboardkit.CodeInvalidCode, onboardkit.CodePasskeyCloned)
	})
}

func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func requireOneWinner(t *testing.T, errs []error, lost ...onboardkit.Code) {
	t.Helper()
	require.Len(t, winners(t, errs, lost...), 1, "winners among %v", errs)
}

// winners returns the indexes of the calls that succeeded, after checking
// that every other one failed with one of the codes lost.
func winners(t *testing.T, errs []error, lost ...onboardkit.Code) []int {
	t.Helper()
	var won []int
	for i, err := range errs {
		if err == nil {
			won = append(won, i)
			continue
		}
		e := onboardkit.AsError(err)
		require.NotNil(t, e, "untyped error %v", err)
		require.Contains(t, lost, e.Code, "unexpected error %v", err)
	}
	return won
}

func TestPasskeysDisabled(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	auth := h.confirmed(newPhone())
	_, err := h.svc.BeginPasskeyRegistration(ctx, auth.UserID)
	requireCode(t, err, onboardkit.CodePasskeysDisabled)
	_, err = h.svc.BeginPasskeyLogin(ctx)
	requireCode(t, err, onboardkit.CodePasskeysDisabled)
	_, err = h.svc.IssuePasskeyChallenge(ctx, PasskeyChallengeRequest{})
	requireCode(t, err, onboardkit.CodePasskeysDisabled)
	_, err = New(Config{WebAuthn: WebAuthnConfig{RPID: "example.com"}})
	require.ErrorContains(t, err, "WebAuthn.RPName")
}

// A user with both an authenticator app and a passkey answers the PASSKEY
// login challenge with a passkey, or with a recovery code of the app (no
// SMS fallback); the export lists the passkeys.
func TestPasskeyChallengeTakesRecoveryCodes(t *testing.T) {
	h := newHarness(t, memory.New(), withWebAuthn)
	ctx := context.Background()
	a := newAuthenticator("none")
	auth, _ := h.registered(a)
	enr, err := h.svc.BeginTOTP(ctx, auth.UserID)
	require.NoError(t, err)
	code, err := totp.GenerateCode(enr.Secret, h.clock.Now())
	require.NoError(t, err)
	recovery, err := h.svc.ConfirmTOTP(ctx, auth.UserID, code)
	require.NoError(t, err)
	me, err := h.svc.Me(ctx, auth.UserID)
	require.NoError(t, err)
	assert.True(t, me.IsPasskeyActivated)
	assert.True(t, me.IsOtpActivated)

	lr, err := h.svc.Login(ctx, LoginRequest{Username: me.PhoneNumber, Password: testPassword})
	require.NoError(t, err)
	require.Equal(t, ChallengePasskey, lr.Challenge.ChallengeType, "the passkey comes first")
	res, err := h.svc.LoginWithRecoveryCode(ctx, lr.SessionID, recovery[0])
	require.NoError(t, err)
	require.NotNil(t, res.Tokens)

	ex, err := h.svc.ExportUser(NewContext(ctx, &AccessClaims{UserID: auth.UserID}), auth.UserID)
	require.NoError(t, err)
	require.Len(t, ex.Credentials.Passkeys, 1)
	assert.Equal(t, "Laptop", ex.Credentials.Passkeys[0].Name)
}

// FuzzPasskeyCredential feeds arbitrary credential JSON to every ceremony:
// never a panic, never an untyped or internal error, never a success.
func FuzzPasskeyCredential(f *testing.F) {
	f.Add([]byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`))
	f.Add([]byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","userHandle":"AA"}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"response":{"clientDataJSON":"!!"}}`))
	h := newHarness(f, memory.New(), withWebAuthn)
	ctx := context.Background()
	auth := h.confirmed(newPhone())
	f.Fuzz(func(t *testing.T, cred []byte) {
		reg, err := h.svc.BeginPasskeyRegistration(ctx, auth.UserID)
		require.NoError(t, err)
		_, err = h.svc.RegisterPasskey(ctx, auth.UserID, PasskeyRegistration{CeremonyID: reg.CeremonyID, Credential: cred})
		checkRefusal(t, err)
		lo, err := h.svc.BeginPasskeyLogin(ctx)
		require.NoError(t, err)
		_, err = h.svc.LoginWithPasskey(ctx, lo.CeremonyID, cred)
		checkRefusal(t, err)
	})
}

func checkRefusal(t *testing.T, err error) {
	t.Helper()
	oe := onboardkit.AsError(err)
	if oe == nil {
		t.Fatalf("want a typed refusal, got %v", err)
	}
	switch oe.Code {
	case onboardkit.CodePasskeyInvalid, onboardkit.CodeValidation:
	default:
		t.Fatalf("unexpected code %s: %v", oe.Code, err)
	}
}

// Ceremonies are challenges: the janitor prunes the expired ones with the
// others, and a pruned ceremony answers like an unknown one.
func TestPasskeyCeremoniesArePruned(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a := newAuthenticator("none")
		_, cred := h.registered(a)
		opts, err := h.svc.BeginPasskeyLogin(ctx)
		require.NoError(t, err)
		assertion, err := a.Get(opts.PublicKey, cred, passkeytest.Tweaks{})
		require.NoError(t, err)
		h.clock.Advance(11 * time.Minute)
		_, err = h.svc.LoginWithPasskey(ctx, opts.CeremonyID, assertion)
		requireCode(t, err, onboardkit.CodeCodeExpired)
		n, err := h.store.PruneChallenges(ctx, h.clock.Now(), 0)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, n, 2, "the registration and the login ceremonies (and the sign-up code)")
		_, err = h.svc.LoginWithPasskey(ctx, opts.CeremonyID, assertion)
		requireCode(t, err, onboardkit.CodeInvalidCode)
	}, withWebAuthn)
}
