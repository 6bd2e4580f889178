package otp

import (
	"crypto/hmac"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// Challenge is a challenge as the Manager returns it: a copy of the stored
// record without its code hash. Changing it changes nothing in the store.
type Challenge struct {
	// ID identifies the challenge (26 lower-case base32 characters); the
	// client answers it with this id.
	ID string
	// UserID is the user the challenge was issued for ("" for a decoy).
	UserID string
	// Purpose is what the challenge confirms; it only verifies for it.
	Purpose Purpose
	// Channel is how the code travels: ChannelSMS, ChannelEmail, or
	// ChannelTOTP for a login challenge answered with an authenticator app.
	Channel Channel
	// Destination is the E.164 phone number or the email address the code
	// is sent to (it may be empty for ChannelTOTP). Show it through Mask.
	Destination string
	// Locale is the locale the challenge was issued in; every message of
	// the challenge, its resends included, is rendered in it.
	Locale string
	// CreatedAt is when the challenge was issued; ExpiresAt when its
	// current code stops working (each resend moves it).
	CreatedAt, ExpiresAt time.Time
	// Attempts counts the wrong answers; MaxAttempts of them burn the
	// challenge.
	Attempts, MaxAttempts int
	// Sends counts the messages sent, the first included.
	Sends int
	// LastSentAt is when the newest code was issued, ResendAt when a
	// resend is allowed, ConsumedAt when the challenge was used (zero while
	// unused).
	LastSentAt, ResendAt, ConsumedAt time.Time
	// Payload is the opaque data given to Issue (for example a pending
	// password hash).
	Payload []byte
	// Proven reports a challenge whose sends count against the
	// destination's proven budget (IssueRequest.Proven).
	Proven bool
	// Decoy reports a challenge issued by IssueDecoy: no code opens it and
	// nothing is ever sent for it. Never reveal it to the client.
	Decoy bool
}

// view returns the public copy of a stored challenge. It is the one
// conversion between the two: Issue builds the storage record and hands out
// its view, like every other method.
func (m *Manager) view(c *storage.Challenge) Challenge {
	return Challenge{
		ID:          c.ID,
		UserID:      c.UserID,
		Purpose:     Purpose(c.Purpose),
		Channel:     Channel(c.Channel),
		Destination: c.Destination,
		Locale:      c.Locale,
		CreatedAt:   c.CreatedAt,
		ExpiresAt:   c.ExpiresAt,
		Attempts:    c.Attempts,
		MaxAttempts: c.MaxAttempts,
		Sends:       c.Sends,
		LastSentAt:  c.LastSentAt,
		ResendAt:    c.ResendAt,
		ConsumedAt:  c.ConsumedAt,
		Payload:     cloneBytes(c.Payload),
		Proven:      c.Proven,
		Decoy:       m.isDecoy(c),
	}
}

// isDecoy reports whether the stored hash of c is its decoy hash.
func (m *Manager) isDecoy(c *storage.Challenge) bool {
	return hmac.Equal(c.CodeHash, m.mac.decoyHash(c.ID))
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Contact is what a user can be reached at, for choosing the channel of a
// code with Route.
type Contact struct {
	Phone         string
	PhoneVerified bool
	Email         string
	EmailVerified bool
}

// Route chooses the channel and destination of a code sent to c: the
// verified phone (SMS), else the verified email, else the preferred
// channel's value (ChannelSMS: the phone, ChannelEmail: the email) when it
// is not empty, else the phone when it is not empty, else the email (which
// may be empty: Issue then reports the missing destination).
func (c Contact) Route(preferred Channel) (Channel, string) {
	switch {
	case c.PhoneVerified && c.Phone != "":
		return ChannelSMS, c.Phone
	case c.EmailVerified && c.Email != "":
		return ChannelEmail, c.Email
	case preferred == ChannelSMS && c.Phone != "":
		return ChannelSMS, c.Phone
	case preferred == ChannelEmail && c.Email != "":
		return ChannelEmail, c.Email
	case c.Phone != "":
		return ChannelSMS, c.Phone
	}
	return ChannelEmail, c.Email
}
