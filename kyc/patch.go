package kyc

import (
	"errors"
	"slices"

	"github.com/onboardkit/onboardkit"
)

// ProfilePatch is the body of PATCH /v1/profile: a profile given in parts.
// A field given replaces the saved one; a field absent (or null) keeps it.
// Field names and rules are those of Profile.
type ProfilePatch struct {
	FirstName          *string       `json:"firstName"`
	LastName           *string       `json:"lastName"`
	MiddleName         *string       `json:"middleName"`
	BirthDate          *string       `json:"birthDate"`
	Nationality        *string       `json:"nationality"`
	ResidentialAddress *AddressPatch `json:"residentialAddress"`
	Locale             *string       `json:"locale"`
	TimeZone           *string       `json:"timeZone"`
}

// AddressPatch is the residential address of a ProfilePatch, in parts.
type AddressPatch struct {
	StreetLine1 *string `json:"streetLine1"`
	StreetLine2 *string `json:"streetLine2"`
	City        *string `json:"city"`
	PostalCode  *string `json:"postalCode"`
	Country     *string `json:"country"`
	State       *string `json:"state"`
}

// PatchOf returns the patch that gives every field of p, empty ones
// included: applying it replaces a saved profile whole.
func PatchOf(p Profile) ProfilePatch {
	a := p.ResidentialAddress
	return ProfilePatch{
		FirstName: &p.FirstName, LastName: &p.LastName, MiddleName: &p.MiddleName, BirthDate: &p.BirthDate,
		Nationality: &p.Nationality, Locale: &p.Locale, TimeZone: &p.TimeZone,
		ResidentialAddress: &AddressPatch{
			StreetLine1: &a.StreetLine1, StreetLine2: &a.StreetLine2, City: &a.City,
			PostalCode: &a.PostalCode, Country: &a.Country, State: &a.State,
		},
	}
}

// patchField is one field of a patch: its JSON path, the value given (nil
// when absent) and where it goes in a Profile.
type patchField struct {
	path string
	v    *string
	dst  func(*Profile) *string
}

func (p ProfilePatch) fields() []patchField {
	a := p.ResidentialAddress
	if a == nil {
		a = &AddressPatch{}
	}
	return []patchField{
		{"firstName", p.FirstName, func(q *Profile) *string { return &q.FirstName }},
		{"lastName", p.LastName, func(q *Profile) *string { return &q.LastName }},
		{"middleName", p.MiddleName, func(q *Profile) *string { return &q.MiddleName }},
		{"birthDate", p.BirthDate, func(q *Profile) *string { return &q.BirthDate }},
		{"nationality", p.Nationality, func(q *Profile) *string { return &q.Nationality }},
		{"residentialAddress.streetLine1", a.StreetLine1, func(q *Profile) *string { return &q.ResidentialAddress.StreetLine1 }},
		{"residentialAddress.streetLine2", a.StreetLine2, func(q *Profile) *string { return &q.ResidentialAddress.StreetLine2 }},
		{"residentialAddress.city", a.City, func(q *Profile) *string { return &q.ResidentialAddress.City }},
		{"residentialAddress.postalCode", a.PostalCode, func(q *Profile) *string { return &q.ResidentialAddress.PostalCode }},
		{"residentialAddress.country", a.Country, func(q *Profile) *string { return &q.ResidentialAddress.Country }},
		{"residentialAddress.state", a.State, func(q *Profile) *string { return &q.ResidentialAddress.State }},
		{"locale", p.Locale, func(q *Profile) *string { return &q.Locale }},
		{"timeZone", p.TimeZone, func(q *Profile) *string { return &q.TimeZone }},
	}
}

// Apply returns the saved profile with the fields of p given replaced.
func (p ProfilePatch) Apply(saved Profile) Profile {
	for _, f := range p.fields() {
		if f.v != nil {
			*f.dst(&saved) = *f.v
		}
	}
	return saved
}

// Paths returns the JSON paths of the fields p gives, in Profile order
// ("firstName", "residentialAddress.city", ...).
func (p ProfilePatch) Paths() []string {
	var out []string
	for _, f := range p.fields() {
		if f.v != nil {
			out = append(out, f.path)
		}
	}
	return out
}

// IsEmpty reports whether p gives no field.
func (p ProfilePatch) IsEmpty() bool { return len(p.Paths()) == 0 }

// ValidateProfilePatch checks a profile saved in parts: merged is the saved
// profile with a patch applied, given the paths the patch gave. It returns
// the required fields still missing (JSON paths, in Profile order; none
// when the profile is complete) and nil, or a validation *onboardkit.Error
// listing every problem the patch brings: a field given that breaks its
// rule (a required field given empty included), or a field the patch made
// invalid (a saved postal code that does not fit a new country). A required
// field that is simply not given yet is missing, not an error.
func (v *Validator) ValidateProfilePatch(merged Profile, given []string) (missing []string, err error) {
	verr := v.ValidateProfile(merged)
	if verr == nil {
		return nil, nil
	}
	var oe *onboardkit.Error
	if !errors.As(verr, &oe) {
		return nil, verr
	}
	var problems []onboardkit.FieldError
	for _, fe := range oe.Fields {
		if fe.Code == onboardkit.FieldRequired && !slices.Contains(given, fe.Field) {
			missing = append(missing, fe.Field)
			continue
		}
		problems = append(problems, fe)
	}
	if len(problems) > 0 {
		return missing, onboardkit.ValidationError(problems...)
	}
	return missing, nil
}

// MissingProfileFields returns the required fields of p that are empty
// (JSON paths), whatever else is wrong with it.
func (v *Validator) MissingProfileFields(p Profile) []string {
	missing, err := v.ValidateProfilePatch(p, nil)
	var oe *onboardkit.Error
	if errors.As(err, &oe) {
		for _, fe := range oe.Fields {
			if fe.Code == onboardkit.FieldRequired && !slices.Contains(missing, fe.Field) {
				missing = append(missing, fe.Field)
			}
		}
	}
	return missing
}
