package storagetest

import (
	"github.com/onboardkit/onboardkit/storage"
)

func (f *fixture) newSubmission(userID string, attempt int) *storage.KYCSubmission {
	sid := id("kyc")
	return &storage.KYCSubmission{
		ID:               sid,
		UserID:           userID,
		Attempt:          attempt,
		Status:           "under_review",
		MissingDocuments: []string{"proof_of_address"},
		MissingFields:    []string{"ssn", "taxId"},
		SSN:              storage.Sealed{KeyRef: "k1", Data: []byte("sealed-ssn")},
		Documents: []storage.KYCDocument{
			{
				ID: id("doc"), SubmissionID: sid, Type: "passport", IssuingCountry: "FRA",
				MediaType: "image/jpeg", Number: storage.Sealed{KeyRef: "k1", Data: []byte("12AB34567")},
				Content: storage.Sealed{KeyRef: "k1", Data: []byte{0xff, 0xd8, 0xff, 0xe0}}, ExpiryDate: "2031-05-06",
				Description: "front", Warnings: []storage.Finding{{Code: "blurry", Message: "The image is blurry."}},
				CreatedAt: f.at(attempt),
			},
			{
				ID: id("doc"), SubmissionID: sid, Type: "selfie", MediaType: "image/png",
				Content:   storage.Sealed{Data: []byte{0x89, 'P', 'N', 'G'}},
				Errors:    []storage.Finding{{Code: "face_not_found", Message: "No face was found."}},
				CreatedAt: f.at(attempt),
			},
		},
		CreatedAt: f.at(attempt),
		UpdatedAt: f.at(attempt),
	}
}

func (f *fixture) latestKYC(userID string) *storage.KYCSubmission {
	f.Helper()
	s, err := f.s.LatestKYCSubmission(f.ctx, userID)
	f.ok(err, "LatestKYCSubmission")
	return s
}

var kycTests = []test{
	{"CreateAndLatest", func(f *fixture) {
		uid := f.userID()
		s1 := f.newSubmission(uid, 1)
		f.ok(f.s.CreateKYCSubmission(f.ctx, s1), "CreateKYCSubmission")
		f.equal(f.latestKYC(uid), s1, "LatestKYCSubmission")

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
	{"NotFound", func(f *fixture) {
		_, err := f.s.LatestKYCSubmission(f.ctx, id("user"))
		f.is(err, storage.ErrNotFound, "LatestKYCSubmission")
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
		s.Documents[0].Warnings[0].Code = "mutated"
		s.Documents[1].Errors[0].Code = "mutated"
		s.Documents[1].Type = "mutated"
		got := f.latestKYC(uid)
		f.equal(got, want, "after mutating the record passed in")
		got.MissingDocuments[0] = "mutated"
		got.Documents[0].Number.Data[1] = 'X'
		got.Documents[0].Warnings[0].Message = "mutated"
		f.equal(f.latestKYC(uid), want, "after mutating a returned record")

		missing := []string{"selfie"}
		f.ok(f.s.UpdateKYCSubmissionStatus(f.ctx, s.ID, "rejected", "r", missing, f.at(5)), "UpdateKYCSubmissionStatus")
		missing[0] = "mutated"
		got = f.latestKYC(uid)
		f.equal(got.MissingDocuments, []string{"selfie"}, "after mutating the missing documents passed in")
	}},
}
