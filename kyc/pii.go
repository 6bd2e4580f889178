package kyc

import (
	"log/slog"
	"strconv"
	"strings"
)

// MaskSSN masks a social security (or national identification) number for
// display: letters and digits become '*' except the last four, separators
// (hyphens, spaces) are kept: "123-45-6789" → "***-**-6789". Numbers of 5 to
// 7 letters and digits keep only their last two, shorter ones are masked
// whole; any other character is masked.
func MaskSSN(ssn string) string {
	n := 0
	for i := 0; i < len(ssn); i++ {
		if isAlnum(ssn[i]) {
			n++
		}
	}
	keep := 0
	switch {
	case n >= 8:
		keep = 4
	case n >= 5:
		keep = 2
	}
	var b strings.Builder
	b.Grow(len(ssn))
	seen := 0
	for _, r := range ssn {
		switch {
		case r < 0x80 && isAlnum(byte(r)):
			seen++
			if seen > n-keep {
				b.WriteRune(r)
			} else {
				b.WriteByte('*')
			}
		case r == '-' || r == ' ':
			b.WriteRune(r)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

// MaskDocumentNumber masks a document number for display as MaskSSN does:
// "FR1234567890" → "********7890".
func MaskDocumentNumber(n string) string { return MaskSSN(n) }

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// maskEmail keeps the first character of the local part and the domain.
func maskEmail(e string) string {
	at := strings.LastIndexByte(e, '@')
	if at <= 0 {
		return "***"
	}
	return e[:1] + "***" + e[at:]
}

// maskPhone keeps the "+", the first two digits and the last two.
func maskPhone(p string) string {
	if len(p) < 7 {
		return "***"
	}
	return p[:3] + strings.Repeat("*", len(p)-5) + p[len(p)-2:]
}

const redacted = "[REDACTED]"

// LogValue implements slog.LogValuer: names, birth date, street, SSN and
// picture are redacted, the email and phone masked; countries are kept.
func (u UserInfo) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", redacted),
		slog.String("email", maskEmail(u.Email)),
		slog.String("phone", maskPhone(u.Phone)),
		slog.String("birthDate", redacted),
		slog.String("nationality", u.Nationality),
		slog.String("country", u.ResidentialAddress.Country),
		slog.Bool("hasSSN", u.SocialSecurityNumber != ""),
	)
}

// LogValue implements slog.LogValuer: only the countries and which optional
// settings are present are logged.
func (p Profile) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", redacted),
		slog.String("birthDate", redacted),
		slog.String("nationality", p.Nationality),
		slog.String("country", p.ResidentialAddress.Country),
		slog.String("locale", p.Locale),
		slog.String("timeZone", p.TimeZone),
	)
}

// LogValue implements slog.LogValuer: the terms timestamp and version and
// whether a questionnaire is present; the PEP declaration and the answers
// are not logged.
func (c Compliance) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("termsAcceptedAt", c.TermsAcceptedAt),
		slog.String("termsVersion", c.TermsVersion),
		slog.Bool("hasQuestionnaire", c.Questionnaire != nil),
	)
}

// LogValue implements slog.LogValuer: the type, issuing country, declared
// media type and size are logged; the number, MRZ and content never are.
func (d VerificationDocument) LogValue() slog.Value {
	mt := ""
	if len(d.Document) > 5 && strings.EqualFold(d.Document[:5], "data:") {
		head := d.Document[5:min(len(d.Document), 64)]
		if i := strings.IndexAny(head, ";,"); i >= 0 && isMediaType(head[:i]) {
			mt = strings.ToLower(head[:i])
		}
	}
	return slog.GroupValue(
		slog.String("documentType", string(d.DocumentType)),
		slog.String("issuingCountry", d.IssuingCountry),
		slog.String("mediaType", mt),
		slog.Int("encodedBytes", len(d.Document)),
		slog.Bool("hasNumber", d.DocumentNumber != ""),
		slog.Bool("hasMRZ", len(d.MRZ) > 0),
		slog.String("expiryDate", d.ExpiryDate),
	)
}

// LogValue implements slog.LogValuer: the documents (each redacted by its
// own LogValue) and whether an SSN is present.
func (s Submission) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("verificationDocuments", docsLog(s.VerificationDocuments)),
		slog.Bool("hasSSN", s.SocialSecurityNumber != ""),
	)
}

// LogValue implements slog.LogValuer with UserInfo's and the documents'
// redaction.
func (r IndividualAccountRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("userInfo", r.UserInfo),
		slog.String("termsSignedAt", r.Terms()),
		slog.Bool("hasAdditionalUserInfo", r.AdditionalUserInfo != nil),
		slog.Int("authenticators", len(r.Authenticators)),
		slog.Any("verificationDocuments", docsLog(r.VerificationDocuments)),
	)
}

// LogValue implements slog.LogValuer: id, type, media type, size and finding
// codes; never the number or the content.
func (d DocumentResult) LogValue() slog.Value {
	codes := func(fs []Finding) []string {
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = f.Code
		}
		return out
	}
	return slog.GroupValue(
		slog.String("documentId", d.DocumentID),
		slog.String("documentType", string(d.DocumentType)),
		slog.String("mediaType", d.MediaType),
		slog.Int("bytes", len(d.Content)),
		slog.Any("warnings", codes(d.Warnings)),
		slog.Any("errors", codes(d.Errors)),
	)
}

// LogValue implements slog.LogValuer: the status, the missing items and
// each document through DocumentResult.LogValue.
func (r Result) LogValue() slog.Value {
	docs := make([]slog.Attr, len(r.Documents))
	for i, d := range r.Documents {
		docs[i] = slog.Any(itoa(i), d)
	}
	return slog.GroupValue(
		slog.String("verificationStatus", string(r.Status)),
		slog.Any("missingDocuments", r.MissingDocuments),
		slog.Any("missingFields", r.MissingFields),
		slog.Any("riskFactors", r.RiskFactors),
		slog.Attr{Key: "verificationDocuments", Value: slog.GroupValue(docs...)},
	)
}

// LogValue implements slog.LogValuer: the ids and the redacted result.
func (r Review) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("userId", r.UserID), slog.String("submissionId", r.SubmissionID)}
	if r.Result != nil {
		attrs = append(attrs, slog.Any("result", *r.Result))
	}
	return slog.GroupValue(attrs...)
}

type docsLog []VerificationDocument

// LogValue logs each document through its own LogValue.
func (ds docsLog) LogValue() slog.Value {
	attrs := make([]slog.Attr, len(ds))
	for i, d := range ds {
		attrs[i] = slog.Any(itoa(i), d)
	}
	return slog.GroupValue(attrs...)
}

func itoa(i int) string { return strconv.Itoa(i) }
