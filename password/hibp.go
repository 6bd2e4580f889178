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

// HIBPOptions configures an [HIBPClient]. The zero value gives the defaults.
type HIBPOptions struct {
	// BaseURL is the Pwned Passwords API root; "" means
	// "https://api.pwnedpasswords.com". Requests go to {BaseURL}/range/{prefix}.
	BaseURL string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Timeout bounds one check; 0 means 2 seconds.
	Timeout time.Duration
	// MinCount is how many times a password must have been seen to count as
	// breached; 0 means 1.
	MinCount int
	// FailClosed makes Breached return the error when the service cannot be
	// reached or answers badly, so that the policy refuses to accept the
	// password for now (code unavailable). By default the client fails
	// open: it reports "not breached" and the password is judged on the
	// other rules.
	FailClosed bool
	// OnError, when set, is called with every failure (also when failing
	// open), for logging. The error never contains the password.
	OnError func(error)
	// UserAgent is sent as User-Agent; "" means "onboardkit-password".
	UserAgent string
}

// HIBPClient is a [BreachChecker] over the Have I Been Pwned Pwned Passwords
// range API (k-anonymity): only the first 5 hex characters of the password's
// SHA-1 leave the process, with the Add-Padding header so that the response
// size does not reveal the prefix either. It is safe for concurrent use.
type HIBPClient struct {
	opts HIBPOptions
}

// NewHIBPClient returns a client with opts.
func NewHIBPClient(opts HIBPOptions) *HIBPClient {
	if opts.BaseURL == "" {
		opts.BaseURL = "https://api.pwnedpasswords.com"
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.MinCount <= 0 {
		opts.MinCount = 1
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "onboardkit-password"
	}
	return &HIBPClient{opts: opts}
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
		if c.opts.OnError != nil {
			c.opts.OnError(err)
		}
		if c.opts.FailClosed {
			return false, err
		}
		return false, nil
	}
	return found, nil
}

func (c *HIBPClient) lookup(ctx context.Context, prefix, suffix string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.opts.BaseURL+"/range/"+prefix, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	resp, err := c.opts.HTTPClient.Do(req)
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
		if count > 0 && count >= c.opts.MinCount && strings.EqualFold(s, suffix) {
			found = true
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return found, nil
}
