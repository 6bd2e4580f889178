package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/otp"
)

func TestEnvName(t *testing.T) {
	assert.Equal(t, "ONBOARDKIT_SEND_LIMIT", envName("send-limit"))
	assert.Equal(t, "ONBOARDKIT_ONFIDO_WEBHOOK_TOKEN_FILE", envName("onfido-webhook-token-file"))
	assert.Equal(t, "ONBOARDKIT_ADDR", envName("addr"))
}

// writeFile writes a file of the test's directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// TestEnvironment: every flag from ONBOARDKIT_<FLAG>, the command line
// winning, lists comma-separated.
func TestEnvironment(t *testing.T) {
	var k1, k2 bytes.Buffer
	dir := t.TempDir()
	require.NoError(t, keygen([]string{"-out", filepath.Join(dir, "1.pem")}, &k1))
	require.NoError(t, keygen([]string{"-out", filepath.Join(dir, "2.pem")}, &k2))
	key1, key2 := strings.TrimSpace(k1.String()), strings.TrimSpace(k2.String())

	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{"a string, a number, a duration, a boolean", map[string]string{
			"ONBOARDKIT_ADDR": "127.0.0.1:9999", "ONBOARDKIT_SEND_LIMIT": "20", "ONBOARDKIT_CODE_TTL": "5m",
			"ONBOARDKIT_AUTO_APPROVE_KYC": "true", "ONBOARDKIT_FLOW": "email-first",
		}, nil, "", func(t *testing.T, c *config) {
			assert.Equal(t, "127.0.0.1:9999", c.addr)
			assert.Equal(t, 20, c.codes.DestinationLimit)
			assert.Equal(t, 5*time.Minute, c.codes.TTL)
			assert.True(t, c.autoApprove)
			assert.True(t, c.flow.EmailFirst())
		}},
		{"the command line wins", map[string]string{"ONBOARDKIT_ADDR": "127.0.0.1:9999", "ONBOARDKIT_CODE_LENGTH": "8"},
			[]string{"-addr", "127.0.0.1:7777"}, "", func(t *testing.T, c *config) {
				assert.Equal(t, "127.0.0.1:7777", c.addr)
				assert.Equal(t, 8, c.codes.CodeLength, "the variable of a flag not given still applies")
			}},
		{"a repeatable flag takes a comma-separated list", map[string]string{
			"ONBOARDKIT_INTEGRATOR_KEY": key1 + ", " + key2 + ",", "ONBOARDKIT_TRUSTED_PROXY": "10.0.0.0/8,192.168.0.0/16",
		}, nil, "", func(t *testing.T, c *config) {
			assert.Len(t, c.integratorKeys, 2)
			assert.Len(t, c.trustedProxies, 2)
		}},
		{"a repeatable flag on the command line replaces the variable's list", map[string]string{"ONBOARDKIT_INTEGRATOR_KEY": key1 + "," + key2},
			[]string{"-integrator-key", key1}, "", func(t *testing.T, c *config) {
				assert.Len(t, c.integratorKeys, 1)
			}},
		{"an empty variable is unset", map[string]string{"ONBOARDKIT_ADDR": ""}, nil, "", func(t *testing.T, c *config) {
			assert.Equal(t, "127.0.0.1:8080", c.addr)
		}},
		{"the checks apply to the variables", map[string]string{"ONBOARDKIT_CODE_LENGTH": "3"}, nil, "-code-length must be 4 to 10", nil},
		{"a bad value names the variable", map[string]string{"ONBOARDKIT_CODE_TTL": "ten minutes"}, nil, "$ONBOARDKIT_CODE_TTL (-code-ttl)", nil},
		{"a bad list item names the variable", map[string]string{"ONBOARDKIT_TRUSTED_PROXY": "10.0.0.0/8,nope"}, nil, "$ONBOARDKIT_TRUSTED_PROXY", nil},
		{"the janitor", map[string]string{"ONBOARDKIT_JANITOR_INTERVAL": "1m", "ONBOARDKIT_EVENT_RETENTION": "0"}, nil, "", func(t *testing.T, c *config) {
			assert.Equal(t, janitorConfig{interval: time.Minute, sendWindow: otp.DefaultDestinationWindow, batch: janitorBatch}, c.janitor)
		}},
		{"the janitor's defaults", nil, nil, "", func(t *testing.T, c *config) {
			assert.Equal(t, janitorConfig{interval: 10 * time.Minute, eventRetention: 400 * 24 * time.Hour,
				sendWindow: otp.DefaultDestinationWindow, batch: janitorBatch}, c.janitor)
		}},
		{"a negative interval", nil, []string{"-janitor-interval", "-1s"}, "must not be negative", nil},
		{"a schema without PostgreSQL", map[string]string{"ONBOARDKIT_SCHEMA": "onboardkit"}, nil, "-schema needs -postgres", nil},
		{"a schema", map[string]string{"ONBOARDKIT_SCHEMA": "onboardkit", "ONBOARDKIT_POSTGRES": "postgres://db/app", "ONBOARDKIT_MIGRATE": "false"}, nil, "",
			func(t *testing.T, c *config) {
				assert.Equal(t, "onboardkit", c.schema)
				assert.Equal(t, "postgres://db/app", c.postgresDSN)
				assert.False(t, c.migrate)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := parseFlags(tt.args, &bytes.Buffer{})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

// TestSecrets: secrets from files or the environment; on the command line
// they work with a warning.
func TestSecrets(t *testing.T) {
	const s32 = "0123456789abcdef0123456789abcdef"
	secretFile := writeFile(t, "secret", s32+"\n")
	hooksFile := writeFile(t, "hooks", "whsec_one\n\nwhsec_two\n")
	empty := writeFile(t, "empty", "\n")
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
		warned  string // a substring of the warning; "" for none
		check   func(t *testing.T, c *config)
	}{
		{"from a file, its final line break dropped", nil, []string{"-secret-file", secretFile}, "", "", func(t *testing.T, c *config) {
			assert.Equal(t, s32, c.secret)
		}},
		{"from the environment", map[string]string{"ONBOARDKIT_SECRET": s32}, nil, "", "", func(t *testing.T, c *config) {
			assert.Equal(t, s32, c.secret)
		}},
		{"from a file named by the environment", map[string]string{"ONBOARDKIT_SECRET_FILE": secretFile}, nil, "", "", func(t *testing.T, c *config) {
			assert.Equal(t, s32, c.secret)
		}},
		{"on the command line, with a warning", nil, []string{"-secret", s32}, "", "-secret on the command line is visible", func(t *testing.T, c *config) {
			assert.Equal(t, s32, c.secret)
		}},
		{"the command line's file wins over the variable", map[string]string{"ONBOARDKIT_SECRET": "from-the-environment"},
			[]string{"-secret-file", secretFile}, "", "", func(t *testing.T, c *config) {
				assert.Equal(t, s32, c.secret)
			}},
		{"both on the command line", nil, []string{"-secret", s32, "-secret-file", secretFile}, "give -secret or -secret-file, not both", "", nil},
		{"both in the environment", map[string]string{"ONBOARDKIT_SECRET": s32, "ONBOARDKIT_SECRET_FILE": secretFile}, nil,
			"$ONBOARDKIT_SECRET and $ONBOARDKIT_SECRET_FILE are both set", "", nil},
		{"a missing file", nil, []string{"-secret-file", secretFile + ".nope"}, "-secret-file", "", nil},
		{"an empty file", nil, []string{"-secret-file", empty}, "is empty", "", nil},
		{"webhook secrets, one a line", nil, []string{"-webhook", "https://a.example/h", "-webhook", "https://b.example/h", "-webhook-secret-file", hooksFile}, "", "",
			func(t *testing.T, c *config) {
				assert.Equal(t, []string{"whsec_one", "whsec_two"}, c.hooks.secrets)
			}},
		{"webhook secrets from the environment", map[string]string{"ONBOARDKIT_WEBHOOK": "https://a.example/h,https://b.example/h", "ONBOARDKIT_WEBHOOK_SECRET": "whsec_a,whsec_b"},
			nil, "", "", func(t *testing.T, c *config) {
				assert.Equal(t, []string{"https://a.example/h", "https://b.example/h"}, c.hooks.urls)
				assert.Equal(t, []string{"whsec_a", "whsec_b"}, c.hooks.secrets)
			}},
		{"provider secrets", map[string]string{"ONBOARDKIT_SUMSUB_SECRET": "sumsub", "ONBOARDKIT_ONFIDO_WEBHOOK_TOKEN_FILE": writeFile(t, "onfido", "onfido\n")},
			nil, "", "", func(t *testing.T, c *config) {
				assert.Equal(t, "sumsub", c.hooks.sumsubSecret)
				assert.Equal(t, "onfido", c.hooks.onfidoToken)
			}},
		{"a provider secret on the command line", nil, []string{"-onfido-webhook-token", "t"}, "", "-onfido-webhook-token on the command line", nil},
		{"a password in the DSN on the command line", nil, []string{"-postgres", "postgres://app:hunter2@db/app"}, "", "-postgres on the command line holds a password", nil},
		{"a password in the DSN from the environment", map[string]string{"ONBOARDKIT_POSTGRES": "postgres://app:hunter2@db/app"}, nil, "", "", nil},
		{"a DSN without password", nil, []string{"-postgres", "host=db user=app dbname=app"}, "", "", nil},
		{"a keyword DSN with a password", nil, []string{"-redis", "redis://:pw@cache:6379/0"}, "", "-redis on the command line holds a password", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stderr bytes.Buffer
			c, err := parseFlags(tt.args, &stderr)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), s32, "no secret in an error")
				return
			}
			require.NoError(t, err)
			if tt.warned == "" {
				assert.NotContains(t, stderr.String(), "WARNING", "no warning")
			} else {
				assert.Contains(t, stderr.String(), "WARNING: "+tt.warned)
			}
			assert.NotContains(t, stderr.String(), s32, "no secret in a warning")
			assert.NotContains(t, stderr.String(), "hunter2", "no password in a warning")
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

// TestSenderFlags: SMTP and Twilio replace the outbox for their channel;
// inconsistent combinations are refused.
func TestSenderFlags(t *testing.T) {
	pw := writeFile(t, "pw", "s3cret\n")
	tok := writeFile(t, "tok", "twilio-token\n")
	smtp := []string{"-smtp-addr", "smtp.example.com:587", "-smtp-from", "Example <no-reply@example.com>"}
	twilio := []string{"-twilio-account-sid", "AC1", "-twilio-token-file", tok, "-twilio-from", "+15005550006"}
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		wantErr    string
		sms, email string // the sender types
	}{
		{"the outbox by default, its codes recorded for GET /dev/codes", nil, nil, "", "*devCodes", "*devCodes"},
		{"SMTP for emails", nil, append(append([]string{}, smtp...), "-smtp-user", "u", "-smtp-password-file", pw), "", "*otp.Outbox", "*otp.SMTP"},
		{"SMTP password from the environment", map[string]string{"ONBOARDKIT_SMTP_PASSWORD": "s3cret"},
			append(append([]string{}, smtp...), "-smtp-user", "u"), "", "*otp.Outbox", "*otp.SMTP"},
		{"Twilio for SMS", nil, twilio, "", "*otp.Twilio", "*otp.Outbox"},
		{"Twilio from a Messaging Service", map[string]string{"ONBOARDKIT_TWILIO_TOKEN": "t"},
			[]string{"-twilio-account-sid", "AC1", "-twilio-from", "MG123"}, "", "*otp.Twilio", "*otp.Outbox"},
		{"both", nil, append(append([]string{}, smtp...), twilio...), "", "*otp.Twilio", "*otp.SMTP"},
		{"both from the environment", map[string]string{
			"ONBOARDKIT_SMTP_ADDR": "127.0.0.1:1025", "ONBOARDKIT_SMTP_FROM": "a@example.com", "ONBOARDKIT_SMTP_PLAINTEXT": "true",
			"ONBOARDKIT_TWILIO_ACCOUNT_SID": "AC1", "ONBOARDKIT_TWILIO_TOKEN_FILE": tok, "ONBOARDKIT_TWILIO_FROM": "+15005550006",
		}, nil, "", "*otp.Twilio", "*otp.SMTP"},
		{"a local catcher in clear", nil, []string{"-smtp-addr", "localhost:1025", "-smtp-from", "a@example.com", "-smtp-plaintext"}, "", "*otp.Outbox", "*otp.SMTP"},
		{"the outbox unused", nil, append(append([]string{"-outbox", "/tmp/x.jsonl"}, smtp...), twilio...), "-outbox is unused", "", ""},
		{"SMTP without a From", nil, []string{"-smtp-addr", "smtp.example.com:587"}, "-smtp-addr needs -smtp-from", "", ""},
		{"SMTP without a port", nil, []string{"-smtp-addr", "smtp.example.com", "-smtp-from", "a@example.com"}, "-smtp-addr must be host:port", "", ""},
		{"SMTP settings without a server", nil, []string{"-smtp-user", "u", "-smtp-plaintext"}, "need -smtp-addr", "", ""},
		{"a user without a password", nil, append(append([]string{}, smtp...), "-smtp-user", "u"), "-smtp-user needs its password", "", ""},
		{"a password without a user", nil, append(append([]string{}, smtp...), "-smtp-password-file", pw), "an SMTP password without -smtp-user", "", ""},
		{"implicit TLS and plaintext", nil, append(append([]string{}, smtp...), "-smtp-implicit-tls", "-smtp-plaintext"), "contradict", "", ""},
		{"a password in clear to a remote server", nil, append(append([]string{}, smtp...), "-smtp-user", "u", "-smtp-password-file", pw, "-smtp-plaintext"),
			"would send the password in clear", "", ""},
		{"an incomplete Twilio", nil, []string{"-twilio-account-sid", "AC1", "-twilio-from", "+1"}, "Twilio needs", "", ""},
		{"a Twilio token alone", map[string]string{"ONBOARDKIT_TWILIO_TOKEN": "t"}, nil, "Twilio needs", "", ""},
		{"a bad From address", nil, []string{"-smtp-addr", "smtp.example.com:587", "-smtp-from", "not an address"}, "from", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stderr bytes.Buffer
			c, err := parseFlags(tt.args, &stderr)
			if err == nil {
				var s *senders
				s, err = openSenders(&c.senders, "", &stderr)
				if err == nil {
					defer s.close()
					assert.Equal(t, tt.sms, typeName(s.sms))
					assert.Equal(t, tt.email, typeName(s.email))
					assert.Equal(t, tt.sms == "*devCodes", s.codes != nil, "codes are recorded only when no real sender is given")
				}
			}
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.NotContains(t, stderr.String(), "s3cret")
			assert.NotContains(t, stderr.String(), "twilio-token")
		})
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *otp.Outbox:
		return "*otp.Outbox"
	case *otp.SMTP:
		return "*otp.SMTP"
	case *otp.Twilio:
		return "*otp.Twilio"
	case *devCodes:
		return "*devCodes"
	}
	return "?"
}

// TestKeygenFile: the private key goes to a new file only its owner
// reads; no default path, no overwrite.
func TestKeygenFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.pem")
	require.NoError(t, keygen([]string{"-out", p}, &bytes.Buffer{}))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	before, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Error(t, keygen([]string{"-out", p}, &bytes.Buffer{}), "an existing file is not overwritten")
	after, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.ErrorContains(t, keygen(nil, &bytes.Buffer{}), "-out is required")
}
