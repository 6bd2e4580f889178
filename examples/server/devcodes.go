// This file owns the development code endpoint: GET /dev/codes?to=…
// answers the last one-time code the development outbox "sent" to a
// phone number or an email address, so the demo web app can show it.
// It exists only when every SMS and email goes to the outbox (no
// -smtp-addr, no -twilio-account-sid): with a real sender the codes are
// the user's secret and no route shows them.

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit/otp"
)

// devCodesPath is the route of the development code endpoint.
const devCodesPath = "/dev/codes"

// devCodesKept bounds the messages the recorder remembers (the oldest
// are forgotten first).
const devCodesKept = 256

// devCodes is a sender that records what it forwards to the outbox, so
// that GET /dev/codes can answer the last code sent to a destination.
type devCodes struct {
	next otp.SMSSender // the outbox, also the email sender

	mu   sync.Mutex
	sent []devCode // oldest first, at most devCodesKept
}

// devCode is one recorded message, as GET /dev/codes answers it.
type devCode struct {
	Channel otp.Channel `json:"channel"`
	To      string      `json:"to"`
	Purpose otp.Purpose `json:"purpose"`
	Code    string      `json:"code"`
	SentAt  time.Time   `json:"sentAt"`
}

func newDevCodes(next otp.SMSSender) *devCodes { return &devCodes{next: next} }

// Send forwards msg to the outbox and, once it is written, records it.
func (d *devCodes) Send(ctx context.Context, msg otp.Message) error {
	if err := d.next.Send(ctx, msg); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.sent) == devCodesKept {
		d.sent = append(d.sent[:0], d.sent[1:]...)
	}
	d.sent = append(d.sent, devCode{Channel: msg.Channel, To: msg.To, Purpose: msg.Purpose, Code: msg.Code, SentAt: time.Now().UTC()})
	return nil
}

// last returns the last message sent to the destination to.
func (d *devCodes) last(to string) (devCode, bool) {
	want := canonicalDestination(to)
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.sent) - 1; i >= 0; i-- {
		if canonicalDestination(d.sent[i].To) == want {
			return d.sent[i], true
		}
	}
	return devCode{}, false
}

// canonicalDestination lets a phone number be asked for as the user typed
// it (the API accepts spaces, dots and dashes between digits) and an email
// address in any case.
func canonicalDestination(to string) string {
	to = strings.ToLower(strings.TrimSpace(to))
	if strings.Contains(to, "@") {
		return to
	}
	return strings.NewReplacer(" ", "", ".", "", "-", "").Replace(to)
}

// ServeHTTP answers GET /dev/codes?to=DESTINATION: 200 with the last
// message sent there ({channel, to, purpose, code, sentAt}), 404 when none
// was, 400 without to. Errors are problem details like the API's.
func (d *devCodes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	to := r.URL.Query().Get("to")
	if strings.TrimSpace(to) == "" {
		devProblem(w, http.StatusBadRequest, "malformed_request", "Give the phone number or email address: ?to=…")
		return
	}
	c, ok := d.last(to)
	if !ok {
		devProblem(w, http.StatusNotFound, "not_found", "No code was sent to this destination yet.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(c)
}

// devProblem writes an RFC 9457 problem as the API does.
func devProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "about:blank", "title": http.StatusText(status), "status": status, "code": code, "detail": detail,
	})
}
