package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/onboardkit/onboardkit"
)

// Body size limits.
const (
	// DefaultMaxBodyBytes bounds request bodies (1 MiB).
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxUploadBytes bounds the bodies of POST /v1/kyc and POST
	// /v1/integrator/individual-accounts, which carry documents (16 MiB).
	DefaultMaxUploadBytes = 16 << 20
)

// limitBody caps the request body at n bytes; reading past it fails with an
// *http.MaxBytesError.
func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			WriteError(w, httpError(CodeRequestTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", n)))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// checkJSONContentType accepts application/json with no parameter other than
// charset=utf-8.
func checkJSONContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	unsupported := httpError(CodeUnsupportedMediaType, "The request body must be application/json.")
	if ct == "" {
		return unsupported
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return unsupported
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return unsupported
		}
	}
	return nil
}

// decodeJSON reads exactly one JSON value from the body into dst, refusing
// unknown fields and trailing data. allowEmpty accepts an empty body (with or
// without a content type) as the zero value.
func decodeJSON(r *http.Request, dst any, allowEmpty bool) error {
	if allowEmpty && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	if err := checkJSONContentType(r); err != nil {
		return err
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) && allowEmpty {
			return nil
		}
		return decodeError(err)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		if tooLarge(err) {
			return decodeError(err)
		}
		return httpError(CodeMalformedRequest, "The request body must hold a single JSON value.")
	default:
		return httpError(CodeMalformedRequest, "The request body must hold a single JSON value.")
	}
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// decodeError turns a json decoding error into a problem-bearing error that
// never echoes the body.
func decodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
		mbe     *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return httpError(CodeRequestTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", mbe.Limit))
	case errors.Is(err, io.EOF):
		return httpError(CodeMalformedRequest, "The request body is empty; a JSON object is required.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return httpError(CodeMalformedRequest, "The request body is truncated JSON.")
	case errors.As(err, &syntax):
		return httpError(CodeMalformedRequest, fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntax.Offset))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return httpError(CodeMalformedRequest, "The request body must be a JSON object.")
		}
		return httpError(CodeMalformedRequest, "A field has the wrong JSON type.",
			onboardkit.FieldError{Field: field, Code: onboardkit.FieldInvalidType, Message: "Expected " + typeErr.Type.String() + "."})
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		if len(name) > 64 {
			name = name[:64]
		}
		return httpError(CodeMalformedRequest, "The request body has an unknown field.",
			onboardkit.FieldError{Field: name, Code: onboardkit.FieldUnknown, Message: "This field is not accepted."})
	}
	return httpError(CodeMalformedRequest, "The request body is not valid JSON.")
}

// writeJSON writes v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serve decodes the request body into a Req, calls fn with it and answers
// status with the JSON of fn's result; a decoding error or fn's error is
// answered as a problem. allowEmpty accepts an empty body as Req's zero value.
func serve[Req, Res any](w http.ResponseWriter, r *http.Request, status int, allowEmpty bool, fn func(ctx context.Context, req *Req) (Res, error)) {
	var req Req
	if err := decodeJSON(r, &req, allowEmpty); err != nil {
		WriteError(w, err)
		return
	}
	res, err := fn(r.Context(), &req)
	answer(w, status, res, err)
}

// serveNoContent is serve for steps that answer 204 with no body.
func serveNoContent[Req any](w http.ResponseWriter, r *http.Request, allowEmpty bool, fn func(ctx context.Context, req *Req) error) {
	var req Req
	if err := decodeJSON(r, &req, allowEmpty); err != nil {
		WriteError(w, err)
		return
	}
	done(w, fn(r.Context(), &req))
}

// noBody is the request of a route whose input is its path and caller: an
// empty body, or an empty JSON object.
type noBody struct{}

// answer writes res as JSON with status, or err as a problem.
func answer(w http.ResponseWriter, status int, res any, err error) {
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, status, res)
}

// done answers 204, or err as a problem.
func done(w http.ResponseWriter, err error) {
	if err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
