package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// onStores runs fn on an env over the memory store and one over
// PostgreSQL (skipped unless enabled), in parallel.
func onStores(t *testing.T, fn func(t *testing.T, e *env), mods ...func(*envConfig)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		fn(t, newEnv(t, mods...))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		st := postgrestest.New(t) // skips without ONBOARDKIT_TEST_POSTGRES
		fn(t, newEnv(t, append(slices.Clone(mods), func(c *envConfig) { c.store = st })...))
	})
}

// me reads GET /v1/me.
func (e *env) me(token string) onboarding.UserView {
	e.t.Helper()
	var v onboarding.UserView
	e.expect(http.StatusOK, "GET", "/v1/me", token, nil).json(e.t, &v)
	return v
}

// operatorRoutes are the operator routes with a user id in their path.
func operatorRoutes(userID string) []string {
	var out []string
	for _, rt := range httpapi.Routes() {
		if strings.Contains(rt, " /v1/operator/") {
			rt = strings.ReplaceAll(rt, "{userId}", userID)
			rt = strings.ReplaceAll(rt, "{endpointId}", "ep-1")
			out = append(out, strings.ReplaceAll(rt, "{seq}", "1"))
		}
	}
	return out
}

// TestOperatorAndIntegratorKeysApart: an operator route refuses unsigned
// calls and integrator keys, an integrator route refuses operator keys;
// each key passes its own routes.
func TestOperatorAndIntegratorKeysApart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.confirmedUser()
	routes := operatorRoutes(u.id)
	require.Len(t, routes, 11)
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt, " ")
		t.Run(rt, func(t *testing.T) {
			r := e.do(method, path, "", nil)
			require.Equal(t, http.StatusUnauthorized, r.status, "unsigned: %s", r.body)
			assert.Equal(t, "invalid_signature", string(r.problem(t).Code))
			r, _ = e.signedBy(e.key, method, path, nil)
			require.Equal(t, http.StatusUnauthorized, r.status, "integrator key: %s", r.body)
			assert.Contains(t, r.problem(t).Detail, "not allowed")
			r, _ = e.signedBy(e.opKey, method, path, nil)
			assert.NotEqual(t, http.StatusUnauthorized, r.status, "operator key: %s", r.body)
		})
	}
	r, _ := e.signedBy(e.opKey, "POST", "/v1/integrator/kyc-decisions", map[string]string{"userId": u.id, "verificationStatus": "active"})
	require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
	assert.Contains(t, r.problem(t).Detail, "not allowed")
	r = e.do("POST", "/v1/operator/users/"+u.id+"/lock", u.access, nil)
	require.Equal(t, http.StatusUnauthorized, r.status, "a user's bearer token is no operator signature: %s", r.body)
}

// TestOperatorLock: a locked user's login answers 423 and their tokens are
// refused; after the unlock the user logs in again.
func TestOperatorLock(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		u, other := e.confirmedUser(), e.confirmedUser()
		lock := "/v1/operator/users/" + u.id + "/lock"
		e.clock.Advance(time.Second)
		require.Equal(t, http.StatusNoContent, e.operator("POST", lock, nil).status)

		r := e.do("GET", "/v1/me", u.access, nil)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		assert.Equal(t, "invalid_token", string(r.problem(t).Code))
		r = e.do("POST", "/v1/refresh", "", map[string]string{"refreshToken": u.refresh})
		require.Equal(t, http.StatusUnauthorized, r.status, "sessions end: %s", r.body)
		r = e.do("POST", "/v1/login", "", map[string]string{"username": u.phone, "password": testPassword})
		require.Equal(t, http.StatusLocked, r.status, "%s", r.body)
		assert.Equal(t, "account_locked", string(r.problem(t).Code))
		e.me(other.access) // another user is untouched

		var page onboarding.UserPage
		r = e.operator("GET", "/v1/operator/users?"+url.Values{"phoneNumber": {u.phone}}.Encode(), nil)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		r.json(t, &page)
		require.Len(t, page.Users, 1)
		assert.True(t, page.Users[0].Locked)
		assert.Equal(t, onboarding.StatusContactVerified, page.Users[0].Status, "the status is kept")

		// Body: none, or an empty object.
		r = e.operator("POST", "/v1/operator/users/"+u.id+"/unlock", map[string]any{})
		require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
		e.login(u)
		assert.Equal(t, onboarding.StatusContactVerified, e.me(u.access).Status)

		for _, id := range []string{"00000000-0000-4000-8000-000000000000", "nope"} {
			r = e.operator("POST", "/v1/operator/users/"+id+"/lock", nil)
			require.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
			assert.Equal(t, "not_found", string(r.problem(t).Code))
		}
		r = e.operator("POST", lock, map[string]string{"reason": "x"})
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		assert.Equal(t, "unknown_field", string(r.problem(t).Errors[0].Code))
	})
}

// TestOperatorDeactivate: a deactivated user cannot open portfolios; a
// reactivation goes back through review and an approval opens them again.
func TestOperatorDeactivate(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		u, acct := e.activeAccount()
		savings := map[string]string{"accountId": acct, "name": "Savings", "portfolioAccountType": "SAVINGS"}

		users := "/v1/operator/users/" + u.id
		require.Equal(t, http.StatusNoContent, e.operator("POST", users+"/deactivate", nil).status)
		me := e.me(u.access)
		assert.Equal(t, kyc.StatusInactive, me.KYC.VerificationStatus)
		assert.False(t, e.accounts(u.access)[0].Active, "the accounts are deactivated")
		r := e.do("POST", "/v1/portfolios", u.access, savings)
		require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
		assert.Equal(t, "kyc_not_active", string(r.problem(t).Code))

		r = e.operator("POST", users+"/deactivate", nil)
		require.Equal(t, http.StatusConflict, r.status, "%s", r.body)
		assert.Equal(t, "invalid_transition", string(r.problem(t).Code))

		require.Equal(t, http.StatusNoContent, e.operator("POST", users+"/reactivate", nil).status)
		me = e.me(u.access)
		assert.Equal(t, onboarding.StatusKYCPending, me.Status)
		assert.Equal(t, kyc.StatusUnderReview, me.KYC.VerificationStatus)
		r = e.do("POST", "/v1/portfolios", u.access, savings)
		require.Equal(t, http.StatusForbidden, r.status, "still under review: %s", r.body)
		r = e.operator("POST", users+"/reactivate", nil)
		require.Equal(t, http.StatusConflict, r.status, "%s", r.body)

		r, _ = e.signed("POST", "/v1/integrator/kyc-decisions", map[string]string{"userId": u.id, "verificationStatus": "active"})
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		e.expect(http.StatusCreated, "POST", "/v1/portfolios", u.access, savings)
		assert.True(t, e.accounts(u.access)[0].Active)
		assert.Equal(t, onboarding.StatusActive, e.me(u.access).Status)
	})
}

// TestOperatorSearch pages through users two at a time while others sign
// up: every user that existed at the first page is listed exactly once,
// contact details masked.
func TestOperatorSearch(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		existing := map[string]*user{}
		for range 5 {
			u := e.confirmedUser()
			existing[u.id] = u
			e.clock.Advance(time.Second)
		}
		seen := map[string]int{}
		var wg sync.WaitGroup
		path := "/v1/operator/users?limit=2"
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10)
			var page onboarding.UserPage
			r := e.operator("GET", path, nil)
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			r.json(t, &page)
			assert.LessOrEqual(t, len(page.Users), 2)
			for _, s := range page.Users {
				seen[s.UserID]++
				if u, ok := existing[s.UserID]; ok {
					assert.NotEqual(t, u.phone, s.PhoneNumber)
					assert.Equal(t, u.phone[:3], s.PhoneNumber[:3])
					assert.Contains(t, s.PhoneNumber, "*", "the phone is masked")
					assert.True(t, s.PhoneVerified)
				}
			}
			// Sign-ups while the pages are read.
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": newPhone(), "password": testPassword})
					assert.Equal(t, http.StatusCreated, r.status, "%s", r.body)
				}()
			}
			if page.NextCursor == "" {
				break
			}
			path = "/v1/operator/users?" + url.Values{"limit": {"2"}, "cursor": {page.NextCursor}}.Encode()
		}
		wg.Wait()
		for id := range existing {
			assert.Equal(t, 1, seen[id], "user %s listed once", id)
		}
		for id, n := range seen {
			assert.Equal(t, 1, n, "user %s listed once", id)
		}
	}, func(c *envConfig) { c.opts.RateLimits = httpapi.RateLimits{Disabled: true} })
}

// TestOperatorSearchFilters finds users by each filter, and lists every
// problem of a query as a typed error naming the parameter.
func TestOperatorSearchFilters(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		start := e.clock.Now()
		active := e.activeUser()
		e.clock.Advance(time.Hour)
		fresh := e.confirmedUser()
		e.signUp(newPhone()) // registered, not confirmed

		find := func(q url.Values) []string {
			t.Helper()
			r := e.operator("GET", "/v1/operator/users?"+q.Encode(), nil)
			require.Equal(t, http.StatusOK, r.status, "%s: %s", q.Encode(), r.body)
			var page onboarding.UserPage
			r.json(t, &page)
			var ids []string
			for _, s := range page.Users {
				ids = append(ids, s.UserID)
			}
			return ids
		}
		assert.Equal(t, []string{active.id}, find(url.Values{"status": {"active"}}))
		assert.Equal(t, []string{active.id}, find(url.Values{"verificationStatus": {"active"}}))
		assert.Equal(t, []string{fresh.id}, find(url.Values{"status": {"contact_verified"}}))
		assert.Equal(t, []string{fresh.id}, find(url.Values{"phoneNumber": {fresh.phone}}))
		assert.Equal(t, []string{active.id}, find(url.Values{"email": {active.email}}))
		assert.Equal(t, []string{active.id}, find(url.Values{"createdFrom": {start.Format(time.RFC3339)}, "createdTo": {start.Add(time.Minute).Format(time.RFC3339)}}))
		assert.Len(t, find(url.Values{"createdFrom": {start.Add(30 * time.Minute).Format(time.RFC3339)}}), 2)
		assert.Empty(t, find(url.Values{"email": {"nobody@example.com"}}))

		var page onboarding.UserPage
		e.operator("GET", "/v1/operator/users?"+url.Values{"email": {active.email}}.Encode(), nil).json(t, &page)
		require.Len(t, page.Users, 1)
		assert.NotEqual(t, active.email, page.Users[0].Email)
		assert.Contains(t, page.Users[0].Email, "@example.com")
		assert.Equal(t, kyc.Tier("KYC_1"), page.Users[0].Tier)

		tests := []struct {
			query  string
			status int
			code   string
			fields map[string]string // field: field code
		}{
			{"limit=abc&createdFrom=yesterday", 422, "validation", map[string]string{"limit": "invalid_type", "createdFrom": "invalid_date"}},
			{"limit=101", 422, "validation", map[string]string{"limit": "out_of_range"}},
			{"limit=-1", 422, "validation", map[string]string{"limit": "out_of_range"}},
			{"status=nope&verificationStatus=nope", 422, "validation", map[string]string{"status": "invalid_enum", "verificationStatus": "invalid_enum"}},
			{"cursor=not-a-cursor", 422, "validation", map[string]string{"cursor": "invalid"}},
			{"phoneNumber=12", 422, "validation", map[string]string{"phoneNumber": ""}},
			{"createdTo=2026-01-02", 422, "validation", map[string]string{"createdTo": "invalid_date"}},
			{"sort=name&page=2", 400, "malformed_request", map[string]string{"sort": "unknown_field", "page": "unknown_field"}},
			{"limit=1&limit=2", 400, "malformed_request", map[string]string{"limit": "too_many"}},
			{"email=%zz", 400, "malformed_request", nil},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				r := e.operator("GET", "/v1/operator/users?"+tt.query, nil)
				require.Equal(t, tt.status, r.status, "%s", r.body)
				p := r.problem(t)
				assert.Equal(t, tt.code, string(p.Code))
				got := map[string]string{}
				for _, fe := range p.Errors {
					got[fe.Field] = string(fe.Code)
				}
				for f, code := range tt.fields {
					require.Contains(t, got, f)
					if code != "" {
						assert.Equal(t, code, got[f], "field %s", f)
					}
				}
				assert.Len(t, got, len(tt.fields))
			})
		}
	})
}

// TestOperatorEvents reads a user's audit trail two events at a time: the
// operator's actions are there, naming the operator key.
func TestOperatorEvents(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		u := e.confirmedUser()
		users := "/v1/operator/users/" + u.id
		for _, action := range []string{"lock", "unlock"} {
			require.Equal(t, http.StatusNoContent, e.operator("POST", users+"/"+action, nil).status)
		}
		require.Equal(t, http.StatusNoContent, e.operator("PUT", users+"/roles", map[string]any{"roles": []string{"trader"}}).status)

		var events []onboarding.ExportedEvent
		path := users + "/events?limit=2"
		for pages := 0; ; pages++ {
			require.Less(t, pages, 20)
			r := e.operator("GET", path, nil)
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			var page onboarding.EventPage
			r.json(t, &page)
			assert.LessOrEqual(t, len(page.Events), 2)
			events = append(events, page.Events...)
			if page.NextCursor == "" {
				break
			}
			path = users + "/events?" + url.Values{"limit": {"2"}, "cursor": {page.NextCursor}}.Encode()
		}
		byType := map[string]onboarding.ExportedEvent{}
		var types []string
		for _, ev := range events {
			byType[ev.Type] = ev
			types = append(types, ev.Type)
		}
		for _, typ := range []string{onboarding.EventUserLocked, onboarding.EventUserUnlocked, onboarding.EventRolesChanged} {
			require.Contains(t, byType, typ, "events: %v", types)
			assert.Equal(t, e.operatorKey(), byType[typ].Data["actor"], "%s names the operator key", typ)
		}
		assert.Equal(t, "trader", byType[onboarding.EventRolesChanged].Data["roles"])
		assert.Less(t, slices.Index(types, onboarding.EventUserLocked), slices.Index(types, onboarding.EventUserUnlocked), "oldest first")
		assert.NotContains(t, e.logs.String(), u.phone)

		for _, tt := range []struct {
			query, field, code string
		}{
			{"cursor=abc", "cursor", "invalid"},
			{"limit=0x10", "limit", "invalid_type"},
			{"limit=1000", "limit", "out_of_range"},
		} {
			r := e.operator("GET", users+"/events?"+tt.query, nil)
			require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s: %s", tt.query, r.body)
			p := r.problem(t)
			require.Len(t, p.Errors, 1, "%s", r.body)
			assert.Equal(t, tt.field, p.Errors[0].Field)
			assert.Equal(t, tt.code, string(p.Errors[0].Code))
		}
		r := e.operator("GET", users+"/events?after=1", nil)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		r = e.operator("GET", "/v1/operator/users/nope/events", nil)
		require.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
	})
}

// TestOperatorRolesAndMetadata: roles an operator sets are in the access
// tokens issued after (the earlier ones are refused) and in /v1/me, as is
// the metadata.
func TestOperatorRolesAndMetadata(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		u := e.confirmedUser()
		users := "/v1/operator/users/" + u.id
		e.clock.Advance(time.Second)
		r := e.operator("PUT", users+"/roles", map[string]any{"roles": []string{"trader", "support:read", "trader"}})
		require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
		r = e.do("GET", "/v1/me", u.access, nil)
		require.Equal(t, http.StatusUnauthorized, r.status, "tokens issued before are refused: %s", r.body)

		var tr struct{ Tokens onboarding.Tokens }
		e.expect(http.StatusOK, "POST", "/v1/refresh", "", map[string]string{"refreshToken": u.refresh}).json(t, &tr)
		u.access = tr.Tokens.AccessToken
		claims, err := e.svc.VerifyAccessToken(context.Background(), u.access)
		require.NoError(t, err)
		assert.Equal(t, []string{"support:read", "trader"}, claims.Roles)
		assert.Equal(t, []string{"support:read", "trader"}, e.me(u.access).Roles)

		r = e.operator("PUT", users+"/metadata", map[string]any{"metadata": map[string]string{"crmId": "C-1042", "segment": "retail"}})
		require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
		assert.Equal(t, map[string]string{"crmId": "C-1042", "segment": "retail"}, e.me(u.access).Metadata)
		require.Equal(t, http.StatusNoContent, e.operator("PUT", users+"/metadata", map[string]any{"metadata": map[string]string{}}).status)
		assert.Empty(t, e.me(u.access).Metadata, "an empty object clears")

		tooMany := make([]string, 17)
		for i := range tooMany {
			tooMany[i] = "r" + string(rune('a'+i))
		}
		tests := []struct {
			name, path string
			body       any
			fields     []string
		}{
			{"roles absent", "/roles", map[string]any{}, []string{"roles"}},
			{"roles null", "/roles", map[string]any{"roles": nil}, []string{"roles"}},
			{"bad role", "/roles", map[string]any{"roles": []string{"Trader!", "ok"}}, []string{"roles[0]"}},
			{"too many roles", "/roles", map[string]any{"roles": tooMany}, []string{"roles"}},
			{"metadata absent", "/metadata", map[string]any{}, []string{"metadata"}},
			{"metadata bounds", "/metadata", map[string]any{"metadata": map[string]string{"bad key": "x", "long": strings.Repeat("x", 1025), "ctl": "a\x01"}},
				[]string{"metadata", "metadata.ctl", "metadata.long"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.operator("PUT", users+tt.path, tt.body)
				require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
				var fields []string
				for _, fe := range r.problem(t).Errors {
					fields = append(fields, fe.Field)
				}
				assert.ElementsMatch(t, tt.fields, fields)
			})
		}
		r = e.operator("PUT", "/v1/operator/users/00000000-0000-4000-8000-000000000000/roles", map[string]any{"roles": []string{}})
		require.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
	}, func(c *envConfig) { c.opts.RateLimits = httpapi.RateLimits{Disabled: true} })
}

// TestOperatorCreateAccount creates an account for a user with a chosen id,
// email and additional information; users cannot choose those.
func TestOperatorCreateAccount(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		u := e.confirmedUser()
		const id = "0b5e7c3a-1d2f-4e6a-8b9c-7d6e5f4a3b2c"
		body := map[string]any{"userId": u.id, "accountId": id, "email": "Desk@Example.com", "additionalInfo": map[string]string{"desk": "paris"}}
		r := e.operator("POST", "/v1/operator/accounts", body)
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
		var acct portfolio.Account
		r.json(t, &acct)
		assert.Equal(t, id, acct.ID)
		assert.Equal(t, u.id, acct.UserID)
		assert.False(t, acct.Active, "inactive until KYC is active")
		assert.Equal(t, "desk@example.com", acct.Email)
		assert.Equal(t, map[string]string{"desk": "paris"}, acct.AdditionalInfo)

		accts := e.accounts(u.access)
		require.Len(t, accts, 1)
		assert.Equal(t, acct.Email, accts[0].Email)
		assert.Equal(t, acct.AdditionalInfo, accts[0].AdditionalInfo)

		r = e.operator("POST", "/v1/operator/accounts", body)
		require.Equal(t, http.StatusConflict, r.status, "the id is taken: %s", r.body)
		assert.Equal(t, "conflict", string(r.problem(t).Code))
		r = e.operator("POST", "/v1/operator/accounts", map[string]any{"userId": "00000000-0000-4000-8000-000000000000"})
		require.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
		r = e.operator("POST", "/v1/operator/accounts", map[string]any{"userId": u.id, "accountId": "acc-1", "email": "nope"})
		require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
		var fields []string
		for _, fe := range r.problem(t).Errors {
			fields = append(fields, fe.Field)
		}
		assert.ElementsMatch(t, []string{"accountId", "email"}, fields)

		// A user chooses neither the id nor the email.
		for _, field := range []string{"accountId", "email"} {
			r = e.do("POST", "/v1/accounts", u.access, map[string]string{field: "x"})
			require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
			p := r.problem(t)
			require.Len(t, p.Errors, 1)
			assert.Equal(t, field, p.Errors[0].Field)
			assert.Equal(t, "unknown_field", string(p.Errors[0].Code))
		}
	})
}
