// This file owns what operators do to users: lock and unlock, deactivate
// and reactivate verification, give roles and metadata, create accounts
// for a user, find users and read their audit trail. Every action names
// its Actor in the audit log (package httpapi: the key of the signed
// operator call).

package onboarding

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage"
)

// Actor names who performs an operator action, for the audit log: the
// public key of a signed operator call ("0x02…"), an administrator's id.
// It is neither a secret nor personal data. Operator actions refuse an
// empty Actor.
type Actor string

// data returns event data kv with the actor added when set.
func (a Actor) data(kv ...string) []string {
	if a == "" {
		return kv
	}
	return append(kv, "actor", string(a))
}

// errNoActor is the error of an operator action without an Actor.
var errNoActor = errors.New("onboarding: an operator action needs an Actor")

type operators struct {
	*core
	pii   *pii
	prov  *provisioning
	roles RolesConfig
	ids   identifiers
}

// act runs an operator action on one user in a unit of work: fn changes
// the user, then the event is raised with the actor.
func (o *operators) act(ctx context.Context, by Actor, userID, op, event string, fn func(ctx context.Context, tx *unit, u *storage.User) error, kv ...string) error {
	if by == "" {
		return errNoActor
	}
	if _, err := o.getUser(ctx, userID); err != nil {
		return err
	}
	return o.step(ctx, op, func(ctx context.Context, tx *unit) error {
		_, err := o.updateUser(ctx, tx, userID, func(u *storage.User) error { return fn(ctx, tx, u) })
		if err != nil {
			return err
		}
		tx.raise(event, userID, by.data(kv...)...)
		return nil
	})
}

// lock is Service.LockUser.
func (o *operators) lock(ctx context.Context, by Actor, userID string) error {
	now := o.now()
	return o.act(ctx, by, userID, "lock user", EventUserLocked, func(ctx context.Context, tx *unit, u *storage.User) error {
		if err := tx.RevokeUserSessions(ctx, userID, now); err != nil {
			return err
		}
		u.AdminLocked, u.TokensValidAfter = true, now
		return nil
	})
}

// unlock is Service.UnlockUser.
func (o *operators) unlock(ctx context.Context, by Actor, userID string) error {
	return o.act(ctx, by, userID, "unlock user", EventUserUnlocked, func(_ context.Context, _ *unit, u *storage.User) error {
		u.AdminLocked = false
		return nil
	})
}

// deactivate is Service.DeactivateUser.
func (o *operators) deactivate(ctx context.Context, by Actor, userID string) error {
	now := o.now()
	return o.act(ctx, by, userID, "deactivate user", EventKYCDeactivated, func(ctx context.Context, tx *unit, u *storage.User) error {
		if err := o.fire(u, TriggerKYCDeactivated); err != nil {
			return err
		}
		if err := kyc.Transition(ProgressOf(u).KYC, kyc.StatusInactive); err != nil {
			return err
		}
		u.KYCStatus = string(kyc.StatusInactive)
		_, err := tx.SetAccountsActive(ctx, userID, false, now)
		return err
	})
}

// reactivate is Service.ReactivateUser.
func (o *operators) reactivate(ctx context.Context, by Actor, userID string) error {
	return o.act(ctx, by, userID, "reactivate user", EventKYCReactivated, func(_ context.Context, _ *unit, u *storage.User) error {
		if err := o.fire(u, TriggerKYCReactivated); err != nil {
			return err
		}
		if err := kyc.Transition(ProgressOf(u).KYC, kyc.StatusUnderReview); err != nil {
			return err
		}
		u.KYCStatus = string(kyc.StatusUnderReview)
		return nil
	})
}

// setRoles is Service.SetRoles. Access tokens issued before are refused,
// so that the next refresh carries the new roles.
func (o *operators) setRoles(ctx context.Context, by Actor, userID string, roles []string) error {
	if fes := o.roles.checkRoles("roles", roles, false); len(fes) > 0 {
		return onboardkit.ValidationError(fes...)
	}
	roles = normalizeRoles(roles)
	now := o.now()
	return o.act(ctx, by, userID, "set roles", EventRolesChanged, func(_ context.Context, _ *unit, u *storage.User) error {
		u.Roles, u.TokensValidAfter = roles, now
		return nil
	}, "roles", strings.Join(roles, " "))
}

// setMetadata is Service.SetMetadata.
func (o *operators) setMetadata(ctx context.Context, by Actor, userID string, md map[string]string) error {
	if fes := checkMap("metadata", md); len(fes) > 0 {
		return onboardkit.ValidationError(fes...)
	}
	return o.act(ctx, by, userID, "set metadata", EventMetadataChanged, func(ctx context.Context, tx *unit, u *storage.User) error {
		if len(md) == 0 {
			u.Metadata = storage.Sealed{}
			return nil
		}
		var err error
		u.Metadata, err = o.pii.sealJSON(ctx, tx, userID, fieldMetadata, md)
		return err
	})
}

// UserQuery finds users (SearchUsers). Empty fields do not filter; Phone
// (E.164) and Email match exactly.
type UserQuery struct {
	Status      Status     `json:"status,omitempty"`
	KYCStatus   kyc.Status `json:"verificationStatus,omitempty"`
	Phone       string     `json:"phoneNumber,omitempty"`
	Email       string     `json:"email,omitempty"`
	CreatedFrom time.Time  `json:"createdFrom,omitzero"`
	CreatedTo   time.Time  `json:"createdTo,omitzero"`
	// Cursor is the NextCursor of the previous page ("" for the first).
	Cursor string `json:"cursor,omitempty"`
	// Limit is the page size: 1 to 100 (default 50).
	Limit int `json:"limit,omitempty"`
}

// UserPage is one page of SearchUsers, oldest user first. Pages read one
// after another list every user that existed at the first page exactly
// once, however many sign up meanwhile.
type UserPage struct {
	Users []UserSummary `json:"users"`
	// NextCursor reads the next page; empty on the last one.
	NextCursor string `json:"nextCursor,omitempty"`
}

// UserSummary is a user as operators see them in a search: contact
// details masked, no personal details.
type UserSummary struct {
	UserID        string     `json:"userId"`
	Status        Status     `json:"status"`
	KYCStatus     kyc.Status `json:"verificationStatus"`
	Tier          kyc.Tier   `json:"tier"`
	PhoneNumber   string     `json:"phoneNumber,omitempty"`
	PhoneVerified bool       `json:"phoneVerified"`
	Email         string     `json:"email,omitempty"`
	EmailVerified bool       `json:"emailVerified"`
	Locked        bool       `json:"locked"`
	Roles         []string   `json:"roles"`
	CreatedAt     time.Time  `json:"createdAt"`
}

const (
	defaultPageSize = 50
	maxPageSize     = 100
)

// pageSize checks a requested page size.
func pageSize(n int) (int, *onboardkit.FieldError) {
	switch {
	case n == 0:
		return defaultPageSize, nil
	case n < 1 || n > maxPageSize:
		return 0, &onboardkit.FieldError{Field: "limit", Code: onboardkit.FieldOutOfRange, Message: fmt.Sprintf("Use 1 to %d.", maxPageSize)}
	}
	return n, nil
}

// storageQuery checks q and returns it for the store.
func (o *operators) storageQuery(q UserQuery) (storage.UserQuery, error) {
	var problems []onboardkit.FieldError
	sq := storage.UserQuery{Status: string(q.Status), KYCStatus: string(q.KYCStatus), CreatedFrom: q.CreatedFrom, CreatedTo: q.CreatedTo}
	if q.Status != "" && !knownStatus(q.Status) {
		problems = append(problems, onboardkit.FieldError{Field: "status", Code: onboardkit.FieldInvalidEnum, Message: "Use a registration status."})
	}
	if q.KYCStatus != "" {
		if _, err := kyc.ParseStatus(string(q.KYCStatus)); err != nil {
			problems = append(problems, onboardkit.FieldError{Field: "verificationStatus", Code: onboardkit.FieldInvalidEnum, Message: "Use a verification status."})
		}
	}
	if q.Phone != "" {
		var fe *onboardkit.FieldError
		if sq.Phone, fe = o.ids.signUpPhone("phoneNumber", q.Phone); fe != nil {
			problems = append(problems, *fe)
		}
	}
	if q.Email != "" {
		var fe *onboardkit.FieldError
		if sq.Email, fe = normalizeEmail("email", q.Email); fe != nil {
			problems = append(problems, *fe)
		}
	}
	var fe *onboardkit.FieldError
	if sq.Limit, fe = pageSize(q.Limit); fe != nil {
		problems = append(problems, *fe)
	}
	if q.Cursor != "" {
		c, ok := parseUserCursor(q.Cursor)
		if !ok {
			problems = append(problems, onboardkit.FieldError{Field: "cursor", Code: onboardkit.FieldInvalid, Message: "Use the nextCursor of a previous page."})
		}
		sq.After = c
	}
	if len(problems) > 0 {
		return sq, onboardkit.ValidationError(problems...)
	}
	return sq, nil
}

func knownStatus(s Status) bool {
	for _, k := range Statuses {
		if k == s {
			return true
		}
	}
	return false
}

// userCursor encodes a position of the (CreatedAt, ID) order.
func userCursor(u *storage.User) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(u.CreatedAt.UnixNano(), 10) + "." + u.ID))
}

func parseUserCursor(s string) (storage.UserCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return storage.UserCursor{}, false
	}
	ns, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || !validID(id) {
		return storage.UserCursor{}, false
	}
	return storage.UserCursor{CreatedAt: time.Unix(0, n).UTC(), ID: id}, true
}

// search is Service.SearchUsers.
func (o *operators) search(ctx context.Context, by Actor, q UserQuery) (*UserPage, error) {
	if by == "" {
		return nil, errNoActor
	}
	sq, err := o.storageQuery(q)
	if err != nil {
		return nil, err
	}
	limit := sq.Limit
	sq.Limit++ // one more tells whether a next page exists
	users, err := o.store.SearchUsers(ctx, sq)
	if err != nil {
		return nil, o.storeErr(ctx, "search users", err)
	}
	page := &UserPage{Users: []UserSummary{}}
	if len(users) > limit {
		users = users[:limit]
		page.NextCursor = userCursor(users[limit-1])
	}
	for _, u := range users {
		page.Users = append(page.Users, summary(u))
	}
	o.audit(ctx, o.event(EventOperatorSearched, "", by.data("results", strconv.Itoa(len(page.Users)))...))
	return page, nil
}

func summary(u *storage.User) UserSummary {
	p := ProgressOf(u)
	s := UserSummary{
		UserID: u.ID, Status: p.Status, KYCStatus: p.KYC, Tier: kyc.Tier(u.KYCTier),
		PhoneVerified: u.PhoneVerified, EmailVerified: u.EmailVerified, Locked: u.AdminLocked,
		Roles: append([]string{}, u.Roles...), CreatedAt: u.CreatedAt.UTC(),
	}
	if u.Phone != "" {
		s.PhoneNumber = otp.Mask(u.Phone)
	}
	if u.Email != "" {
		s.Email = otp.Mask(u.Email)
	}
	return s
}

// EventPage is one page of a user's audit trail, oldest first.
type EventPage struct {
	Events []ExportedEvent `json:"events"`
	// NextCursor reads the next page; empty on the last one.
	NextCursor string `json:"nextCursor,omitempty"`
}

// events is Service.UserEvents.
func (o *operators) events(ctx context.Context, by Actor, userID, cursor string, limit int) (*EventPage, error) {
	if by == "" {
		return nil, errNoActor
	}
	n, fe := pageSize(limit)
	var after int64
	if cursor != "" {
		var err error
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil || after < 0 {
			fe = &onboardkit.FieldError{Field: "cursor", Code: onboardkit.FieldInvalid, Message: "Use the nextCursor of a previous page."}
		}
	}
	if fe != nil {
		return nil, onboardkit.ValidationError(*fe)
	}
	if !validID(userID) {
		return nil, onboardkit.CodeNotFound.Err()
	}
	evs, err := o.store.ListEvents(ctx, userID, after, n+1)
	if err != nil {
		return nil, o.storeErr(ctx, "read events", err)
	}
	page := &EventPage{Events: []ExportedEvent{}}
	if len(evs) > n {
		evs = evs[:n]
		page.NextCursor = strconv.FormatInt(evs[n-1].Seq, 10)
	}
	for _, e := range evs {
		page.Events = append(page.Events, ExportedEvent{Type: e.Type, At: e.At.UTC(), Data: e.Data})
	}
	o.audit(ctx, o.event(EventOperatorReadLog, userID, by.data()...))
	return page, nil
}

// createAccountFor is Service.CreateAccountFor.
func (o *operators) createAccountFor(ctx context.Context, by Actor, userID string, req AccountRequest) (*portfolio.Account, error) {
	if by == "" {
		return nil, errNoActor
	}
	return o.prov.createAccount(ctx, userID, req, by)
}
