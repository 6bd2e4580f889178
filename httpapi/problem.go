package httpapi

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit"
)

// Codes of failures that only the HTTP layer can detect. They are not
// *onboardkit.Error codes of the library, but they appear in the "code" member
// of problems like the others.
const (
	// CodeMalformedRequest: the body is not one JSON object of the expected
	// shape (syntax error, wrong type, unknown field, trailing data, empty).
	CodeMalformedRequest onboardkit.Code = "malformed_request"
	// CodeUnsupportedMediaType: the body is not application/json.
	CodeUnsupportedMediaType onboardkit.Code = "unsupported_media_type"
	// CodeRequestTooLarge: the body is over the route's limit.
	CodeRequestTooLarge onboardkit.Code = "request_too_large"
	// CodeMethodNotAllowed: the path exists but not with this method.
	CodeMethodNotAllowed onboardkit.Code = "method_not_allowed"
)

// ProblemTypeBase prefixes the "type" URI of every problem: the type of code
// "invalid_code" is ProblemTypeBase + "invalid-code".
const ProblemTypeBase = "https://onboardkit.dev/problems/"

// Problem is an RFC 9457 problem details object as the API writes it.
type Problem struct {
	Type              string                  `json:"type"`
	Title             string                  `json:"title"`
	Status            int                     `json:"status"`
	Detail            string                  `json:"detail,omitempty"`
	Code              onboardkit.Code         `json:"code"`
	Errors            []onboardkit.FieldError `json:"errors,omitempty"`
	AttemptsRemaining *int                    `json:"attemptsRemaining,omitempty"`
}

type problemSpec struct {
	status int
	title  string
}

// problems is the one table from error codes to HTTP statuses and titles.
var problems = map[onboardkit.Code]problemSpec{
	onboardkit.CodeValidation:          {http.StatusUnprocessableEntity, "Invalid input"},
	onboardkit.CodePasswordPolicy:      {http.StatusUnprocessableEntity, "Password does not meet the policy"},
	onboardkit.CodeInvalidCode:         {http.StatusBadRequest, "Invalid code"},
	onboardkit.CodeCodeExpired:         {http.StatusGone, "Code expired"},
	onboardkit.CodeTooManyAttempts:     {http.StatusTooManyRequests, "Too many attempts"},
	onboardkit.CodeResendTooSoon:       {http.StatusTooManyRequests, "Resend too soon"},
	onboardkit.CodeSendLimit:           {http.StatusTooManyRequests, "Send limit reached"},
	onboardkit.CodeSendFailed:          {http.StatusBadGateway, "Message not sent"},
	onboardkit.CodeIdentifierTaken:     {http.StatusConflict, "Identifier already registered"},
	onboardkit.CodeInvalidCredentials:  {http.StatusUnauthorized, "Invalid credentials"},
	onboardkit.CodeAccountLocked:       {http.StatusLocked, "Account locked"},
	onboardkit.CodeKYCNotActive:        {http.StatusForbidden, "Identity verification not complete"},
	onboardkit.CodePasskeyInvalid:      {http.StatusBadRequest, "Invalid passkey response"},
	onboardkit.CodePasskeyCloned:       {http.StatusConflict, "Passkey counter regression"},
	onboardkit.CodePasskeysDisabled:    {http.StatusNotFound, "Passkeys disabled"},
	onboardkit.CodeInvalidTransition:   {http.StatusConflict, "Step not allowed now"},
	onboardkit.CodeInvalidRefreshToken: {http.StatusUnauthorized, "Invalid refresh token"},
	onboardkit.CodeInvalidToken:        {http.StatusUnauthorized, "Invalid access token"},
	onboardkit.CodeRecentAuthRequired:  {http.StatusForbidden, "Recent authentication required"},
	onboardkit.CodeNotFound:            {http.StatusNotFound, "Not found"},
	onboardkit.CodeConflict:            {http.StatusConflict, "Conflict"},
	onboardkit.CodeNameTaken:           {http.StatusConflict, "Name already used"},
	onboardkit.CodeLimitReached:        {http.StatusConflict, "Limit reached"},
	onboardkit.CodeRateLimited:         {http.StatusTooManyRequests, "Too many requests"},
	onboardkit.CodeInvalidSignature:    {http.StatusUnauthorized, "Invalid request signature"},
	onboardkit.CodeUnavailable:         {http.StatusServiceUnavailable, "Service unavailable"},
	onboardkit.CodeInternal:            {http.StatusInternalServerError, "Internal error"},

	CodeMalformedRequest:     {http.StatusBadRequest, "Malformed request"},
	CodeUnsupportedMediaType: {http.StatusUnsupportedMediaType, "Unsupported media type"},
	CodeRequestTooLarge:      {http.StatusRequestEntityTooLarge, "Request too large"},
	CodeMethodNotAllowed:     {http.StatusMethodNotAllowed, "Method not allowed"},
}

// StatusFor returns the HTTP status the API answers for an error code; codes
// it does not know map to 500.
func StatusFor(code onboardkit.Code) int {
	if s, ok := problems[code]; ok {
		return s.status
	}
	return http.StatusInternalServerError
}

// ProblemFor converts an error into the problem the API answers, and the
// Retry-After delay it carries (0 for none). Errors that are not
// *onboardkit.Error, and codes the table does not know, become a 500
// "internal" problem without details.
func ProblemFor(err error) (Problem, time.Duration) {
	oe := onboardkit.AsError(err)
	if oe == nil {
		oe = &onboardkit.Error{Code: onboardkit.CodeInternal}
	}
	spec, ok := problems[oe.Code]
	if !ok || oe.Code == onboardkit.CodeInternal {
		oe = &onboardkit.Error{Code: onboardkit.CodeInternal}
		spec = problems[onboardkit.CodeInternal]
	}
	p := Problem{
		Type:              ProblemTypeBase + strings.ReplaceAll(string(oe.Code), "_", "-"),
		Title:             spec.title,
		Status:            spec.status,
		Detail:            oe.Message,
		Code:              oe.Code,
		Errors:            oe.Fields,
		AttemptsRemaining: oe.AttemptsRemaining,
	}
	if p.Code == onboardkit.CodeInternal {
		p.Detail = "An internal error occurred."
	}
	if p.Detail == "" {
		p.Detail = spec.title + "."
	}
	var retry time.Duration
	if p.Status == http.StatusTooManyRequests || p.Status == http.StatusServiceUnavailable {
		retry = oe.RetryAfter
	}
	return p, retry
}

// WriteError writes err as a problem details answer, with the
// WWW-Authenticate and Retry-After headers its status calls for. Hosts can use
// it in their own handlers for answers consistent with the API.
func WriteError(w http.ResponseWriter, err error) {
	p, retry := ProblemFor(err)
	writeProblem(w, p, retry)
}

func writeProblem(w http.ResponseWriter, p Problem, retry time.Duration) {
	h := w.Header()
	if rw, ok := w.(*statusRecorder); ok {
		rw.code = p.Code
	}
	switch p.Status {
	case http.StatusUnauthorized:
		if h.Get("WWW-Authenticate") == "" {
			switch p.Code {
			case onboardkit.CodeInvalidToken:
				h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			case onboardkit.CodeInvalidSignature:
				// The request-signature scheme of docs/API.md, not Bearer.
				h.Set("WWW-Authenticate", signatureChallenge)
			default:
				h.Set("WWW-Authenticate", "Bearer")
			}
		}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		h.Set("Retry-After", strconv.Itoa(retryAfterSeconds(retry)))
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// retryAfterSeconds rounds d up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := math.Ceil(d.Seconds())
	if s < 1 {
		return 1
	}
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(s)
}

// httpError returns an *onboardkit.Error with an HTTP-layer code.
func httpError(code onboardkit.Code, msg string, fields ...onboardkit.FieldError) *onboardkit.Error {
	return &onboardkit.Error{Code: code, Message: msg, Fields: fields}
}
