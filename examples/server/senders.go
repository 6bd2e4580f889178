// This file owns the server's senders: SMTP for emails and Twilio for
// SMS when their flags are given, the development outbox for the other
// channels.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/onboardkit/onboardkit/otp"
)

// senderConfig is the SMTP and Twilio part of the command line.
type senderConfig struct {
	smtpAddr, smtpFrom, smtpUser string
	smtpPassword                 secret
	smtpPlaintext, smtpTLS       bool

	twilioSID, twilioFrom string
	twilioToken           secret
}

func (c *senderConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.smtpAddr, "smtp-addr", "", "send emails through this SMTP server (host:port) instead of the outbox; TLS is required: STARTTLS, or -smtp-implicit-tls")
	fs.StringVar(&c.smtpFrom, "smtp-from", "", "the From address of the emails (\"Name <no-reply@example.com>\"; required with -smtp-addr)")
	fs.StringVar(&c.smtpUser, "smtp-user", "", "SMTP user name (PLAIN authentication, over TLS; its password from -smtp-password-file)")
	c.smtpPassword = secret{name: "smtp-password"}
	c.smtpPassword.register(fs, "the SMTP password of -smtp-user")
	fs.BoolVar(&c.smtpTLS, "smtp-implicit-tls", false, "connect to -smtp-addr with TLS from the start (port 465) instead of STARTTLS")
	fs.BoolVar(&c.smtpPlaintext, "smtp-plaintext", false, "allow a server that offers no STARTTLS, codes then travel in clear: a local catcher (MailHog, Mailpit) only")
	fs.StringVar(&c.twilioSID, "twilio-account-sid", "", "send SMS through Twilio with this account SID instead of the outbox (its auth token from -twilio-token-file)")
	c.twilioToken = secret{name: "twilio-token"}
	c.twilioToken.register(fs, "the Twilio auth token of -twilio-account-sid")
	fs.StringVar(&c.twilioFrom, "twilio-from", "", "the sender of the SMS: an E.164 number, or a Messaging Service SID (MG…)")
}

// resolve reads the secrets and refuses inconsistent combinations.
func (c *senderConfig) resolve(src source, outbox string, warn func(string)) error {
	var err error
	if c.smtpPassword.values, err = c.smtpPassword.resolve(src, warn); err != nil {
		return err
	}
	if c.twilioToken.values, err = c.twilioToken.resolve(src, warn); err != nil {
		return err
	}
	password, token := len(c.smtpPassword.values) > 0, len(c.twilioToken.values) > 0
	var errs []error
	fail := func(msg string) { errs = append(errs, errors.New(msg)) }
	if c.smtpAddr == "" {
		if c.smtpFrom != "" || c.smtpUser != "" || password || c.smtpTLS || c.smtpPlaintext {
			fail("-smtp-from, -smtp-user, -smtp-password-file, -smtp-implicit-tls and -smtp-plaintext need -smtp-addr")
		}
	} else {
		host, _, herr := net.SplitHostPort(c.smtpAddr)
		switch {
		case herr != nil:
			fail("-smtp-addr must be host:port: " + herr.Error())
		case c.smtpFrom == "":
			fail("-smtp-addr needs -smtp-from (the From address)")
		case c.smtpUser != "" && !password:
			fail("-smtp-user needs its password: -smtp-password-file or $" + envName("smtp-password"))
		case c.smtpUser == "" && password:
			fail("an SMTP password without -smtp-user")
		case c.smtpTLS && c.smtpPlaintext:
			fail("-smtp-implicit-tls and -smtp-plaintext contradict each other")
		case c.smtpPlaintext && c.smtpUser != "" && !loopback(host):
			fail("-smtp-plaintext with -smtp-user would send the password in clear to " + host + "; plain SMTP is for a local catcher on a loopback address")
		}
	}
	twilio := c.twilioSID != "" || token || c.twilioFrom != ""
	if twilio && (c.twilioSID == "" || !token || c.twilioFrom == "") {
		fail("Twilio needs -twilio-account-sid, its token (-twilio-token-file or $" + envName("twilio-token") + ") and -twilio-from")
	}
	if outbox != "" && c.smtpAddr != "" && twilio {
		fail("-outbox is unused when both -smtp-addr and -twilio-account-sid are given; drop it")
	}
	return errors.Join(errs...)
}

// loopback reports localhost or a loopback address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// senders are the SMS and email senders of the flags: SMTP and Twilio when
// given, else the development outbox (a file, else stderr).
type senders struct {
	sms   otp.SMSSender
	email otp.EmailSender
	close func()
	// codes records the codes sent when both channels go to the outbox
	// (nil with any real sender): GET /dev/codes reads them.
	codes *devCodes
}

func openSenders(c *senderConfig, outboxPath string, stderr io.Writer) (*senders, error) {
	s := &senders{close: func() {}}
	if c.smtpAddr != "" {
		opts := []otp.SMTPOption{}
		if c.smtpUser != "" {
			opts = append(opts, otp.WithSMTPAuth(c.smtpUser, c.smtpPassword.values[0]))
		}
		if c.smtpTLS {
			opts = append(opts, otp.WithSMTPImplicitTLS())
		}
		if c.smtpPlaintext {
			opts = append(opts, otp.WithSMTPPlaintext())
		}
		m, err := otp.NewSMTP(c.smtpAddr, c.smtpFrom, opts...)
		if err != nil {
			return nil, err
		}
		s.email = m
		if c.smtpPlaintext {
			fmt.Fprintf(stderr, "email: SMTP %s, in clear when it offers no STARTTLS (-smtp-plaintext: a local catcher only)\n", c.smtpAddr)
		} else {
			fmt.Fprintf(stderr, "email: SMTP %s over TLS\n", c.smtpAddr)
		}
	}
	if c.twilioSID != "" {
		from, opts := c.twilioFrom, []otp.TwilioOption{}
		if strings.HasPrefix(from, "MG") {
			from, opts = "", append(opts, otp.WithTwilioMessagingServiceSID(c.twilioFrom))
		}
		t, err := otp.NewTwilio(c.twilioSID, c.twilioToken.values[0], from, opts...)
		if err != nil {
			return nil, err
		}
		s.sms = t
		fmt.Fprintf(stderr, "SMS: Twilio, from %s\n", c.twilioFrom)
	}
	if s.sms != nil && s.email != nil {
		return s, nil
	}
	box, closeBox, err := openOutbox(outboxPath, stderr)
	if err != nil {
		return nil, err
	}
	s.close = closeBox
	if s.sms == nil && s.email == nil {
		s.codes = newDevCodes(box)
		s.sms, s.email = s.codes, s.codes
		return s, nil
	}
	if s.sms == nil {
		s.sms = box
	}
	if s.email == nil {
		s.email = box
	}
	return s, nil
}

// openOutbox opens the development outbox: a file, else stderr.
func openOutbox(path string, stderr io.Writer) (*otp.Outbox, func(), error) {
	if path == "" {
		fmt.Fprintln(stderr, "outbox: the SMS and emails without a sender are printed to stderr, not sent")
		return otp.NewOutbox(stderr), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open outbox: %w", err)
	}
	fmt.Fprintf(stderr, "outbox: the SMS and emails without a sender are appended to %s, not sent\n", path)
	return otp.NewOutbox(f), func() { _ = f.Close() }, nil
}
