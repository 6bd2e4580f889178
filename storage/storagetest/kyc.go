package storagetest

import (
	"github.com/onboardkit/onboardkit/storage"
)

// newSubmission returns a submission of the user with a passport (number,
// content and description sealed) and a selfie (content sealed), and a
// sealed SSN.
func (f *fixture) newSubmission(userID string, attempt int) *storage.KYCSubmission {
	sid, passport, selfie := id("kyc"), id("doc"), id("doc")
	return &storage.KYCSubmission{
		ID:               sid,
		UserID:           userID,
		Attempt:          attempt,
		Status:           "under_review",
		MissingDocuments: []string{"proof_of_address"},
		MissingFields:    []string{"ssn", "taxId"},
		SSN:              f.seal(userID, fieldSSN, clearSSN),
		Documents: []storage.KYCDocument{
			{
				ID: passport, SubmissionID: sid, Type: "passport", IssuingCountry: "FRA", MediaType: "image/jpeg",
				Number:      f.seal(userID, recordField(fieldDocNumber, passport), clearDocNumber),
				Content:     f.seal(userID, recordField(fieldDocContent, passport), clearJPEG),
				Description: f.seal(userID, recordField(fieldDocDescription, passport), clearDescription),
				ExpiryDate:  "2031-05-06",
				Warnings:    []storage.Finding{{Code: "blurry", Message: "The image is blurry."}},
				CreatedAt:   f.at(attempt),
			},
			{
				ID: selfie, SubmissionID: sid, Type: "selfie", MediaType: "image/png",
				Content:   f.seal(userID, recordField(fieldDocContent, selfie), clearPNG),
				Errors:    []storage.Finding{{Code: "face_not_found", Message: "No face was found."}},
				CreatedAt: f.at(attempt),
			},
		},
		CreatedAt: f.at(attempt),
		UpdatedAt: f.at(attempt),
	}
}

// latestKYC returns the user's latest submission, checking that
// LatestKYCStatus reads the same without the documents.
func (f *fixture) latestKYC(userID string) *storage.KYCSubmission {
	f.Helper()
	s, err := f.s.LatestKYCSubmission(f.ctx, userID)
	f.ok(err, "LatestKYCSubmission")
	st, err := f.s.LatestKYCStatus(f.ctx, userID)
	f.ok(err, "LatestKYCStatus")
	want := s.Clone()
	want.Documents = nil
	f.equal(st, want, "LatestKYCStatus: the latest submission without its documents")
	return s
}

var kycTests = []test{
	{"CreateAndLatest", func(f *fixture) {
		uid := f.userID()
		s1 := f.newSubmission(uid, 1)
		f.ok(f.s.CreateKYCSubmission(f.ctx, s1), "CreateKYCSubmission")
		f.equal(f.latestKYC(uid), s1, "LatestKYCSubmission")
		f.kycOpens(f.latestKYC(uid))

		minimal := &storage.KYCSubmission{ID: id("kyc"), UserID: f.userID(), Attempt: 1, Status: "init", CreatedAt: f.at(0), UpdatedAt: f.at(0)}
		f.ok(f.s.CreateKYCSubmission(f.ctx, minimal), "CreateKYCSubmission minimal")
		f.equal(f.latestKYC(minimal.UserID), minimal, "minimal submission")
	}},
	{"LatestByAttempt", func(f *fixture) {
		uid, other := f.userID(), f.userID()
		s1, s3, s2 := f.newSubmission(uid, 1), f.newSubmission(uid, 3), f.newSubmission(uid, 2)
		for _, s := range []*storage.KYCSubmission{s1, s3, s2} {
			f.ok(f.s.CreateKYCSubmission(f.ctx, s), "CreateKYCSubmission")
		}
		o := f.newSubmission(other, 7)
		f.ok(f.s.CreateKYCSubmission(f.ctx, o), "CreateKYCSubmission other")
		f.equal(f.latestKYC(uid), s3, "latest is the highest attempt, not the last stored")
		f.equal(f.latestKYC(other), o, "other user's latest")
	}},
	{"List", func(f *fixture) {
		uid, other := f.userID(), f.userID()
		s1, s3, s2, s3b := f.newSubmission(uid, 1), f.newSubmission(uid, 3), f.newSubmission(uid, 2), f.newSubmission(uid, 3)
		s2.Documents = nil
		for _, s := range []*storage.KYCSubmission{s1, s3, s2, s3b} {
			f.ok(f.s.CreateKYCSubmission(f.ctx, s), "CreateKYCSubmission")
		}
		f.ok(f.s.CreateKYCSubmission(f.ctx, f.newSubmission(other, 1)), "CreateKYCSubmission other")
		got, err := f.s.ListKYCSubmissions(f.ctx, uid)
		f.ok(err, "ListKYCSubmissions")
		f.equal(got, []*storage.KYCSubmission{s1, s2, s3, s3b}, "lowest attempt first, stored order among equals")
		for _, s := range got {
			f.kycOpens(s)
		}
		got, err = f.s.ListKYCSubmissions(f.ctx, id("user"))
		f.ok(err, "ListKYCSubmissions of an unknown user")
		f.check(len(got) == 0, "ListKYCSubmissions of an unknown user = %d submissions", len(got))
	}},
	{"NotFound", func(f *fixture) {
		_, err := f.s.LatestKYCSubmission(f.ctx, id("user"))
		f.is(err, storage.ErrNotFound, "LatestKYCSubmission")
		_, err = f.s.LatestKYCStatus(f.ctx, id("user"))
		f.is(err, storage.ErrNotFound, "LatestKYCStatus")
		// Pinned: updating a missing submission is ErrNotFound.
		f.is(f.s.UpdateKYCSubmissionStatus(f.ctx, id("kyc"), "active", "", nil, f.at(1)), storage.ErrNotFound, "UpdateKYCSubmissionStatus")
	}},
	{"DuplicateID", func(f *fixture) {
		s := f.newSubmission(f.userID(), 1)
		f.ok(f.s.CreateKYCSubmission(f.ctx, s), "CreateKYCSubmission")
		d := f.newSubmission(f.userID(), 1)
		d.ID = s.ID
		for i := range d.Documents {
			d.Documents[i].SubmissionID = s.ID
		}
		err := f.s.CreateKYCSubmission(f.ctx, d)
		f.dup(err, "id", "CreateKYCSubmission with a taken id")
		_, err = f.s.LatestKYCSubmission(f.ctx, d.UserID)
		f.is(err, storage.ErrNotFound, "the refused submission")
	}},
	{"UpdateStatus", func(f *fixture) {
		uid := f.userID()
		s := f.newSubmission(uid, 1)
		f.ok(f.s.CreateKYCSubmission(f.ctx, s), "CreateKYCSubmission")
		f.ok(f.s.UpdateKYCSubmissionStatus(f.ctx, s.ID, "rejected", "document expired", []string{"passport", "selfie"}, f.at(100)), "UpdateKYCSubmissionStatus")
		s.Status, s.Reason, s.MissingDocuments, s.UpdatedAt = "rejected", "document expired", []string{"passport", "selfie"}, f.at(100)
		f.equal(f.latestKYC(uid), s, "updated submission (documents and other fields kept)")
		f.ok(f.s.UpdateKYCSubmissionStatus(f.ctx, s.ID, "active", "", nil, f.at(200)), "UpdateKYCSubmissionStatus")
		s.Status, s.Reason, s.MissingDocuments, s.UpdatedAt = "active", "", nil, f.at(200)
		f.equal(f.latestKYC(uid), s, "approved submission")
	}},
	{"DeepCopy", func(f *fixture) {
		uid := f.userID()
		s := f.newSubmission(uid, 1)
		f.ok(f.s.CreateKYCSubmission(f.ctx, s), "CreateKYCSubmission")
		want := s.Clone()
		s.MissingDocuments[0] = "mutated"
		s.MissingFields[0] = "mutated"
		s.SSN.Data[0] = 'X'
		s.Documents[0].Number.Data[0] = 'X'
		s.Documents[0].Content.Data[0] = 'X'
		s.Documents[0].Description.Data[0] = 'X'
		s.Documents[0].Warnings[0].Code = "mutated"
		s.Documents[1].Errors[0].Code = "mutated"
		s.Documents[1].Type = "mutated"
		got := f.latestKYC(uid)
		f.equal(got, want, "after mutating the record passed in")
		got.MissingDocuments[0] = "mutated"
		got.Documents[0].Number.Data[1] = 'X'
		got.Documents[0].Description.Data[1] = 'X'
		got.Documents[0].Warnings[0].Message = "mutated"
		f.equal(f.latestKYC(uid), want, "after mutating a returned record")
		f.kycOpens(f.latestKYC(uid))

		missing := []string{"selfie"}
		f.ok(f.s.UpdateKYCSubmissionStatus(f.ctx, s.ID, "rejected", "r", missing, f.at(5)), "UpdateKYCSubmissionStatus")
		missing[0] = "mutated"
		got = f.latestKYC(uid)
		f.equal(got.MissingDocuments, []string{"selfie"}, "after mutating the missing documents passed in")
	}},
}
