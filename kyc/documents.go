package kyc

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	_ "image/jpeg" // registers the JPEG decoder for image.DecodeConfig
	_ "image/png"  // registers the PNG decoder for image.DecodeConfig
	"net/http"
	"slices"
	"strings"
	"time"
)

// Finding codes of DocumentResult.Errors and DocumentResult.Warnings.
const (
	// Errors.
	FindingInvalidDataURL       = "invalid_data_url"        // not "data:<type>/<subtype>;base64,<data>" with valid base64
	FindingTooLarge             = "too_large"               // decoded size over Config.MaxDocumentSize
	FindingEmptyDocument        = "empty_document"          // no data
	FindingUnsupportedMediaType = "unsupported_media_type"  // declared type not allowed (a selfie must be an image)
	FindingContentMismatch      = "content_mismatch"        // the content is not of the declared type
	FindingUnreadableImage      = "unreadable_image"        // the image header cannot be read
	FindingExpired              = "expired"                 // expiryDate before today
	FindingMRZCheckDigit        = "mrz_check_digit"         // an ICAO 9303 check digit does not match
	FindingMRZMismatch          = "mrz_mismatch"            // the MRZ disagrees with the declared number, country or dates
	FindingMissingNumber        = "missing_document_number" // a passport, id card, driving licence or residence permit without its number
	FindingUnsupportedType      = "unsupported_document_type"
	// Warnings.
	FindingLowResolution = "low_resolution"          // image smaller than Config.MinImageWidth × MinImageHeight
	FindingUnusualNumber = "unusual_document_number" // the number does not have the usual shape of its type
)

var findingMessages = map[string]string{
	FindingInvalidDataURL:       "The document must be a data URL of the form data:<media type>;base64,<data>.",
	FindingTooLarge:             "The document is too large.",
	FindingEmptyDocument:        "The document is empty.",
	FindingUnsupportedMediaType: "This media type is not accepted for this document.",
	FindingContentMismatch:      "The document content does not match its declared media type.",
	FindingUnreadableImage:      "The image cannot be read.",
	FindingExpired:              "The document has expired.",
	FindingLowResolution:        "The image is small and may be unreadable; use a sharper picture.",
	FindingMissingNumber:        "The document number is required for this type of document.",
	FindingUnsupportedType:      "This type of document is not accepted.",
}

func finding(code string) Finding { return Finding{Code: code, Message: findingMessages[code]} }

// checkDocument examines one structurally valid document.
func (v *Validator) checkDocument(d *VerificationDocument, birth, today time.Time) (DocumentResult, error) {
	id, err := v.newID()
	if err != nil {
		return DocumentResult{}, err
	}
	r := DocumentResult{
		DocumentID:     id,
		DocumentType:   d.DocumentType,
		Warnings:       []Finding{},
		Errors:         []Finding{},
		DocumentNumber: NormalizeDocumentNumber(d.DocumentNumber),
		IssuingCountry: d.IssuingCountry,
		ExpiryDate:     d.ExpiryDate,
		Description:    d.Description,
	}
	if !d.DocumentType.Supported() {
		r.Errors = append(r.Errors, finding(FindingUnsupportedType))
	}
	if f, isErr, ok := numberFinding(d.DocumentType, r.DocumentNumber); ok && isErr {
		r.Errors = append(r.Errors, f)
	} else if ok {
		r.Warnings = append(r.Warnings, f)
	}
	mt, content, code := parseDataURL(d.Document, v.maxDocSize)
	if code != "" {
		r.Errors = append(r.Errors, finding(code))
	} else {
		r.MediaType, r.Content = mt, content
		v.checkContent(&r)
	}
	if exp, ok := parseDate(d.ExpiryDate); ok && exp.Before(today) {
		r.Errors = append(r.Errors, finding(FindingExpired))
	}
	if len(d.MRZ) > 0 {
		r.Errors = append(r.Errors, checkMRZ(d, r.DocumentNumber, birth)...)
	}
	return r, nil
}

// checkContent checks the media type, sniffs the content and reads image
// dimensions.
func (v *Validator) checkContent(r *DocumentResult) {
	mt := r.MediaType
	if !slices.Contains(v.mediaTypes, mt) || (r.DocumentType == DocumentSelfie && !strings.HasPrefix(mt, "image/")) {
		r.Errors = append(r.Errors, finding(FindingUnsupportedMediaType))
		return
	}
	sniffed, _, _ := strings.Cut(http.DetectContentType(r.Content), ";")
	if sniffed != mt {
		r.Errors = append(r.Errors, finding(FindingContentMismatch))
		return
	}
	var w, h int
	switch mt {
	case "image/png", "image/jpeg":
		cfg, _, err := image.DecodeConfig(bytes.NewReader(r.Content))
		if err != nil {
			r.Errors = append(r.Errors, finding(FindingUnreadableImage))
			return
		}
		w, h = cfg.Width, cfg.Height
	case "image/webp":
		var ok bool
		if w, h, ok = webpSize(r.Content); !ok {
			r.Errors = append(r.Errors, finding(FindingUnreadableImage))
			return
		}
	default:
		return
	}
	if w < v.minW || h < v.minH {
		f := finding(FindingLowResolution)
		f.Message = fmt.Sprintf("The image is %d×%d pixels, under the %d×%d minimum, and may be unreadable; use a sharper picture.", w, h, v.minW, v.minH)
		r.Warnings = append(r.Warnings, f)
	}
}

// parseDataURL parses a strict "data:<type>/<subtype>;base64,<data>" URL and
// decodes it, refusing (by length, before any allocation) data that would
// decode to more than max bytes. It returns a finding code on failure.
//
// Strict means: the scheme "data:" (any case), a media type of token
// characters without parameters (lower-cased on return), ";base64", then
// standard padded base64 with no whitespace or line breaks.
func parseDataURL(s string, max int64) (mediaType string, data []byte, code string) {
	if len(s) < 5 || !strings.EqualFold(s[:5], "data:") {
		return "", nil, FindingInvalidDataURL
	}
	rest := s[5:]
	head := rest
	if len(head) > 260 {
		head = head[:260]
	}
	comma := strings.IndexByte(head, ',')
	if comma < 0 {
		return "", nil, FindingInvalidDataURL
	}
	mt, ok := strings.CutSuffix(rest[:comma], ";base64")
	if !ok || !isMediaType(mt) {
		return "", nil, FindingInvalidDataURL
	}
	mediaType = strings.ToLower(mt)
	enc := rest[comma+1:]
	if int64(len(enc)) > int64(base64.StdEncoding.EncodedLen(int(max))) {
		return mediaType, nil, FindingTooLarge
	}
	if len(enc) == 0 {
		return mediaType, nil, FindingEmptyDocument
	}
	if len(enc)%4 != 0 || strings.ContainsAny(enc, "\r\n") {
		return mediaType, nil, FindingInvalidDataURL
	}
	pad := 0
	if i := strings.IndexByte(enc, '='); i >= 0 {
		pad = len(enc) - i
		if pad > 2 || (pad == 2 && enc[len(enc)-1] != '=') {
			return mediaType, nil, FindingInvalidDataURL
		}
	}
	n := len(enc)/4*3 - pad
	if int64(n) > max {
		return mediaType, nil, FindingTooLarge
	}
	out := make([]byte, n)
	// Decode through a fixed buffer so the encoded string is never copied
	// whole.
	var chunk [4096]byte
	strict := base64.StdEncoding.Strict()
	off := 0
	for i := 0; i < len(enc); i += len(chunk) {
		m := copy(chunk[:], enc[i:])
		k, err := strict.Decode(out[off:], chunk[:m])
		if err != nil {
			return mediaType, nil, FindingInvalidDataURL
		}
		off += k
	}
	if off != n {
		return mediaType, nil, FindingInvalidDataURL
	}
	return mediaType, out, ""
}

// isMediaType reports whether s is "type/subtype" made of RFC 6838
// restricted-name characters.
func isMediaType(s string) bool {
	typ, sub, ok := strings.Cut(s, "/")
	return ok && isRestrictedName(typ) && isRestrictedName(sub)
}

func isRestrictedName(s string) bool {
	if s == "" || len(s) > 127 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && strings.IndexByte("!#$&-^_.+", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// webpSize reads the canvas size from a WebP header (VP8, VP8L or VP8X).
func webpSize(b []byte) (w, h int, ok bool) {
	if len(b) < 30 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 0, 0, false
	}
	switch string(b[12:16]) {
	case "VP8X":
		w = int(uint32(b[24])|uint32(b[25])<<8|uint32(b[26])<<16) + 1
		h = int(uint32(b[27])|uint32(b[28])<<8|uint32(b[29])<<16) + 1
		return w, h, true
	case "VP8 ":
		if b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a {
			return 0, 0, false
		}
		w = int(binary.LittleEndian.Uint16(b[26:28]) & 0x3fff)
		h = int(binary.LittleEndian.Uint16(b[28:30]) & 0x3fff)
		return w, h, true
	case "VP8L":
		if b[20] != 0x2f {
			return 0, 0, false
		}
		bits := binary.LittleEndian.Uint32(b[21:25])
		w = int(bits&0x3fff) + 1
		h = int(bits>>14&0x3fff) + 1
		return w, h, true
	}
	return 0, 0, false
}
