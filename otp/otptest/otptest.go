// Package otptest provides test helpers for hosts of package otp: a
// [Recorder] that stands for the SMS and email providers, so that a test can
// read the codes a Manager sent and make deliveries fail.
//
//	rec := otptest.NewRecorder()
//	m, _ := otp.NewManager(store, key, otp.Senders{SMS: rec, Email: rec}, otp.Config{}, rt)
//	...
//	code := rec.LastCode("+33614125910")
//
// For a settable clock, see package github.com/onboardkit/onboardkit/clocktest.
package otptest

import (
	"context"

	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/otp/internal/sendlog"
)

// Recorder is an in-memory sender for tests and examples: it records every
// message and can be told to fail. It implements otp.SMSSender and
// otp.EmailSender and is safe for concurrent use.
type Recorder struct {
	log sendlog.Log[otp.Message]
}

// NewRecorder returns an empty Recorder that accepts every message.
func NewRecorder() *Recorder { return &Recorder{} }

// Send records msg, or returns the configured failure without recording it.
func (r *Recorder) Send(ctx context.Context, msg otp.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.log.Record(msg)
}

// FailWith makes every later Send return err until FailWith(nil).
func (r *Recorder) FailWith(err error) { r.log.FailWith(err) }

// FailNext makes the next Send (only) return err.
func (r *Recorder) FailNext(err error) { r.log.FailNext(err) }

// Messages returns a copy of the recorded messages, oldest first.
func (r *Recorder) Messages() []otp.Message { return r.log.Messages() }

// Len returns how many messages were recorded.
func (r *Recorder) Len() int { return r.log.Len() }

// Last returns the newest message sent to the destination, or the zero
// Message when there is none.
func (r *Recorder) Last(to string) otp.Message {
	m, _ := r.LastOK(to)
	return m
}

// LastOK is Last that also reports whether a message was found.
func (r *Recorder) LastOK(to string) (otp.Message, bool) {
	return r.log.Newest(func(m otp.Message) bool { return m.To == to })
}

// LastCode returns the code of the newest message sent to the destination,
// or "" when there is none.
func (r *Recorder) LastCode(to string) string { return r.Last(to).Code }

// Reset forgets the recorded messages and the configured failures.
func (r *Recorder) Reset() { r.log.Reset() }
