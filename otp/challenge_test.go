package otp

import "testing"

func TestContactRoute(t *testing.T) {
	const p, e = "+33614125910", "alice@example.com"
	tests := []struct {
		name      string
		c         Contact
		preferred Channel
		ch        Channel
		to        string
	}{
		{"verified phone", Contact{Phone: p, PhoneVerified: true, Email: e, EmailVerified: true}, ChannelEmail, ChannelSMS, p},
		{"verified phone, no email", Contact{Phone: p, PhoneVerified: true}, ChannelSMS, ChannelSMS, p},
		{"verified email over an unverified phone", Contact{Phone: p, Email: e, EmailVerified: true}, ChannelSMS, ChannelEmail, e},
		{"verified email, no phone", Contact{Email: e, EmailVerified: true}, ChannelSMS, ChannelEmail, e},
		{"nothing verified, SMS preferred", Contact{Phone: p, Email: e}, ChannelSMS, ChannelSMS, p},
		{"nothing verified, email preferred", Contact{Phone: p, Email: e}, ChannelEmail, ChannelEmail, e},
		{"nothing verified, email preferred but none", Contact{Phone: p}, ChannelEmail, ChannelSMS, p},
		{"nothing verified, SMS preferred but no phone", Contact{Email: e}, ChannelSMS, ChannelEmail, e},
		{"nothing verified, no preference: the phone", Contact{Phone: p, Email: e}, "", ChannelSMS, p},
		{"nothing verified, TOTP preferred: the phone", Contact{Phone: p, Email: e}, ChannelTOTP, ChannelSMS, p},
		{"nothing verified, no preference, no phone", Contact{Email: e}, "", ChannelEmail, e},
		{"verified flag without a value is ignored", Contact{PhoneVerified: true, Email: e}, ChannelSMS, ChannelEmail, e},
		{"verified empty email is ignored", Contact{Phone: p, EmailVerified: true}, ChannelEmail, ChannelSMS, p},
		{"nothing at all", Contact{}, ChannelSMS, ChannelEmail, ""},
	}
	for _, tt := range tests {
		ch, to := tt.c.Route(tt.preferred)
		eq(t, ch, tt.ch, tt.name)
		eq(t, to, tt.to, tt.name)
	}
}
