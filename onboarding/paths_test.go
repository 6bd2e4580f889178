package onboarding

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

func ptr(s string) *string { return &s }

// emailFirst signs up by email and confirms it; it returns the result.
func (h *harness) emailFirst(email string) *AuthResult {
	h.t.Helper()
	ctx := context.Background()
	res, err := h.svc.SignUp(ctx, SignUpRequest{Email: email, Password: testPassword})
	require.NoError(h.t, err)
	a, err := h.svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, h.email.LastCode(email))
	require.NoError(h.t, err)
	return a
}

// TestSignUpLogOrder walks the retail sign-up log's order on both stores:
// email, email code, names, address, the rest of the profile, phone, phone
// code, compliance, KYC, then an account with a portfolio.
func TestSignUpLogOrder(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a := h.emailFirst("desiree@example.com")
		assert.Equal(t, []Step{StepCompleteProfile, StepAddPhone, StepConfirmPhone, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}, a.Next)

		// Names, then the address: saved, not complete.
		res, err := h.svc.PatchProfile(ctx, a.UserID, kyc.ProfilePatch{FirstName: ptr("Desiree"), LastName: ptr("Greenholt")})
		require.NoError(t, err)
		assert.Equal(t, StatusContactVerified, res.Status)
		assert.Equal(t, []string{"birthDate", "nationality", "residentialAddress.streetLine1", "residentialAddress.city", "residentialAddress.country"}, res.MissingFields)
		res, err = h.svc.PatchProfile(ctx, a.UserID, kyc.ProfilePatch{ResidentialAddress: &kyc.AddressPatch{
			StreetLine1: ptr("Boulevard de Sébastopol"), City: ptr("Paris"), PostalCode: ptr("75001"), Country: ptr("FRA")}})
		require.NoError(t, err)
		assert.Equal(t, []string{"birthDate", "nationality"}, res.MissingFields)
		me, err := h.svc.Me(ctx, a.UserID)
		require.NoError(t, err)
		assert.Equal(t, res.MissingFields, me.MissingFields)
		assert.Equal(t, "Greenholt", me.Profile.LastName, "a partial profile is shown")
		assert.Equal(t, kyc.TierNone, me.KYC.Tier, "KYC_0 needs the whole profile")

		// A bad field is refused, the saved ones stay.
		_, err = h.svc.PatchProfile(ctx, a.UserID, kyc.ProfilePatch{BirthDate: ptr("2090-01-01"), Nationality: ptr("XXX")})
		oe := requireCode(t, err, onboardkit.CodeValidation)
		assert.Len(t, oe.Fields, 2)
		res, err = h.svc.PatchProfile(ctx, a.UserID, kyc.ProfilePatch{BirthDate: ptr("1990-02-20"), Nationality: ptr("FRA")})
		require.NoError(t, err)
		assert.Equal(t, StatusProfileCompleted, res.Status)
		assert.Empty(t, res.MissingFields)
		assert.Equal(t, []Step{StepAddPhone, StepConfirmPhone, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}, res.Next)

		// Compliance waits for the phone.
		err = h.svc.SubmitCompliance(ctx, a.UserID, testCompliance(false))
		requireCode(t, err, onboardkit.CodeInvalidTransition)
		phone := newPhone()
		ch, err := h.svc.ChangePhone(ctx, a.UserID, phone)
		require.NoError(t, err)
		conf, err := h.svc.ConfirmPhoneChange(ctx, a.UserID, ch.ChallengeID, h.sms.LastCode(phone))
		require.NoError(t, err)
		assert.Equal(t, []Step{StepSubmitCompliance, StepSubmitKYC, StepKYCReview}, conf.Next)
		assert.Contains(t, h.eventTypes(), EventPhoneConfirmed)
		assert.NotContains(t, h.eventTypes(), EventPhoneChanged, "a first phone is not a change")

		require.NoError(t, h.svc.SubmitCompliance(ctx, a.UserID, testCompliance(false)))
		_, err = h.svc.SubmitKYC(ctx, a.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
		require.NoError(t, err)
		_, err = h.svc.RecordKYCDecision(ctx, a.UserID, kyc.Decision{Status: kyc.StatusActive})
		require.NoError(t, err)
		me, err = h.svc.Me(ctx, a.UserID)
		require.NoError(t, err)
		assert.Equal(t, StatusActive, me.Status)
		assert.True(t, me.PhoneVerified)

		// The phone logs in too.
		lr, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		require.NoError(t, err)
		_, err = h.svc.VerifyLoginChallenge(ctx, lr.SessionID, h.sms.LastCode(phone))
		require.NoError(t, err)
	}, withAddresses(t), func(c *Config) { c.Flow = SignUpLogFlow() })
}

// TestPhoneAddedLater: without PhoneRequired an email-first user may add a
// phone whenever they like, and need not.
func TestPhoneAddedLater(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a := h.emailFirst("later@example.com")
		assert.NotContains(t, a.Next, StepAddPhone)
		_, err := h.svc.ChangePhone(ctx, a.UserID, "not a phone")
		requireCode(t, err, onboardkit.CodeValidation)
		phone := newPhone()
		ch, err := h.svc.ChangePhone(ctx, a.UserID, phone)
		require.NoError(t, err)
		_, err = h.svc.ConfirmPhoneChange(ctx, a.UserID, ch.ChallengeID, "000000")
		requireCode(t, err, onboardkit.CodeInvalidCode)
		_, err = h.svc.ConfirmPhoneChange(ctx, a.UserID, ch.ChallengeID, h.sms.LastCode(phone))
		require.NoError(t, err)

		// Another user cannot take the verified number.
		b := h.emailFirst("other@example.com")
		_, err = h.svc.ChangePhone(ctx, b.UserID, phone)
		requireCode(t, err, onboardkit.CodeIdentifierTaken)

		// Changing it later needs a recent login.
		h.clock.Advance(time.Hour)
		_, err = h.svc.ChangePhone(ctx, a.UserID, newPhone())
		requireCode(t, err, onboardkit.CodeRecentAuthRequired)
	}, func(c *Config) { c.Flow = Flow{SignUp: SignUpWithEmail} })
}

// TestOperatorLock: a locked user cannot log in, their sessions end and
// their tokens are refused; unlocking lets them in again; both actions name
// the operator in the audit log.
func TestOperatorLock(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		a := h.confirmed(phone)
		const op Actor = "0x02aa"
		require.ErrorIs(t, h.svc.LockUser(ctx, "", a.UserID), errNoActor)
		requireCode(t, h.svc.LockUser(ctx, op, "nobody"), onboardkit.CodeNotFound)

		require.NoError(t, h.svc.LockUser(ctx, op, a.UserID))
		_, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		requireCode(t, err, onboardkit.CodeAccountLocked)
		_, err = h.svc.VerifyAccessToken(ctx, a.Tokens.AccessToken)
		requireCode(t, err, onboardkit.CodeInvalidToken)
		_, err = h.svc.Refresh(ctx, a.Tokens.RefreshToken)
		require.Error(t, err)

		require.NoError(t, h.svc.UnlockUser(ctx, op, a.UserID))
		_, err = h.login(phone, testPassword, phone)
		require.NoError(t, err)

		page, err := h.svc.UserEvents(ctx, op, a.UserID, "", 0)
		require.NoError(t, err)
		var acted []string
		for _, e := range page.Events {
			if e.Data["actor"] == string(op) {
				acted = append(acted, e.Type)
			}
		}
		assert.Equal(t, []string{EventUserLocked, EventUserUnlocked}, acted)
	})
}

// TestOperatorDeactivateReactivate: deactivation makes the accounts
// inactive and refuses portfolios; reactivation goes back through review,
// and its approval makes everything active again.
func TestOperatorDeactivateReactivate(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		userID, accountID := h.activeAccount()
		const op Actor = "ops:alice"
		requireCode(t, h.svc.ReactivateUser(ctx, op, userID), onboardkit.CodeInvalidTransition)

		require.NoError(t, h.svc.DeactivateUser(ctx, op, userID))
		me, err := h.svc.Me(ctx, userID)
		require.NoError(t, err)
		assert.Equal(t, kyc.StatusInactive, me.KYC.VerificationStatus)
		accts, err := h.svc.ListAccounts(ctx, userID)
		require.NoError(t, err)
		assert.False(t, accts[0].Active)
		_, err = h.svc.CreatePortfolio(ctx, userID, PortfolioRequest{AccountID: accountID, Name: "Later", Type: "SAVINGS"})
		requireCode(t, err, onboardkit.CodeKYCNotActive)
		requireCode(t, h.svc.DeactivateUser(ctx, op, userID), onboardkit.CodeInvalidTransition)

		require.NoError(t, h.svc.ReactivateUser(ctx, op, userID))
		me, err = h.svc.Me(ctx, userID)
		require.NoError(t, err)
		assert.Equal(t, StatusKYCPending, me.Status)
		assert.Equal(t, kyc.StatusUnderReview, me.KYC.VerificationStatus)
		_, err = h.svc.RecordKYCDecision(ctx, userID, kyc.Decision{Status: kyc.StatusActive})
		require.NoError(t, err)
		_, err = h.svc.CreatePortfolio(ctx, userID, PortfolioRequest{AccountID: accountID, Name: "Later", Type: "SAVINGS"})
		require.NoError(t, err)
		accts, err = h.svc.ListAccounts(ctx, userID)
		require.NoError(t, err)
		assert.True(t, accts[0].Active)
		assert.Len(t, accts[0].Portfolios, 2, "approval provisioned nothing twice")
	}, withAddresses(t))
}

// TestSearchUsersUnderConcurrentSignUps pages through the users with two
// replicas while sign-ups go on: each user that existed at the first page
// is listed once, in order, with masked contact details.
func TestSearchUsersUnderConcurrentSignUps(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		h1, h2 := replicas(t, a, b)
		ctx := context.Background()
		const op Actor = "ops"
		existing := map[string]bool{}
		for range 7 {
			h1.clock.Advance(time.Millisecond)
			existing[h1.confirmed(newPhone()).UserID] = true
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 6 {
				_, _ = h2.svc.SignUp(ctx, SignUpRequest{PhoneNumber: newPhone(), Password: testPassword})
			}
		}()
		seen := map[string]int{}
		var last time.Time
		q := UserQuery{Limit: 3}
		for {
			page, err := h1.svc.SearchUsers(ctx, op, q)
			require.NoError(t, err)
			for _, u := range page.Users {
				seen[u.UserID]++
				assert.False(t, u.CreatedAt.Before(last), "oldest first")
				last = u.CreatedAt
				assert.Contains(t, u.PhoneNumber, "*", "the phone is masked")
			}
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
		<-done
		for id := range existing {
			assert.Equal(t, 1, seen[id], "user %s listed once", id)
		}

		// Filters: an exact phone, a status, a creation range.
		phone := newPhone()
		c := h1.confirmed(phone)
		page, err := h1.svc.SearchUsers(ctx, op, UserQuery{Phone: phone})
		require.NoError(t, err)
		require.Len(t, page.Users, 1)
		assert.Equal(t, c.UserID, page.Users[0].UserID)
		page, err = h1.svc.SearchUsers(ctx, op, UserQuery{Status: StatusRegistered, CreatedFrom: h1.clock.Now().Add(time.Hour)})
		require.NoError(t, err)
		assert.Empty(t, page.Users)

		_, err = h1.svc.SearchUsers(ctx, op, UserQuery{Status: "bogus", Limit: 1000, Cursor: "!!", Phone: "12"})
		oe := requireCode(t, err, onboardkit.CodeValidation)
		assert.Len(t, oe.Fields, 4, "every problem is listed")
	})
}

// TestUserEventsPages reads a user's audit trail a page at a time.
func TestUserEventsPages(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		a := h.confirmed(phone)
		for range 3 {
			_, err := h.login(phone, testPassword, phone)
			require.NoError(t, err)
		}
		var all []string
		cursor := ""
		for {
			page, err := h.svc.UserEvents(ctx, "ops", a.UserID, cursor, 2)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(page.Events), 2)
			for _, e := range page.Events {
				all = append(all, e.Type)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		assert.Equal(t, EventUserRegistered, all[0])
		assert.Equal(t, 3, strings.Count(strings.Join(all, " "), EventLoginSucceeded))
		_, err := h.svc.UserEvents(ctx, "ops", a.UserID, "x", 0)
		requireCode(t, err, onboardkit.CodeValidation)
	})
}

// TestRoles: users may not give themselves roles unless the host allows
// it; operators give roles the host defines, and tokens carry them from the
// next refresh on (older access tokens are refused).
func TestRoles(t *testing.T) {
	roles := func(c *Config) {
		c.Roles = RolesConfig{Allowed: []string{"trader", "beta"}, SelfAssigned: []string{"beta"}}
	}
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		_, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: newPhone(), Password: testPassword, Roles: []string{"trader", "Bad Role"}})
		oe := requireCode(t, err, onboardkit.CodeValidation)
		assert.Equal(t, []onboardkit.FieldCode{onboardkit.FieldNotAllowed, onboardkit.FieldInvalid}, []onboardkit.FieldCode{oe.Fields[0].Code, oe.Fields[1].Code})

		phone := newPhone()
		res, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: phone, Password: testPassword, Roles: []string{"beta"}})
		require.NoError(t, err)
		a, err := h.svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, h.sms.LastCode(phone))
		require.NoError(t, err)
		claims, err := h.svc.VerifyAccessToken(ctx, a.Tokens.AccessToken)
		require.NoError(t, err)
		assert.Equal(t, []string{"beta"}, claims.Roles)

		requireCode(t, h.svc.SetRoles(ctx, "ops", a.UserID, []string{"admin"}), onboardkit.CodeValidation)
		h.clock.Advance(time.Second)
		require.NoError(t, h.svc.SetRoles(ctx, "ops", a.UserID, []string{"trader", "beta", "trader"}))
		h.clock.Advance(time.Second)
		_, err = h.svc.VerifyAccessToken(ctx, a.Tokens.AccessToken)
		requireCode(t, err, onboardkit.CodeInvalidToken)
		tok, err := h.svc.Refresh(ctx, a.Tokens.RefreshToken)
		require.NoError(t, err)
		claims, err = h.svc.VerifyAccessToken(ctx, tok.AccessToken)
		require.NoError(t, err)
		assert.Equal(t, []string{"beta", "trader"}, claims.Roles)
		me, err := h.svc.Me(ctx, a.UserID)
		require.NoError(t, err)
		assert.Equal(t, []string{"beta", "trader"}, me.Roles)
	}, roles)

	// By default no role may be self-assigned.
	h := newHarness(t, memory.New())
	_, err := h.svc.SignUp(context.Background(), SignUpRequest{PhoneNumber: newPhone(), Password: testPassword, Roles: []string{"beta"}})
	requireCode(t, err, onboardkit.CodeValidation)
	_, err = New(Config{Roles: RolesConfig{Allowed: []string{"a"}, SelfAssigned: []string{"b"}}})
	assert.ErrorContains(t, err, `self-assigned role "b"`)
}

// TestRoleChangeRacingARefresh: a refresh reads the user (roles: beta),
// then a role change commits in the same second, then the refresh signs
// its token with the roles it read. Verification refuses that token (its
// "tva" claim is the cutoff before the change), so the removed role does
// not live on for the token's lifetime; the next refresh carries the new
// roles.
func TestRoleChangeRacingARefresh(t *testing.T) {
	roles := func(c *Config) {
		c.Roles = RolesConfig{Allowed: []string{"beta", "trader"}, SelfAssigned: []string{"beta"}}
	}
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		st := hooked(newStore(t))
		h := newHarness(t, st, roles)
		ctx := context.Background()
		phone := newPhone()
		res, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: phone, Password: testPassword, Roles: []string{"beta"}})
		require.NoError(t, err)
		a, err := h.svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, h.sms.LastCode(phone))
		require.NoError(t, err)
		st.on(a.UserID, func() { assert.NoError(t, h.svc.SetRoles(ctx, "ops", a.UserID, []string{"trader"})) })
		tok, err := h.svc.Refresh(ctx, a.Tokens.RefreshToken)
		require.NoError(t, err)
		require.True(t, st.fired(), "the role change did not run mid-refresh")
		_, err = h.svc.VerifyAccessToken(ctx, tok.AccessToken)
		requireCode(t, err, onboardkit.CodeInvalidToken)

		tok, err = h.svc.Refresh(ctx, tok.RefreshToken)
		require.NoError(t, err)
		claims, err := h.svc.VerifyAccessToken(ctx, tok.AccessToken)
		require.NoError(t, err)
		assert.Equal(t, []string{"trader"}, claims.Roles)
	})
}

// TestMetadataBounds: every problem of a metadata map is listed; a good
// one is kept sealed and shown to the user.
func TestMetadataBounds(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		big := map[string]string{}
		for i := range MaxMapKeys + 1 {
			big[fmt.Sprintf("k%02d", i)] = "v"
		}
		big["k00"] = strings.Repeat("x", MaxMapValueBytes+1)
		big["k01"] = "bell\a"
		big["bad key"] = "v"
		_, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: newPhone(), Password: testPassword, Metadata: big})
		oe := requireCode(t, err, onboardkit.CodeValidation)
		codes := map[string]onboardkit.FieldCode{}
		for _, f := range oe.Fields {
			codes[f.Field] = f.Code
		}
		assert.Equal(t, onboardkit.FieldTooLong, codes["metadata.k00"])
		assert.Equal(t, onboardkit.FieldInvalidCharacters, codes["metadata.k01"])
		assert.Contains(t, codes, "metadata")

		phone := newPhone()
		res, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: phone, Password: testPassword, Metadata: map[string]string{"crm_id": "C-123"}})
		require.NoError(t, err)
		u, err := h.store.GetUser(ctx, res.UserID)
		require.NoError(t, err)
		assert.NotContains(t, string(u.Metadata.Data), "C-123")
		a, err := h.svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, h.sms.LastCode(phone))
		require.NoError(t, err)
		me, err := h.svc.Me(ctx, a.UserID)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"crm_id": "C-123"}, me.Metadata)
		require.NoError(t, h.svc.SetMetadata(ctx, "ops", a.UserID, map[string]string{"tier": "gold"}))
		me, err = h.svc.Me(ctx, a.UserID)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"tier": "gold"}, me.Metadata)
	})
}

// TestCreateAccountFor: an operator creates an account with a chosen id,
// an email and additional information; a taken id is a conflict.
func TestCreateAccountFor(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a := h.confirmed(newPhone())
		const id = "0d9c2f4e-8a1b-4c3d-9e5f-6a7b8c9d0e1f"
		req := AccountRequest{AccountID: id, Email: "Desk@Example.com", AdditionalInfo: map[string]string{"desk": "paris"}}
		_, err := h.svc.CreateAccountFor(ctx, "", a.UserID, req)
		require.ErrorIs(t, err, errNoActor)
		acct, err := h.svc.CreateAccountFor(ctx, "ops", a.UserID, req)
		require.NoError(t, err)
		assert.Equal(t, id, acct.ID)
		assert.Equal(t, "desk@example.com", acct.Email)
		_, err = h.svc.CreateAccountFor(ctx, "ops", a.UserID, req)
		requireCode(t, err, onboardkit.CodeConflict)
		_, err = h.svc.CreateAccountFor(ctx, "ops", a.UserID, AccountRequest{AccountID: "A1", Email: "nope", AdditionalInfo: map[string]string{"": "x"}})
		oe := requireCode(t, err, onboardkit.CodeValidation)
		assert.Len(t, oe.Fields, 3)

		accts, err := h.svc.ListAccounts(ctx, a.UserID)
		require.NoError(t, err)
		require.Len(t, accts, 1)
		assert.Equal(t, map[string]string{"desk": "paris"}, accts[0].AdditionalInfo)
		assert.Equal(t, "desk@example.com", accts[0].Email)
		rec, err := h.store.GetAccount(ctx, id)
		require.NoError(t, err)
		assert.NotContains(t, string(rec.Info.Data)+string(rec.Email.Data), "paris", "sealed at rest")
		page, err := h.svc.UserEvents(ctx, "ops", a.UserID, "", 0)
		require.NoError(t, err)
		last := page.Events[len(page.Events)-1]
		assert.Equal(t, EventAccountCreated, last.Type)
		assert.Equal(t, "ops", last.Data["actor"])
	})
}

// TestPortfolioIDIsIdempotent: a chosen portfolio id answers the same
// portfolio for the same request, on either replica and concurrently, and
// conflict for another request.
func TestPortfolioIDIsIdempotent(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b storage.Store) {
		h1, h2 := replicas(t, a, b, withAddresses(t))
		ctx := context.Background()
		userID, accountID := h1.activeAccount()
		req := PortfolioRequest{AccountID: accountID, Name: "Strategy", Type: "SAVINGS", PublicStrategy: true, PortfolioID: "7e1d2c3b-4a59-4687-9786-a5b4c3d2e1f0"}
		results := make([]string, 6)
		errs := make([]error, 6)
		done := make(chan int)
		for i := range 6 {
			go func() {
				h := [2]*harness{h1, h2}[i%2]
				p, err := h.svc.CreatePortfolio(ctx, userID, req)
				if err == nil {
					results[i] = p.ID + " " + p.Address.Address
				}
				errs[i] = err
				done <- i
			}()
		}
		for range 6 {
			<-done
		}
		for i := range 6 {
			require.NoError(t, errs[i])
			assert.Equal(t, results[0], results[i], "the same portfolio every time")
		}
		accts, err := h1.svc.ListAccounts(ctx, userID)
		require.NoError(t, err)
		assert.Len(t, accts[0].Portfolios, 2, "created once")
		assert.True(t, accts[0].Portfolios[1].PublicStrategy)

		other := req
		other.Name = "Another"
		_, err = h2.svc.CreatePortfolio(ctx, userID, other)
		requireCode(t, err, onboardkit.CodeConflict)
		bad := req
		bad.PortfolioID = "P1"
		_, err = h1.svc.CreatePortfolio(ctx, userID, bad)
		requireCode(t, err, onboardkit.CodeValidation)
	})
}

// TestSessionsListAndEnd lists a user's live sessions, marks the caller's,
// and ends another one.
func TestSessionsListAndEnd(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		first := h.confirmed(phone)
		h.clock.Advance(time.Minute)
		second, err := h.login(phone, testPassword, phone)
		require.NoError(t, err)
		claims, err := h.svc.VerifyAccessToken(ctx, second.Tokens.AccessToken)
		require.NoError(t, err)
		list, err := h.svc.ListSessions(NewContext(ctx, claims), first.UserID)
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.True(t, list[0].Current, "newest first, the caller's marked")
		assert.False(t, list[1].Current)

		requireCode(t, h.svc.EndSession(ctx, first.UserID, "4c1a7e2d-0000-4000-8000-000000000000"), onboardkit.CodeNotFound)
		require.NoError(t, h.svc.EndSession(ctx, first.UserID, list[1].SessionID))
		_, err = h.svc.Refresh(ctx, first.Tokens.RefreshToken)
		require.Error(t, err, "the ended session cannot refresh")
		list, err = h.svc.ListSessions(ctx, first.UserID)
		require.NoError(t, err)
		assert.Len(t, list, 1)
	})
}

// TestRemoveTOTP removes an authenticator after a recent login and tells
// the user; the next login falls back to an SMS code.
func TestRemoveTOTP(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		a := h.confirmed(phone)
		requireCode(t, h.svc.RemoveTOTP(ctx, a.UserID), onboardkit.CodeNotFound)
		enr, err := h.svc.BeginTOTP(ctx, a.UserID)
		require.NoError(t, err)
		code, err := totp.GenerateCode(enr.Secret, h.clock.Now())
		require.NoError(t, err)
		_, err = h.svc.ConfirmTOTP(ctx, a.UserID, code)
		require.NoError(t, err)

		h.clock.Advance(time.Hour)
		requireCode(t, h.svc.RemoveTOTP(ctx, a.UserID), onboardkit.CodeRecentAuthRequired)
		h.loginTOTP(phone, enr.Secret)
		require.NoError(t, h.svc.RemoveTOTP(ctx, a.UserID))
		assert.Contains(t, h.sms.Last(phone).Body, "authenticator app was removed")
		lr, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		require.NoError(t, err)
		assert.Equal(t, ChallengeSMS, lr.Challenge.ChallengeType)
	})
}
