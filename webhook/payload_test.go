package webhook_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/onboarding/passkeytest"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/otp/otptest"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/webhook"
)

// journey drives a Service through every step that raises an event and
// records every secret and personal value it saw.
type journey struct {
	t       *testing.T
	ctx     context.Context
	svc     *onboarding.Service
	sent    *otptest.Recorder
	clk     *clocktest.Clock
	secrets []string
}

func (j *journey) keep(values ...string) {
	for _, v := range values {
		if v != "" {
			j.secrets = append(j.secrets, v)
		}
	}
}

func (j *journey) code(to string) string {
	c := j.sent.LastCode(to)
	require.NotEmpty(j.t, c, "no code to %s", to)
	return c
}

func (j *journey) auth(a *onboarding.AuthResult, err error) *onboarding.AuthResult {
	j.t.Helper()
	require.NoError(j.t, err)
	if a.Tokens != nil {
		j.keep(a.Tokens.AccessToken, a.Tokens.RefreshToken, a.Tokens.DeviceToken)
	}
	return a
}

func (j *journey) login(username, pw, codeTo string) *onboarding.AuthResult {
	j.t.Helper()
	j.clk.Advance(31 * time.Second)
	lr, err := j.svc.Login(j.ctx, onboarding.LoginRequest{Username: username, Password: pw})
	require.NoError(j.t, err)
	return j.auth(j.svc.VerifyLoginChallenge(j.ctx, lr.SessionID, j.code(codeTo)))
}

func (j *journey) ok(err error) {
	j.t.Helper()
	require.NoError(j.t, err)
}

func pngDataURL(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 400, 400))
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// TestPayloadsCarryNoPersonalData raises every event type of the Service,
// delivers them all, and finds in no payload a phone number, an email, a
// name, an SSN, a document number, a password, a code or a token.
func TestPayloadsCarryNoPersonalData(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	clk := clocktest.Default()
	sent := otptest.NewRecorder()
	hasher, err := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
	require.NoError(t, err)
	key, err := onboarding.NewSigningKey("k1", nil)
	require.NoError(t, err)
	ring, err := seal.NewEphemeralKeyring("svc")
	require.NoError(t, err)
	officers, err := seal.NewEphemeralKeyring("officers")
	require.NoError(t, err)
	addrs, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub)
	require.NoError(t, err)
	svc, err := onboarding.New(onboarding.Config{
		Store: st, SMS: sent, Email: sent, Secret: bytes.Repeat([]byte{7}, 32), Keyring: ring, Hasher: hasher,
		Tokens: onboarding.TokenConfig{SigningKey: key}, Clock: clk, Addresses: addrs, EnumerationSafeSignUp: true,
		Retention: onboarding.RetentionConfig{Period: time.Hour, Keyring: officers},
		OTP:       otp.Config{DestinationLimit: 20},
		WebAuthn:  onboarding.WebAuthnConfig{RPID: "example.com", RPName: "Example", Origins: []string{"https://example.com"}},
	})
	require.NoError(t, err)
	j := &journey{t: t, ctx: ctx, svc: svc, sent: sent, clk: clk}
	const pw, pw2, pw3 = "correct-horse-7-battery", "second-Orbit-93-lantern", "third-Quartz-41-meadow"
	phone, email, email2, phone2 := "+33614125910", "jean.dupont@example.com", "jd@example.org", "+33614125911"
	j.keep(phone, phone[1:], email, email2, phone2, phone2[1:], pw, pw2, pw3, "Jean", "Dupont", "123-45-6789", "12AB34567", "Brandauer")

	// Sign-up, contacts, login, sessions.
	res, err := svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: phone, Password: pw})
	j.ok(err)
	a := j.auth(svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, j.code(phone)))
	ch, err := svc.AddEmail(ctx, a.UserID, email)
	j.ok(err)
	j.auth(svc.ConfirmEmail(ctx, a.UserID, ch.ChallengeID, j.code(email)))
	_, err = svc.AddEmail(ctx, a.UserID, email2) // a change: the old address is told
	j.ok(err)
	_, err = svc.Login(ctx, onboarding.LoginRequest{Username: phone, Password: "wrong-Password-1"})
	require.Error(t, err)
	l := j.login(phone, pw, phone)
	_, err = svc.Refresh(ctx, l.Tokens.RefreshToken)
	j.ok(err)
	_, err = svc.Refresh(ctx, l.Tokens.RefreshToken) // reuse
	require.Error(t, err)
	l = j.login(email, pw, phone)
	j.ok(svc.Logout(ctx, a.UserID, l.Tokens.RefreshToken))
	fp, err := svc.ForgotPassword(ctx, phone)
	j.ok(err)
	j.ok(svc.ResetPassword(ctx, fp.SessionID, j.code(phone), pw2, pw2))
	j.login(phone, pw2, phone)
	pc, err := svc.ChangePassword(ctx, a.UserID, pw2, pw3, pw3)
	j.ok(err)
	j.ok(svc.ConfirmPasswordChange(ctx, a.UserID, pc.SessionID, j.code(phone)))

	// An authenticator, a recovery code, its removal.
	j.login(phone, pw3, phone)
	enr, err := svc.BeginTOTP(ctx, a.UserID)
	j.ok(err)
	j.keep(enr.Secret)
	c, err := totp.GenerateCode(enr.Secret, clk.Now())
	j.ok(err)
	recovery, err := svc.ConfirmTOTP(ctx, a.UserID, c)
	j.ok(err)
	j.keep(recovery...)
	lr, err := svc.Login(ctx, onboarding.LoginRequest{Username: phone, Password: pw3})
	j.ok(err)
	j.auth(svc.LoginWithRecoveryCode(ctx, lr.SessionID, recovery[0]))
	j.ok(svc.RemoveTOTP(ctx, a.UserID))

	// A passkey, a passwordless login with it, its removal.
	va := &passkeytest.Authenticator{Origin: "https://example.com"}
	po, err := svc.BeginPasskeyRegistration(ctx, a.UserID)
	j.ok(err)
	reg, err := va.Create(po.PublicKey, passkeytest.Tweaks{})
	j.ok(err)
	pk, err := svc.RegisterPasskey(ctx, a.UserID, onboarding.PasskeyRegistration{CeremonyID: po.CeremonyID, Name: "Jean's phone", Credential: reg.JSON})
	j.ok(err)
	j.keep("Jean's phone")
	lo, err := svc.BeginPasskeyLogin(ctx)
	j.ok(err)
	assertion, err := va.Get(lo.PublicKey, reg.Credential, passkeytest.Tweaks{})
	j.ok(err)
	j.auth(svc.LoginWithPasskey(ctx, lo.CeremonyID, assertion))
	j.ok(svc.RemovePasskey(ctx, a.UserID, pk.PasskeyID))

	// KYC: more information, then approval (an account, a portfolio).
	profile := kyc.Profile{FirstName: "Jean", LastName: "Dupont", BirthDate: "1985-04-12", Nationality: "FRA",
		ResidentialAddress: kyc.Address{StreetLine1: "10 rue de Rivoli", City: "Paris", PostalCode: "75001", Country: "FRA"}}
	pep := false
	compliance := kyc.Compliance{TermsAcceptedAt: "2025-12-31T10:00:00Z", PoliticallyExposed: &pep,
		Questionnaire: &kyc.AdditionalUserInfo{EmploymentStatus: "employed", SourceOfFunds: "salary", ExpectedMonthlyPaymentsUSD: "0_4999", MostRecentOccupation: "Engineer"}}
	doc := kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{{DocumentType: "passport", IssuingCountry: "FRA", Document: pngDataURL(t), DocumentNumber: "12AB34567", ExpiryDate: "2030-01-01"}}, SocialSecurityNumber: "123-45-6789"}
	j.ok(svc.UpdateProfile(ctx, a.UserID, profile))
	j.ok(svc.SubmitCompliance(ctx, a.UserID, compliance))
	_, err = svc.SubmitKYC(ctx, a.UserID, doc)
	j.ok(err)
	_, err = svc.RecordKYCDecision(ctx, a.UserID, kyc.Decision{Status: kyc.StatusWaitingForInformation, Reason: "Please send a clearer scan."})
	j.ok(err)
	_, err = svc.SubmitKYC(ctx, a.UserID, doc)
	j.ok(err)
	_, err = svc.RecordKYCDecision(ctx, a.UserID, kyc.Decision{Status: kyc.StatusActive})
	j.ok(err)

	// A phone change, then the operators.
	j.login(phone, pw3, phone)
	ch, err = svc.ChangePhone(ctx, a.UserID, phone2)
	j.ok(err)
	j.auth(svc.ConfirmPhoneChange(ctx, a.UserID, ch.ChallengeID, j.code(phone2)))
	const op onboarding.Actor = "0x02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
	j.ok(svc.LockUser(ctx, op, a.UserID))
	j.ok(svc.UnlockUser(ctx, op, a.UserID))
	j.ok(svc.DeactivateUser(ctx, op, a.UserID))
	j.ok(svc.ReactivateUser(ctx, op, a.UserID))
	j.ok(svc.SetRoles(ctx, op, a.UserID, []string{"trader"}))
	j.ok(svc.SetMetadata(ctx, op, a.UserID, map[string]string{"crm": "Brandauer"}))
	_, err = svc.SearchUsers(ctx, op, onboarding.UserQuery{Phone: phone2})
	j.ok(err)
	_, err = svc.UserEvents(ctx, op, a.UserID, "", 0)
	j.ok(err)

	// A rejected user; a sign-up with a taken phone; anonymous codes over
	// their budget; a stale sign-up replaced.
	res, err = svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: "+33614125912", Password: pw})
	j.ok(err)
	b := j.auth(svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, j.code("+33614125912")))
	ch, err = svc.AddEmail(ctx, b.UserID, "b@example.com")
	j.ok(err)
	j.auth(svc.ConfirmEmail(ctx, b.UserID, ch.ChallengeID, j.code("b@example.com")))
	j.ok(svc.UpdateProfile(ctx, b.UserID, profile))
	j.ok(svc.SubmitCompliance(ctx, b.UserID, compliance))
	_, err = svc.SubmitKYC(ctx, b.UserID, doc)
	j.ok(err)
	_, err = svc.RecordKYCDecision(ctx, b.UserID, kyc.Decision{Status: kyc.StatusRejected})
	j.ok(err)
	_, err = svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: phone2, Password: pw})
	j.ok(err) // enumeration-safe: answered like a success, the owner told
	for range 21 {
		_, err = svc.ForgotPassword(ctx, phone2)
		j.ok(err)
	}
	_, err = svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: "+33614125913", Password: pw})
	j.ok(err)
	clk.Advance(2 * time.Hour)
	_, err = svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: "+33614125913", Password: pw})
	j.ok(err)

	// The integrator's one call, then erasure with retention, then purge.
	ia, err := svc.CreateIndividualAccount(ctx, kyc.IndividualAccountRequest{
		UserInfo: kyc.UserInfo{FirstName: "Ottilie", LastName: "Brandauer", Email: "ottilie@example.com", Phone: "+33614125914",
			BirthDate: "1968-02-29", Nationality: "AUT", ResidentialAddress: kyc.Address{StreetLine1: "7 Rennweg", City: "Wien", PostalCode: "1030", Country: "AUT"}},
		TermsSignedAt: "2025-12-01T10:00:00Z", VerificationDocuments: doc.VerificationDocuments,
	})
	j.ok(err)
	j.keep("Ottilie", "ottilie@example.com", "+33614125914", "33614125914")
	j.ok(svc.EraseUser(ctx, ia.UserID))
	clk.Advance(2 * time.Hour)
	n, err := svc.PurgeRetained(ctx)
	j.ok(err)
	require.Equal(t, 1, n)
	for _, m := range sent.Messages() {
		j.keep(m.Code)
	}

	// Deliver everything.
	rc := newReceiver(t, nil)
	d := newDeliverer(t, st, clk, rc.srv.URL, 1, func(c *webhook.Config) { c.BatchSize = 500; c.Concurrency = 4 })
	for {
		p, err := d.RunOnce(ctx)
		require.NoError(t, err)
		if p == (webhook.Pass{}) {
			break
		}
	}
	types := map[string]bool{}
	for _, m := range rc.messages() {
		types[m.typ] = true
		for _, s := range j.secrets {
			if strings.Contains(string(m.body), s) {
				t.Errorf("the %s payload holds %q: %s", m.typ, s, m.body)
			}
		}
		var p struct {
			Data map[string]any `json:"data"`
		}
		require.NoError(t, json.Unmarshal(m.body, &p))
		for k := range p.Data {
			assert.True(t, k == "eventId" || k == "seq" || k == "userId" || slices.Contains(onboarding.EventDataKeys(), k), "key %q", k)
		}
	}
	var missing []string
	for _, typ := range onboarding.EventTypes() {
		if !types[typ] {
			missing = append(missing, typ)
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "every event type was raised and delivered")
}
