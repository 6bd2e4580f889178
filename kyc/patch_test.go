package kyc

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
)

func ptr(s string) *string { return &s }

// TestProfilePatch saves a profile in the order of the retail sign-up log
// (names, then the address, then the rest) and checks what is missing and
// what is wrong after each part.
func TestProfilePatch(t *testing.T) {
	v := newTestValidator(t)
	allRequired := []string{"firstName", "lastName", "birthDate", "nationality",
		"residentialAddress.streetLine1", "residentialAddress.city", "residentialAddress.country"}
	tests := []struct {
		name        string
		saved       Profile
		body        string
		wantMissing []string
		wantErrors  []string
	}{
		{"nothing yet", Profile{}, `{}`, allRequired, nil},
		{"names only", Profile{}, `{"firstName":"Desiree","lastName":"Greenholt"}`, allRequired[2:], nil},
		{"then the address", Profile{FirstName: "Desiree", LastName: "Greenholt"},
			`{"residentialAddress":{"streetLine1":"Boulevard de Sébastopol","city":"Paris","country":"FRA"}}`,
			[]string{"birthDate", "nationality", "residentialAddress.postalCode"}, nil},
		{"then the rest: complete", Profile{FirstName: "Desiree", LastName: "Greenholt", ResidentialAddress: Address{StreetLine1: "Boulevard de Sébastopol", City: "Paris", Country: "FRA"}},
			`{"birthDate":"1985-04-12","nationality":"FRA","residentialAddress":{"postalCode":"75001"}}`, nil, nil},
		{"a bad field given is an error, the others missing", Profile{},
			`{"firstName":"D3siree","birthDate":"tomorrow"}`, []string{"lastName", "nationality", "residentialAddress.streetLine1", "residentialAddress.city", "residentialAddress.country"},
			[]string{"firstName", "birthDate"}},
		{"a required field given empty is an error", Profile{FirstName: "Desiree"}, `{"firstName":""}`,
			allRequired[1:], []string{"firstName"}},
		{"a new country that the saved postal code does not fit", Profile{ResidentialAddress: Address{PostalCode: "75001", Country: "FRA"}},
			`{"residentialAddress":{"country":"GBR"}}`, nil, []string{"residentialAddress.postalCode"}},
		{"null keeps the saved value", Profile{FirstName: "Desiree"}, `{"firstName":null}`, allRequired[1:], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p ProfilePatch
			require.NoError(t, json.Unmarshal([]byte(tt.body), &p))
			missing, err := v.ValidateProfilePatch(p.Apply(tt.saved), p.Paths())
			if tt.wantErrors == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.wantMissing, missing)
				return
			}
			var oe *onboardkit.Error
			require.ErrorAs(t, err, &oe)
			var fields []string
			for _, f := range oe.Fields {
				fields = append(fields, f.Field)
			}
			assert.ElementsMatch(t, tt.wantErrors, fields)
			if tt.wantMissing != nil {
				assert.Equal(t, tt.wantMissing, missing)
			}
		})
	}
}

func TestPatchOfReplacesWhole(t *testing.T) {
	full := Profile{FirstName: "Jean", LastName: "Dupont", BirthDate: "1985-04-12", Nationality: "FRA",
		ResidentialAddress: Address{StreetLine1: "10 rue de Rivoli", City: "Paris", PostalCode: "75001", Country: "FRA"}, TimeZone: "Europe/Paris"}
	saved := Profile{MiddleName: "Pierre", Locale: "fr-FR"}
	assert.Equal(t, full, PatchOf(full).Apply(saved), "every field is given, empty ones too")
	assert.Len(t, PatchOf(full).Paths(), 13)
	assert.True(t, ProfilePatch{}.IsEmpty())
	assert.Equal(t, []string{"lastName", "residentialAddress.city"}, ProfilePatch{LastName: ptr("X"), ResidentialAddress: &AddressPatch{City: ptr("Y")}}.Paths())
	assert.Equal(t, []string{"firstName", "lastName", "birthDate", "nationality", "residentialAddress.streetLine1", "residentialAddress.city", "residentialAddress.country"},
		newTestValidator(t).MissingProfileFields(Profile{}))
}
