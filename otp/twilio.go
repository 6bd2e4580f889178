package otp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// twilioConfig is what NewTwilio's arguments and TwilioOptions set.
type twilioConfig struct {
	accountSID, authToken string
	from                  string
	messagingServiceSID   string
	baseURL               string
	httpClient            *http.Client
	timeout               time.Duration
}

// TwilioOption configures a Twilio sender.
type TwilioOption func(*twilioConfig)

// WithTwilioMessagingServiceSID sends from a Messaging Service instead of a
// phone number; NewTwilio's from must then be empty.
func WithTwilioMessagingServiceSID(sid string) TwilioOption {
	return func(c *twilioConfig) { c.messagingServiceSID = sid }
}

// WithTwilioBaseURL sets the API root (default "https://api.twilio.com");
// tests point it at an httptest server.
func WithTwilioBaseURL(baseURL string) TwilioOption {
	return func(c *twilioConfig) { c.baseURL = baseURL }
}

// WithTwilioHTTPClient sets the client that sends the requests (default a
// client with the timeout).
func WithTwilioHTTPClient(hc *http.Client) TwilioOption {
	return func(c *twilioConfig) { c.httpClient = hc }
}

// WithTwilioTimeout bounds one request (default 10 s).
func WithTwilioTimeout(d time.Duration) TwilioOption {
	return func(c *twilioConfig) { c.timeout = d }
}

// Twilio is an SMSSender that posts to the Twilio Messages API
// (POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json).
type Twilio struct {
	cfg      twilioConfig
	endpoint string
}

// TwilioError is a request Twilio refused, decoded from its error JSON. Its
// Error string holds the status and Twilio's error code only: Message may
// quote the phone number and is kept for operators.
type TwilioError struct {
	// Status is the HTTP status.
	Status int `json:"status"`
	// Code is Twilio's error code (21211 invalid To number, 21610
	// unsubscribed recipient, 20003 authentication, ...).
	Code int `json:"code"`
	// Message is Twilio's explanation.
	Message string `json:"message"`
	// MoreInfo links to Twilio's documentation of Code.
	MoreInfo string `json:"more_info"`
}

// Error implements error.
func (e *TwilioError) Error() string {
	return "otp: twilio: status " + strconv.Itoa(e.Status) + ", error " + strconv.Itoa(e.Code)
}

// NewTwilio returns a Twilio sender authenticating with accountSID and
// authToken (HTTP basic auth, both required) and sending from the phone
// number from, or from a Messaging Service (WithTwilioMessagingServiceSID,
// with from empty): exactly one of the two is required. It returns an error
// listing every invalid setting.
func NewTwilio(accountSID, authToken, from string, opts ...TwilioOption) (*Twilio, error) {
	cfg := twilioConfig{accountSID: accountSID, authToken: authToken, from: from}
	for _, o := range opts {
		o(&cfg)
	}
	var errs []error
	if cfg.accountSID == "" || cfg.authToken == "" {
		errs = append(errs, errors.New("otp: twilio: the account SID and the auth token are required"))
	}
	if (cfg.from == "") == (cfg.messagingServiceSID == "") {
		errs = append(errs, errors.New("otp: twilio: set exactly one of from and WithTwilioMessagingServiceSID"))
	}
	if cfg.baseURL == "" {
		cfg.baseURL = "https://api.twilio.com"
	}
	if _, err := url.Parse(cfg.baseURL); err != nil {
		errs = append(errs, fmt.Errorf("otp: twilio: base URL: %w", err))
	}
	if cfg.timeout <= 0 {
		cfg.timeout = 10 * time.Second
	}
	if cfg.httpClient == nil {
		cfg.httpClient = &http.Client{Timeout: cfg.timeout}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Twilio{
		cfg:      cfg,
		endpoint: strings.TrimRight(cfg.baseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.accountSID) + "/Messages.json",
	}, nil
}

// Send posts msg.Body to msg.To. A non-2xx answer returns a *TwilioError.
func (t *Twilio) Send(ctx context.Context, msg Message) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.timeout)
	defer cancel()
	form := url.Values{}
	form.Set("To", msg.To)
	if t.cfg.messagingServiceSID != "" {
		form.Set("MessagingServiceSid", t.cfg.messagingServiceSID)
	} else {
		form.Set("From", t.cfg.from)
	}
	form.Set("Body", msg.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("otp: twilio: %w", err)
	}
	req.SetBasicAuth(t.cfg.accountSID, t.cfg.authToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := t.cfg.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("otp: twilio: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	te := &TwilioError{}
	if json.Unmarshal(body, te) != nil || te.Status == 0 {
		te.Status = resp.StatusCode
	}
	return te
}
