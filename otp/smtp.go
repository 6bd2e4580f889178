package otp

import (
	"bytes"
	"context"
	"crypto/rand"
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

// SMTPConfig configures an SMTP email sender.
type SMTPConfig struct {
	// Addr is the server's "host:port". Required.
	Addr string
	// Username and Password enable PLAIN authentication when Username is set.
	// net/smtp refuses PLAIN over an unencrypted connection except to
	// localhost.
	Username string
	Password string
	// From is the sender address, "Name <addr@example.com>" or a bare
	// address. Required.
	From string
	// HelloName is the name sent in EHLO (default "localhost").
	HelloName string
	// TLSConfig is used for STARTTLS, which is used whenever the server
	// offers it, and for ImplicitTLS (default: ServerName from Addr).
	TLSConfig *tls.Config
	// ImplicitTLS connects with TLS from the start (port 465).
	ImplicitTLS bool
	// Timeout bounds one delivery (default 30 s).
	Timeout time.Duration
	// Clock stamps the Date header (default onboardkit.SystemClock).
	Clock onboardkit.Clock
	// Rand generates Message-IDs (default crypto/rand.Reader).
	Rand io.Reader
}

// SMTP is an EmailSender that delivers plain-text messages with net/smtp.
type SMTP struct {
	cfg  SMTPConfig
	host string
	from *mail.Address
}

// NewSMTP returns an SMTP sender, or an error listing invalid settings.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	var errs []error
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		errs = append(errs, fmt.Errorf("otp: smtp: Addr: %w", err))
	}
	from, err := parseAddress(cfg.From)
	if err != nil {
		errs = append(errs, fmt.Errorf("otp: smtp: From: %w", err))
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	} else if strings.ContainsAny(cfg.HelloName, "\r\n ") {
		errs = append(errs, errors.New("otp: smtp: HelloName must be one word"))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = onboardkit.SystemClock
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &SMTP{cfg: cfg, host: host, from: from}, nil
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
		return onboardkit.ValidationError(onboardkit.FieldError{Field: "to", Code: "invalid", Message: "The email address is not valid."})
	}
	data, err := s.compose(to, msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	return s.deliver(ctx, to.Address, data)
}

// compose builds the message: headers with CRLF line ends, then the body as
// UTF-8 quoted-printable text.
func (s *SMTP) compose(to *mail.Address, msg Message) ([]byte, error) {
	var id [12]byte
	if _, err := io.ReadFull(s.cfg.Rand, id[:]); err != nil {
		return nil, fmt.Errorf("otp: smtp: message id: %w", err)
	}
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", s.from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(msg.Subject)))
	header("Date", s.cfg.Clock.Now().Format(time.RFC1123Z))
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
	if s.cfg.TLSConfig != nil {
		return s.cfg.TLSConfig.Clone()
	}
	return &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
}

func (s *SMTP) deliver(ctx context.Context, rcpt string, data []byte) (err error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("otp: smtp: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if s.cfg.ImplicitTLS {
		conn = tls.Client(conn, s.tlsConfig())
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("otp: smtp: %w", err)
	}
	defer c.Close()
	wrap := func(step string, err error) error { return fmt.Errorf("otp: smtp: %s: %w", step, err) }
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return wrap("hello", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !s.cfg.ImplicitTLS {
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return wrap("starttls", err)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.host)); err != nil {
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
