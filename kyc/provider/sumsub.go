package provider

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"slices"
	"strings"

	"github.com/onboardkit/onboardkit/kyc"
)

// The headers of a Sumsub notification.
const (
	// SumsubDigestHeader holds the hexadecimal HMAC of the raw body, keyed
	// with the webhook's secret key.
	SumsubDigestHeader = "X-Payload-Digest"
	// SumsubDigestAlgHeader names the HMAC's algorithm (a SumsubAlgorithm).
	SumsubDigestAlgHeader = "X-Payload-Digest-Alg"
)

// SumsubAlgorithm is a value of the X-Payload-Digest-Alg header, the
// signature algorithm chosen for the webhook in Sumsub's dashboard.
type SumsubAlgorithm string

// The signature algorithms Sumsub documents.
const (
	SumsubHMACSHA1   SumsubAlgorithm = "HMAC_SHA1_HEX"
	SumsubHMACSHA256 SumsubAlgorithm = "HMAC_SHA256_HEX"
	SumsubHMACSHA512 SumsubAlgorithm = "HMAC_SHA512_HEX"
)

var sumsubHashes = map[SumsubAlgorithm]func() hash.Hash{
	SumsubHMACSHA1:   sha1.New,
	SumsubHMACSHA256: sha256.New,
	SumsubHMACSHA512: sha512.New,
}

// SumsubOption configures NewSumsub.
type SumsubOption func(*Sumsub) error

// SumsubAlgorithms sets the signature algorithms Verify accepts, replacing
// the default (SumsubHMACSHA256 and SumsubHMACSHA512). Name SumsubHMACSHA1
// here only for a webhook still configured with it at Sumsub. An empty list
// or an unknown name makes NewSumsub fail.
func SumsubAlgorithms(algs ...SumsubAlgorithm) SumsubOption {
	return func(s *Sumsub) error {
		if len(algs) == 0 {
			return errors.New("provider: SumsubAlgorithms needs at least one algorithm")
		}
		s.algs = nil
		for _, a := range algs {
			if sumsubHashes[a] == nil {
				return fmt.Errorf("provider: %q is not a Sumsub signature algorithm", a)
			}
			if !slices.Contains(s.algs, a) {
				s.algs = append(s.algs, a)
			}
		}
		return nil
	}
}

// Sumsub is the Adapter of Sumsub (https://docs.sumsub.com) webhooks.
//
// # Signature
//
// Sumsub sends X-Payload-Digest, the hexadecimal HMAC of the raw body keyed
// with the webhook's secret key, and X-Payload-Digest-Alg, its algorithm:
// HMAC_SHA1_HEX, HMAC_SHA256_HEX or HMAC_SHA512_HEX. Verify accepts
// HMAC_SHA256_HEX (Sumsub's default for new webhooks) and HMAC_SHA512_HEX;
// HMAC_SHA1_HEX is refused unless the host allows it with SumsubAlgorithms.
// A request without X-Payload-Digest-Alg is refused: Sumsub's documentation
// names a default algorithm for configuring a webhook, not for a request
// that lacks the header, so no algorithm is assumed.
//
// # Decisions
//
// Only applicantReviewed decides, for an individual applicant (applicantType
// "individual" or absent; a company applicant's review decides nothing here):
//
//	reviewResult.reviewAnswer GREEN                  → active
//	RED with reviewResult.reviewRejectType RETRY     → waiting_for_information
//	RED with reviewResult.reviewRejectType FINAL     → rejected
//
// Any other reviewAnswer, or a RED without RETRY or FINAL, is ErrMalformed.
// A RETRY decision's Reason is a fixed sentence, and its MissingDocuments
// name the documents that documented rejection labels point at without
// doubt (BAD_PROOF_OF_ADDRESS → proof_of_address; BAD_PROOF_OF_IDENTITY,
// FRONT_SIDE_MISSING, BACK_SIDE_MISSING, DOCUMENT_PAGE_MISSING →
// identity_document; BAD_SELFIE → selfie). moderationComment and
// clientComment are never read: clientComment may hold private data. Every
// other type (applicantCreated, applicantPending, applicantOnHold, ...)
// decides nothing.
//
// externalUserId is this module's user id: the host creates the Sumsub
// applicant (or its WebSDK access token) with externalUserId set to it.
//
// # Event id
//
// Sumsub documents correlationId as "a unique identifier of the event", but
// as not always present. The EventID is the type and the correlationId,
// "applicantReviewed:req-…"; without a correlationId it is derived from the
// fields that identify the notification, "applicantReviewed:sha256:" and the
// hexadecimal SHA-256 of applicantId, reviewStatus and createdAtMs (when the
// webhook was created, the same on every resend of it). A deciding
// notification with neither is ErrMalformed.
type Sumsub struct {
	secret []byte
	algs   []SumsubAlgorithm
}

var _ Adapter = (*Sumsub)(nil)

// NewSumsub returns the Sumsub adapter for a webhook whose secret key is
// secret.
func NewSumsub(secret string, opts ...SumsubOption) (*Sumsub, error) {
	if strings.TrimSpace(secret) == "" {
		return nil, errors.New("provider: the Sumsub webhook secret is empty")
	}
	s := &Sumsub{secret: []byte(secret), algs: []SumsubAlgorithm{SumsubHMACSHA256, SumsubHMACSHA512}}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Name returns "sumsub".
func (*Sumsub) Name() string { return "sumsub" }

// Verify checks X-Payload-Digest over body with the algorithm named by
// X-Payload-Digest-Alg, which must be one the adapter accepts.
func (s *Sumsub) Verify(header http.Header, body []byte) error {
	digest, err := headerValue(header, SumsubDigestHeader)
	if err != nil {
		return err
	}
	name, err := headerValue(header, SumsubDigestAlgHeader)
	if err != nil {
		return err
	}
	alg := SumsubAlgorithm(name)
	newHash := sumsubHashes[alg]
	switch {
	case newHash == nil:
		return fmt.Errorf("%w: unknown %s", ErrSignature, SumsubDigestAlgHeader)
	case !slices.Contains(s.algs, alg):
		return fmt.Errorf("%w: %s is not accepted", ErrSignature, alg)
	}
	return checkHMAC(newHash, s.secret, body, digest)
}

// sumsubPayload is the part of a Sumsub webhook payload the adapter reads.
type sumsubPayload struct {
	Type           string          `json:"type"`
	ApplicantID    string          `json:"applicantId"`
	ApplicantType  string          `json:"applicantType"`
	CorrelationID  string          `json:"correlationId"`
	ExternalUserID string          `json:"externalUserId"`
	ReviewStatus   string          `json:"reviewStatus"`
	CreatedAtMs    json.RawMessage `json:"createdAtMs"`
	ReviewResult   json.RawMessage `json:"reviewResult"`
}

// sumsubReview is reviewResult, without its free-text comments.
type sumsubReview struct {
	ReviewAnswer     string   `json:"reviewAnswer"`
	ReviewRejectType string   `json:"reviewRejectType"`
	RejectLabels     []string `json:"rejectLabels"`
}

// sumsubMissing maps the rejection labels that point at one document
// without doubt to a kyc missing-document name.
var sumsubMissing = map[string]string{
	"BAD_PROOF_OF_ADDRESS":  kyc.MissingProofOfAddress,
	"BAD_PROOF_OF_IDENTITY": kyc.MissingIdentityDocument,
	"FRONT_SIDE_MISSING":    kyc.MissingIdentityDocument,
	"BACK_SIDE_MISSING":     kyc.MissingIdentityDocument,
	"DOCUMENT_PAGE_MISSING": kyc.MissingIdentityDocument,
	"BAD_SELFIE":            kyc.MissingSelfie,
}

// Parse reads a Sumsub notification (see Sumsub for the mapping).
func (s *Sumsub) Parse(body []byte) (*Notification, error) {
	var p sumsubPayload
	if err := decodeObject(body, &p); err != nil {
		return nil, err
	}
	if !printable(p.Type, maxEnumLen, false) {
		return nil, fmt.Errorf("%w: type is missing or not a type", ErrMalformed)
	}
	uid, err := userID(p.ExternalUserID, "externalUserId")
	if err != nil {
		return nil, err
	}
	n := &Notification{Type: p.Type, UserID: uid}
	n.EventID, err = sumsubEventID(&p)
	if err != nil {
		return nil, err
	}
	if p.Type != "applicantReviewed" || (p.ApplicantType != "" && p.ApplicantType != "individual") {
		return n, nil
	}
	var r sumsubReview
	if len(p.ReviewResult) == 0 || string(p.ReviewResult) == "null" || json.Unmarshal(p.ReviewResult, &r) != nil {
		return nil, fmt.Errorf("%w: applicantReviewed without a readable reviewResult", ErrMalformed)
	}
	var d kyc.Decision
	switch {
	case r.ReviewAnswer == "GREEN":
		d.Status = kyc.StatusActive
	case r.ReviewAnswer != "RED":
		return nil, fmt.Errorf("%w: reviewResult.reviewAnswer is neither GREEN nor RED", ErrMalformed)
	case r.ReviewRejectType == "FINAL":
		d.Status = kyc.StatusRejected
	case r.ReviewRejectType == "RETRY":
		d.Status = kyc.StatusWaitingForInformation
		d.Reason = retryReason
		for _, l := range r.RejectLabels {
			if m, ok := sumsubMissing[l]; ok && !slices.Contains(d.MissingDocuments, m) {
				d.MissingDocuments = append(d.MissingDocuments, m)
			}
		}
	default:
		return nil, fmt.Errorf("%w: a RED reviewResult without reviewRejectType RETRY or FINAL", ErrMalformed)
	}
	return decided(n, d, "externalUserId")
}

// sumsubEventID returns the notification's event id (see Sumsub), "" when
// the payload has none.
func sumsubEventID(p *sumsubPayload) (string, error) {
	if p.CorrelationID != "" {
		if !printable(p.CorrelationID, maxIDLen, false) {
			return "", fmt.Errorf("%w: correlationId is not an id", ErrMalformed)
		}
		return p.Type + ":" + p.CorrelationID, nil
	}
	created, err := sumsubCreatedAt(p.CreatedAtMs)
	if err != nil || p.ApplicantID == "" || created == "" {
		return "", err
	}
	if !printable(p.ApplicantID, maxIDLen, false) || p.ReviewStatus != "" && !printable(p.ReviewStatus, maxEnumLen, false) {
		return "", fmt.Errorf("%w: applicantId or reviewStatus is not an id", ErrMalformed)
	}
	// The parts hold no newline, so joining them with one is unambiguous.
	sum := sha256.Sum256([]byte(p.ApplicantID + "\n" + p.ReviewStatus + "\n" + created))
	return p.Type + ":sha256:" + hex.EncodeToString(sum[:]), nil
}

// sumsubCreatedAt returns createdAtMs as text. Sumsub documents it as a
// string ("2021-05-14 16:00:25.032"); a number is read as its digits.
func sumsubCreatedAt(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("%w: createdAtMs is not readable", ErrMalformed)
	}
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case float64:
		s = string(raw)
	}
	if !printable(s, maxEnumLen, true) {
		return "", fmt.Errorf("%w: createdAtMs is not a timestamp", ErrMalformed)
	}
	return s, nil
}
