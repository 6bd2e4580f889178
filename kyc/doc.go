// Package kyc holds the domain of know-your-customer checks: the payload
// types of the profile, compliance, KYC and integrator routes, their
// validation, document decoding and sniffing, MRZ check digits, the risk
// rules that decide what is required, the verification status machine, the
// tiers and their deposit limits, and the Reviewer interface.
//
// The package is pure: it stores nothing, imports no storage adapter, reads
// time and randomness only through the onboardkit.Runtime it is given. The
// onboarding Service maps its types to storage records.
//
// # Entry points
//
// NewValidator builds a Validator from a Config (all fields optional) and a
// Runtime. Its methods map to the journey:
//
//   - PATCH /v1/profile: ValidateProfile(Profile).
//   - POST /v1/compliance: ValidateCompliance(Compliance).
//   - POST /v1/kyc: CheckSubmission(current status, previous submissions),
//     ValidateSubmission(Submission), then Evaluate(ctx, EvaluateInput) →
//     *Result; move the status not_started/waiting_for_information → init →
//     Result.Status, and hand an under_review submission to the Reviewer.
//   - POST /v1/integrator/kyc-decisions: CheckDecision(current, Decision).
//   - POST /v1/integrator/individual-accounts:
//     ValidateIndividualAccount(IndividualAccountRequest), then
//     Evaluate(ctx, req.EvaluateInput()).
//   - Tiers: TierFor and Validator.Limits.
//
// Validation failures are a validation *onboardkit.Error (Code
// "validation") whose Fields list every problem at once, one per field,
// with the JSON path of the field ("userInfo.residentialAddress.postalCode",
// "verificationDocuments[0].documentNumber") and a stable code. Messages are
// written by this package; they never contain the submitted values.
//
// # Field codes
//
// required, invalid, invalid_country, invalid_phone, invalid_date,
// in_future, too_young, invalid_postal_code, invalid_enum, too_long,
// too_short, too_many, invalid_email (the Code* constants).
//
// # Rules
//
//   - Countries: the 249 officially assigned ISO 3166-1 alpha-3 codes,
//     upper case (see IsCountry).
//   - Phones: strict E.164 ("+33614125910", no spaces) that libphonenumber
//     (github.com/nyaruka/phonenumbers) reports valid.
//   - Dates: "YYYY-MM-DD", a real calendar date. A birth date is not in the
//     future, not more than 130 years ago, and the user is at least
//     Config.MinAge (default 18) on the Clock's current UTC date. Timestamps
//     (termsAcceptedAt, termsSignedAt) are RFC 3339 and not later than now
//     plus Config.MaxClockSkew.
//   - Names: up to 100 characters; letters of any script (with combining
//     accents), spaces, hyphens and apostrophes, starting and ending with a
//     letter.
//   - Postal codes: required and checked for FRA, DEU, ITA, ESP, GBR, USA,
//     NLD, BEL, CHE, CAN, AUT, PRT, POL, LUX and SWE (PostalCodeCountries);
//     optional elsewhere, and then 1–12 letters, digits, spaces or hyphens.
//   - Enums: employment status (EmploymentStatuses), source of funds
//     (SourcesOfFunds), expected monthly payments (PaymentBands: 0_4999,
//     5000_9999, 10000_49999, 50000_99999, 100000_plus), document type
//     (DocumentTypes).
//   - Social security number: 4–20 letters or digits, single hyphens or
//     spaces between them. Only shape and presence are checked.
//   - Documents: issuingCountry and documentNumber are required for
//     passport, id_card, driving_licence and residence_permit. Numbers are
//     normalised (NormalizeDocumentNumber: spaces removed, upper case), then
//     a passport number has 6–9 letters or digits, other identity documents
//     5–20. An MRZ, when given, is 2×44 characters (TD3) for a passport or
//     3×30 (TD1) for an id card or residence permit, in A–Z, 0–9 and '<'.
//
// # Validation errors and findings: the boundary
//
// A validation error means the JSON describing the submission is wrong in
// itself: a missing or malformed field, an unknown document type, a bad
// country code, a badly shaped document number or date, an MRZ of the wrong
// shape. The request is refused (422) and nothing is stored.
//
// A finding is what examining a document's content, or comparing it with
// other facts, reveals: the data URL, its size, media type and magic bytes,
// the image dimensions, the expiry date against today, the MRZ check digits
// and its agreement with the declared number, country and dates. Findings
// are listed per document in Result.Documents (warnings and errors); the
// submission is accepted and stored, and a document with errors does not
// count towards the required documents.
//
// Finding codes (the Finding* constants): errors invalid_data_url,
// too_large, empty_document, unsupported_media_type, content_mismatch,
// unreadable_image, expired, mrz_check_digit, mrz_mismatch; warning
// low_resolution.
//
// Documents are data URLs "data:<type>/<subtype>;base64,<data>" with padded
// standard base64 and no line breaks. A data URL longer than the base64
// length of Config.MaxDocumentSize (default 10 MiB) is refused before
// anything is decoded. The declared media type must be allowed
// (Config.AllowedMediaTypes: PNG, JPEG, PDF, WebP by default; a selfie must
// be an image) and equal the type net/http.DetectContentType sniffs. PNG,
// JPEG and WebP smaller than Config.MinImageWidth × MinImageHeight (default
// 300×300) get a low_resolution warning.
//
// # Risk rules and missing items
//
// Rules (DefaultRules) require one error-free identity document (passport,
// id_card or residence_permit), optionally a proof of address and a selfie;
// the questionnaire (additionalUserInfo) when the user is 60 or older,
// declares being politically exposed, or resides in a high-risk country
// (default PRK, IRN, MMR); a social security number for residents of USA.
// Result lists MissingDocuments (identity_document, proof_of_address,
// selfie) and MissingFields (additionalUserInfo, socialSecurityNumber);
// anything missing makes Result.Status waiting_for_information, otherwise
// under_review. Rules.MaxSubmissions (default 5) caps resubmissions
// (CheckSubmission answers limit_reached).
//
// # Verification status
//
//	not_started             → init
//	init                    → under_review | waiting_for_information
//	under_review            → active | rejected | waiting_for_information
//	waiting_for_information → init (a new submission) | under_review
//	active                  → inactive (an operator deactivated the user)
//	inactive                → under_review (reactivation goes through review again)
//	rejected                → (final)
//
// init means a submission was received and is being checked. Transition
// returns an invalid_transition *onboardkit.Error naming both statuses.
//
// # Tiers
//
// TierNone; KYC_0 once the contact is verified and the personal details
// complete; KYC_1 once the verification is active. Each tier has daily and
// monthly deposit limits in minor units (DefaultTierLimits: 0/0 for KYC_0,
// 100000/500000 for KYC_1), configurable with Config.TierLimits.
//
// # Reviewer
//
// After storing an under_review submission the Service calls
// Reviewer.Submit. A provider that decides later returns a nil Decision and
// the decision arrives through the integrator route; DevReviewer decides at
// once (active when complete and error-free, waiting_for_information
// otherwise), and the Service applies the returned Decision immediately. No
// callback is involved, so there is no cycle between the Service and its
// reviewer.
//
// # Personal data
//
// Social security numbers, document numbers, MRZ lines and document bytes
// never appear in error messages or findings. UserInfo, Profile,
// Compliance, VerificationDocument, Submission, IndividualAccountRequest,
// DocumentResult, Result and Review implement slog.LogValuer and log only
// redacted values (countries, types, sizes, masked email and phone). Use
// MaskSSN to show a number to its owner.
package kyc
