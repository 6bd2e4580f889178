package kyc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
)

// testNow is the fixed "now" of the tests.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// seedJSON is the seed payload, with the document filled in by seedRequest.
const seedJSON = `{"userInfo":{"firstName":"Jean","lastName":"Dupont","email":"jean.dupont@example.com","phone":"+33614125910","birthDate":"1985-04-12","nationality":"FRA","residentialAddress":{"streetLine1":"10 rue de Rivoli","city":"Paris","postalCode":"75001","country":"FRA"},"socialSecurityNumber":"123-45-6789"},"termsSignedAt":"2026-01-01T10:00:00Z","additionalUserInfo":{"employmentStatus":"employed","sourceOfFunds":"salary","expectedMonthlyPaymentsUsd":"0_4999","mostRecentOccupation":"Engineer"},"verificationDocuments":[{"documentType":"passport","issuingCountry":"FRA","document":"data:image/png;base64,...","documentNumber":"12AB34567","expiryDate":"2030-01-01"}]}`

// pngBytes returns a w×h PNG; noisy images do not compress (for size tests).
func pngBytes(t testing.TB, w, h int, noisy bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(x), uint8(y), 128, 255}
			if noisy {
				c = color.NRGBA{uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func dataURL(mediaType string, b []byte) string {
	return "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(b)
}

var png400 = func() string {
	return dataURL("image/png", pngBytes(&testing.B{}, 400, 400, false))
}()

// seedRequest returns the seed payload with a real 400×400 PNG.
func seedRequest(t testing.TB) IndividualAccountRequest {
	t.Helper()
	var r IndividualAccountRequest
	require.NoError(t, json.Unmarshal([]byte(seedJSON), &r))
	r.VerificationDocuments[0].Document = png400
	return r
}

// seqReader yields 0,1,2,... bytes: deterministic ids.
type seqReader struct{ n byte }

func (s *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = s.n
		s.n++
	}
	return len(p), nil
}

func newTestValidator(t testing.TB, mod ...func(*Config)) *Validator {
	t.Helper()
	return newTestValidatorAt(t, onboardkit.Runtime{Clock: clocktest.New(testNow), Rand: &seqReader{}}, mod...)
}

// newTestValidatorAt is newTestValidator with its own clock and random
// source.
func newTestValidatorAt(t testing.TB, rt onboardkit.Runtime, mod ...func(*Config)) *Validator {
	t.Helper()
	var cfg Config
	for _, m := range mod {
		m(&cfg)
	}
	v, err := NewValidator(cfg, rt)
	require.NoError(t, err)
	return v
}

// fieldErrors returns the field errors of a validation error (failing the
// test for any other error).
func fieldErrors(t testing.TB, err error) []onboardkit.FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *onboardkit.Error
	require.True(t, errors.As(err, &e), "not an *onboardkit.Error: %v", err)
	require.Equal(t, onboardkit.CodeValidation, e.Code, "%v", err)
	require.True(t, errors.Is(err, onboardkit.ErrValidation))
	return e.Fields
}
