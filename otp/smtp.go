package otp

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit"
)

// smtpConfig is what NewSMTP's arguments and SMTPOptions set.
type smtpConfig struct {
	addr        string
	username    string
	password    string
	from        string
	helloName   string
	tlsConfig   *tls.Config
	implicitTLS bool
	plaintext   bool
	timeout     time.Duration
	clock       onboardkit.Clock
	rand        io.Reader
}

// SMTPOption configures an SMTP sender.
type SMTPOption func(*smtpConfig)

// WithSMTPAuth enables PLAIN authentication with username and password,
// sent once the connection is encrypted (net/smtp refuses PLAIN over an
// unencrypted connection except to localhost, which [WithSMTPPlaintext]
// allows).
func WithSMTPAuth(username, password string) SMTPOption {
	return func(c *smtpConfig) { c.username, c.password = username, password }
}

// WithSMTPHelloName sets the name sent in EHLO (default "localhost"); it
// must be one word.
func WithSMTPHelloName(name string) SMTPOption {
	return func(c *smtpConfig) { c.helloName = name }
}

// WithSMTPTLSConfig sets the TLS configuration of STARTTLS and of
// WithSMTPImplicitTLS (default: TLS 1.2 or later, the system's roots; an
// empty ServerName is the host of the address).
func WithSMTPTLSConfig(tc *tls.Config) SMTPOption {
	return func(c *smtpConfig) { c.tlsConfig = tc }
}

// WithSMTPImplicitTLS connects with TLS from the start (port 465).
// Without it the sender upgrades the connection with STARTTLS.
func WithSMTPImplicitTLS() SMTPOption {
	return func(c *smtpConfig) { c.implicitTLS = true }
}

// WithSMTPPlaintext allows delivering over an unencrypted connection when
// the server does not offer STARTTLS: for a local mail catcher (MailHog,
// Mailpit) in development only, since the codes then cross the network in
// clear. STARTTLS is still used when the server offers it.
//
// Without it TLS is required: implicit TLS ([WithSMTPImplicitTLS]) or
// STARTTLS must succeed, and a server that does not offer STARTTLS (or a
// network that strips it from the server's answer) fails the send with
// an error wrapping [ErrSMTPNoTLS] before anything of the message is sent.
func WithSMTPPlaintext() SMTPOption {
	return func(c *smtpConfig) { c.plaintext = true }
}

// ErrSMTPNoTLS reports an SMTP server that offered no STARTTLS to a
// sender that requires TLS (the default; see [WithSMTPPlaintext]).
var ErrSMTPNoTLS = errors.New("otp: smtp: the server does not offer STARTTLS; refusing to send in clear (use WithSMTPImplicitTLS for port 465, or WithSMTPPlaintext for a local test server)")

// WithSMTPTimeout bounds one delivery (default 30 s).
func WithSMTPTimeout(d time.Duration) SMTPOption {
	return func(c *smtpConfig) { c.timeout = d }
}

// WithSMTPClock sets the clock that stamps the Date header (default
// onboardkit.SystemClock).
func WithSMTPClock(clock onboardkit.Clock) SMTPOption {
	return func(c *smtpConfig) { c.clock = clock }
}

// WithSMTPRand sets the random source of Message-IDs (default
// crypto/rand.Reader); reads from it are serialised.
func WithSMTPRand(r io.Reader) SMTPOption {
	return func(c *smtpConfig) { c.rand = r }
}

// SMTP is an EmailSender that delivers plain-text messages with net/smtp,
// over TLS: implicit ([WithSMTPImplicitTLS]) or STARTTLS, required unless
// [WithSMTPPlaintext] allows plain.
type SMTP struct {
	cfg  smtpConfig
	host string
	from *mail.Address
}

// NewSMTP returns an SMTP sender delivering through the server at addr
// ("host:port") from the address from ("Name <addr@example.com>" or a bare
// address), both required, or an error listing every invalid setting.
func NewSMTP(addr, from string, opts ...SMTPOption) (*SMTP, error) {
	cfg := smtpConfig{addr: addr, from: from}
	for _, o := range opts {
		o(&cfg)
	}
	var errs []error
	host, _, err := net.SplitHostPort(cfg.addr)
	if err != nil {
		errs = append(errs, fmt.Errorf("otp: smtp: address: %w", err))
	}
	sender, err := parseAddress(cfg.from)
	if err != nil {
		errs = append(errs, fmt.Errorf("otp: smtp: from: %w", err))
	}
	if cfg.helloName == "" {
		cfg.helloName = "localhost"
	} else if strings.ContainsAny(cfg.helloName, "\r\n ") {
		errs = append(errs, errors.New("otp: smtp: the hello name must be one word"))
	}
	if cfg.timeout <= 0 {
		cfg.timeout = 30 * time.Second
	}
	rt := onboardkit.Runtime{Clock: cfg.clock, Rand: cfg.rand}.WithDefaults()
	cfg.clock, cfg.rand = rt.Clock, rt.Rand
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &SMTP{cfg: cfg, host: host, from: sender}, nil
}

// parseAddress accepts exactly one address without line breaks.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, errors.New("not a single valid email address")
	}
	return a, nil
}

// Send delivers msg to msg.To. An invalid recipient is a validation error
// naming the field "to"; no header can be injected through To, From or
// Subject (line breaks are refused or folded away).
func (s *SMTP) Send(ctx context.Context, msg Message) error {
	to, err := parseAddress(msg.To)
	if err != nil {
		return onboardkit.ValidationError(onboardkit.FieldError{Field: "to", Code: onboardkit.FieldInvalid, Message: "The email address is not valid."})
	}
	data, err := s.compose(to, msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	return s.deliver(ctx, to.Address, data)
}

// compose builds the message: headers with CRLF line ends, then the body as
// UTF-8 quoted-printable text.
func (s *SMTP) compose(to *mail.Address, msg Message) ([]byte, error) {
	var id [12]byte
	if _, err := io.ReadFull(s.cfg.rand, id[:]); err != nil {
		return nil, fmt.Errorf("otp: smtp: message id: %w", err)
	}
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", s.from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(msg.Subject)))
	header("Date", s.cfg.clock.Now().Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(msg.Body, "\r\n", "\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

// oneLine replaces control characters (line breaks included) by spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func (s *SMTP) tlsConfig() *tls.Config {
	if s.cfg.tlsConfig == nil {
		return &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	}
	c := s.cfg.tlsConfig.Clone()
	if c.ServerName == "" {
		c.ServerName = s.host
	}
	return c
}

func (s *SMTP) deliver(ctx context.Context, rcpt string, data []byte) (err error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.addr)
	if err != nil {
		return fmt.Errorf("otp: smtp: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if s.cfg.implicitTLS {
		conn = tls.Client(conn, s.tlsConfig())
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("otp: smtp: %w", err)
	}
	defer c.Close()
	wrap := func(step string, err error) error { return fmt.Errorf("otp: smtp: %s: %w", step, err) }
	if err := c.Hello(s.cfg.helloName); err != nil {
		return wrap("hello", err)
	}
	if !s.cfg.implicitTLS {
		switch ok, _ := c.Extension("STARTTLS"); {
		case ok:
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return wrap("starttls", err)
			}
		case !s.cfg.plaintext:
			return ErrSMTPNoTLS
		}
	}
	if s.cfg.username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.username, s.cfg.password, s.host)); err != nil {
			return wrap("auth", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return wrap("mail", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return wrap("rcpt", err)
	}
	w, err := c.Data()
	if err != nil {
		return wrap("data", err)
	}
	if _, err := w.Write(data); err != nil {
		return wrap("data", err)
	}
	if err := w.Close(); err != nil {
		return wrap("data", err)
	}
	if err := c.Quit(); err != nil {
		return wrap("quit", err)
	}
	return nil
}
