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

// TwilioConfig configures a Twilio SMS sender.
type TwilioConfig struct {
	// AccountSID and AuthToken authenticate (HTTP basic auth). Required.
	AccountSID string
	AuthToken  string
	// From is the sending phone number; MessagingServiceSID a Messaging
	// Service to send from instead. Exactly one is required.
	From                string
	MessagingServiceSID string
	// BaseURL is the API root (default "https://api.twilio.com"); tests point
	// it at an httptest server.
	BaseURL string
	// HTTPClient sends the requests (default a client with Timeout).
	HTTPClient *http.Client
	// Timeout bounds one request (default 10 s).
	Timeout time.Duration
}

// Twilio is an SMSSender that posts to the Twilio Messages API
// (POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json).
type Twilio struct {
	cfg      TwilioConfig
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

// NewTwilio returns a Twilio sender, or an error listing missing settings.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	var errs []error
	if cfg.AccountSID == "" || cfg.AuthToken == "" {
		errs = append(errs, errors.New("otp: twilio: AccountSID and AuthToken are required"))
	}
	if (cfg.From == "") == (cfg.MessagingServiceSID == "") {
		errs = append(errs, errors.New("otp: twilio: set exactly one of From and MessagingServiceSID"))
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.twilio.com"
	}
	if _, err := url.Parse(cfg.BaseURL); err != nil {
		errs = append(errs, fmt.Errorf("otp: twilio: BaseURL: %w", err))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.Timeout}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Twilio{
		cfg:      cfg,
		endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json",
	}, nil
}

// Send posts msg.Body to msg.To. A non-2xx answer returns a *TwilioError.
func (t *Twilio) Send(ctx context.Context, msg Message) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	form := url.Values{}
	form.Set("To", msg.To)
	if t.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", t.cfg.MessagingServiceSID)
	} else {
		form.Set("From", t.cfg.From)
	}
	form.Set("Body", msg.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("otp: twilio: %w", err)
	}
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := t.cfg.HTTPClient.Do(req)
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
