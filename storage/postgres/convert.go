package postgres

import (
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

// ts encodes a time: the zero time is NULL, others are stored in UTC
// (PostgreSQL keeps microseconds).
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t.UTC(), Valid: true}
}

// fromTS decodes a time stored by ts: NULL is the zero time, others UTC.
func fromTS(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// text encodes a string whose empty value is NULL (phone, email, user ids
// that may be absent).
func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

// bytesOrNil returns b, or nil when it is empty: the store keeps empty byte
// values as NULL and returns them as nil, like storage's Clone helpers.
func bytesOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// stringsOrNil returns s, or nil when it is empty.
func stringsOrNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func sealed(keyRef string, data []byte) storage.Sealed {
	return storage.Sealed{KeyRef: keyRef, Data: bytesOrNil(data)}
}

// findingDoc is the JSON form of storage.Finding.
type findingDoc struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func encodeFindings(fs []storage.Finding) ([]byte, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	d := make([]findingDoc, len(fs))
	for i, f := range fs {
		d[i] = findingDoc(f)
	}
	return json.Marshal(d)
}

func decodeFindings(b []byte) ([]storage.Finding, error) {
	if b == nil {
		return nil, nil
	}
	var d []findingDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	if len(d) == 0 {
		return nil, nil
	}
	fs := make([]storage.Finding, len(d))
	for i, f := range d {
		fs[i] = storage.Finding(f)
	}
	return fs, nil
}
