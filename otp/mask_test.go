package otp

import "testing"

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+33614125910", "+33******10"},
		{" +33 6 14 12 59 10 ", "+33******10"},
		{"+14155550123", "+1******23"},
		{"+447700900123", "+44******23"},
		{"+352661234567", "+352******67"},
		{"alice@example.com", "a***@example.com"},
		{"a@example.com", "a***@example.com"},
		{"élodie@exemple.fr", "é***@exemple.fr"},
		{"@example.com", "***@example.com"},
		{"0614125910", "******10"},
		{"+0", "******"},
		{"12", "******"},
		{"", ""},
		{"\xff\xfe\xfd\xfc\xfb\xfa", "******"},
	}
	for _, tt := range tests {
		eq(t, Mask(tt.in), tt.want, tt.in)
	}
}
