package kyc

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/onboardkit/onboardkit"
)

// Defaults of Config.
const (
	DefaultMinAge          = 18
	DefaultMaxDocumentSize = 10 << 20 // 10 MiB, decoded
	DefaultMinImageSide    = 300      // pixels; smaller images get a low_resolution warning
	DefaultMaxClockSkew    = 5 * time.Minute
)

// DefaultAllowedMediaTypes returns the media types documents may have by
// default: image/png, image/jpeg, application/pdf and image/webp.
func DefaultAllowedMediaTypes() []string {
	return []string{"image/png", "image/jpeg", "application/pdf", "image/webp"}
}

// Config configures a Validator. The zero value is usable: every zero field
// takes its default.
type Config struct {
	// MinAge is the minimum age in years (default 18).
	MinAge int
	// Rules are the risk and requirement rules (nil means DefaultRules()).
	Rules *Rules
	// TierLimits are the deposit limits per tier (nil means
	// DefaultTierLimits()).
	TierLimits TierLimits
	// MaxDocumentSize is the largest decoded document, in bytes (default
	// 10 MiB). Larger data URLs are refused before anything is decoded.
	MaxDocumentSize int64
	// AllowedMediaTypes lists the accepted document media types (default
	// DefaultAllowedMediaTypes()). Content is sniffed with
	// net/http.DetectContentType, so other types can only match if the
	// sniffer recognises them.
	AllowedMediaTypes []string
	// MinImageWidth and MinImageHeight: a PNG, JPEG or WebP document smaller
	// in either dimension gets a low_resolution warning (default 300 each).
	MinImageWidth, MinImageHeight int
	// MaxClockSkew is how far in the future a terms timestamp may be, to
	// allow for client clocks (default 5 minutes).
	MaxClockSkew time.Duration
}

// Validator validates KYC payloads and evaluates submissions. It holds one
// *validator.Validate with the package's custom rules registered once, and
// is safe for concurrent use.
type Validator struct {
	clock       onboardkit.Clock
	minAge      int
	rules       Rules
	limits      TierLimits
	maxDocSize  int64
	mediaTypes  []string
	minW, minH  int
	skew        time.Duration
	identity    map[DocumentType]bool
	highRisk    map[string]bool
	ssnRequired map[string]bool

	rand io.Reader // serialised by onboardkit.Runtime.WithDefaults

	v *validator.Validate
}

// NewValidator returns a Validator configured by cfg. rt.Clock gives "today"
// for ages, expiry dates and timestamps (dates are compared in UTC); rt.Rand
// is the source of document ids. It fails when cfg is inconsistent (negative
// sizes, unknown document types or country codes in the rules,
// MaxSubmissions below 1).
func NewValidator(cfg Config, rt onboardkit.Runtime) (*Validator, error) {
	rt = rt.WithDefaults()
	v := &Validator{
		clock:      rt.Clock,
		rand:       rt.Rand,
		minAge:     cfg.MinAge,
		limits:     cfg.TierLimits,
		maxDocSize: cfg.MaxDocumentSize,
		minW:       cfg.MinImageWidth,
		minH:       cfg.MinImageHeight,
		skew:       cfg.MaxClockSkew,
	}
	if v.minAge == 0 {
		v.minAge = DefaultMinAge
	}
	if v.minAge < 0 || v.minAge > 150 {
		return nil, fmt.Errorf("kyc: MinAge %d out of range", cfg.MinAge)
	}
	if v.limits == nil {
		v.limits = DefaultTierLimits()
	} else {
		v.limits = v.limits.clone()
	}
	if v.maxDocSize == 0 {
		v.maxDocSize = DefaultMaxDocumentSize
	}
	if v.maxDocSize < 0 || v.maxDocSize > 1<<30 {
		return nil, fmt.Errorf("kyc: MaxDocumentSize %d out of range", cfg.MaxDocumentSize)
	}
	if v.minW == 0 {
		v.minW = DefaultMinImageSide
	}
	if v.minH == 0 {
		v.minH = DefaultMinImageSide
	}
	if v.minW < 0 || v.minH < 0 {
		return nil, errors.New("kyc: negative minimum image size")
	}
	if v.skew == 0 {
		v.skew = DefaultMaxClockSkew
	}
	if v.skew < 0 {
		return nil, errors.New("kyc: negative MaxClockSkew")
	}
	if cfg.AllowedMediaTypes == nil {
		v.mediaTypes = DefaultAllowedMediaTypes()
	} else {
		v.mediaTypes = make([]string, len(cfg.AllowedMediaTypes))
		for i, mt := range cfg.AllowedMediaTypes {
			if !isMediaType(mt) {
				return nil, fmt.Errorf("kyc: AllowedMediaTypes: %q is not a media type", mt)
			}
			v.mediaTypes[i] = strings.ToLower(mt)
		}
	}
	if cfg.Rules == nil {
		v.rules = DefaultRules()
	} else {
		v.rules = cfg.Rules.clone()
	}
	if err := v.rules.check(); err != nil {
		return nil, err
	}
	v.identity = make(map[DocumentType]bool)
	for _, t := range v.rules.IdentityDocumentTypes {
		v.identity[t] = true
	}
	v.highRisk = setOf(v.rules.HighRiskCountries)
	v.ssnRequired = setOf(v.rules.RequireSSNCountries)

	v.v = validator.New(validator.WithRequiredStructEnabled())
	v.v.RegisterTagNameFunc(jsonName)
	if err := v.register(); err != nil {
		return nil, err
	}
	return v, nil
}

// Rules returns a copy of the rules in force.
func (v *Validator) Rules() Rules { return v.rules.clone() }

// Limits returns the deposit limits of tier t (zero limits for an unknown
// tier or TierNone).
func (v *Validator) Limits(t Tier) Limits { return v.limits.For(t) }

// TierLimits returns a copy of the configured limits per tier.
func (v *Validator) TierLimits() TierLimits { return v.limits.clone() }

// today returns the current UTC date at midnight.
func (v *Validator) today() time.Time {
	n := v.clock.Now().UTC()
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}

// ValidateProfile checks the body of PATCH /v1/profile. It returns nil or a
// validation *onboardkit.Error listing every field problem.
func (v *Validator) ValidateProfile(p Profile) error { return v.validate(&p) }

// ValidateCompliance checks the body of POST /v1/compliance (the
// questionnaire, when present, is checked too). It returns nil or a
// validation *onboardkit.Error listing every field problem.
func (v *Validator) ValidateCompliance(c Compliance) error { return v.validate(&c) }

// ValidateSubmission checks the structure of the body of POST /v1/kyc:
// document types, countries, numbers, date formats and MRZ shape. Document
// content (data URL, size, media type, image, expiry, MRZ check digits) is
// examined by Evaluate, which reports it as per-document findings.
func (v *Validator) ValidateSubmission(s Submission) error { return v.validate(&s) }

// ValidateIndividualAccount checks the integrator's individual-account
// request with the same rules, field paths rooted at the body
// ("userInfo.residentialAddress.postalCode", "verificationDocuments[0].documentNumber").
func (v *Validator) ValidateIndividualAccount(r IndividualAccountRequest) error {
	return v.validate(&r)
}

func (v *Validator) validate(s any) error {
	err := v.v.Struct(s)
	if err == nil {
		return nil
	}
	return v.translate(err)
}

// CheckSubmission reports whether a user whose verification status is
// current and who has already made previous submissions may submit again:
// an *onboardkit.Error with CodeInvalidTransition when current cannot move to
// StatusInit, or with CodeLimitReached when previous has reached
// Rules.MaxSubmissions.
func (v *Validator) CheckSubmission(current Status, previous int) error {
	if err := Transition(current, StatusInit); err != nil {
		return err
	}
	if previous >= v.rules.MaxSubmissions {
		return &onboardkit.Error{
			Code:    onboardkit.CodeLimitReached,
			Message: fmt.Sprintf("No more than %d KYC submissions are accepted.", v.rules.MaxSubmissions),
		}
	}
	return nil
}

// newID returns a random UUID (version 4) read from the injected source.
func (v *Validator) newID() (string, error) {
	var b [16]byte
	_, err := io.ReadFull(v.rand, b[:])
	if err != nil {
		return "", &onboardkit.Error{Code: onboardkit.CodeInternal, Message: "An identifier could not be generated.", Err: err}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	out := make([]byte, 36)
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexd[c>>4], hexd[c&0xf]
		j += 2
	}
	return string(out), nil
}

func setOf(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}
