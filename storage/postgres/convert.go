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

// profileDoc is the JSON form of storage.Profile (without the SSN, which
// has its own columns). The JSON names are part of the schema.
type profileDoc struct {
	FirstName         string     `json:"first_name,omitempty"`
	MiddleName        string     `json:"middle_name,omitempty"`
	LastName          string     `json:"last_name,omitempty"`
	BirthDate         string     `json:"birth_date,omitempty"`
	Nationality       string     `json:"nationality,omitempty"`
	Address           addressDoc `json:"address,omitzero"`
	TimeZone          string     `json:"time_zone,omitempty"`
	ProfilePictureURL string     `json:"profile_picture_url,omitempty"`
}

type addressDoc struct {
	StreetLine1 string `json:"street_line1,omitempty"`
	StreetLine2 string `json:"street_line2,omitempty"`
	City        string `json:"city,omitempty"`
	PostalCode  string `json:"postal_code,omitempty"`
	Country     string `json:"country,omitempty"`
	State       string `json:"state,omitempty"`
}

// complianceDoc is the JSON form of storage.Compliance. Times are RFC 3339
// in UTC with nanoseconds; zero times are left out.
type complianceDoc struct {
	TermsAcceptedAt            time.Time `json:"terms_accepted_at,omitzero"`
	TermsVersion               string    `json:"terms_version,omitempty"`
	PoliticallyExposed         bool      `json:"politically_exposed,omitempty"`
	EmploymentStatus           string    `json:"employment_status,omitempty"`
	SourceOfFunds              string    `json:"source_of_funds,omitempty"`
	ExpectedMonthlyPaymentsUSD string    `json:"expected_monthly_payments_usd,omitempty"`
	MostRecentOccupation       string    `json:"most_recent_occupation,omitempty"`
	SubmittedAt                time.Time `json:"submitted_at,omitzero"`
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func encodeProfile(p *storage.Profile) ([]byte, error) {
	if p == nil {
		return nil, nil
	}
	a := p.Address
	return json.Marshal(profileDoc{
		FirstName: p.FirstName, MiddleName: p.MiddleName, LastName: p.LastName,
		BirthDate: p.BirthDate, Nationality: p.Nationality,
		Address: addressDoc{
			StreetLine1: a.StreetLine1, StreetLine2: a.StreetLine2, City: a.City,
			PostalCode: a.PostalCode, Country: a.Country, State: a.State,
		},
		TimeZone: p.TimeZone, ProfilePictureURL: p.ProfilePictureURL,
	})
}

func decodeProfile(b []byte, ssn storage.Sealed) (*storage.Profile, error) {
	if b == nil {
		return nil, nil
	}
	var d profileDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	a := d.Address
	return &storage.Profile{
		FirstName: d.FirstName, MiddleName: d.MiddleName, LastName: d.LastName,
		BirthDate: d.BirthDate, Nationality: d.Nationality,
		Address: storage.Address{
			StreetLine1: a.StreetLine1, StreetLine2: a.StreetLine2, City: a.City,
			PostalCode: a.PostalCode, Country: a.Country, State: a.State,
		},
		TimeZone: d.TimeZone, SSN: ssn, ProfilePictureURL: d.ProfilePictureURL,
	}, nil
}

func encodeCompliance(c *storage.Compliance) ([]byte, error) {
	if c == nil {
		return nil, nil
	}
	return json.Marshal(complianceDoc{
		TermsAcceptedAt: utc(c.TermsAcceptedAt), TermsVersion: c.TermsVersion,
		PoliticallyExposed: c.PoliticallyExposed, EmploymentStatus: c.EmploymentStatus,
		SourceOfFunds: c.SourceOfFunds, ExpectedMonthlyPaymentsUSD: c.ExpectedMonthlyPaymentsUSD,
		MostRecentOccupation: c.MostRecentOccupation, SubmittedAt: utc(c.SubmittedAt),
	})
}

func decodeCompliance(b []byte) (*storage.Compliance, error) {
	if b == nil {
		return nil, nil
	}
	var d complianceDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	return &storage.Compliance{
		TermsAcceptedAt: utc(d.TermsAcceptedAt), TermsVersion: d.TermsVersion,
		PoliticallyExposed: d.PoliticallyExposed, EmploymentStatus: d.EmploymentStatus,
		SourceOfFunds: d.SourceOfFunds, ExpectedMonthlyPaymentsUSD: d.ExpectedMonthlyPaymentsUSD,
		MostRecentOccupation: d.MostRecentOccupation, SubmittedAt: utc(d.SubmittedAt),
	}, nil
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
