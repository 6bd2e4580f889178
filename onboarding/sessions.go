// This file owns sessions and tokens: a session is a refresh-token family
// started by a confirmation or a login; refresh tokens rotate on use and the
// reuse of a rotated one revokes its family; access tokens are signed JWTs
// naming their session, refused once it ended, after the user's cutoff
// (password reset, sign-out everywhere) and for a locked user.

package onboarding

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage"
)

// AuthResult is the outcome of a step that authenticates the user.
type AuthResult struct {
	UserID string  `json:"userId"`
	Status Status  `json:"status"`
	Next   []Step  `json:"next"`
	Tokens *Tokens `json:"tokens,omitempty"`
}

type sessions struct {
	*core
	tokens *tokenIssuer
}

// session is a started session: its id (the refresh-token family) and its
// first refresh token.
type session struct {
	id, refresh string
}

type claimsKey struct{}

// NewContext returns ctx carrying the verified claims of the request's
// access token. Steps that act on the caller's own session read them
// (ConfirmPasswordChange keeps that session); package httpapi sets them for
// every [user] route.
func NewContext(ctx context.Context, c *AccessClaims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// FromContext returns the claims NewContext stored in ctx.
func FromContext(ctx context.Context) (*AccessClaims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*AccessClaims)
	return c, ok && c != nil
}

// start creates a new refresh-token family through st and returns it with
// its first token (256 random bits).
func (s *sessions) start(ctx context.Context, st storage.Store, userID string, now time.Time) (session, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.rt.Rand, b[:]); err != nil {
		return session{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	fam, err := s.newID()
	if err != nil {
		return session{}, err
	}
	err = st.CreateRefreshToken(ctx, &storage.RefreshToken{
		Hash: hashRefresh(token), FamilyID: fam, UserID: userID,
		IssuedAt: now, FamilyCreatedAt: now, ExpiresAt: s.refreshExpiry(now, now),
	})
	return session{id: fam, refresh: token}, err
}

// refreshExpiry is the idle expiry of a token issued at now in a family
// created at created, capped by the absolute lifetime.
func (s *sessions) refreshExpiry(created, now time.Time) time.Time {
	exp := now.Add(s.tokens.cfg.RefreshIdleTTL)
	if abs := created.Add(s.tokens.cfg.RefreshAbsoluteTTL); abs.Before(exp) {
		exp = abs
	}
	return exp
}

// authResult signs an access token of the session for u and packs the
// result.
func (s *sessions) authResult(ctx context.Context, u *storage.User, sess session, now time.Time) (*AuthResult, error) {
	tok, err := s.tokenPair(ctx, u, sess, now)
	if err != nil {
		return nil, err
	}
	return &AuthResult{UserID: u.ID, Status: Status(u.Status), Next: s.next(u), Tokens: tok}, nil
}

func (s *sessions) tokenPair(ctx context.Context, u *storage.User, sess session, now time.Time) (*Tokens, error) {
	jti, err := s.newID()
	if err != nil {
		return nil, err
	}
	access, err := s.tokens.signAccess(ctx, u, sess.id, jti, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, RefreshToken: sess.refresh, TokenType: "Bearer", ExpiresIn: int(s.tokens.cfg.AccessTTL / time.Second)}, nil
}

// refresh rotates a refresh token (see Service.Refresh).
func (s *sessions) refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	if refreshToken == "" || len(refreshToken) > 128 {
		return nil, onboardkit.CodeInvalidRefreshToken.Err()
	}
	now := s.now()
	old, err := s.liveToken(ctx, hashRefresh(refreshToken), now)
	if err != nil {
		return nil, err
	}
	nextToken := s.tokens.nextRefresh(refreshToken)
	if old.RotatedAt.IsZero() {
		next := &storage.RefreshToken{
			Hash: hashRefresh(nextToken), FamilyID: old.FamilyID, UserID: old.UserID,
			IssuedAt: now, FamilyCreatedAt: old.FamilyCreatedAt, ExpiresAt: s.refreshExpiry(old.FamilyCreatedAt, now),
		}
		err = s.store.RotateRefreshToken(ctx, old.Hash, next, now)
		if err == nil {
			return s.refreshed(ctx, old.UserID, session{old.FamilyID, nextToken}, now)
		}
		if !errors.Is(err, storage.ErrConflict) {
			return nil, s.storeErr(ctx, "rotate refresh token", err)
		}
		// Lost a race: someone rotated or revoked it first. Re-read and
		// judge below.
		if old, err = s.store.GetRefreshToken(ctx, old.Hash); err != nil {
			return nil, s.storeErr(ctx, "refresh lookup", err)
		}
		if old.RotatedAt.IsZero() {
			// Revoked meanwhile (a logout, a reset, a lock), not reused.
			return nil, onboardkit.CodeInvalidRefreshToken.Err()
		}
	}
	if s.withinGrace(ctx, old, nextToken, now) {
		return s.refreshed(ctx, old.UserID, session{old.FamilyID, nextToken}, now)
	}
	return nil, s.reuseDetected(ctx, old, now)
}

// liveToken returns the stored token with the hash when it is neither
// revoked nor expired (idle or absolute).
func (s *sessions) liveToken(ctx context.Context, hash []byte, now time.Time) (*storage.RefreshToken, error) {
	t, err := s.store.GetRefreshToken(ctx, hash)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, onboardkit.CodeInvalidRefreshToken.Err()
	}
	if err != nil {
		return nil, s.storeErr(ctx, "refresh lookup", err)
	}
	if !t.RevokedAt.IsZero() || !now.Before(t.ExpiresAt) ||
		!now.Before(t.FamilyCreatedAt.Add(s.tokens.cfg.RefreshAbsoluteTTL)) {
		return nil, onboardkit.CodeInvalidRefreshToken.Err()
	}
	return t, nil
}

// withinGrace reports whether a rotated token was presented again within
// TokenConfig.ReuseGrace while its successor is still current.
func (s *sessions) withinGrace(ctx context.Context, old *storage.RefreshToken, nextToken string, now time.Time) bool {
	g := s.tokens.cfg.ReuseGrace
	if g <= 0 || !old.RevokedAt.IsZero() || now.Sub(old.RotatedAt) > g {
		return false
	}
	cur, err := s.store.GetRefreshToken(ctx, hashRefresh(nextToken))
	return err == nil && cur.RotatedAt.IsZero() && cur.RevokedAt.IsZero()
}

// reuseDetected revokes the family of a rotated token presented again.
func (s *sessions) reuseDetected(ctx context.Context, old *storage.RefreshToken, now time.Time) error {
	if err := s.store.RevokeFamily(ctx, old.FamilyID, now); err != nil {
		return s.storeErr(ctx, "revoke family", err)
	}
	s.log.WarnContext(ctx, "onboarding: refresh token reuse detected; family revoked",
		slog.String("user_id", old.UserID), slog.String("family_id", old.FamilyID))
	s.audit(ctx, s.event(EventSessionReuseDetected, old.UserID, "family_id", old.FamilyID))
	return onboardkit.CodeInvalidRefreshToken.Err()
}

func (s *sessions) refreshed(ctx context.Context, userID string, sess session, now time.Time) (*Tokens, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.storeErr(ctx, "refresh user", err)
	}
	if locked(u) {
		return nil, onboardkit.CodeAccountLocked.Err()
	}
	return s.tokenPair(ctx, u, sess, now)
}

// locked reports an administrator's lock.
func locked(u *storage.User) bool {
	return u.AdminLocked || Status(u.Status) == StatusErased
}

// logout revokes the family of refreshToken (see Service.Logout).
func (s *sessions) logout(ctx context.Context, userID, refreshToken string) error {
	if refreshToken == "" {
		return onboardkit.ValidationError(onboardkit.FieldError{Field: "refreshToken", Code: onboardkit.FieldRequired,
			Message: "The refresh token of the session to end is required; to end every session, log out everywhere."})
	}
	t, err := s.store.GetRefreshToken(ctx, hashRefresh(refreshToken))
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return s.storeErr(ctx, "logout lookup", err)
	}
	if userID != "" && t.UserID != userID {
		return nil
	}
	if err := s.store.RevokeFamily(ctx, t.FamilyID, s.now()); err != nil {
		return s.storeErr(ctx, "logout", err)
	}
	s.audit(ctx, s.event(EventSessionRevoked, t.UserID, "family_id", t.FamilyID))
	return nil
}

// endAll revokes every session of the user through st and refuses every
// access token issued until now (the user's cutoff); also checks or
// changes the user in the same versioned update (its error fails it).
func (s *sessions) endAll(ctx context.Context, st storage.Store, userID string, now time.Time, also ...func(*storage.User) error) (*storage.User, error) {
	if err := st.RevokeUserSessions(ctx, userID, now); err != nil {
		return nil, err
	}
	return s.updateUser(ctx, st, userID, func(u *storage.User) error {
		u.TokensValidAfter = now
		for _, f := range also {
			if err := f(u); err != nil {
				return err
			}
		}
		return nil
	})
}

// endOthers revokes every session of the user through st except the one of
// ctx's access token (FromContext) when it is the user's.
func (s *sessions) endOthers(ctx context.Context, st storage.Sessions, userID string, now time.Time) error {
	if c, ok := FromContext(ctx); ok && c.UserID == userID && c.SessionID != "" {
		return st.RevokeUserSessionsExcept(ctx, userID, c.SessionID, now)
	}
	return st.RevokeUserSessions(ctx, userID, now)
}

// beforeCutoff reports an access token the user's cutoff
// (TokensValidAfter) refuses: one issued in a second before the cutoff's
// (JWT times have second precision), or one signed from a read of the user
// that predates the cutoff's last change (its "tva" claim is another
// cutoff), such as a refresh that read the user's roles just before a
// role change committed, in the same second.
func beforeCutoff(c *AccessClaims, u *storage.User) bool {
	if c.cutoff != nil && *c.cutoff != cutoffMicros(u.TokensValidAfter) {
		return true
	}
	return !u.TokensValidAfter.IsZero() && c.IssuedAt.Before(u.TokensValidAfter.Truncate(time.Second))
}

// logoutEverywhere is Service.LogoutEverywhere.
func (s *sessions) logoutEverywhere(ctx context.Context, userID string) error {
	now := s.now()
	return s.step(ctx, "logout everywhere", func(ctx context.Context, u *unit) error {
		if _, err := s.endAll(ctx, u, userID, now); err != nil {
			return err
		}
		u.raise(EventSessionRevoked, userID, "scope", "all")
		return nil
	})
}

// verifyAccess checks an access token (see Service.VerifyAccessToken).
func (s *sessions) verifyAccess(ctx context.Context, token string) (*AccessClaims, error) {
	c, err := s.tokens.parseAccess(token, s.rt.Clock.Now())
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, c.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, onboardkit.CodeInvalidToken.Err()
	}
	if err != nil {
		return nil, s.storeErr(ctx, "verify token", err)
	}
	if locked(u) || beforeCutoff(c, u) {
		return nil, onboardkit.CodeInvalidToken.Err()
	}
	if s.tokens.cfg.StatelessAccess {
		return c, nil
	}
	ended, err := s.store.FamilyRevoked(ctx, c.SessionID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && ended {
		return nil, onboardkit.CodeInvalidToken.Err()
	}
	if err != nil {
		return nil, s.storeErr(ctx, "verify token session", err)
	}
	return c, nil
}

// SessionInfo is one live session of a user (GET /v1/sessions): a login on
// some device, until it ends or expires.
type SessionInfo struct {
	SessionID string    `json:"sessionId"`
	StartedAt time.Time `json:"startedAt"`
	// LastUsedAt is when its refresh token last rotated (or the login).
	LastUsedAt time.Time `json:"lastUsedAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	// Current marks the session of the caller's access token.
	Current bool `json:"current"`
}

// list is Service.ListSessions.
func (s *sessions) list(ctx context.Context, userID string) ([]SessionInfo, error) {
	if _, err := s.getUser(ctx, userID); err != nil {
		return nil, err
	}
	toks, err := s.store.ListSessions(ctx, userID, s.now(), s.tokens.cfg.RefreshAbsoluteTTL)
	if err != nil {
		return nil, s.storeErr(ctx, "list sessions", err)
	}
	current := ""
	if c, ok := FromContext(ctx); ok && c.UserID == userID {
		current = c.SessionID
	}
	out := make([]SessionInfo, len(toks))
	for i, t := range toks {
		out[i] = SessionInfo{SessionID: t.FamilyID, StartedAt: t.FamilyCreatedAt.UTC(), LastUsedAt: t.IssuedAt.UTC(),
			ExpiresAt: t.ExpiresAt.UTC(), Current: t.FamilyID == current}
	}
	return out, nil
}

// end is Service.EndSession: the user's live session sessionID ends; any
// other id is not found.
func (s *sessions) end(ctx context.Context, userID, sessionID string) error {
	live, err := s.list(ctx, userID)
	if err != nil {
		return err
	}
	for _, l := range live {
		if l.SessionID != sessionID {
			continue
		}
		return s.step(ctx, "end session", func(ctx context.Context, u *unit) error {
			if err := u.RevokeFamily(ctx, sessionID, s.now()); err != nil {
				return err
			}
			u.raise(EventSessionRevoked, userID, "family_id", sessionID)
			return nil
		})
	}
	return onboardkit.CodeNotFound.Err()
}
