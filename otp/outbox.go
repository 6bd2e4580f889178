package otp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit"
)

// Outbox is a development sender that appends one JSON line per message to a
// writer instead of delivering it:
//
//	{"channel":"sms","to":"+33614125910","purpose":"phone_confirmation","code":"123456","body":"…","sentAt":"2026-01-02T03:04:05Z"}
//
// It holds clear codes and destinations, so it must only be enabled
// explicitly in development. It implements SMSSender and EmailSender; writes
// are serialised by a mutex so that lines never interleave.
type Outbox struct {
	mu    sync.Mutex
	w     io.Writer
	clock onboardkit.Clock
}

// OutboxOption configures an Outbox.
type OutboxOption func(*Outbox)

// WithOutboxClock sets the clock that stamps the lines (default
// onboardkit.SystemClock).
func WithOutboxClock(clock onboardkit.Clock) OutboxOption {
	return func(o *Outbox) { o.clock = clock }
}

// NewOutbox returns an Outbox writing to w.
func NewOutbox(w io.Writer, opts ...OutboxOption) *Outbox {
	o := &Outbox{w: w}
	for _, opt := range opts {
		opt(o)
	}
	if o.clock == nil {
		o.clock = onboardkit.SystemClock
	}
	return o
}

// OutboxLine is the JSON object of one outbox line.
type OutboxLine struct {
	Channel Channel `json:"channel"`
	To      string  `json:"to"`
	Purpose Purpose `json:"purpose"`
	Code    string  `json:"code"`
	Body    string  `json:"body"`
	SentAt  string  `json:"sentAt"`
}

// Send appends msg as one JSON line.
func (o *Outbox) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	line, err := json.Marshal(OutboxLine{
		Channel: msg.Channel,
		To:      msg.To,
		Purpose: msg.Purpose,
		Code:    msg.Code,
		Body:    msg.Body,
		SentAt:  o.clock.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		return fmt.Errorf("otp: outbox: %w", err)
	}
	line = append(line, '\n')
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := o.w.Write(line); err != nil {
		return fmt.Errorf("otp: outbox: %w", err)
	}
	return nil
}
