package onboarding

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// activeAccount takes a new user to active KYC and returns it with its
// (auto-provisioned) account.
func (h *harness) activeAccount() (userID, accountID string) {
	h.t.Helper()
	ctx := context.Background()
	a, _ := h.compliant()
	_, err := h.svc.SubmitKYC(ctx, a.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(h.t)}})
	require.NoError(h.t, err)
	_, err = h.svc.RecordKYCDecision(ctx, a.UserID, kyc.Decision{Status: kyc.StatusActive})
	require.NoError(h.t, err)
	accts, err := h.svc.ListAccounts(ctx, a.UserID)
	require.NoError(h.t, err)
	return a.UserID, accts[0].ID
}

// createConcurrently creates portfolios named by name(i), n at once, half
// on each replica, and returns the errors.
func createConcurrently(hs [2]*harness, userID, accountID string, n int, name func(i int) string) []error {
	return race(n, func(i int) error {
		_, err := hs[i%2].svc.CreatePortfolio(context.Background(), userID, PortfolioRequest{AccountID: accountID, Name: name(i), Type: "SAVINGS"})
		return err
	})
}

// TestPortfolioCapHoldsAcrossReplicas: the cap is checked inside the
// creation's unit of work, under the account's lock, so 50 concurrent
// creations over two replicas leave exactly the cap.
func TestPortfolioCapHoldsAcrossReplicas(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		h1, h2 := replicas(t, a, b, withAddresses(t))
		userID, acct := h1.activeAccount()
		errs := createConcurrently([2]*harness{h1, h2}, userID, acct, 50, func(i int) string { return fmt.Sprintf("P%02d", i) })
		refused := len(errs) - len(winners(t, errs, onboardkit.CodeLimitReached))
		ps, err := h2.svc.ListPortfolios(context.Background(), userID, acct)
		require.NoError(t, err)
		assert.Len(t, ps, 20, "the trading portfolio of the approval and 19 of the 50")
		assert.Equal(t, 31, refused)
	})
}

// TestAddressIndexesHaveNoGaps: an address index is allocated in the
// creation's unit of work, so creations that fail (a taken name) release
// theirs: after 40 concurrent creations of one name and 20 of distinct
// names over two replicas, the indexes in use have no gap.
func TestAddressIndexesHaveNoGaps(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		h1, h2 := replicas(t, a, b, withAddresses(t), func(c *Config) { c.Portfolio.MaxPortfoliosPerAccount = 100 })
		userID, acct := h1.activeAccount()
		hs := [2]*harness{h1, h2}
		errs := createConcurrently(hs, userID, acct, 40, func(int) string { return "Same" })
		assert.Len(t, winners(t, errs, onboardkit.CodeNameTaken), 1, "one name, one portfolio")
		for _, err := range createConcurrently(hs, userID, acct, 20, func(i int) string { return fmt.Sprintf("D%02d", i) }) {
			require.NoError(t, err)
		}
		ps, err := h1.svc.ListPortfolios(context.Background(), userID, acct)
		require.NoError(t, err)
		var used []uint32
		for _, p := range ps {
			used = append(used, p.AddressIndex)
		}
		slices.Sort(used)
		require.Len(t, used, 22)
		for i, idx := range used {
			assert.Equal(t, uint32(i), idx, "indexes %v have a gap", used)
		}
	})
}

// flakyStore is a store whose connection can be cut: while down every call
// the sign-up and login paths make fails with storage.ErrUnavailable.
type flakyStore struct {
	storage.Store
	mu   sync.Mutex
	down bool
}

func (f *flakyStore) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func (f *flakyStore) fail() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return fmt.Errorf("dial tcp 127.0.0.1:5432: connection refused: %w", storage.ErrUnavailable)
	}
	return nil
}

func (f *flakyStore) Ping(ctx context.Context) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.Ping(ctx)
}

func (f *flakyStore) GetUserByPhone(ctx context.Context, phone string) (*storage.User, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.Store.GetUserByPhone(ctx, phone)
}

func (f *flakyStore) GetLogin(ctx context.Context, by storage.LoginBy, value string) (*storage.Login, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.Store.GetLogin(ctx, by, value)
}

func (f *flakyStore) Tx(ctx context.Context, fn func(ctx context.Context, s storage.Store) error) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.Tx(ctx, fn)
}

// TestStoreOutageIsUnavailable: while the store cannot be reached, steps
// answer a typed unavailable error with a Retry-After, the outage is logged
// once (and its end once), and everything works again when it is back,
// without a restart.
func TestStoreOutageIsUnavailable(t *testing.T) {
	var logs bytes.Buffer
	st := &flakyStore{Store: memory.New()}
	h := newHarness(t, st, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	ctx := context.Background()
	require.NoError(t, h.svc.Ping(ctx))
	st.setDown(true)
	for range 3 {
		_, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: newPhone(), Password: testPassword})
		oe := requireCode(t, err, onboardkit.CodeUnavailable)
		assert.Equal(t, unavailableRetry, oe.RetryAfter)
		_, err = h.svc.Login(ctx, LoginRequest{Username: newPhone(), Password: testPassword})
		requireCode(t, err, onboardkit.CodeUnavailable)
	}
	requireCode(t, h.svc.Ping(ctx), onboardkit.CodeUnavailable)
	assert.Equal(t, 1, strings.Count(logs.String(), "store unavailable"), "one log line per outage: %s", logs.String())
	assert.NotContains(t, logs.String(), "internal")

	st.setDown(false)
	h.confirmed(newPhone())
	h.confirmed(newPhone())
	assert.Equal(t, 1, strings.Count(logs.String(), "store reachable again"))
	st.setDown(true)
	_, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: newPhone(), Password: testPassword})
	requireCode(t, err, onboardkit.CodeUnavailable)
	assert.Equal(t, 2, strings.Count(logs.String(), "store unavailable"), "a new outage is logged again")
}

// TestPostgresOutageIsUnavailable: with the database behind a proxy that is
// taken down, steps answer unavailable; when it is back up the same Service
// works again, without a restart.
func TestPostgresOutageIsUnavailable(t *testing.T) {
	st, proxy := postgrestest.NewBehindProxy(t)
	h := newHarness(t, st)
	ctx := context.Background()
	h.confirmed(newPhone())
	proxy.Down()
	_, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: newPhone(), Password: testPassword})
	requireCode(t, err, onboardkit.CodeUnavailable)
	requireCode(t, h.svc.Ping(ctx), onboardkit.CodeUnavailable)
	proxy.Up()
	require.NoError(t, h.svc.Ping(ctx))
	h.confirmed(newPhone())
}

// TestConfirmAndLoginCodeOnceAcrossReplicas: a confirmation code and a
// login code answered 20 times at once over two replicas open exactly one
// session each; every other answer is invalid_code. On PostgreSQL the
// consumption travels with the unit's next statement (write-behind) and a
// lost race is explained from a fresh read.
func TestConfirmAndLoginCodeOnceAcrossReplicas(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		h1, h2 := replicas(t, a, b)
		ctx := context.Background()
		hs := [2]*harness{h1, h2}
		phone := newPhone()
		su, code := h1.signUp(phone)
		requireOneWinner(t, race(20, func(i int) error {
			_, err := hs[i%2].svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, code)
			return err
		}), onboardkit.CodeInvalidCode)
		lr, err := h2.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		require.NoError(t, err)
		loginCode := h2.sms.LastCode(phone)
		requireOneWinner(t, race(20, func(i int) error {
			_, err := hs[i%2].svc.VerifyLoginChallenge(ctx, lr.SessionID, loginCode)
			return err
		}), onboardkit.CodeInvalidCode)
		sessions, err := h1.svc.ListSessions(ctx, su.UserID)
		require.NoError(t, err)
		assert.Len(t, sessions, 2, "the confirmation's and the login's")
		// An email's code, whose consumption and user update also wait for
		// the commit.
		email := fmt.Sprintf("once-%s@example.com", phone[1:])
		ch, err := h1.svc.AddEmail(ctx, su.UserID, email)
		require.NoError(t, err)
		emailCode := h1.email.LastCode(email)
		requireOneWinner(t, race(20, func(i int) error {
			_, err := hs[i%2].svc.ConfirmEmail(ctx, su.UserID, ch.ChallengeID, emailCode)
			return err
		}), onboardkit.CodeInvalidCode)
		me, err := h2.svc.Me(ctx, su.UserID)
		require.NoError(t, err)
		assert.True(t, me.EmailVerified, "the email is confirmed")
		// A password reset's code, consumed with the new password, the
		// revocation and the user's cutoff in one deferred commit: one
		// reset wins, and every session ends.
		fp, err := h1.svc.ForgotPassword(ctx, phone)
		require.NoError(t, err)
		resetCode := h1.sms.LastCode(phone)
		requireOneWinner(t, race(20, func(i int) error {
			pw := fmt.Sprintf("staple-Orbit-%d-lantern", i)
			return hs[i%2].svc.ResetPassword(ctx, fp.SessionID, resetCode, pw, pw)
		}), onboardkit.CodeInvalidCode)
		sessions, err = h2.svc.ListSessions(ctx, su.UserID)
		require.NoError(t, err)
		assert.Empty(t, sessions, "the reset ended every session")
	})
}

// TestKYCSubmissionCapHoldsAcrossReplicas: the submissions are counted in
// the submission's unit of work, so 12 concurrent submissions of a user
// waiting for information, over two replicas, never pass
// Rules.MaxSubmissions, and the attempts are numbered 1..n once each.
func TestKYCSubmissionCapHoldsAcrossReplicas(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		const limit = 4
		rules := kyc.DefaultRules()
		rules.MaxSubmissions = limit
		h1, h2 := replicas(t, a, b, withAddresses(t), func(c *Config) { c.KYC.Rules = &rules })
		ctx := context.Background()
		acc, _ := h1.compliant()
		selfie := kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{{DocumentType: "selfie", IssuingCountry: "FRA", Document: pngDataURL(t, 400, 400), DocumentNumber: "S1"}}}
		res, err := h1.svc.SubmitKYC(ctx, acc.UserID, selfie)
		require.NoError(t, err)
		require.Equal(t, kyc.StatusWaitingForInformation, res.Status)

		errs := race(12, func(i int) error {
			_, err := [2]*harness{h1, h2}[i%2].svc.SubmitKYC(ctx, acc.UserID, selfie)
			return err
		})
		assert.Len(t, winners(t, errs, onboardkit.CodeLimitReached), limit-1, "the first submission and %d of the 12", limit-1)
		subs, err := h1.store.ListKYCSubmissions(ctx, acc.UserID)
		require.NoError(t, err)
		var attempts []int
		for _, s := range subs {
			attempts = append(attempts, s.Attempt)
		}
		slices.Sort(attempts)
		assert.Equal(t, []int{1, 2, 3, 4}, attempts)
	})
}

// TestTOTPConfirmOnceAcrossReplicas: confirmations of one enrollment with
// the codes of three time steps (the skew window), at once over two
// replicas: one wins and gets recovery codes, the others are refused, and
// the winning code is not accepted again (the replay guard kept its step).
func TestTOTPConfirmOnceAcrossReplicas(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		h1, h2 := replicas(t, a, b)
		hs := [2]*harness{h1, h2}
		ctx := context.Background()
		for range 6 {
			phone := newPhone()
			acc := h1.confirmed(phone)
			enr, err := h1.svc.BeginTOTP(ctx, acc.UserID)
			require.NoError(t, err)
			now := h1.clock.Now()
			var codes [3]string
			for i := range codes {
				codes[i], err = totp.GenerateCode(enr.Secret, now.Add(time.Duration(i-1)*30*time.Second))
				require.NoError(t, err)
			}
			var recovered [3][]string
			errs := race(3, func(i int) (err error) {
				recovered[i], err = hs[i%2].svc.ConfirmTOTP(ctx, acc.UserID, codes[i])
				return err
			})
			ws := winners(t, errs, onboardkit.CodeInvalidTransition, onboardkit.CodeInvalidCode)
			require.Len(t, ws, 1, "winners among %v", errs)
			won := ws[0]
			require.Len(t, recovered[won], 10)

			lr, err := h2.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
			require.NoError(t, err)
			_, err = h2.svc.VerifyLoginChallenge(ctx, lr.SessionID, codes[won])
			requireCode(t, err, onboardkit.CodeInvalidCode)
			res, err := h1.svc.LoginWithRecoveryCode(ctx, lr.SessionID, recovered[won][0])
			require.NoError(t, err, "the winner's recovery codes are the stored ones")
			require.NotNil(t, res.Tokens)
		}
	})
}

// TestErasureKeepsASubmissionCommittedMeanwhile: with retention, an
// erasure that found no KYC record to keep must not delete a submission
// that commits on another replica while the erasure runs. Here the
// submission starts right after the erasure's check; it either waits for
// the erasure and fails, or, if it succeeds, its record is retained.
func TestErasureKeepsASubmissionCommittedMeanwhile(t *testing.T) {
	a, b := postgrestest.NewPair(t)
	retain := func(c *Config) {
		c.Retention = RetentionConfig{Period: 365 * 24 * time.Hour, Keyring: testKeyring(t, "officers", 4)}
	}
	st, h1, h2 := hookedReplicas(t, a, b, withAddresses(t), retain)
	st.kyc = true
	ctx := context.Background()
	acc, _ := h2.compliant()
	var submitErr error
	submitted := make(chan struct{})
	st.on(acc.UserID, func() {
		go func() {
			defer close(submitted)
			_, submitErr = h2.svc.SubmitKYC(ctx, acc.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
		}()
		select { // time for a submission that does not wait to commit
		case <-submitted:
		case <-time.After(300 * time.Millisecond):
		}
	})
	require.NoError(t, h1.svc.EraseUser(ctx, acc.UserID))
	require.True(t, st.fired(), "the submission did not start during the erasure")
	<-submitted
	subs, err := h2.store.ListKYCSubmissions(ctx, acc.UserID)
	require.NoError(t, err)
	if submitErr == nil {
		assert.Len(t, subs, 1, "a submission reported as made was erased with the user")
	} else {
		assert.Empty(t, subs)
	}
}

// TestNoDataKeyAfterErasure: an erasure on another replica commits after a
// step checked that the user exists and before it seals data for them
// (an authenticator's secret, an account's email). The step fails as for
// an unknown user, and the user has no data key afterwards: sealing would
// have created a fresh one, holding readable data after the erasure.
func TestNoDataKeyAfterErasure(t *testing.T) {
	steps := []struct {
		name string
		run  func(h *harness, userID string) error
	}{
		{"BeginTOTP", func(h *harness, userID string) error {
			_, err := h.svc.BeginTOTP(context.Background(), userID)
			return err
		}},
		{"CreateAccount", func(h *harness, userID string) error {
			_, err := h.svc.CreateAccount(context.Background(), userID, AccountRequest{Email: "acct@example.com"})
			return err
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			eachPair(t, func(t *testing.T, a, b storage.Store) {
				st, h1, h2 := hookedReplicas(t, a, b, withAddresses(t))
				ctx := context.Background()
				userID, _ := h1.activeAccount()
				st.on(userID, func() { assert.NoError(t, h2.svc.EraseUser(ctx, userID)) })
				requireCode(t, step.run(h1, userID), onboardkit.CodeNotFound)
				require.True(t, st.fired(), "the erasure did not run during the step")
				_, err := h2.store.GetDataKey(ctx, userID)
				assert.ErrorIs(t, err, storage.ErrNotFound, "a data key exists after the erasure")
			})
		})
	}
}

// TestLogoutEverywhereOutrunsNoRefresh: a refresh and a logout everywhere
// of the same session race over two replicas, 20 times. Whichever wins,
// no session survives the logout: a refresh token the racing refresh
// returned no longer refreshes.
func TestLogoutEverywhereOutrunsNoRefresh(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		h1, h2 := replicas(t, a, b)
		ctx := context.Background()
		for range 20 {
			acc := h1.confirmed(newPhone())
			var tok *Tokens
			errs := race(2, func(i int) (err error) {
				if i == 0 {
					tok, err = h1.svc.Refresh(ctx, acc.Tokens.RefreshToken)
					return err
				}
				return h2.svc.LogoutEverywhere(ctx, acc.UserID)
			})
			require.NoError(t, errs[1], "the logout")
			if errs[0] != nil {
				requireCode(t, errs[0], onboardkit.CodeInvalidRefreshToken)
				continue
			}
			_, err := h2.svc.Refresh(ctx, tok.RefreshToken)
			requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
		}
	})
}

// TestAccountCreatedDuringApprovalIsActive: a KYC approval commits on the
// other replica after CreateAccount read the user (under review) and
// before it creates the account. The account must be active like the
// user's others, not inactive for good (the approval activated the
// accounts that existed when it ran).
func TestAccountCreatedDuringApprovalIsActive(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		st, h1, h2 := hookedReplicas(t, a, b, withAddresses(t))
		ctx := context.Background()
		acc, _ := h1.compliant()
		_, err := h1.svc.SubmitKYC(ctx, acc.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
		require.NoError(t, err)
		st.on(acc.UserID, func() {
			_, err := h2.svc.RecordKYCDecision(ctx, acc.UserID, kyc.Decision{Status: kyc.StatusActive})
			assert.NoError(t, err)
		})
		created, err := h1.svc.CreateAccount(ctx, acc.UserID, AccountRequest{})
		require.NoError(t, err)
		require.True(t, st.fired(), "the approval did not run during the creation")
		assert.True(t, created.Active, "the account answered")
		got, err := h2.store.GetAccount(ctx, created.ID)
		require.NoError(t, err)
		assert.True(t, got.Active, "the stored account")
	})
}

// TestKYCSubmissionSeesDeclarationsChangedMeanwhile: the user declares
// being politically exposed on the other replica after SubmitKYC read the
// user and before its unit. The stored result is that of the declarations
// as they are when it commits (the PEP risk factor), not of the stale read.
func TestKYCSubmissionSeesDeclarationsChangedMeanwhile(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		st, h1, h2 := hookedReplicas(t, a, b, withAddresses(t))
		ctx := context.Background()
		acc, _ := h1.compliant()
		st.on(acc.UserID, func() { assert.NoError(t, h2.svc.SubmitCompliance(ctx, acc.UserID, testCompliance(true))) })
		res, err := h1.svc.SubmitKYC(ctx, acc.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
		require.NoError(t, err)
		require.True(t, st.fired(), "the declaration did not run during the submission")
		assert.Contains(t, res.RiskFactors, kyc.RiskPEP)
	})
}
