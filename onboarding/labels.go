// This file owns what the host attaches to users and accounts: roles (who
// may give which; carried in access tokens) and bounded string maps (a
// user's metadata, an account's additional information), sealed like
// every other value a caller gives.

package onboarding

import (
	"fmt"
	"slices"
	"sort"
	"unicode"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit"
)

// RolesConfig says which roles users may carry. Roles are labels the host
// defines ("trader", "support:read"); an operator gives them (SetRoles) and
// access tokens carry them (AccessClaims.Roles).
type RolesConfig struct {
	// Allowed lists the roles an operator may give; empty: any well-formed
	// label (1 to 64 of a-z, 0-9, '_', '.', ':' and '-').
	Allowed []string
	// SelfAssigned lists the roles a user may ask for at sign-up; empty:
	// none, a sign-up with roles is refused (roles are an operator's
	// decision).
	SelfAssigned []string
}

// Bounds of roles and of string maps (user metadata, account additional
// information).
const (
	MaxRoles          = 16
	MaxMapKeys        = 16
	MaxMapKeyBytes    = 64
	MaxMapValueBytes  = 1024
	maxRoleLabelBytes = 64
)

// validLabel reports a well-formed role or map key: 1 to max bytes of
// letters (lower-case only for roles), digits, '_', '.', ':' and '-'.
func validLabel(s string, max int, upper bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || upper && c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// checkRoles reports every problem of roles given at field, a user's own
// request (self) or an operator's: too many, malformed, not allowed.
func (c RolesConfig) checkRoles(field string, roles []string, self bool) []onboardkit.FieldError {
	var out []onboardkit.FieldError
	if len(roles) > MaxRoles {
		out = append(out, onboardkit.FieldError{Field: field, Code: onboardkit.FieldTooMany, Message: fmt.Sprintf("At most %d roles are accepted.", MaxRoles)})
	}
	for i, r := range roles {
		path := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !validLabel(r, maxRoleLabelBytes, false):
			out = append(out, onboardkit.FieldError{Field: path, Code: onboardkit.FieldInvalid, Message: "A role is 1 to 64 of a-z, 0-9, '_', '.', ':' and '-'."})
		case self && !slices.Contains(c.SelfAssigned, r):
			out = append(out, onboardkit.FieldError{Field: path, Code: onboardkit.FieldNotAllowed, Message: "This role is given by an operator, not at sign-up."})
		case !self && len(c.Allowed) > 0 && !slices.Contains(c.Allowed, r):
			out = append(out, onboardkit.FieldError{Field: path, Code: onboardkit.FieldInvalidEnum, Message: "Use one of the roles this service defines."})
		}
	}
	return out
}

// normalizeRoles returns roles sorted without duplicates (nil for none).
func normalizeRoles(roles []string) []string {
	if len(roles) == 0 {
		return nil
	}
	out := slices.Clone(roles)
	sort.Strings(out)
	return slices.Compact(out)
}

// checkMap reports every problem of a string map given at field: too many
// keys, malformed keys, values too long or holding control characters.
func checkMap(field string, m map[string]string) []onboardkit.FieldError {
	var out []onboardkit.FieldError
	if len(m) > MaxMapKeys {
		out = append(out, onboardkit.FieldError{Field: field, Code: onboardkit.FieldTooMany, Message: fmt.Sprintf("At most %d keys are accepted.", MaxMapKeys)})
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		path := field + "." + k
		if !validLabel(k, MaxMapKeyBytes, true) {
			path = field
			out = append(out, onboardkit.FieldError{Field: path, Code: onboardkit.FieldInvalid, Message: "A key is 1 to 64 of A-Z, a-z, 0-9, '_', '.', ':' and '-'."})
			continue
		}
		switch {
		case len(v) > MaxMapValueBytes:
			out = append(out, onboardkit.FieldError{Field: path, Code: onboardkit.FieldTooLong, Message: fmt.Sprintf("Use at most %d bytes.", MaxMapValueBytes)})
		case !printable(v):
			out = append(out, onboardkit.FieldError{Field: path, Code: onboardkit.FieldInvalidCharacters, Message: "The value holds control or non-UTF-8 characters."})
		}
	}
	return out
}

// printable reports valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if unicode.IsControl(c) {
			return false
		}
	}
	return true
}
