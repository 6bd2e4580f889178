package memory

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// CreateUser stores a copy of u with Version 1 and sets u.Version. A taken
// id returns a *storage.DuplicateError with Field "id"; a verified phone or
// email (case-insensitive) that another user holds verified one with Field
// "phone" or "email".
func (s *Store) CreateUser(_ context.Context, u *storage.User) error {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	if _, ok := d.users[u.ID]; ok {
		return duplicate("id")
	}
	if err := d.checkUnique(u); err != nil {
		return err
	}
	c := u.Clone()
	c.Version = 1
	put(t, d.users, c.ID, c)
	d.indexUser(t, c)
	u.Version = 1
	return nil
}

// GetUser returns a copy of the user, or storage.ErrNotFound.
func (s *Store) GetUser(_ context.Context, id string) (*storage.User, error) {
	t := s.lock()
	defer s.unlock(t)
	u, ok := s.d.users[id]
	if !ok {
		return nil, notFound("user")
	}
	return u.Clone(), nil
}

// GetUserByPhone returns a copy of the user holding the exact phone
// verified, else of the most recently created user holding it unverified
// (greatest CreatedAt, then greatest id), else storage.ErrNotFound.
func (s *Store) GetUserByPhone(_ context.Context, phone string) (*storage.User, error) {
	t := s.lock()
	defer s.unlock(t)
	if u := s.d.holder(s.d.byPhone, phone, phoneVerified); u != nil {
		return u.Clone(), nil
	}
	return nil, notFound("user")
}

// GetUserByEmail is GetUserByPhone for an email, matched
// case-insensitively.
func (s *Store) GetUserByEmail(_ context.Context, email string) (*storage.User, error) {
	t := s.lock()
	defer s.unlock(t)
	if u := s.d.holder(s.d.byEmail, emailKey(email), emailVerified); u != nil {
		return u.Clone(), nil
	}
	return nil, notFound("user")
}

// UpdateUser replaces the stored user when its version equals u.Version and
// increments the version (and u.Version). It returns storage.ErrNotFound for
// an unknown id, storage.ErrConflict for a stale version and a
// *storage.DuplicateError for a verified phone or email another user holds
// verified.
func (s *Store) UpdateUser(_ context.Context, u *storage.User) error {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	old, ok := d.users[u.ID]
	if !ok {
		return notFound("user")
	}
	if old.Version != u.Version {
		return conflict("stale user version")
	}
	if err := d.checkUnique(u); err != nil {
		return err
	}
	c := u.Clone()
	c.Version = old.Version + 1
	put(t, d.users, c.ID, c)
	if old.Phone != c.Phone || emailKey(old.Email) != emailKey(c.Email) {
		d.unindexUser(t, old)
		d.indexUser(t, c)
	}
	u.Version = c.Version
	return nil
}

// emailKey is the key of an email in byEmail: emails match
// case-insensitively.
func emailKey(email string) string { return strings.ToLower(email) }

func phoneVerified(u *storage.User) bool { return u.PhoneVerified }
func emailVerified(u *storage.User) bool { return u.EmailVerified }

// checkUnique returns the *storage.DuplicateError storing u would cause: its
// phone or email verified while another user holds it verified.
func (d *data) checkUnique(u *storage.User) error {
	if u.PhoneVerified && d.takenVerified(d.byPhone, u.Phone, u.ID, phoneVerified) {
		return duplicate("phone")
	}
	if u.EmailVerified && d.takenVerified(d.byEmail, emailKey(u.Email), u.ID, emailVerified) {
		return duplicate("email")
	}
	return nil
}

// takenVerified reports whether a user other than self holds key verified.
// The empty key is "none" and is never taken.
func (d *data) takenVerified(index map[string][]string, key, self string, verified func(*storage.User) bool) bool {
	if key == "" {
		return false
	}
	for _, id := range index[key] {
		if id != self && verified(d.users[id]) {
			return true
		}
	}
	return false
}

// holder returns the stored user holding key verified, else the most
// recently created holder (greatest CreatedAt, then greatest id), else nil.
func (d *data) holder(index map[string][]string, key string, verified func(*storage.User) bool) *storage.User {
	if key == "" {
		return nil
	}
	var best *storage.User
	for _, id := range index[key] {
		u := d.users[id]
		if verified(u) {
			return u
		}
		if best == nil || u.CreatedAt.After(best.CreatedAt) || u.CreatedAt.Equal(best.CreatedAt) && u.ID > best.ID {
			best = u
		}
	}
	return best
}

// indexUser records u as a holder of its phone and email.
func (d *data) indexUser(t *txn, u *storage.User) {
	if u.Phone != "" {
		appendTo(t, d.byPhone, u.Phone, u.ID)
	}
	if e := emailKey(u.Email); e != "" {
		appendTo(t, d.byEmail, e, u.ID)
	}
}

// unindexUser forgets u as a holder of its phone and email.
func (d *data) unindexUser(t *txn, u *storage.User) {
	if u.Phone != "" {
		removeFrom(t, d.byPhone, u.Phone, u.ID)
	}
	if e := emailKey(u.Email); e != "" {
		removeFrom(t, d.byEmail, e, u.ID)
	}
}

// SetPassword makes hash the user's current password hash and keeps the
// newest keep hashes (at least 1) of the history.
func (s *Store) SetPassword(_ context.Context, userID, hash string, _ time.Time, keep int) error {
	t := s.lock()
	defer s.unlock(t)
	keep = max(keep, 1)
	old := s.d.passwords[userID]
	n := min(len(old)+1, keep)
	h := make([]string, n)
	h[0] = hash
	copy(h[1:], old)
	put(t, s.d.passwords, userID, h)
	return nil
}

// GetPassword returns the current hash, or storage.ErrNotFound.
func (s *Store) GetPassword(_ context.Context, userID string) (string, error) {
	t := s.lock()
	defer s.unlock(t)
	h := s.d.passwords[userID]
	if len(h) == 0 {
		return "", notFound("password")
	}
	return h[0], nil
}

// GetLogin returns the holder of the identifier, its current password hash
// and whether its TOTP enrollment is confirmed, under one lock.
func (s *Store) GetLogin(_ context.Context, by storage.LoginBy, value string) (*storage.Login, error) {
	t := s.lock()
	defer s.unlock(t)
	var u *storage.User
	switch by {
	case storage.LoginByEmail:
		u = s.d.holder(s.d.byEmail, emailKey(value), emailVerified)
	case storage.LoginByPhone:
		u = s.d.holder(s.d.byPhone, value, phoneVerified)
	case storage.LoginByID:
		u = s.d.users[value]
	}
	if u == nil {
		return nil, notFound("user")
	}
	l := &storage.Login{User: u.Clone()}
	if h := s.d.passwords[u.ID]; len(h) > 0 {
		l.PasswordHash = h[0]
	}
	if e, ok := s.d.totp[u.ID]; ok {
		l.TOTPConfirmed = e.Confirmed
	}
	l.Passkeys = len(s.d.userPasskeys[u.ID])
	return l, nil
}

// PasswordHistory returns up to limit hashes, newest first (all kept hashes
// when limit <= 0); an unknown user has an empty history.
func (s *Store) PasswordHistory(_ context.Context, userID string, limit int) ([]string, error) {
	t := s.lock()
	defer s.unlock(t)
	h := s.d.passwords[userID]
	if limit > 0 && len(h) > limit {
		h = h[:limit]
	}
	return append([]string{}, h...), nil
}

// SearchUsers returns copies of the users matching q, ordered by
// (CreatedAt, ID) ascending (ids in byte order, the zero CreatedAt first),
// starting strictly after q.After (from the start when it is zero), at
// most q.Limit of them (all when Limit <= 0). A Phone or Email in q reads
// the holders of that identifier only; other queries scan every user.
func (s *Store) SearchUsers(_ context.Context, q storage.UserQuery) ([]*storage.User, error) {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	var ids []string
	switch {
	case q.Phone != "":
		ids = d.byPhone[q.Phone]
	case q.Email != "":
		ids = d.byEmail[emailKey(q.Email)]
	default:
		ids = slices.Collect(maps.Keys(d.users))
	}
	after := !q.After.CreatedAt.IsZero() || q.After.ID != ""
	var out []*storage.User
	for _, id := range ids {
		u := d.users[id]
		if matches(u, &q) && (!after || compareUserOrder(u, q.After) > 0) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *storage.User) int {
		return compareUserOrder(a, storage.UserCursor{CreatedAt: b.CreatedAt, ID: b.ID})
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	for i, u := range out {
		out[i] = u.Clone()
	}
	if out == nil {
		out = []*storage.User{}
	}
	return out, nil
}

// matches reports whether u passes the filters of q (not its cursor).
func matches(u *storage.User, q *storage.UserQuery) bool {
	return (q.Status == "" || u.Status == q.Status) &&
		(q.KYCStatus == "" || u.KYCStatus == q.KYCStatus) &&
		(q.Phone == "" || u.Phone == q.Phone) &&
		(q.Email == "" || emailKey(u.Email) == emailKey(q.Email)) &&
		(q.CreatedFrom.IsZero() || !u.CreatedAt.Before(q.CreatedFrom)) &&
		(q.CreatedTo.IsZero() || u.CreatedAt.Before(q.CreatedTo))
}

// compareUserOrder compares u with the position c in the order of
// SearchUsers: CreatedAt, then ID in byte order.
func compareUserOrder(u *storage.User, c storage.UserCursor) int {
	if n := u.CreatedAt.Compare(c.CreatedAt); n != 0 {
		return n
	}
	return strings.Compare(u.ID, c.ID)
}
