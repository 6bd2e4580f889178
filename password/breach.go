package password

import "context"

// BreachChecker tells whether a password is known from data breaches. Set one
// as Policy.BreachChecker to enable the breached rule; [HIBPClient] is the
// Have I Been Pwned implementation.
type BreachChecker interface {
	// Breached reports whether password appears in a breach. An error means
	// the check could not be made; the policy then answers with an
	// unavailable error (fail closed). A checker that should fail open
	// returns false and a nil error instead.
	Breached(ctx context.Context, password string) (bool, error)
}
