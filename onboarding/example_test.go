package onboarding_test

import (
	"context"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp/otptest"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage/memory"
)

// newExampleService builds a Service on the in-memory store with a message
// recorder standing for the SMS and email providers.
func newExampleService(mods ...func(*onboarding.Config)) (*onboarding.Service, *otptest.Recorder) {
	key, err := onboarding.NewSigningKey("example-1", nil)
	if err != nil {
		panic(err)
	}
	hasher, err := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
	if err != nil {
		panic(err)
	}
	// Personal data is sealed under data keys this keyring wraps; in
	// production read it with seal.ReadKeyringFile or plug in a KMS.
	kek, _, err := seal.GenerateKey("example-1", nil)
	if err != nil {
		panic(err)
	}
	ring, err := seal.NewLocalKeyring(kek)
	if err != nil {
		panic(err)
	}
	sent := otptest.NewRecorder()
	cfg := onboarding.Config{
		Store:   memory.New(),
		SMS:     sent,
		Email:   sent,
		Secret:  []byte("an example secret of 32+ bytes!!"),
		Keyring: ring,
		Hasher:  hasher, // cheap parameters for the example; omit for argon2id at OWASP settings
		Tokens:  onboarding.TokenConfig{SigningKey: key},
		Clock:   onboardkit.ClockFunc(func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }),
	}
	for _, m := range mods {
		m(&cfg)
	}
	svc, err := onboarding.New(cfg)
	if err != nil {
		panic(err)
	}
	return svc, sent
}

// Sign up with a phone number, confirm the SMS code, and start a session.
func ExampleService_SignUp() {
	svc, sent := newExampleService()
	ctx := context.Background()

	res, err := svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: "+33614125910", Password: "correct-horse-7-battery"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status, res.Challenge.ChallengeType, res.Challenge.Destination)

	code := sent.LastCode("+33614125910") // what the user types in
	auth, err := svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, code)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(auth.Status, auth.Next)
	fmt.Println(auth.Tokens.TokenType, auth.Tokens.ExpiresIn)

	_, err = svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: "+33614125910", Password: "another-Pass-99"})
	fmt.Println(err)
	// Output:
	// registered SMS_OTP +33******10
	// contact_verified [add_email confirm_email complete_profile submit_compliance submit_kyc kyc_review]
	// Bearer 900
	// identifier_taken: This phone number or email is already registered.
}

// Login answers an OTP challenge; an unknown user gets exactly the same
// error as a wrong password.
func ExampleService_Login() {
	svc, sent := newExampleService()
	ctx := context.Background()
	res, _ := svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: "+33614125910", Password: "correct-horse-7-battery"})
	_, _ = svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, sent.LastCode("+33614125910"))

	_, err := svc.Login(ctx, onboarding.LoginRequest{Username: "+33699999999", Password: "correct-horse-7-battery"})
	fmt.Println(err)
	_, err = svc.Login(ctx, onboarding.LoginRequest{Username: "+33614125910", Password: "wrong password 1"})
	fmt.Println(err)

	lr, err := svc.Login(ctx, onboarding.LoginRequest{Username: "+33614125910", Password: "correct-horse-7-battery"})
	if err != nil {
		fmt.Println(err)
		return
	}
	auth, err := svc.VerifyLoginChallenge(ctx, lr.SessionID, sent.LastCode("+33614125910"))
	if err != nil {
		fmt.Println(err)
		return
	}
	claims, _ := svc.VerifyAccessToken(ctx, auth.Tokens.AccessToken)
	fmt.Println(claims.UserID == auth.UserID, claims.Status)
	// Output:
	// invalid_credentials: The username or password is not valid.
	// invalid_credentials: The username or password is not valid.
	// true contact_verified
}

// The default flow as a Mermaid state diagram.
func ExampleFlow_Mermaid() {
	fmt.Print(onboarding.DefaultFlow().Mermaid())
	// Output:
	// stateDiagram-v2
	//     [*] --> registered: sign_up (phone)
	//     registered --> contact_verified: confirm_contact
	//     contact_verified --> profile_completed: complete_profile [email confirmed if required]
	//     profile_completed --> compliance_completed: submit_compliance
	//     compliance_completed --> kyc_pending: submit_kyc [no submission under review]
	//     kyc_pending --> kyc_pending: submit_kyc [no submission under review]
	//     kyc_pending --> active: kyc_approved
	//     kyc_pending --> rejected: kyc_rejected
	//     kyc_pending --> kyc_pending: kyc_more_info
	//     active --> kyc_pending: kyc_reactivated [kyc inactive]
	//     active --> [*]
	//     note right of registered: an operator can lock a user of any status and unlock them; the status is kept
	//     note right of erased: any user can be erased; the record stays only while KYC records are retained
}

// The order of the retail sign-up log the product comes from: email, email
// code, names, address, the rest of the profile, phone, phone code, then
// compliance and KYC. The profile is saved in parts.
func ExampleSignUpLogFlow() {
	svc, sent := newExampleService(func(c *onboarding.Config) { c.Flow = onboarding.SignUpLogFlow() })
	ctx := context.Background()
	str := func(s string) *string { return &s }
	show := func(step string, status onboarding.Status, next []onboarding.Step, missing []string) {
		fmt.Println(step+":", status, next, missing)
	}

	res, _ := svc.SignUp(ctx, onboarding.SignUpRequest{Email: "desiree@example.com", Password: "correct-horse-7-battery"})
	auth, _ := svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, sent.LastCode("desiree@example.com")) // the sign-up code, by email
	show("email code", auth.Status, auth.Next, nil)

	p, _ := svc.PatchProfile(ctx, auth.UserID, kyc.ProfilePatch{FirstName: str("Desiree"), LastName: str("Greenholt")})
	show("names", p.Status, nil, p.MissingFields)
	p, _ = svc.PatchProfile(ctx, auth.UserID, kyc.ProfilePatch{ResidentialAddress: &kyc.AddressPatch{
		StreetLine1: str("Boulevard de Sébastopol"), City: str("Paris"), PostalCode: str("75001"), Country: str("FRA")}})
	show("address", p.Status, nil, p.MissingFields)
	p, _ = svc.PatchProfile(ctx, auth.UserID, kyc.ProfilePatch{BirthDate: str("1990-02-20"), Nationality: str("FRA")})
	show("birth date, nationality", p.Status, p.Next, p.MissingFields)

	ch, _ := svc.ChangePhone(ctx, auth.UserID, "+33614125910")
	conf, err := svc.ConfirmPhoneChange(ctx, auth.UserID, ch.ChallengeID, sent.LastCode("+33614125910"))
	if err != nil {
		fmt.Println(err)
		return
	}
	show("phone code", conf.Status, conf.Next, nil)
	// Output:
	// email code: contact_verified [complete_profile add_phone confirm_phone submit_compliance submit_kyc kyc_review] []
	// names: contact_verified [] [birthDate nationality residentialAddress.streetLine1 residentialAddress.city residentialAddress.country]
	// address: contact_verified [] [birthDate nationality]
	// birth date, nationality: profile_completed [add_phone confirm_phone submit_compliance submit_kyc kyc_review] []
	// phone code: profile_completed [submit_compliance submit_kyc kyc_review] []
}
