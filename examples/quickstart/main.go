// Command quickstart walks the whole onboardkit journey in-process on the
// in-memory store, printing each step and the user's status after it:
// sign-up, phone confirmation, email, login with an SMS code, token refresh,
// forgotten password, login again, personal details, compliance, KYC
// submission and (development) approval, then the trading portfolio that
// approval provisions, with its deposit address.
//
//	go run ./examples/quickstart
//
// It exits with status 1 if any step fails. Messages are "sent" by a console
// sender that prints them; the codes it captures are typed back in, as a
// user would.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

func main() {
	if err := run(context.Background(), os.Stdout, setup{Store: memory.New()}); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart failed:", err)
		os.Exit(1)
	}
}

// setup is what differs between the program and its benchmark.
type setup struct {
	Store  storage.Store
	Hasher onboarding.PasswordHasher // nil: argon2id at OWASP parameters
	Phone  string                    // default +33614125910
	Email  string                    // default jean.dupont@example.com
}

// console is a development sender: it prints each message (destination
// masked) and keeps the last code per destination for the journey to type
// back in.
type console struct {
	w     io.Writer
	mu    sync.Mutex
	codes map[string]string
}

func (c *console) Send(_ context.Context, m otp.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.codes[m.To] = m.Code
	fmt.Fprintf(c.w, "    %s to %s: %s\n", m.Channel, otp.Mask(m.To), strings.Join(strings.Fields(m.Body), " "))
	return nil
}

func (c *console) code(to string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.codes[to]
}

func run(ctx context.Context, w io.Writer, s setup) error {
	svc, sender, err := newService(w, s)
	if err != nil {
		return err
	}
	return journey(ctx, w, svc, sender, s)
}

// newService builds the Service of the demo: the given store, a console
// sender, a fresh signing key and secret, the development KYC reviewer and
// the public BIP84 test key for deposit addresses.
func newService(w io.Writer, s setup) (*onboarding.Service, *console, error) {
	sender := &console{w: w, codes: map[string]string{}}
	key, err := onboarding.NewSigningKey("quickstart-1", nil)
	if err != nil {
		return nil, nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, nil, err
	}
	// The public BIP84 test key: never for production.
	addrs, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub)
	if err != nil {
		return nil, nil, err
	}
	// Personal data is sealed at rest under data keys this keyring wraps;
	// a real service reads its keyring with seal.ReadKeyringFile or uses a
	// KMS, so that the data outlives the process.
	ring, err := seal.NewEphemeralKeyring("quickstart")
	if err != nil {
		return nil, nil, err
	}
	svc, err := onboarding.New(onboarding.Config{
		Store:     s.Store,
		Keyring:   ring,
		SMS:       sender,
		Email:     sender,
		Secret:    secret,
		Hasher:    s.Hasher,
		Tokens:    onboarding.TokenConfig{SigningKey: key},
		Reviewer:  kyc.DevReviewer{}, // approves complete, error-free submissions
		Addresses: addrs,
	})
	return svc, sender, err
}

// journey walks one user through every step.
func journey(ctx context.Context, w io.Writer, svc *onboarding.Service, sender *console, s setup) error {
	if s.Phone == "" {
		s.Phone = "+33614125910"
	}
	if s.Email == "" {
		s.Email = "jean.dupont@example.com"
	}
	step := func(name string) { fmt.Fprintf(w, "\n== %s\n", name) }
	status := func(userID string) error {
		me, err := svc.Me(ctx, userID)
		if err != nil {
			return err
		}
		next := make([]string, len(me.Next))
		for i, n := range me.Next {
			next[i] = string(n)
		}
		fmt.Fprintf(w, "   status=%s kyc=%s tier=%s next=[%s]\n", me.Status, me.KYC.VerificationStatus, tierName(me.KYC.Tier), strings.Join(next, ","))
		return nil
	}
	const pw, newPW = "correct-horse-7-battery", "staple-Orbit-42-lantern"

	step("1. Sign up with phone and password")
	su, err := svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: s.Phone, Password: pw, Locale: "en"})
	if err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	fmt.Fprintf(w, "   user %s, challenge %s to %s\n", su.UserID, su.Challenge.ChallengeType, su.Challenge.Destination)
	if err := status(su.UserID); err != nil {
		return err
	}

	step("2. Confirm the SMS code")
	auth, err := svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, sender.code(s.Phone))
	if err != nil {
		return fmt.Errorf("confirm phone: %w", err)
	}
	fmt.Fprintf(w, "   tokens issued: %s, expires in %ds\n", auth.Tokens.TokenType, auth.Tokens.ExpiresIn)
	userID := auth.UserID
	if err := status(userID); err != nil {
		return err
	}

	step("3. Add and confirm an email")
	ch, err := svc.AddEmail(ctx, userID, s.Email)
	if err != nil {
		return fmt.Errorf("add email: %w", err)
	}
	if _, err := svc.ConfirmEmail(ctx, userID, ch.ChallengeID, sender.code(s.Email)); err != nil {
		return fmt.Errorf("confirm email: %w", err)
	}
	if err := status(userID); err != nil {
		return err
	}

	step("4. Log in with the email, answer the SMS challenge")
	lr, err := svc.Login(ctx, onboarding.LoginRequest{Username: s.Email, Password: pw})
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	fmt.Fprintf(w, "   challenge %s to %s\n", lr.Challenge.ChallengeType, lr.Challenge.Destination)
	login, err := svc.VerifyLoginChallenge(ctx, lr.SessionID, sender.code(s.Phone))
	if err != nil {
		return fmt.Errorf("otp: %w", err)
	}
	fmt.Fprintln(w, "   logged in")

	step("5. Refresh the tokens (the refresh token rotates)")
	tok, err := svc.Refresh(ctx, login.Tokens.RefreshToken)
	if err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	fmt.Fprintf(w, "   rotated: %t\n", tok.RefreshToken != login.Tokens.RefreshToken)

	step("6. Forgot the password: reset it with the code")
	fp, err := svc.ForgotPassword(ctx, s.Phone)
	if err != nil {
		return fmt.Errorf("forgot password: %w", err)
	}
	fmt.Fprintf(w, "   code sent by %s to %s\n", fp.CodeDeliveryDetails.DeliveryMedium, fp.CodeDeliveryDetails.Destination)
	if err := svc.ResetPassword(ctx, fp.SessionID, sender.code(s.Phone), newPW, newPW); err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	if _, err := svc.Refresh(ctx, tok.RefreshToken); err == nil {
		return fmt.Errorf("refresh after reset: the session was not revoked")
	}
	fmt.Fprintln(w, "   password reset; every session revoked")

	step("7. Log in again with the new password")
	lr, err = svc.Login(ctx, onboarding.LoginRequest{Username: s.Phone, Password: newPW})
	if err != nil {
		return fmt.Errorf("login again: %w", err)
	}
	if _, err = svc.VerifyLoginChallenge(ctx, lr.SessionID, sender.code(s.Phone)); err != nil {
		return fmt.Errorf("otp again: %w", err)
	}
	fmt.Fprintln(w, "   logged in")

	step("8. Personal details")
	err = svc.UpdateProfile(ctx, userID, kyc.Profile{
		FirstName: "Jean", LastName: "Dupont", BirthDate: "1985-04-12", Nationality: "FRA",
		ResidentialAddress: kyc.Address{StreetLine1: "10 rue de Rivoli", City: "Paris", PostalCode: "75001", Country: "FRA"},
	})
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := status(userID); err != nil {
		return err
	}

	step("9. Compliance: terms, PEP declaration, questionnaire")
	pep := false
	err = svc.SubmitCompliance(ctx, userID, kyc.Compliance{
		TermsAcceptedAt: "2026-01-01T10:00:00Z", TermsVersion: "2026-01", PoliticallyExposed: &pep,
		Questionnaire: &kyc.AdditionalUserInfo{EmploymentStatus: "employed", SourceOfFunds: "salary", ExpectedMonthlyPaymentsUSD: "0_4999", MostRecentOccupation: "Engineer"},
	})
	if err != nil {
		return fmt.Errorf("compliance: %w", err)
	}
	if err := status(userID); err != nil {
		return err
	}

	step("10. KYC submission (the development reviewer approves it)")
	doc, err := samplePassportScan()
	if err != nil {
		return err
	}
	res, err := svc.SubmitKYC(ctx, userID, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{{
		DocumentType: "passport", IssuingCountry: "FRA", Document: doc, DocumentNumber: "12AB34567", ExpiryDate: "2030-01-01",
	}}})
	if err != nil {
		return fmt.Errorf("kyc: %w", err)
	}
	fmt.Fprintf(w, "   submitted: %s, missing documents %v, document warnings %d, errors %d\n",
		res.Status, res.MissingDocuments, len(res.Documents[0].Warnings), len(res.Documents[0].Errors))
	me, err := svc.Me(ctx, userID)
	if err != nil {
		return err
	}
	if me.KYC.VerificationStatus != kyc.StatusActive {
		return fmt.Errorf("kyc: not approved: %s", me.KYC.VerificationStatus)
	}
	fmt.Fprintf(w, "   deposit limits: daily %d, monthly %d (minor units)\n", me.Limits.DailyDeposit, me.Limits.MonthlyDeposit)
	if err := status(userID); err != nil {
		return err
	}

	step("11. Accounts and the trading portfolio provisioned on approval")
	accts, err := svc.ListAccounts(ctx, userID)
	if err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	if len(accts) == 0 || len(accts[0].Portfolios) == 0 {
		return fmt.Errorf("accounts: no trading portfolio was provisioned")
	}
	a := accts[0]
	p := a.Portfolios[0]
	fmt.Fprintf(w, "   account %s active=%t\n", a.ID, a.Active)
	fmt.Fprintf(w, "   portfolio %s %q %s\n", p.ID, p.Name, p.Type)
	fmt.Fprintf(w, "   deposit address %s (%s, %s)\n", p.Address.Address, p.Address.Chain, p.Address.DerivationPath)
	fmt.Fprintln(w, "\njourney complete")
	return nil
}

func tierName(t kyc.Tier) string {
	if t == kyc.TierNone {
		return "none"
	}
	return string(t)
}

// samplePassportScan returns a 400×400 PNG as a data URL, standing for a
// scanned document. It is made once.
var samplePassportScan = sync.OnceValues(func() (string, error) {
	img := image.NewRGBA(image.Rect(0, 0, 400, 400))
	for x := 0; x < 400; x++ {
		img.Set(x, x, color.RGBA{B: 160, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
})
