package otp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
)

var (
	_ SMSSender   = (*Outbox)(nil)
	_ EmailSender = (*Outbox)(nil)
	_ SMSSender   = (*Twilio)(nil)
	_ EmailSender = (*SMTP)(nil)
	_ SMSSender   = SenderFunc(nil)
)

func TestSenderFunc(t *testing.T) {
	var got Message
	f := SenderFunc(func(_ context.Context, m Message) error { got = m; return nil })
	must(t, f.Send(context.Background(), Message{To: "x"}))
	eq(t, got.To, "x")
}

func TestOutbox(t *testing.T) {
	var buf bytes.Buffer
	clock := clocktest.Default()
	o := NewOutbox(&buf, WithOutboxClock(clock))
	ctx := context.Background()
	must(t, o.Send(ctx, Message{Channel: ChannelSMS, To: phone, Purpose: PurposeLogin, Code: "123456", Body: "Your code is 123456"}))
	clock.Advance(time.Second)
	must(t, o.Send(ctx, Message{Channel: ChannelEmail, To: "a@example.com", Purpose: PurposeEmailConfirmation, Code: "654321", Body: "line1\nline2 \"q\"", Subject: "S"}))
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	eq(t, len(lines), 2)
	eq(t, lines[0], `{"channel":"sms","to":"+33614125910","purpose":"login","code":"123456","body":"Your code is 123456","sentAt":"2026-01-02T03:04:05Z"}`)
	var l OutboxLine
	dec := json.NewDecoder(strings.NewReader(lines[1]))
	dec.DisallowUnknownFields()
	must(t, dec.Decode(&l))
	eq(t, l, OutboxLine{Channel: ChannelEmail, To: "a@example.com", Purpose: PurposeEmailConfirmation, Code: "654321", Body: "line1\nline2 \"q\"", SentAt: "2026-01-02T03:04:06Z"})

	// Concurrent sends never interleave.
	buf.Reset()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			must(t, o.Send(ctx, Message{Channel: ChannelSMS, To: phone, Code: fmt.Sprint(i), Body: strings.Repeat("x", 500)}))
		}(i)
	}
	wg.Wait()
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		must(t, json.Unmarshal(sc.Bytes(), &l))
		n++
	}
	eq(t, n, 20)
	isTrue(t, NewOutbox(failWriter{}).Send(ctx, Message{}) != nil)
	isTrue(t, NewOutbox(failWriter{}, WithOutboxClock(nil)).clock != nil, "nil clock means the system clock")
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestTwilio(t *testing.T) {
	var got struct {
		method, path, ctype, user, pass string
		form                            map[string][]string
	}
	var status int
	var reply string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.ctype = r.Method, r.URL.Path, r.Header.Get("Content-Type")
		got.user, got.pass, _ = r.BasicAuth()
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		got.form = r.PostForm
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	defer srv.Close()
	ctx := context.Background()

	tw, err := NewTwilio("AC123", "tok", "+15005550006", WithTwilioBaseURL(srv.URL+"/"))
	must(t, err)
	status, reply = 201, `{"sid":"SM1","status":"queued"}`
	must(t, tw.Send(ctx, Message{To: phone, Body: "Your code is 123456"}))
	eq(t, got.method, "POST")
	eq(t, got.path, "/2010-04-01/Accounts/AC123/Messages.json")
	eq(t, got.ctype, "application/x-www-form-urlencoded")
	eq(t, got.user, "AC123")
	eq(t, got.pass, "tok")
	eq(t, got.form, map[string][]string{"To": {phone}, "From": {"+15005550006"}, "Body": {"Your code is 123456"}})

	tw, err = NewTwilio("AC123", "tok", "", WithTwilioMessagingServiceSID("MG9"), WithTwilioBaseURL(srv.URL))
	must(t, err)
	must(t, tw.Send(ctx, Message{To: phone, Body: "b"}))
	eq(t, got.form, map[string][]string{"To": {phone}, "MessagingServiceSid": {"MG9"}, "Body": {"b"}})

	status, reply = 400, `{"code":21211,"message":"The 'To' number +33614125910 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`
	err = tw.Send(ctx, Message{To: phone, Body: "b"})
	var te *TwilioError
	isTrue(t, errors.As(err, &te), err)
	eq(t, *te, TwilioError{Status: 400, Code: 21211, Message: "The 'To' number +33614125910 is not a valid phone number.", MoreInfo: "https://www.twilio.com/docs/errors/21211"})
	isTrue(t, !strings.Contains(err.Error(), phone), "no phone number in the error string")

	status, reply = 502, `<html>bad gateway</html>`
	err = tw.Send(ctx, Message{To: phone, Body: "b"})
	isTrue(t, errors.As(err, &te), err)
	eq(t, te.Status, 502)

	_, err = NewTwilio("", "", "")
	isTrue(t, err != nil)
	_, err = NewTwilio("a", "b", "c", WithTwilioMessagingServiceSID("d"))
	isTrue(t, err != nil, "both From and MessagingServiceSID")

	// A custom HTTP client sends the requests.
	var used atomic.Bool
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Store(true)
		return http.DefaultTransport.RoundTrip(r)
	})}
	status, reply = 201, `{}`
	tw, err = NewTwilio("AC123", "tok", "+1", WithTwilioBaseURL(srv.URL), WithTwilioHTTPClient(hc))
	must(t, err)
	must(t, tw.Send(ctx, Message{To: phone, Body: "b"}))
	isTrue(t, used.Load(), "WithTwilioHTTPClient")
}

func TestTwilioTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	tw, err := NewTwilio("AC1", "t", "+1", WithTwilioBaseURL(srv.URL), WithTwilioTimeout(50*time.Millisecond))
	must(t, err)
	err = tw.Send(context.Background(), Message{To: phone, Body: "b"})
	isTrue(t, errors.Is(err, context.DeadlineExceeded), err)
}

// smtpTLS is how a fakeSMTP offers TLS.
type smtpTLS int

const (
	smtpPlain     smtpTLS = iota // no TLS: STARTTLS is not offered
	smtpStartTLS                 // STARTTLS offered
	smtpImplicit                 // TLS from the first byte (port 465)
	smtpBrokenTLS                // STARTTLS offered, then refused
)

// fakeSMTP is a tiny SMTP server on 127.0.0.1 speaking enough of RFC 5321 for
// net/smtp: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
type fakeSMTP struct {
	ln       net.Listener
	mode     smtpTLS
	cert     tls.Certificate
	failRcpt atomic.Bool
	mu       sync.Mutex
	auth     string // decoded PLAIN credentials
	from, to string
	data     string
	cmds     []string
	// secure lists, for each command, whether it came over TLS.
	secure []bool
}

// newFakeSMTPWith starts a fake server offering TLS as mode says, with a
// certificate for 127.0.0.1 that smtpRoots trusts.
func newFakeSMTPWith(t *testing.T, mode smtpTLS) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	f := &fakeSMTP{ln: ln, mode: mode, cert: testCert(t)}
	if mode == smtpImplicit {
		f.ln = tls.NewListener(ln, f.tlsConfig())
	}
	go f.serve()
	t.Cleanup(func() { ln.Close() })
	return f
}

func (f *fakeSMTP) tlsConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{f.cert}, MinVersion: tls.VersionTLS12}
}

var (
	certOnce sync.Once
	cert     tls.Certificate
	certErr  error
)

// testCert returns a self-signed certificate for 127.0.0.1 (made once).
func testCert(t *testing.T) tls.Certificate {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			certErr = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake smtp"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			certErr = err
			return
		}
		cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
		cert.Leaf, certErr = x509.ParseCertificate(der)
	})
	must(t, certErr)
	return cert
}

// smtpRoots is a client TLS configuration trusting the fake servers.
func smtpRoots(t *testing.T) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(testCert(t).Leaf)
	return &tls.Config{RootCAs: pool}
}

func (f *fakeSMTP) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.session(c)
	}
}

func (f *fakeSMTP) session(c net.Conn) {
	defer func() { c.Close() }()
	_, secure := c.(*tls.Conn)
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 fake ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.cmds = append(f.cmds, line)
		f.secure = append(f.secure, secure)
		f.mu.Unlock()
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			tp.PrintfLine("250-fake")
			if !secure && (f.mode == smtpStartTLS || f.mode == smtpBrokenTLS) {
				tp.PrintfLine("250-STARTTLS")
			}
			tp.PrintfLine("250-AUTH PLAIN")
			tp.PrintfLine("250 8BITMIME")
		case "STARTTLS":
			if f.mode == smtpBrokenTLS || secure {
				tp.PrintfLine("454 TLS not available")
				continue
			}
			tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, f.tlsConfig())
			if tc.Handshake() != nil {
				return
			}
			c, secure, tp = tc, true, textproto.NewConn(tc)
		case "AUTH":
			parts := strings.Fields(line)
			b, _ := base64.StdEncoding.DecodeString(parts[len(parts)-1])
			f.mu.Lock()
			f.auth = string(b)
			f.mu.Unlock()
			tp.PrintfLine("235 ok")
		case "MAIL":
			f.mu.Lock()
			f.from = line
			f.mu.Unlock()
			tp.PrintfLine("250 ok")
		case "RCPT":
			if f.failRcpt.Load() {
				tp.PrintfLine("550 no such user")
				continue
			}
			f.mu.Lock()
			f.to = line
			f.mu.Unlock()
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go ahead")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.data = string(b)
			f.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 unknown")
		}
	}
}

func TestSMTP(t *testing.T) {
	f := newFakeSMTPWith(t, smtpStartTLS)
	clock := clocktest.Default()
	s, err := NewSMTP(f.ln.Addr().String(), "Onboard Kit <no-reply@onboardkit.dev>",
		WithSMTPAuth("user", "pass"), WithSMTPClock(clock), WithSMTPRand(&cycleReader{}), WithSMTPTLSConfig(smtpRoots(t)))
	must(t, err)
	body := "Votre code de vérification est 123456.\n\nLigne deux\n.\nfin " + strings.Repeat("x", 100)
	err = s.Send(context.Background(), Message{Channel: ChannelEmail, To: "alice@example.com", Subject: "Code de vérification", Body: body, Code: "123456"})
	must(t, err)
	f.mu.Lock()
	defer f.mu.Unlock()
	eq(t, f.auth, "\x00user\x00pass")
	eq(t, f.from, "MAIL FROM:<no-reply@onboardkit.dev> BODY=8BITMIME")
	eq(t, f.to, "RCPT TO:<alice@example.com>")
	eq(t, f.cmds[len(f.cmds)-1], "QUIT")
	eq(t, f.cmds[1], "STARTTLS")
	for i, c := range f.cmds[2:] {
		isTrue(t, f.secure[i+2], c, "after STARTTLS, over TLS")
	}
	msgText := f.data
	// ReadDotBytes turns CRLF into LF; check the header block.
	head, encoded, ok := strings.Cut(msgText, "\n\n")
	isTrue(t, ok, "header/body separator")
	hdr := map[string]string{}
	for _, l := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(l, ": ")
		hdr[k] = v
	}
	eq(t, hdr["From"], `"Onboard Kit" <no-reply@onboardkit.dev>`)
	eq(t, hdr["To"], "<alice@example.com>")
	subj, err := new(mime.WordDecoder).DecodeHeader(hdr["Subject"])
	must(t, err)
	eq(t, subj, "Code de vérification")
	eq(t, hdr["Date"], "Fri, 02 Jan 2026 03:04:05 +0000")
	eq(t, hdr["Message-ID"], "<000102030405060708090a0b@onboardkit.dev>")
	eq(t, hdr["Content-Type"], "text/plain; charset=UTF-8")
	eq(t, hdr["Content-Transfer-Encoding"], "quoted-printable")
	eq(t, hdr["MIME-Version"], "1.0")
	dec, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(encoded)))
	must(t, err)
	eq(t, strings.ReplaceAll(strings.TrimRight(string(dec), "\r\n"), "\r\n", "\n"), body)
}

func TestSMTPRawCRLF(t *testing.T) {
	s, err := NewSMTP("127.0.0.1:25", "a@example.com", WithSMTPClock(clocktest.Default()))
	must(t, err)
	to, _ := parseAddress("b@example.com")
	data, err := s.compose(to, Message{Subject: "Hi\r\nBcc: evil@example.com", Body: "one\ntwo\r\nthree"})
	must(t, err)
	text := string(data)
	isTrue(t, !strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n"), "every line ends in CRLF")
	isTrue(t, !strings.Contains(text, "\r\nBcc:"), "no injected header")
	isTrue(t, strings.Contains(text, "Subject: Hi  Bcc: evil@example.com\r\n"), text)
	isTrue(t, strings.HasSuffix(text, "one\r\ntwo\r\nthree\r\n"), text)
}

func TestSMTPErrors(t *testing.T) {
	f := newFakeSMTPWith(t, smtpStartTLS)
	s, err := NewSMTP(f.ln.Addr().String(), "a@example.com", WithSMTPTLSConfig(smtpRoots(t)))
	must(t, err)
	ctx := context.Background()
	for _, to := range []string{"", "not an address", "a@example.com\r\nBcc: x@example.com", "a@example.com, b@example.com"} {
		e := okErr(t, s.Send(ctx, Message{To: to}), onboardkit.CodeValidation)
		eq(t, e.Fields[0].Field, "to")
	}
	f.failRcpt.Store(true)
	err = s.Send(ctx, Message{To: "b@example.com", Subject: "s", Body: "b"})
	isTrue(t, err != nil && strings.Contains(err.Error(), "rcpt"), err)

	_, err = NewSMTP("nohost", "x\r\n@y", WithSMTPHelloName("two words"))
	isTrue(t, err != nil && strings.Contains(err.Error(), "address") && strings.Contains(err.Error(), "from") && strings.Contains(err.Error(), "hello"), err)

	// A dead server: a clear error, no hang.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	s, err = NewSMTP(addr, "a@example.com", WithSMTPTimeout(time.Second))
	must(t, err)
	isTrue(t, s.Send(ctx, Message{To: "b@example.com"}) != nil)
}

// TestSMTPRequiresTLS: by default a code is sent over TLS or not at all;
// WithSMTPPlaintext allows a server without STARTTLS (a local catcher).
func TestSMTPRequiresTLS(t *testing.T) {
	msg := Message{Channel: ChannelEmail, To: "alice@example.com", Subject: "Code", Body: "Your code is 428913", Code: "428913"}
	tests := []struct {
		name    string
		mode    smtpTLS
		opts    []SMTPOption
		wantErr string // "" for a delivery
		noTLS   bool   // the error wraps ErrSMTPNoTLS
		secure  bool   // the message went over TLS
	}{
		{"no STARTTLS offered: refused by default", smtpPlain, nil, "does not offer STARTTLS", true, false},
		{"no STARTTLS offered, auth configured: refused", smtpPlain, []SMTPOption{WithSMTPAuth("u", "p")}, "does not offer STARTTLS", true, false},
		{"no STARTTLS offered, plaintext allowed", smtpPlain, []SMTPOption{WithSMTPPlaintext()}, "", false, false},
		{"STARTTLS offered", smtpStartTLS, []SMTPOption{WithSMTPTLSConfig(smtpRoots(t))}, "", false, true},
		{"STARTTLS offered, plaintext allowed: TLS still used", smtpStartTLS, []SMTPOption{WithSMTPTLSConfig(smtpRoots(t)), WithSMTPPlaintext()}, "", false, true},
		{"STARTTLS with an untrusted certificate", smtpStartTLS, nil, "starttls", false, false},
		{"STARTTLS offered, then refused", smtpBrokenTLS, []SMTPOption{WithSMTPTLSConfig(smtpRoots(t)), WithSMTPPlaintext()}, "starttls", false, false},
		{"implicit TLS", smtpImplicit, []SMTPOption{WithSMTPImplicitTLS(), WithSMTPTLSConfig(smtpRoots(t))}, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSMTPWith(t, tt.mode)
			s, err := NewSMTP(f.ln.Addr().String(), "no-reply@onboardkit.dev", append(tt.opts, WithSMTPTimeout(5*time.Second))...)
			must(t, err)
			err = s.Send(context.Background(), msg)
			f.mu.Lock()
			defer f.mu.Unlock()
			if tt.wantErr == "" {
				must(t, err)
				isTrue(t, strings.Contains(f.data, "428913"), "delivered")
				for i, c := range f.cmds {
					if strings.HasPrefix(c, "MAIL") || strings.HasPrefix(c, "RCPT") {
						eq(t, f.secure[i], tt.secure, c)
					}
				}
				return
			}
			isTrue(t, err != nil && strings.Contains(err.Error(), tt.wantErr), err)
			eq(t, errors.Is(err, ErrSMTPNoTLS), tt.noTLS, err)
			for _, c := range f.cmds {
				isTrue(t, !strings.HasPrefix(c, "AUTH") && !strings.HasPrefix(c, "MAIL") && !strings.HasPrefix(c, "RCPT") && !strings.HasPrefix(c, "DATA"),
					"nothing of the message is sent without TLS:", c)
			}
			eq(t, f.data, "")
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
