package password

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// hibpConfig is what the HIBPOption functions set.
type hibpConfig struct {
	baseURL    string
	httpClient *http.Client
	timeout    time.Duration
	minCount   int
	failClosed bool
	onError    func(error)
	userAgent  string
}

// HIBPOption configures an [HIBPClient].
type HIBPOption func(*hibpConfig)

// WithHIBPBaseURL sets the Pwned Passwords API root (default
// "https://api.pwnedpasswords.com"). Requests go to {url}/range/{prefix}.
func WithHIBPBaseURL(url string) HIBPOption {
	return func(c *hibpConfig) { c.baseURL = strings.TrimRight(url, "/") }
}

// WithHIBPHTTPClient sets the client that sends the requests (default
// http.DefaultClient).
func WithHIBPHTTPClient(hc *http.Client) HIBPOption {
	return func(c *hibpConfig) { c.httpClient = hc }
}

// WithHIBPTimeout bounds one check (default 2 seconds).
func WithHIBPTimeout(d time.Duration) HIBPOption {
	return func(c *hibpConfig) { c.timeout = d }
}

// WithHIBPMinCount sets how many times a password must have been seen to
// count as breached (default 1).
func WithHIBPMinCount(n int) HIBPOption {
	return func(c *hibpConfig) { c.minCount = n }
}

// WithHIBPFailClosed makes Breached return the error when the service cannot
// be reached or answers badly, so that the policy refuses to accept the
// password for now (code unavailable). By default the client fails open: it
// reports "not breached" and the password is judged on the other rules.
func WithHIBPFailClosed() HIBPOption {
	return func(c *hibpConfig) { c.failClosed = true }
}

// WithHIBPOnError sets a function called with every failure (also when
// failing open), for logging. The error never contains the password.
func WithHIBPOnError(fn func(error)) HIBPOption {
	return func(c *hibpConfig) { c.onError = fn }
}

// WithHIBPUserAgent sets the User-Agent header (default
// "onboardkit-password").
func WithHIBPUserAgent(ua string) HIBPOption {
	return func(c *hibpConfig) { c.userAgent = ua }
}

// HIBPClient is a [BreachChecker] over the Have I Been Pwned Pwned Passwords
// range API (k-anonymity): only the first 5 hex characters of the password's
// SHA-1 leave the process, with the Add-Padding header so that the response
// size does not reveal the prefix either. It is safe for concurrent use.
type HIBPClient struct {
	opts hibpConfig
}

// NewHIBPClient returns a client configured by opts.
func NewHIBPClient(opts ...HIBPOption) *HIBPClient {
	c := hibpConfig{
		baseURL:    "https://api.pwnedpasswords.com",
		httpClient: http.DefaultClient,
		timeout:    2 * time.Second,
		minCount:   1,
		userAgent:  "onboardkit-password",
	}
	for _, o := range opts {
		o(&c)
	}
	if c.httpClient == nil {
		c.httpClient = http.DefaultClient
	}
	if c.timeout <= 0 {
		c.timeout = 2 * time.Second
	}
	if c.minCount <= 0 {
		c.minCount = 1
	}
	return &HIBPClient{opts: c}
}

// maxHIBPBody bounds the response read (a padded answer is about 40 KB).
const maxHIBPBody = 4 << 20

// Breached reports whether password appears at least MinCount times in the
// Pwned Passwords corpus. Padding entries (count 0) are ignored. On failure
// it returns false and nil, or false and the error when FailClosed.
func (c *HIBPClient) Breached(ctx context.Context, password string) (bool, error) {
	sum := sha1.Sum([]byte(password))
	var hexSum [40]byte
	hex.Encode(hexSum[:], sum[:])
	full := strings.ToUpper(string(hexSum[:]))
	prefix, suffix := full[:5], full[5:]

	found, err := c.lookup(ctx, prefix, suffix)
	if err != nil {
		err = fmt.Errorf("password: breach check: %w", err)
		if c.opts.onError != nil {
			c.opts.onError(err)
		}
		if c.opts.failClosed {
			return false, err
		}
		return false, nil
	}
	return found, nil
}

func (c *HIBPClient) lookup(ctx context.Context, prefix, suffix string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.opts.baseURL+"/range/"+prefix, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", c.opts.userAgent)
	resp, err := c.opts.httpClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return false, fmt.Errorf("unexpected status %d", resp.StatusCode)
	}
	return c.scan(io.LimitReader(resp.Body, maxHIBPBody), suffix)
}

var errBadHIBPLine = errors.New("malformed response line")

// scan reads "SUFFIX:COUNT" lines and reports whether suffix is present with
// a count of at least MinCount. It reads the whole body so that a malformed
// line anywhere is reported.
func (c *HIBPClient) scan(r io.Reader, suffix string) (bool, error) {
	sc := bufio.NewScanner(r)
	found := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		s, countStr, ok := strings.Cut(line, ":")
		if !ok || len(s) != 35 {
			return false, errBadHIBPLine
		}
		count, err := strconv.Atoi(strings.TrimSpace(countStr))
		if err != nil || count < 0 {
			return false, errBadHIBPLine
		}
		if count > 0 && count >= c.opts.minCount && strings.EqualFold(s, suffix) {
			found = true
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return found, nil
}
