package httpapi

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/portfolio"
)

// Request bodies of the [operator] routes.
type (
	rolesRequest struct {
		Roles []string `json:"roles"`
	}
	metadataRequest struct {
		Metadata map[string]string `json:"metadata"`
	}
	// operatorAccountRequest is the body of POST /v1/operator/accounts:
	// the user, and the account's chosen id, email and additional
	// information.
	operatorAccountRequest struct {
		UserID string `json:"userId"`
		onboarding.AccountRequest
	}
)

// actor is the onboarding.Actor of an [operator] request: the key whose
// signature was accepted, in the X-Pubkey form.
func actor(r *http.Request) onboarding.Actor {
	k, _ := OperatorKey(r.Context())
	return onboarding.Actor(k)
}

// onUser serves POST /v1/operator/users/{userId}/…: an action on the user
// of the path, without a body (an empty JSON object is accepted), 204.
func (a *api) onUser(w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, by onboarding.Actor, userID string) error) {
	serveNoContent(w, r, true, func(ctx context.Context, _ *noBody) error {
		return fn(ctx, actor(r), r.PathValue("userId"))
	})
}

func (a *api) lockUser(w http.ResponseWriter, r *http.Request)   { a.onUser(w, r, a.svc.LockUser) }
func (a *api) unlockUser(w http.ResponseWriter, r *http.Request) { a.onUser(w, r, a.svc.UnlockUser) }
func (a *api) deactivateUser(w http.ResponseWriter, r *http.Request) {
	a.onUser(w, r, a.svc.DeactivateUser)
}
func (a *api) reactivateUser(w http.ResponseWriter, r *http.Request) {
	a.onUser(w, r, a.svc.ReactivateUser)
}

// required is the validation error of a body member that must be given
// (an empty list or object is given).
func required(field string) error {
	return onboardkit.ValidationError(onboardkit.FieldError{Field: field, Code: onboardkit.FieldRequired, Message: "This field is required; give an empty one to clear it."})
}

func (a *api) setRoles(w http.ResponseWriter, r *http.Request) {
	serveNoContent(w, r, false, func(ctx context.Context, req *rolesRequest) error {
		if req.Roles == nil {
			return required("roles")
		}
		return a.svc.SetRoles(ctx, actor(r), r.PathValue("userId"), req.Roles)
	})
}

func (a *api) setMetadata(w http.ResponseWriter, r *http.Request) {
	serveNoContent(w, r, false, func(ctx context.Context, req *metadataRequest) error {
		if req.Metadata == nil {
			return required("metadata")
		}
		return a.svc.SetMetadata(ctx, actor(r), r.PathValue("userId"), req.Metadata)
	})
}

func (a *api) createAccountFor(w http.ResponseWriter, r *http.Request) {
	serve(w, r, http.StatusCreated, false, func(ctx context.Context, req *operatorAccountRequest) (*portfolio.Account, error) {
		return a.svc.CreateAccountFor(ctx, actor(r), req.UserID, req.AccountRequest)
	})
}

func (a *api) searchUsers(w http.ResponseWriter, r *http.Request) {
	q, err := readQuery(r, "status", "verificationStatus", "phoneNumber", "email", "createdFrom", "createdTo", "cursor", "limit")
	if err != nil {
		WriteError(w, err)
		return
	}
	uq := onboarding.UserQuery{
		Status: onboarding.Status(q.get("status")), KYCStatus: kyc.Status(q.get("verificationStatus")),
		Phone: q.get("phoneNumber"), Email: q.get("email"), Cursor: q.get("cursor"),
		CreatedFrom: q.time("createdFrom"), CreatedTo: q.time("createdTo"), Limit: q.int("limit"),
	}
	if err := q.err(); err != nil {
		WriteError(w, err)
		return
	}
	page, err := a.svc.SearchUsers(r.Context(), actor(r), uq)
	answer(w, http.StatusOK, page, err)
}

func (a *api) userEvents(w http.ResponseWriter, r *http.Request) {
	q, err := readQuery(r, "cursor", "limit")
	if err != nil {
		WriteError(w, err)
		return
	}
	cursor, limit := q.get("cursor"), q.int("limit")
	if err := q.err(); err != nil {
		WriteError(w, err)
		return
	}
	page, err := a.svc.UserEvents(r.Context(), actor(r), r.PathValue("userId"), cursor, limit)
	answer(w, http.StatusOK, page, err)
}

// query is the query string of a request, read parameter by parameter;
// the values that do not parse are collected as field problems.
type query struct {
	values   url.Values
	problems []onboardkit.FieldError
}

// readQuery reads the query of r. A query that does not parse, a
// parameter other than known, or one given twice is a 400
// malformed_request listing every such parameter (as the strict decoding
// of bodies refuses unknown fields).
func readQuery(r *http.Request, known ...string) (*query, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, httpError(CodeMalformedRequest, "The query string is not valid.")
	}
	var problems []onboardkit.FieldError
	names := slices.Sorted(maps.Keys(values))
	for _, name := range names {
		switch {
		case !slices.Contains(known, name):
			if len(name) > 64 {
				name = name[:64]
			}
			problems = append(problems, onboardkit.FieldError{Field: name, Code: onboardkit.FieldUnknown, Message: "This query parameter is not accepted."})
		case len(values[name]) > 1:
			problems = append(problems, onboardkit.FieldError{Field: name, Code: onboardkit.FieldTooMany, Message: "Give this query parameter once."})
		}
	}
	if len(problems) > 0 {
		return nil, httpError(CodeMalformedRequest, "The query has parameters that are not accepted.", problems...)
	}
	return &query{values: values}, nil
}

// get returns a parameter ("" when absent).
func (q *query) get(name string) string { return q.values.Get(name) }

// int returns a whole-number parameter (0 when absent).
func (q *query) int(name string) int {
	s := q.get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		q.problems = append(q.problems, onboardkit.FieldError{Field: name, Code: onboardkit.FieldInvalidType, Message: "Use a whole number."})
	}
	return n
}

// time returns an RFC 3339 parameter (the zero time when absent).
func (q *query) time(name string) time.Time {
	s := q.get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		q.problems = append(q.problems, onboardkit.FieldError{Field: name, Code: onboardkit.FieldInvalidDate, Message: "Use an RFC 3339 date-time, such as 2026-01-02T03:04:05Z."})
	}
	return t
}

// err is the 422 validation error listing every value that did not parse,
// nil when all did.
func (q *query) err() error {
	if len(q.problems) == 0 {
		return nil
	}
	return onboardkit.ValidationError(q.problems...)
}
