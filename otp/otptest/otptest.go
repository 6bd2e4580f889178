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
	"sync"

	"github.com/onboardkit/onboardkit/otp"
)

// Recorder is an in-memory sender for tests and examples: it records every
// message and can be told to fail. It implements otp.SMSSender and
// otp.EmailSender and is safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	msgs     []otp.Message
	fail     error
	failNext []error
}

// NewRecorder returns an empty Recorder that accepts every message.
func NewRecorder() *Recorder { return &Recorder{} }

// Send records msg, or returns the configured failure without recording it.
func (r *Recorder) Send(ctx context.Context, msg otp.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failNext) > 0 {
		err := r.failNext[0]
		r.failNext = r.failNext[1:]
		return err
	}
	if r.fail != nil {
		return r.fail
	}
	r.msgs = append(r.msgs, msg)
	return nil
}

// FailWith makes every later Send return err until FailWith(nil).
func (r *Recorder) FailWith(err error) {
	r.mu.Lock()
	r.fail = err
	r.mu.Unlock()
}

// FailNext makes the next Send (only) return err.
func (r *Recorder) FailNext(err error) {
	r.mu.Lock()
	r.failNext = append(r.failNext, err)
	r.mu.Unlock()
}

// Messages returns a copy of the recorded messages, oldest first.
func (r *Recorder) Messages() []otp.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]otp.Message(nil), r.msgs...)
}

// Len returns how many messages were recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// Last returns the newest message sent to the destination, or the zero
// Message when there is none.
func (r *Recorder) Last(to string) otp.Message {
	m, _ := r.LastOK(to)
	return m
}

// LastOK is Last that also reports whether a message was found.
func (r *Recorder) LastOK(to string) (otp.Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		if r.msgs[i].To == to {
			return r.msgs[i], true
		}
	}
	return otp.Message{}, false
}

// LastCode returns the code of the newest message sent to the destination,
// or "" when there is none.
func (r *Recorder) LastCode(to string) string { return r.Last(to).Code }

// Reset forgets the recorded messages and the configured failures.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.msgs, r.fail, r.failNext = nil, nil, nil
	r.mu.Unlock()
}
