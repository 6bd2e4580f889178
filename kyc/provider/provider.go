// Package provider reads the webhook notifications of KYC providers and maps
// them to a kyc.Decision on this module's user id.
//
// # Flow
//
// The host builds one Adapter per provider it uses (NewSumsub, NewOnfido)
// with the secret it configured at the provider, and registers them with the
// HTTP handler, which serves
//
//	POST /v1/providers/{name}/webhook
//
// where {name} is Adapter.Name. For each request the handler
//
//  1. reads the raw body, at most MaxBodyBytes (a longer body is refused
//     before anything is verified or parsed);
//  2. calls Verify with the request headers and the raw body: the signature
//     is checked over the bytes as received, never over re-encoded JSON. An
//     error wraps ErrSignature and the request is refused (401);
//  3. calls Parse on the verified body. An error wraps ErrMalformed and the
//     request is refused (400); the provider retries it, and the failure is
//     visible in its delivery logs;
//  4. acknowledges a Notification whose Decision is nil and ignores it
//     (unknown types, results that decide nothing);
//  5. applies a Decision to Notification.UserID idempotently on the
//     provider's event id: the pair (Adapter.Name, Notification.EventID) is
//     recorded in the unit of work that applies the decision, or when the
//     user already has what it decides, so a notification delivered again
//     (providers retry, and anyone holding an old signed body can replay
//     it) decides nothing new. (One refused as an invalid transition is
//     not recorded, so that the provider's retry applies once the user's
//     state allows it.)
//
// A Notification with a Decision always has a non-empty UserID and EventID,
// and its Decision passes kyc.Decision.Validate.
//
// # Personal data
//
// Providers' free-text fields (Sumsub's moderationComment and clientComment,
// Onfido's workflow output and reasons) are never read into a Decision or an
// error: the Decision's Reason is a fixed sentence written by this package
// (it is shown to the user and stored), its MissingDocuments are mapped from
// documented rejection labels, and errors name fields, never values. Raw
// rejection labels are not shown to the user either: some (sanctions,
// adverse media, PEP) must not be disclosed to the person concerned.
package provider

import (
	"bytes"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"

	"github.com/onboardkit/onboardkit/kyc"
)

// Adapter reads the webhook notifications of one KYC provider.
type Adapter interface {
	// Name is the provider's path segment: /v1/providers/{name}/webhook.
	Name() string
	// Verify checks the notification's signature over its raw body with the
	// configured secret; a failure wraps ErrSignature.
	Verify(header http.Header, body []byte) error
	// Parse reads a verified notification's body. A notification of a type
	// or result that decides nothing returns Decision nil (the handler
	// acknowledges and ignores it); a body that cannot be read is an error
	// wrapping ErrMalformed.
	Parse(body []byte) (*Notification, error)
}

// Notification is one provider notification, read.
type Notification struct {
	// EventID identifies this notification at the provider: the key that makes
	// applying it idempotent (a notification delivered again decides nothing new).
	EventID string
	// Type is the provider's event type ("applicantReviewed", "workflow_run.completed").
	Type string
	// UserID is this module's user id the notification is about ("" when none).
	UserID string
	// Decision is the KYC decision it carries, nil when none.
	Decision *kyc.Decision
}

// The errors of Verify and Parse; the errors returned wrap one of them.
var (
	ErrSignature = errors.New("provider: the signature does not verify")
	ErrMalformed = errors.New("provider: the notification cannot be read")
)

// MaxBodyBytes is the largest notification body accepted. The handler reads
// at most this many bytes (plus one, to detect a longer body) and refuses a
// longer body; Parse refuses it too.
const MaxBodyBytes = 1 << 20

// Bounds of the identifiers read from payloads, in bytes.
const (
	maxUserIDLen = 256 // Onfido's customer_user_id is at most 256 characters
	maxIDLen     = 128 // provider ids: applicant, correlation, workflow run
	maxEnumLen   = 64  // statuses, types, timestamps
)

// retryReason is the Reason of a decision asking the user for new documents.
// It is fixed text: providers' comments may hold personal data.
const retryReason = "The identity verification provider asked for new documents."

// headerValue returns the one value of header name, trimmed; a header that
// is absent, empty or repeated is an error wrapping ErrSignature.
func headerValue(header http.Header, name string) (string, error) {
	vs := header.Values(name)
	if len(vs) != 1 || strings.TrimSpace(vs[0]) == "" {
		return "", fmt.Errorf("%w: the request needs one %s header", ErrSignature, name)
	}
	return strings.TrimSpace(vs[0]), nil
}

// checkHMAC returns nil when sigHex is the hexadecimal HMAC of body with key
// under newHash, compared in constant time, and an error wrapping
// ErrSignature otherwise.
func checkHMAC(newHash func() hash.Hash, key, body []byte, sigHex string) error {
	mac := hmac.New(newHash, key)
	if len(sigHex) != 2*mac.Size() {
		return fmt.Errorf("%w: the signature has the wrong length", ErrSignature)
	}
	got, err := hex.DecodeString(sigHex)
	if err != nil {
		return fmt.Errorf("%w: the signature is not hexadecimal", ErrSignature)
	}
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrSignature
	}
	return nil
}

// decodeObject decodes body, which must be one JSON object of at most
// MaxBodyBytes, into v. Errors wrap ErrMalformed and never quote the body.
func decodeObject(body []byte, v any) error {
	if len(body) > MaxBodyBytes {
		return fmt.Errorf("%w: the body is longer than %d bytes", ErrMalformed, MaxBodyBytes)
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("%w: the body is not a JSON object", ErrMalformed)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: the body does not have the provider's documented shape", ErrMalformed)
	}
	return nil
}

// printable reports whether s is 1 to max bytes of printable ASCII, spaces
// included only when spaces is true.
func printable(s string, max int, spaces bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > '~' || c < ' ' || c == ' ' && !spaces {
			return false
		}
	}
	return true
}

// userID checks an id the host gave the provider for its user: "" stays "",
// anything else must be 1 to 256 printable ASCII characters without spaces
// (the module's ids are UUIDs; an id of another shape is simply not found).
func userID(s, field string) (string, error) {
	if s != "" && !printable(s, maxUserIDLen, false) {
		return "", fmt.Errorf("%w: %s is not a user id", ErrMalformed, field)
	}
	return s, nil
}

// decided finishes a notification that carries a decision: it needs a user
// id and an event id, and the decision must pass kyc.Decision.Validate.
func decided(n *Notification, d kyc.Decision, userField string) (*Notification, error) {
	switch {
	case n.UserID == "":
		return nil, fmt.Errorf("%w: a %s notification with a decision has no %s", ErrMalformed, n.Type, userField)
	case n.EventID == "":
		return nil, fmt.Errorf("%w: a %s notification with a decision has no event id", ErrMalformed, n.Type)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%w: the decision is not valid", ErrMalformed)
	}
	n.Decision = &d
	return n, nil
}
