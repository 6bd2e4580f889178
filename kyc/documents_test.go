package kyc

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDataURL(t *testing.T) {
	pngb := pngBytes(t, 4, 4, false)
	b64 := base64.StdEncoding.EncodeToString(pngb)
	for _, tc := range []struct {
		name, in string
		mt, code string
	}{
		{"ok", "data:image/png;base64," + b64, "image/png", ""},
		{"scheme case", "DATA:Image/PNG;base64," + b64, "image/png", ""},
		{"one pad", "data:a/b;base64,QUI=", "a/b", ""},
		{"two pads", "data:a/b;base64,QQ==", "a/b", ""},
		{"no padding needed", "data:a/b;base64,QUJD", "a/b", ""},
		{"empty", "", "", FindingInvalidDataURL},
		{"no scheme", "image/png;base64," + b64, "", FindingInvalidDataURL},
		{"http url", "https://example.com/a.png", "", FindingInvalidDataURL},
		{"no comma", "data:image/png;base64", "", FindingInvalidDataURL},
		{"not base64", "data:image/png," + b64, "", FindingInvalidDataURL},
		{"parameters", "data:image/png;name=a.png;base64," + b64, "", FindingInvalidDataURL},
		{"charset", "data:text/plain;charset=utf-8;base64,QUJD", "", FindingInvalidDataURL},
		{"no media type", "data:;base64,QUJD", "", FindingInvalidDataURL},
		{"bad media type", "data:image;base64,QUJD", "", FindingInvalidDataURL},
		{"media type spaces", "data:image /png;base64,QUJD", "", FindingInvalidDataURL},
		{"empty data", "data:image/png;base64,", "image/png", FindingEmptyDocument},
		{"bad length", "data:a/b;base64,QUJ", "a/b", FindingInvalidDataURL},
		{"bad char", "data:a/b;base64,QU*D", "a/b", FindingInvalidDataURL},
		{"url-safe alphabet", "data:a/b;base64,-_-_", "a/b", FindingInvalidDataURL},
		{"newline", "data:a/b;base64,QUJD\nQUJD", "a/b", FindingInvalidDataURL},
		{"crlf", "data:a/b;base64,QUJD\r\nQUJD", "a/b", FindingInvalidDataURL},
		{"space", "data:a/b;base64,QUJD QUJ", "a/b", FindingInvalidDataURL},
		{"padding inside", "data:a/b;base64,QQ==QUJD", "a/b", FindingInvalidDataURL},
		{"three pads", "data:a/b;base64,Q===", "a/b", FindingInvalidDataURL},
		{"pad then char", "data:a/b;base64,QU=D", "a/b", FindingInvalidDataURL},
		{"non-zero padding bits", "data:a/b;base64,QR==", "a/b", FindingInvalidDataURL},
		{"percent-encoded", "data:a/b;base64,QU%3D", "a/b", FindingInvalidDataURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mt, data, code := parseDataURL(tc.in, 1<<20)
			assert.Equal(t, tc.code, code)
			if tc.code == "" {
				assert.Equal(t, tc.mt, mt)
				want, err := base64.StdEncoding.DecodeString(tc.in[strings.IndexByte(tc.in, ',')+1:])
				require.NoError(t, err)
				assert.Equal(t, want, data)
			} else {
				assert.Nil(t, data)
			}
		})
	}
	// Longer than one decoding chunk.
	big := bytes.Repeat([]byte("0123456789abcdefghij"), 1000)
	_, data, code := parseDataURL(dataURL("application/octet-stream", big), 1<<20)
	require.Empty(t, code)
	assert.Equal(t, big, data)
}

func TestParseDataURLSizeLimit(t *testing.T) {
	b := make([]byte, 3000)
	u := dataURL("a/b", b)
	_, _, code := parseDataURL(u, 3000)
	assert.Empty(t, code)
	_, _, code = parseDataURL(u, 2999)
	assert.Equal(t, FindingTooLarge, code)
	// 2999 bytes fit in 4000 base64 characters, as do 3000: the decoded
	// size is checked too.
	u = dataURL("a/b", b[:2999])
	_, _, code = parseDataURL(u, 2998)
	assert.Equal(t, FindingTooLarge, code)
}

// TestHugeDataURLRefusedBeforeDecoding: a 20 MiB data URL is refused by its
// length, without allocating a decoding buffer.
func TestHugeDataURLRefusedBeforeDecoding(t *testing.T) {
	huge := "data:image/png;base64," + strings.Repeat("QUJD", 20<<20/4)
	allocs := testing.AllocsPerRun(5, func() {
		_, data, code := parseDataURL(huge, DefaultMaxDocumentSize)
		if code != FindingTooLarge || data != nil {
			t.Fatal(code)
		}
	})
	assert.Zero(t, allocs)

	v := newTestValidator(t)
	in := EvaluateInput{BirthDate: "1985-04-12", Country: "FRA", Documents: []VerificationDocument{{
		DocumentType: DocumentPassport, IssuingCountry: "FRA", Document: huge, DocumentNumber: "12AB34567",
	}}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := v.Evaluate(t.Context(), in)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, []Finding{finding(FindingTooLarge)}, res.Documents[0].Errors)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(256<<10), "Evaluate allocated while refusing a 20 MiB document")
}

// TestDecodeAllocatesOnlyTheResult: decoding does not copy the encoded text.
func TestDecodeAllocatesOnlyTheResult(t *testing.T) {
	raw := make([]byte, 1<<20)
	u := dataURL("a/b", raw)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, data, code := parseDataURL(u, DefaultMaxDocumentSize)
	runtime.ReadMemStats(&after)
	require.Empty(t, code)
	require.Len(t, data, 1<<20)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20+64<<10))
}

func jpegBytes(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, nil))
	return buf.Bytes()
}

// webp builds a minimal WebP header of the given chunk kind and size.
func webp(kind string, w, h int) []byte {
	b := make([]byte, 40)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], 32)
	copy(b[8:], "WEBP")
	copy(b[12:], kind)
	binary.LittleEndian.PutUint32(b[16:], 20)
	switch kind {
	case "VP8X":
		w, h = w-1, h-1
		b[24], b[25], b[26] = byte(w), byte(w>>8), byte(w>>16)
		b[27], b[28], b[29] = byte(h), byte(h>>8), byte(h>>16)
	case "VP8 ":
		b[23], b[24], b[25] = 0x9d, 0x01, 0x2a
		binary.LittleEndian.PutUint16(b[26:], uint16(w))
		binary.LittleEndian.PutUint16(b[28:], uint16(h))
	case "VP8L":
		b[20] = 0x2f
		binary.LittleEndian.PutUint32(b[21:], uint32(w-1)|uint32(h-1)<<14)
	}
	return b
}

func TestWebPSize(t *testing.T) {
	for _, kind := range []string{"VP8X", "VP8 ", "VP8L"} {
		w, h, ok := webpSize(webp(kind, 640, 480))
		assert.True(t, ok, kind)
		assert.Equal(t, [2]int{640, 480}, [2]int{w, h}, kind)
	}
	_, _, ok := webpSize(webp("VP9 ", 1, 1))
	assert.False(t, ok)
	_, _, ok = webpSize([]byte("RIFF"))
	assert.False(t, ok)
	bad := webp("VP8 ", 10, 10)
	bad[23] = 0
	_, _, ok = webpSize(bad)
	assert.False(t, ok)
}

// evalDoc evaluates one document for the seed user and returns its result.
func evalDoc(t *testing.T, v *Validator, d VerificationDocument) DocumentResult {
	t.Helper()
	if d.DocumentType == "" {
		d.DocumentType = DocumentPassport
	}
	if d.DocumentType.numbered() {
		if d.IssuingCountry == "" {
			d.IssuingCountry = "FRA"
		}
		if d.DocumentNumber == "" {
			d.DocumentNumber = "12AB34567"
		}
	}
	res, err := v.Evaluate(t.Context(), EvaluateInput{BirthDate: "1985-04-12", Country: "FRA", Documents: []VerificationDocument{d}})
	require.NoError(t, err)
	require.Len(t, res.Documents, 1)
	return res.Documents[0]
}

func codes(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func TestDocumentContent(t *testing.T) {
	v := newTestValidator(t)
	pdf := []byte("%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n")
	small := pngBytes(t, 100, 100, false)
	for _, tc := range []struct {
		name     string
		doc      VerificationDocument
		warnings []string
		errors   []string
	}{
		{"png 400", VerificationDocument{Document: png400}, nil, nil},
		{"png 100 blurry", VerificationDocument{Document: dataURL("image/png", small)}, []string{FindingLowResolution}, nil},
		{"png 400x100", VerificationDocument{Document: dataURL("image/png", pngBytes(t, 400, 100, false))}, []string{FindingLowResolution}, nil},
		{"jpeg 320", VerificationDocument{Document: dataURL("image/jpeg", jpegBytes(t, 320, 320))}, nil, nil},
		{"jpeg 50", VerificationDocument{Document: dataURL("image/jpeg", jpegBytes(t, 50, 50))}, []string{FindingLowResolution}, nil},
		{"pdf", VerificationDocument{Document: dataURL("application/pdf", pdf)}, nil, nil},
		{"webp vp8x", VerificationDocument{Document: dataURL("image/webp", webp("VP8X", 1000, 800))}, nil, nil},
		{"webp vp8l small", VerificationDocument{Document: dataURL("image/webp", webp("VP8L", 200, 800))}, []string{FindingLowResolution}, nil},
		{"webp vp8 small", VerificationDocument{Document: dataURL("image/webp", webp("VP8 ", 64, 64))}, []string{FindingLowResolution}, nil},
		{"png declared as jpeg", VerificationDocument{Document: dataURL("image/jpeg", small)}, nil, []string{FindingContentMismatch}},
		{"pdf declared as png", VerificationDocument{Document: dataURL("image/png", pdf)}, nil, []string{FindingContentMismatch}},
		{"text declared as pdf", VerificationDocument{Document: dataURL("application/pdf", []byte("hello"))}, nil, []string{FindingContentMismatch}},
		{"gif not allowed", VerificationDocument{Document: dataURL("image/gif", []byte("GIF89a......"))}, nil, []string{FindingUnsupportedMediaType}},
		{"jpg alias not allowed", VerificationDocument{Document: dataURL("image/jpg", jpegBytes(t, 10, 10))}, nil, []string{FindingUnsupportedMediaType}},
		{"selfie pdf", VerificationDocument{DocumentType: DocumentSelfie, Document: dataURL("application/pdf", pdf)}, nil, []string{FindingUnsupportedMediaType}},
		{"truncated png", VerificationDocument{Document: dataURL("image/png", small[:20])}, nil, []string{FindingUnreadableImage}},
		{"bad webp", VerificationDocument{Document: dataURL("image/webp", append([]byte("RIFF\x00\x00\x00\x00WEBPVP9 "), make([]byte, 30)...))}, nil, []string{FindingUnreadableImage}},
		{"not a data url", VerificationDocument{Document: "https://example.com/passport.png"}, nil, []string{FindingInvalidDataURL}},
		{"empty data", VerificationDocument{Document: "data:image/png;base64,"}, nil, []string{FindingEmptyDocument}},
		{"expired", VerificationDocument{Document: png400, ExpiryDate: "2026-01-01"}, nil, []string{FindingExpired}},
		{"expires today", VerificationDocument{Document: png400, ExpiryDate: "2026-01-02"}, nil, nil},
		{"expired and mismatched", VerificationDocument{Document: dataURL("image/jpeg", small), ExpiryDate: "2020-01-01"}, nil, []string{FindingContentMismatch, FindingExpired}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := evalDoc(t, v, tc.doc)
			assert.Equal(t, append([]string{}, tc.warnings...), codes(r.Warnings))
			assert.Equal(t, append([]string{}, tc.errors...), codes(r.Errors))
			for _, f := range append(r.Warnings, r.Errors...) {
				assert.NotEmpty(t, f.Message)
			}
		})
	}
}

func TestDocumentResultFields(t *testing.T) {
	v := newTestValidator(t)
	r := evalDoc(t, v, VerificationDocument{Document: png400, DocumentNumber: "12ab 34567", ExpiryDate: "2030-01-01", Description: "front"})
	assert.Equal(t, "00010203-0405-4607-8809-0a0b0c0d0e0f", r.DocumentID)
	assert.Equal(t, "image/png", r.MediaType)
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(png400, "data:image/png;base64,"))
	assert.Equal(t, raw, r.Content)
	assert.Equal(t, "12AB34567", r.DocumentNumber)
	assert.Equal(t, "FRA", r.IssuingCountry)
	assert.Equal(t, "2030-01-01", r.ExpiryDate)
	assert.Equal(t, "front", r.Description)
	assert.True(t, r.OK())
}

func TestLowResolutionMessageAndConfig(t *testing.T) {
	v := newTestValidator(t, func(c *Config) { c.MinImageWidth, c.MinImageHeight = 50, 50 })
	r := evalDoc(t, v, VerificationDocument{Document: dataURL("image/png", pngBytes(t, 100, 100, false))})
	assert.Empty(t, r.Warnings)
	r = evalDoc(t, v, VerificationDocument{Document: dataURL("image/png", pngBytes(t, 40, 100, false))})
	require.Len(t, r.Warnings, 1)
	assert.Equal(t, "The image is 40×100 pixels, under the 50×50 minimum, and may be unreadable; use a sharper picture.", r.Warnings[0].Message)
}

func TestMediaTypeAndSizeConfig(t *testing.T) {
	v := newTestValidator(t, func(c *Config) {
		c.AllowedMediaTypes = []string{"Image/PNG"}
		c.MaxDocumentSize = 1000
	})
	r := evalDoc(t, v, VerificationDocument{Document: dataURL("image/png", pngBytes(t, 10, 10, false))})
	assert.Empty(t, r.Errors)
	r = evalDoc(t, v, VerificationDocument{Document: dataURL("application/pdf", []byte("%PDF-1.4 "))})
	assert.Equal(t, []string{FindingUnsupportedMediaType}, codes(r.Errors))
	r = evalDoc(t, v, VerificationDocument{Document: png400})
	assert.Equal(t, []string{FindingTooLarge}, codes(r.Errors))
}

// ---- MRZ

func TestMRZCheckDigitICAOSpecimen(t *testing.T) {
	// ICAO 9303 part 4 specimen (TD3).
	l2 := "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
	assert.Equal(t, 6, MRZCheckDigit("L898902C3"))
	assert.Equal(t, 2, MRZCheckDigit("740812"))
	assert.Equal(t, 9, MRZCheckDigit("120415"))
	assert.Equal(t, 1, MRZCheckDigit("ZE184226B<<<<<"))
	assert.Equal(t, 0, MRZCheckDigit(l2[0:10]+l2[13:20]+l2[21:43]))
	assert.Equal(t, -1, MRZCheckDigit("abc"))

	d := VerificationDocument{DocumentType: DocumentPassport, DocumentNumber: "L898902C3",
		MRZ: []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", l2}}
	assert.Empty(t, checkMRZ(&d, "L898902C3", time.Date(1974, 8, 12, 0, 0, 0, 0, time.UTC)))

	// ICAO 9303 part 5 specimen (TD1).
	d = VerificationDocument{DocumentType: DocumentIDCard, DocumentNumber: "D23145890", MRZ: []string{
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}}
	assert.Empty(t, checkMRZ(&d, "D23145890", time.Time{}))
}

func pad(s string, n int) string { return s + strings.Repeat("<", n-len(s)) }

// td3 builds a passport MRZ with correct check digits.
func td3(issuer, number, birth, expiry string) []string {
	num := pad(number, 9)
	personal := pad("", 14)
	l2 := num + itoa(MRZCheckDigit(num)) + "FRA" + birth + itoa(MRZCheckDigit(birth)) + "M" +
		expiry + itoa(MRZCheckDigit(expiry)) + personal + "<"
	l2 += itoa(MRZCheckDigit(l2[0:10] + l2[13:20] + l2[21:43]))
	return []string{pad("P<"+issuer+"DUPONT<<JEAN", 44), l2}
}

// td1 builds an id-card MRZ with correct check digits (numbers over 9
// characters use the extension).
func td1(number, birth, expiry string) []string {
	var l1 string
	if len(number) <= 9 {
		n := pad(number, 9)
		l1 = pad("I<FRA"+n+itoa(MRZCheckDigit(n)), 30)
	} else {
		l1 = pad("I<FRA"+number[:9]+"<"+number[9:]+itoa(MRZCheckDigit(number)), 30)
	}
	l2 := birth + itoa(MRZCheckDigit(birth)) + "F" + expiry + itoa(MRZCheckDigit(expiry)) + "FRA" + pad("", 11)
	l2 += itoa(MRZCheckDigit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]))
	return []string{l1, l2, pad("DUPONT<<JEANNE", 30)}
}

func TestMRZFindings(t *testing.T) {
	v := newTestValidator(t)
	good := td3("FRA", "12AB34567", "850412", "300101")
	require.Len(t, good[0], 44)
	require.Len(t, good[1], 44)
	flip := func(lines []string, line, pos int) []string {
		out := append([]string(nil), lines...)
		b := []byte(out[line])
		if b[pos] == '9' {
			b[pos] = '0'
		} else {
			b[pos]++
		}
		out[line] = string(b)
		return out
	}
	for _, tc := range []struct {
		name     string
		doc      VerificationDocument
		errors   []string
		messages []string
	}{
		{"td3 ok", VerificationDocument{MRZ: good, ExpiryDate: "2030-01-01"}, nil, nil},
		{"td3 number check digit", VerificationDocument{MRZ: flip(good, 1, 9)}, []string{FindingMRZCheckDigit, FindingMRZCheckDigit},
			[]string{"The MRZ check digit of the document number does not match.", "The MRZ check digit of the composite does not match."}},
		{"td3 birth check digit", VerificationDocument{MRZ: flip(good, 1, 19)}, []string{FindingMRZCheckDigit, FindingMRZCheckDigit}, nil},
		{"td3 expiry check digit", VerificationDocument{MRZ: flip(good, 1, 27)}, []string{FindingMRZCheckDigit, FindingMRZCheckDigit}, nil},
		{"td3 composite", VerificationDocument{MRZ: flip(good, 1, 43)}, []string{FindingMRZCheckDigit}, nil},
		{"td3 number mismatch", VerificationDocument{MRZ: td3("FRA", "99AB34567", "850412", "300101")}, []string{FindingMRZMismatch},
			[]string{"The MRZ document number does not match the declared one."}},
		{"td3 country mismatch", VerificationDocument{MRZ: td3("BEL", "12AB34567", "850412", "300101")}, []string{FindingMRZMismatch}, nil},
		{"td3 expiry mismatch", VerificationDocument{MRZ: good, ExpiryDate: "2031-01-01"}, []string{FindingMRZMismatch}, nil},
		{"td3 birth mismatch", VerificationDocument{MRZ: td3("FRA", "12AB34567", "850413", "300101")}, []string{FindingMRZMismatch}, nil},
		{"td3 germany D", VerificationDocument{IssuingCountry: "DEU", MRZ: td3("D<<", "12AB34567", "850412", "300101")}, nil, nil},
		{"td1 ok", VerificationDocument{DocumentType: DocumentIDCard, DocumentNumber: "X4RTBPFW4", MRZ: td1("X4RTBPFW4", "850412", "300101")}, nil, nil},
		{"td1 long number", VerificationDocument{DocumentType: DocumentIDCard, DocumentNumber: "ABC123456789", MRZ: td1("ABC123456789", "850412", "300101")}, nil, nil},
		{"td1 long number mismatch", VerificationDocument{DocumentType: DocumentIDCard, DocumentNumber: "ABC123456788", MRZ: td1("ABC123456789", "850412", "300101")}, []string{FindingMRZMismatch}, nil},
		{"td1 composite", VerificationDocument{DocumentType: DocumentResidencePermit, DocumentNumber: "X4RTBPFW4", MRZ: flip(td1("X4RTBPFW4", "850412", "300101"), 1, 29)}, []string{FindingMRZCheckDigit}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.doc.Document = png400
			r := evalDoc(t, v, tc.doc)
			assert.Equal(t, append([]string{}, tc.errors...), codes(r.Errors))
			for i, m := range tc.messages {
				assert.Equal(t, m, r.Errors[i].Message)
			}
			for _, f := range r.Errors {
				assert.NotContains(t, f.Message, "12AB")
				assert.NotContains(t, f.Message, "X4RT")
			}
		})
	}
}

func TestPersonalNumberCheckDigit(t *testing.T) {
	l2 := []byte(td3("FRA", "12AB34567", "850412", "300101")[1])
	copy(l2[28:42], pad("AB1234", 14))
	l2[42] = byte('0' + MRZCheckDigit(string(l2[28:42])))
	l2[43] = byte('0' + MRZCheckDigit(string(l2[0:10])+string(l2[13:20])+string(l2[21:43])))
	d := VerificationDocument{MRZ: []string{pad("P<FRA", 44), string(l2)}}
	assert.Empty(t, checkMRZ(&d, "12AB34567", time.Time{}))
	l2[42] = '<'
	l2[43] = byte('0' + MRZCheckDigit(string(l2[0:10])+string(l2[13:20])+string(l2[21:43])))
	d.MRZ[1] = string(l2)
	f := checkMRZ(&d, "12AB34567", time.Time{})
	require.Len(t, f, 1)
	assert.Equal(t, "The MRZ check digit of the personal number does not match.", f[0].Message)
}

// A number that looks wrong for its type is a warning and the document
// still counts; a missing number, or a type the validator does not
// support, is an error of that document; none fails the request.
func TestDocumentNumberFindings(t *testing.T) {
	v := newTestValidator(t)
	for _, tc := range []struct {
		name     string
		typ      DocumentType
		number   string
		warnings []string
		errors   []string
	}{
		{"passport usual", DocumentPassport, "12AB34567", nil, nil},
		{"passport of the seed", DocumentPassport, "FR1234567890", []string{FindingUnusualNumber}, nil},
		{"passport short", DocumentPassport, "12345", []string{FindingUnusualNumber}, nil},
		{"passport symbol", DocumentPassport, "12AB-4567", []string{FindingUnusualNumber}, nil},
		{"id card short", DocumentIDCard, "1234", []string{FindingUnusualNumber}, nil},
		{"id card usual", DocumentIDCard, "X4RTBPFW4", nil, nil},
		{"proof of address symbol", DocumentProofOfAddress, "A/B", []string{FindingUnusualNumber}, nil},
		{"proof of address none", DocumentProofOfAddress, "", nil, nil},
		{"passport missing", DocumentPassport, " ", nil, []string{FindingMissingNumber}},
		{"visa unsupported", "visa", "12AB34567", nil, []string{FindingUnsupportedType}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := VerificationDocument{DocumentType: tc.typ, IssuingCountry: "FRA", Document: png400, DocumentNumber: tc.number}
			res, err := v.Evaluate(t.Context(), EvaluateInput{BirthDate: "1985-04-12", Country: "FRA", Documents: []VerificationDocument{d}})
			require.NoError(t, err)
			r := res.Documents[0]
			assert.Equal(t, append([]string{}, tc.warnings...), codes(r.Warnings))
			assert.Equal(t, append([]string{}, tc.errors...), codes(r.Errors))
			if tc.typ == DocumentPassport && len(tc.errors) == 0 {
				assert.Empty(t, res.MissingDocuments, "a warning does not stop the document from counting")
			}
			for _, f := range append(r.Warnings, r.Errors...) {
				assert.NotEmpty(t, f.Message)
			}
		})
	}
}
