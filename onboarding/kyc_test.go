package onboarding

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

func pngDataURL(t testing.TB, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x += 7 {
		img.Set(x, x%h, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

func withAddresses(t testing.TB) func(*Config) {
	d, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub)
	require.NoError(t, err)
	return func(c *Config) { c.Addresses = d }
}

var testProfile = kyc.Profile{
	FirstName: "Jean", LastName: "Dupont", BirthDate: "1985-04-12", Nationality: "FRA",
	ResidentialAddress: kyc.Address{StreetLine1: "10 rue de Rivoli", City: "Paris", PostalCode: "75001", Country: "FRA"},
}

func testCompliance(pep bool) kyc.Compliance {
	return kyc.Compliance{
		TermsAcceptedAt: "2025-12-31T10:00:00Z", TermsVersion: "2025-01", PoliticallyExposed: &pep,
		Questionnaire: &kyc.AdditionalUserInfo{EmploymentStatus: "employed", SourceOfFunds: "salary", ExpectedMonthlyPaymentsUSD: "0_4999", MostRecentOccupation: "Engineer"},
	}
}

func passport(t testing.TB) kyc.VerificationDocument {
	return kyc.VerificationDocument{DocumentType: "passport", IssuingCountry: "FRA", Document: pngDataURL(t, 400, 400), DocumentNumber: "12AB34567", ExpiryDate: "2030-01-01"}
}

// compliant takes a new user through profile and compliance.
func (h *harness) compliant() (*AuthResult, string) {
	h.t.Helper()
	ctx := context.Background()
	phone := newPhone()
	a := h.withEmail(phone, "u"+phone[1:]+"@example.com")
	require.NoError(h.t, h.svc.UpdateProfile(ctx, a.UserID, testProfile))
	require.NoError(h.t, h.svc.SubmitCompliance(ctx, a.UserID, testCompliance(false)))
	return a, phone
}

func TestKYCJourneyToPortfolio(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t), withAddresses(t))
		ctx := context.Background()
		phone := newPhone()
		a := h.withEmail(phone, "jean@example.com")

		// An account can exist before KYC, inactive.
		early, err := h.svc.CreateAccount(ctx, a.UserID, AccountRequest{})
		require.NoError(t, err)
		assert.False(t, early.Active)
		_, err = h.svc.CreatePortfolio(ctx, a.UserID, PortfolioRequest{AccountID: early.ID, Name: "Main", Type: "TRADING"})
		requireCode(t, err, onboardkit.CodeKYCNotActive)

		require.NoError(t, h.svc.UpdateProfile(ctx, a.UserID, testProfile))
		me, err := h.svc.Me(ctx, a.UserID)
		require.NoError(t, err)
		assert.Equal(t, StatusProfileCompleted, me.Status)
		assert.Equal(t, kyc.Tier("KYC_0"), me.KYC.Tier)
		assert.Equal(t, kyc.Limits{}, me.Limits)

		require.NoError(t, h.svc.SubmitCompliance(ctx, a.UserID, testCompliance(false)))
		sub := kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}, SocialSecurityNumber: "123-45-6789"}
		res, err := h.svc.SubmitKYC(ctx, a.UserID, sub)
		require.NoError(t, err)
		assert.Equal(t, kyc.StatusUnderReview, res.Status)
		assert.Empty(t, res.MissingDocuments)
		require.Len(t, res.Documents, 1)
		assert.Empty(t, res.Documents[0].Errors)

		st, err := h.svc.KYCStatus(ctx, a.UserID)
		require.NoError(t, err)
		assert.Equal(t, kyc.StatusUnderReview, st.Status)
		assert.Equal(t, res.Documents[0].DocumentID, st.Documents[0].DocumentID)

		dr, err := h.svc.RecordKYCDecision(ctx, a.UserID, kyc.Decision{Status: kyc.StatusActive})
		require.NoError(t, err)
		assert.Equal(t, &DecisionResult{UserID: a.UserID, VerificationStatus: kyc.StatusActive, Tier: "KYC_1"}, dr)

		me, err = h.svc.Me(ctx, a.UserID)
		require.NoError(t, err)
		assert.Equal(t, StatusActive, me.Status)
		assert.Equal(t, kyc.Limits{DailyDeposit: 100000, MonthlyDeposit: 500000}, me.Limits)
		assert.Equal(t, "***-**-6789", me.Profile.SocialSecurityNumber)
		assert.Empty(t, me.Next)

		accts, err := h.svc.ListAccounts(ctx, a.UserID)
		require.NoError(t, err)
		require.Len(t, accts, 1)
		assert.True(t, accts[0].Active, "approval activates existing accounts")
		require.Len(t, accts[0].Portfolios, 1, "approval provisions a trading portfolio in the first account")
		trading := accts[0].Portfolios[0]
		assert.Equal(t, "TRADING", trading.Type)
		assert.Equal(t, trading.ID, accts[0].TradingPortfolioID)
		assert.Equal(t, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", trading.Address.Address)
		assert.Equal(t, "m/84'/0'/0'/0/0", trading.Address.DerivationPath)

		// The same decision again changes nothing.
		dr2, err := h.svc.RecordKYCDecision(ctx, a.UserID, kyc.Decision{Status: kyc.StatusActive})
		require.NoError(t, err)
		assert.Equal(t, dr, dr2)
		accts, err = h.svc.ListAccounts(ctx, a.UserID)
		require.NoError(t, err)
		require.Len(t, accts, 1)
		require.Len(t, accts[0].Portfolios, 1)

		p, err := h.svc.CreatePortfolio(ctx, a.UserID, PortfolioRequest{AccountID: accts[0].ID, Name: "Savings", Type: "SAVINGS"})
		require.NoError(t, err)
		assert.Equal(t, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g", p.Address.Address)
		_, err = h.svc.CreatePortfolio(ctx, a.UserID, PortfolioRequest{AccountID: accts[0].ID, Name: "Savings", Type: "STAKING"})
		requireCode(t, err, onboardkit.CodeNameTaken)
		_, err = h.svc.CreatePortfolio(ctx, a.UserID, PortfolioRequest{AccountID: accts[0].ID, Name: "X", Type: "NOPE"})
		requireCode(t, err, onboardkit.CodeValidation)
		other := h.confirmed(newPhone())
		_, err = h.svc.CreatePortfolio(ctx, other.UserID, PortfolioRequest{AccountID: accts[0].ID, Name: "Mine", Type: "TRADING"})
		requireCode(t, err, onboardkit.CodeNotFound)

		types := h.eventTypes()
		for _, want := range []string{EventKYCSubmitted, EventKYCApproved, EventAccountCreated, EventPortfolioCreated} {
			assert.Contains(t, types, want)
		}
	})
}

func TestKYCOutOfOrder(t *testing.T) {
	h := newHarness(t, memory.New(), withAddresses(t))
	ctx := context.Background()
	phone := newPhone()
	a := h.confirmed(phone)
	err := h.svc.UpdateProfile(ctx, a.UserID, testProfile)
	oe := requireCode(t, err, onboardkit.CodeInvalidTransition)
	assert.Contains(t, oe.Message, "add_email")
	err = h.svc.SubmitCompliance(ctx, a.UserID, testCompliance(false))
	requireCode(t, err, onboardkit.CodeInvalidTransition)
	_, err = h.svc.SubmitKYC(ctx, a.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
	requireCode(t, err, onboardkit.CodeInvalidTransition)
	_, err = h.svc.RecordKYCDecision(ctx, a.UserID, kyc.Decision{Status: kyc.StatusActive})
	requireCode(t, err, onboardkit.CodeInvalidTransition)

	b, _ := h.compliant()
	_, err = h.svc.SubmitKYC(ctx, b.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
	require.NoError(t, err)
	_, err = h.svc.SubmitKYC(ctx, b.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
	requireCode(t, err, onboardkit.CodeInvalidTransition)
	err = h.svc.UpdateProfile(ctx, b.UserID, testProfile)
	requireCode(t, err, onboardkit.CodeInvalidTransition)
}

func TestKYCValidationErrors(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	a := h.withEmail(newPhone(), "v@example.com")
	bad := testProfile
	bad.BirthDate = "2020-01-01"
	bad.ResidentialAddress.PostalCode = "ABC"
	err := h.svc.UpdateProfile(ctx, a.UserID, bad)
	oe := requireCode(t, err, onboardkit.CodeValidation)
	var fields []string
	for _, f := range oe.Fields {
		fields = append(fields, f.Field)
	}
	assert.ElementsMatch(t, []string{"birthDate", "residentialAddress.postalCode"}, fields)
	u, err := h.store.GetUser(ctx, a.UserID)
	require.NoError(t, err)
	assert.True(t, u.Profile.IsZero(), "nothing is half-written")
}

func TestKYCWaitingForInformationThenResubmit(t *testing.T) {
	h := newHarness(t, memory.New(), withAddresses(t))
	ctx := context.Background()
	a, _ := h.compliant()
	proof := kyc.VerificationDocument{DocumentType: "proof_of_address", IssuingCountry: "FRA", Document: pngDataURL(t, 400, 400), DocumentNumber: "INV123"}
	res, err := h.svc.SubmitKYC(ctx, a.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{proof}})
	require.NoError(t, err)
	assert.Equal(t, kyc.StatusWaitingForInformation, res.Status)
	assert.Equal(t, []string{kyc.MissingIdentityDocument}, res.MissingDocuments)
	me, err := h.svc.Me(ctx, a.UserID)
	require.NoError(t, err)
	assert.Equal(t, []string{kyc.MissingIdentityDocument}, me.KYC.MissingDocuments)
	assert.Equal(t, []Step{StepSubmitKYC, StepKYCReview}, me.Next)

	res, err = h.svc.SubmitKYC(ctx, a.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
	require.NoError(t, err)
	assert.Equal(t, kyc.StatusUnderReview, res.Status)

	dr, err := h.svc.RecordKYCDecision(ctx, a.UserID, kyc.Decision{Status: kyc.StatusRejected, Reason: "document unreadable"})
	require.NoError(t, err)
	assert.Equal(t, kyc.StatusRejected, dr.VerificationStatus)
	me, err = h.svc.Me(ctx, a.UserID)
	require.NoError(t, err)
	assert.Equal(t, StatusRejected, me.Status)
}

func TestKYCGateForEveryNonActiveStatus(t *testing.T) {
	h := newHarness(t, memory.New(), withAddresses(t))
	ctx := context.Background()
	steps := map[string]func(userID string){
		"not_started": func(string) {},
		"under_review": func(id string) {
			_, err := h.svc.SubmitKYC(ctx, id, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
			require.NoError(t, err)
		},
		"waiting_for_information": func(id string) {
			_, err := h.svc.SubmitKYC(ctx, id, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{{DocumentType: "selfie", IssuingCountry: "FRA", Document: pngDataURL(t, 400, 400), DocumentNumber: "S1"}}})
			require.NoError(t, err)
		},
		"rejected": func(id string) {
			_, err := h.svc.SubmitKYC(ctx, id, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
			require.NoError(t, err)
			_, err = h.svc.RecordKYCDecision(ctx, id, kyc.Decision{Status: kyc.StatusRejected})
			require.NoError(t, err)
		},
	}
	for status, step := range steps {
		t.Run(status, func(t *testing.T) {
			a, _ := h.compliant()
			step(a.UserID)
			u, err := h.store.GetUser(ctx, a.UserID)
			require.NoError(t, err)
			require.Equal(t, status, u.KYCStatus)
			acct, err := h.svc.CreateAccount(ctx, a.UserID, AccountRequest{})
			require.NoError(t, err)
			assert.False(t, acct.Active)
			_, err = h.svc.CreatePortfolio(ctx, a.UserID, PortfolioRequest{AccountID: acct.ID, Name: "Main", Type: "TRADING"})
			requireCode(t, err, onboardkit.CodeKYCNotActive)
		})
	}
	// Before the contact is verified no account can be created.
	su, _ := h.signUp(newPhone())
	_, err := h.svc.CreateAccount(ctx, su.UserID, AccountRequest{})
	requireCode(t, err, onboardkit.CodeInvalidTransition)
}

func TestDevReviewerApprovesAtOnce(t *testing.T) {
	h := newHarness(t, memory.New(), withAddresses(t), func(c *Config) { c.Reviewer = kyc.DevReviewer{} })
	ctx := context.Background()
	a, _ := h.compliant()
	_, err := h.svc.SubmitKYC(ctx, a.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
	require.NoError(t, err)
	me, err := h.svc.Me(ctx, a.UserID)
	require.NoError(t, err)
	assert.Equal(t, StatusActive, me.Status)
	assert.Equal(t, kyc.Tier("KYC_1"), me.KYC.Tier)
}

func TestConcurrentPortfolioCreation(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t), withAddresses(t), func(c *Config) {
			c.Portfolio.MaxPortfoliosPerAccount = 100
		})
		ctx := context.Background()
		a, _ := h.compliant()
		_, err := h.svc.SubmitKYC(ctx, a.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}})
		require.NoError(t, err)
		_, err = h.svc.RecordKYCDecision(ctx, a.UserID, kyc.Decision{Status: kyc.StatusActive})
		require.NoError(t, err)
		accts, err := h.svc.ListAccounts(ctx, a.UserID)
		require.NoError(t, err)
		acct := accts[0].ID

		const n = 50
		var wg sync.WaitGroup
		results := make([]*portfolio.Portfolio, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = h.svc.CreatePortfolio(ctx, a.UserID, PortfolioRequest{AccountID: acct, Name: fmt.Sprintf("P%02d", i), Type: "SAVINGS"})
			}()
		}
		wg.Wait()
		addrs := map[string]bool{}
		paths := map[string]bool{}
		for i := range n {
			require.NoError(t, errs[i])
			addrs[results[i].Address.Address] = true
			paths[results[i].Address.DerivationPath] = true
		}
		assert.Len(t, addrs, n, "distinct addresses")
		assert.Len(t, paths, n, "distinct indexes")
	})
}

func TestCreateIndividualAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t), withAddresses(t))
		ctx := context.Background()
		phone := newPhone()
		req := kyc.IndividualAccountRequest{
			UserInfo: kyc.UserInfo{
				FirstName: "Jean", LastName: "Dupont", Email: "int" + phone[1:] + "@example.com", Phone: phone,
				BirthDate: "1985-04-12", Nationality: "FRA", SocialSecurityNumber: "123-45-6789",
				ResidentialAddress: kyc.Address{StreetLine1: "10 rue de Rivoli", City: "Paris", PostalCode: "75001", Country: "FRA"},
			},
			TermsSignedAt:         "2025-12-01T10:00:00Z",
			AdditionalUserInfo:    &kyc.AdditionalUserInfo{EmploymentStatus: "employed", SourceOfFunds: "salary", ExpectedMonthlyPaymentsUSD: "0_4999", MostRecentOccupation: "Engineer"},
			VerificationDocuments: []kyc.VerificationDocument{passport(t)},
		}
		res, err := h.svc.CreateIndividualAccount(ctx, req)
		require.NoError(t, err)
		assert.Equal(t, kyc.StatusUnderReview, res.VerificationStatus)
		assert.Empty(t, res.MissingDocuments)
		assert.Len(t, res.VerificationDocuments, 1)
		accts, err := h.svc.ListAccounts(ctx, res.UserID)
		require.NoError(t, err)
		require.Len(t, accts, 1)
		assert.Equal(t, res.AccountID, accts[0].ID)
		assert.False(t, accts[0].Active)

		_, err = h.svc.CreateIndividualAccount(ctx, req)
		requireCode(t, err, onboardkit.CodeIdentifierTaken)

		_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: "anything-at-all-1"})
		requireCode(t, err, onboardkit.CodeInvalidCredentials)

		_, err = h.svc.RecordKYCDecision(ctx, res.UserID, kyc.Decision{Status: kyc.StatusActive})
		require.NoError(t, err)
		accts, err = h.svc.ListAccounts(ctx, res.UserID)
		require.NoError(t, err)
		require.Len(t, accts, 1, "approval provisions into the existing account")
		assert.True(t, accts[0].Active)
		assert.Len(t, accts[0].Portfolios, 1)

		req.UserInfo.Phone, req.UserInfo.Nationality = "not-a-phone", "XXX"
		_, err = h.svc.CreateIndividualAccount(ctx, req)
		oe := requireCode(t, err, onboardkit.CodeValidation)
		var fields []string
		for _, f := range oe.Fields {
			fields = append(fields, f.Field)
		}
		assert.Contains(t, fields, "userInfo.phone")
		assert.Contains(t, fields, "userInfo.nationality")
	})
}

func TestNoPIIInLogs(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	failing := func(c *Config) {
		c.Logger = logger
		c.Hooks = []Hook{func(context.Context, Event) error { return fmt.Errorf("hook down") }}
	}
	h := newHarness(t, memory.New(), withAddresses(t), failing)
	ctx := context.Background()
	a, phone := h.compliant()
	_, err := h.svc.SubmitKYC(ctx, a.UserID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{passport(t)}, SocialSecurityNumber: "123-45-6789"})
	require.NoError(t, err)
	lr, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: "wrong-password-9"})
	require.Error(t, err)
	assert.Nil(t, lr)
	l, err := h.login(phone, testPassword, phone)
	require.NoError(t, err)
	_, _ = h.svc.Refresh(ctx, l.Tokens.RefreshToken)
	_, _ = h.svc.Refresh(ctx, l.Tokens.RefreshToken) // reuse: logged as a security event
	out := buf.String()
	require.NotEmpty(t, out, "the failing hook and the reuse are logged")
	for _, secret := range []string{phone, phone[3:], "123-45-6789", "12AB34567", testPassword, l.Tokens.RefreshToken, h.sms.LastCode(phone)} {
		assert.NotContains(t, out, secret)
	}
	assert.True(t, strings.Contains(out, "reuse"))
}

// TestRefusedProviderNotificationIsNotReplayedLater: a provider's approval
// that arrives after the integrator approved decides nothing, and is
// remembered: the same notification replayed after a deactivation and a
// reactivation (the user is under review again) does not approve the user
// without a new review.
func TestRefusedProviderNotificationIsNotReplayedLater(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		userID, _ := h.activeAccount()
		late := func() (*DecisionResult, error) {
			return h.svc.RecordProviderDecision(ctx, "sumsub", "evt-approved-1", userID, kyc.Decision{Status: kyc.StatusActive})
		}
		res, err := late()
		require.NoError(t, err)
		assert.Equal(t, kyc.StatusActive, res.VerificationStatus)

		require.NoError(t, h.svc.DeactivateUser(ctx, "ops", userID))
		require.NoError(t, h.svc.ReactivateUser(ctx, "ops", userID))
		res, err = late()
		require.NoError(t, err)
		assert.Equal(t, kyc.StatusUnderReview, res.VerificationStatus, "the replayed notification approved the user")
	}, withAddresses(t))
}
