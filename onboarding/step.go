// This file owns what every step shares: the unit of work a step runs in
// (its writes and the events it raises commit together; the hooks see the
// events after commit), ids and time from the injected Runtime, and the one
// translation of storage errors into the module's typed errors.

package onboarding

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// core is the part of the Service every component embeds.
type core struct {
	store storage.Store
	flow  Flow
	rt    onboardkit.Runtime
	log   *slog.Logger
	hooks []Hook
	tel   *telemetry
	// down is set while the store is unreachable, so an outage is logged
	// once, and its end once.
	down atomic.Bool
}

// unavailableRetry is the Retry-After of an unavailable error: how long a
// client should wait before retrying while the store cannot be reached.
const unavailableRetry = 5 * time.Second

// unit is one run of a step's unit of work: the transaction's store and the
// events the step raises in it.
type unit struct {
	storage.Store
	// later is the write-behind view of the unit (storage.Behind): the
	// appends and fresh inserts a step makes through it go to the store
	// with the unit's next statement or its commit, sparing a round trip
	// each. Their failure fails the step, which is what a step does with
	// them anyway; writes whose errors a step handles go through Store.
	later  storage.Store
	c      *core
	events []Event
}

// raise adds an event to the unit; it is recorded with the unit's writes.
func (u *unit) raise(typ, userID string, kv ...string) {
	u.events = append(u.events, u.c.event(typ, userID, kv...))
}

// step runs fn in one unit of work: its writes and the events it raised
// commit together, and after commit the events go to the hooks. The store
// may run fn more than once (a retried serialization failure): each run
// starts with no events. Errors are translated by storeErr.
func (c *core) step(ctx context.Context, op string, fn func(ctx context.Context, u *unit) error) error {
	var committed []Event
	start := c.rt.Clock.Now()
	defer func() {
		c.tel.unitSeconds.Record(ctx, c.rt.Clock.Now().Sub(start).Seconds(), metric.WithAttributes(attribute.String("op", op)))
	}()
	err := c.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		u := &unit{Store: tx, later: storage.Behind(tx), c: c}
		if err := fn(ctx, u); err != nil {
			return err
		}
		if err := c.record(ctx, u.later, u.events...); err != nil {
			return err
		}
		committed = u.events
		return nil
	})
	if err != nil {
		return c.storeErr(ctx, op, err)
	}
	c.reachable(ctx)
	c.emit(ctx, committed...)
	return nil
}

// reachable notes that the store answered; the first answer after an outage
// is logged.
func (c *core) reachable(ctx context.Context) {
	if c.down.Load() && c.down.Swap(false) {
		c.log.InfoContext(ctx, "onboarding: store reachable again")
	}
}

// audit records events outside any step (the events of steps that fail,
// such as login.failed) and emits them. A failed append is logged.
func (c *core) audit(ctx context.Context, evs ...Event) {
	if err := c.record(ctx, c.store, evs...); err != nil {
		c.log.ErrorContext(ctx, "onboarding: audit append failed", slog.String("error", err.Error()))
	}
	c.emit(ctx, evs...)
}

// event builds an event at the current time.
func (c *core) event(typ, userID string, kv ...string) Event {
	e := Event{Type: typ, UserID: userID, At: c.now()}
	if len(kv) > 0 {
		e.Data = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Data[kv[i]] = kv[i+1]
		}
	}
	return e
}

// record appends events to the audit log of st.
func (c *core) record(ctx context.Context, st storage.Store, evs ...Event) error {
	for _, e := range evs {
		id, err := c.newID()
		if err != nil {
			return err
		}
		if err := st.AppendEvent(ctx, &storage.Event{ID: id, Type: e.Type, UserID: e.UserID, At: e.At, Data: e.Data}); err != nil {
			return err
		}
	}
	return nil
}

// emit runs the hooks for events that committed. A failing hook is logged.
func (c *core) emit(ctx context.Context, evs ...Event) {
	c.countEvents(ctx, evs...)
	for _, e := range evs {
		for _, h := range c.hooks {
			if err := h(ctx, e); err != nil {
				c.log.WarnContext(ctx, "onboarding: event hook failed",
					slog.String("event", e.Type), slog.String("user_id", e.UserID), slog.String("error", err.Error()))
			}
		}
	}
}

// now returns the current time from the injected clock, in UTC.
func (c *core) now() time.Time { return c.rt.Now() }

// newID returns a random UUID (version 4) from the injected random source.
func (c *core) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(c.rt.Rand, b[:]); err != nil {
		return "", fmt.Errorf("onboarding: random id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// validID reports whether id has the shape of the ids newID makes (a
// lower-case UUID). Ids from clients are checked before they reach the
// store, so no input (a NUL byte, a megabyte) can make the store fail: a
// malformed id is simply not found.
func validID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// newIDs returns n random UUIDs.
func (c *core) newIDs(n int) ([]string, error) {
	ids := make([]string, n)
	for i := range ids {
		var err error
		if ids[i], err = c.newID(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// signal is an error a step returns to steer its caller (a decision already
// recorded, a plan to prepare again); storeErr passes it through untouched.
type signal string

func (s signal) Error() string { return string(s) }

// storeErr is the one translation of failures into what a step returns:
// typed errors and context errors pass through; a missing record is
// not_found; a taken phone or email is identifier_taken and a taken
// portfolio name name_taken; a full send window is send_limit; a lost
// optimistic update is conflict; anything else is logged and returned as
// an internal error whose message reveals nothing. A store that cannot be reached is unavailable (retry later, with
// RetryAfter); the outage is logged once, when it starts.
func (c *core) storeErr(ctx context.Context, op string, err error) error {
	var oe *onboardkit.Error
	var dup *storage.DuplicateError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &oe), errors.As(err, new(signal)),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, new(onboardkit.Code)):
		return onboardkit.AsError(err)
	case errors.Is(err, storage.ErrNotFound):
		return onboardkit.CodeNotFound.Err()
	case errors.As(err, &dup) && (dup.Field == "phone" || dup.Field == "email"):
		return onboardkit.CodeIdentifierTaken.Err()
	case errors.As(err, &dup) && dup.Field == "name":
		return portfolio.NameTakenError()
	case errors.Is(err, storage.ErrSendLimit):
		// A proven send refused when its deferred count ran (the unit that
		// issued it translates it with its RetryAfter: otp.Manager.Limited).
		return &onboardkit.Error{Code: onboardkit.CodeSendLimit, Message: onboardkit.CodeSendLimit.Message(), Err: err}
	case errors.Is(err, storage.ErrConflict):
		return &onboardkit.Error{Code: onboardkit.CodeConflict, Message: onboardkit.CodeConflict.Message(), Err: err}
	case errors.Is(err, storage.ErrUnavailable):
		if !c.down.Swap(true) {
			c.log.ErrorContext(ctx, "onboarding: store unavailable; steps answer unavailable until it is back",
				slog.String("op", op), slog.String("error", err.Error()))
		}
		return &onboardkit.Error{Code: onboardkit.CodeUnavailable, Message: onboardkit.CodeUnavailable.Message(), RetryAfter: unavailableRetry, Err: err}
	}
	c.log.ErrorContext(ctx, "onboarding: "+op+" failed", slog.String("error", err.Error()))
	return &onboardkit.Error{Code: onboardkit.CodeInternal, Message: onboardkit.CodeInternal.Message(), Err: err}
}

// getUser reads a user, translating a failure; an erased user is not
// found.
func (c *core) getUser(ctx context.Context, id string) (*storage.User, error) {
	if !validID(id) {
		return nil, onboardkit.CodeNotFound.Err()
	}
	u, err := c.store.GetUser(ctx, id)
	return c.liveUser(ctx, u, err)
}

// liveUser translates the result of a read of a user by id (getUser's, or
// a read of the user with more): a failure as storeErr does, an erased
// user as not found.
func (c *core) liveUser(ctx context.Context, u *storage.User, err error) (*storage.User, error) {
	if err != nil {
		return nil, c.storeErr(ctx, "user lookup", err)
	}
	c.reachable(ctx)
	if Status(u.Status) == StatusErased {
		// Kept only for its retained KYC records: gone for every step.
		return nil, onboardkit.CodeNotFound.Err()
	}
	return u, nil
}

// pin reads the user in the unit, checks it (check's error is returned as
// is), and pins the version read: an UpdateUser of the same version,
// deferred to the unit's commit on the write-behind view. A step of the
// user that commits after the read (a confirmation, an erasure, a KYC
// submission: each updates the user) makes the pin fail, and the unit
// runs again and sees it; one that starts after waits for this unit where
// the store locks rows. Steps use it where what they write depends on the
// user's state without changing the user: a sign-up replacing a stale one,
// an erasure deciding what to keep, and writes that seal data for the user
// (they create the user's data key if it has none, which must not happen
// after an erasure destroyed it: an erased user is storage.ErrNotFound).
func (c *core) pin(ctx context.Context, tx *unit, id string, check func(u *storage.User) error) (*storage.User, error) {
	return rewriteUser(ctx, tx.later, id, check)
}

// asIs is the check of pin for a step that only needs the user's version
// held, whatever its state.
func asIs(*storage.User) error { return nil }

// live is the check of pin for a step that seals data for the user: an
// erased user (kept for retention) is not found.
func live(u *storage.User) error {
	if Status(u.Status) == StatusErased {
		return storage.ErrNotFound
	}
	return nil
}

// updateUser re-reads the user through st and applies fn until the
// versioned update succeeds (a bounded number of times). The stored tier is
// derived from the updated user's progress here, and nowhere else.
func (c *core) updateUser(ctx context.Context, st storage.Store, id string, fn func(u *storage.User) error) (*storage.User, error) {
	return rewriteUser(ctx, st, id, func(u *storage.User) error {
		if err := fn(u); err != nil {
			return err
		}
		u.KYCTier = string(ProgressOf(u).Tier())
		u.UpdatedAt = c.now()
		return nil
	})
}

// rewriteUser reads the user through st, applies fn and stores the result
// with a version check, from a fresh read again while the version is
// stale (a bounded number of times: a store that defers the update, such
// as the write-behind view, reports a stale one at commit instead, when
// the unit runs again).
func rewriteUser(ctx context.Context, st storage.Store, id string, fn func(u *storage.User) error) (*storage.User, error) {
	if !validID(id) {
		return nil, storage.ErrNotFound
	}
	for i := 0; ; i++ {
		u, err := st.GetUser(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := fn(u); err != nil {
			return nil, err
		}
		err = st.UpdateUser(ctx, u)
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, storage.ErrConflict) || i >= 4 {
			return nil, err
		}
	}
}

// fire moves u through trigger (see Flow.Fire).
func (c *core) fire(u *storage.User, trigger Trigger) error {
	to, err := c.flow.Fire(ProgressOf(u), trigger)
	if err != nil {
		return err
	}
	u.Status = string(to)
	return nil
}

// next returns the steps u must still complete.
func (c *core) next(u *storage.User) []Step { return c.flow.Next(ProgressOf(u)) }
