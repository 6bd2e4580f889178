package postgres_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage/postgres"
)

// run is the snippet of the package documentation: open, migrate, build
// the onboarding Service on the store and serve its API.
func run(ctx context.Context, sms otp.SMSSender, mailer otp.EmailSender, secret []byte, signingKey onboarding.SigningKey) error {
	st, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.WithSchema("onboardkit"))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	ring, err := seal.KeyringFromEnv("ONBOARDKIT_KEYRING") // the keyring sealing personal data
	if err != nil {
		return err
	}
	svc, err := onboarding.New(onboarding.Config{
		Store:   st,
		SMS:     sms,    // an otp.SMSSender, e.g. otp.NewTwilio
		Email:   mailer, // an otp.EmailSender, e.g. otp.NewSMTP
		Secret:  secret, // 32 random bytes or more, the same on every replica
		Keyring: ring,
		Tokens:  onboarding.TokenConfig{SigningKey: signingKey},
	})
	if err != nil {
		return err
	}
	return http.ListenAndServe(":8080", httpapi.New(svc, httpapi.Config{}))
}

// The Service on a PostgreSQL store, with real senders. It needs a
// database, so it has no Output line and only compiles under go test.
func ExampleOpen_service() {
	ctx := context.Background()
	sms, err := otp.NewTwilio(os.Getenv("TWILIO_ACCOUNT_SID"), os.Getenv("TWILIO_AUTH_TOKEN"), "+15005550006")
	if err != nil {
		log.Fatal(err)
	}
	mailer, err := otp.NewSMTP("smtp.example.com:587", "Example <no-reply@example.com>",
		otp.WithSMTPAuth("no-reply@example.com", os.Getenv("SMTP_PASSWORD")))
	if err != nil {
		log.Fatal(err)
	}
	key, err := onboarding.NewSigningKey("2026-01", nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := run(ctx, sms, mailer, []byte(os.Getenv("ONBOARDKIT_SECRET")), key); err != nil {
		log.Fatal(err)
	}
}
