package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// CreateKYCSubmission stores a copy of sub and its documents. A taken id
// returns a *storage.DuplicateError with Field "id".
func (s *Store) CreateKYCSubmission(_ context.Context, sub *storage.KYCSubmission) error {
	t := s.lock()
	defer s.unlock(t)
	if _, ok := s.d.kyc[sub.ID]; ok {
		return duplicate("id")
	}
	put(t, s.d.kyc, sub.ID, sub.Clone())
	appendTo(t, s.d.kycUser, sub.UserID, sub.ID)
	return nil
}

// LatestKYCSubmission returns a copy of the user's submission with the
// highest Attempt (the newest stored among equals), or storage.ErrNotFound.
func (s *Store) LatestKYCSubmission(_ context.Context, userID string) (*storage.KYCSubmission, error) {
	t := s.lock()
	defer s.unlock(t)
	var latest *storage.KYCSubmission
	for _, id := range s.d.kycUser[userID] {
		if sub := s.d.kyc[id]; latest == nil || sub.Attempt >= latest.Attempt {
			latest = sub
		}
	}
	if latest == nil {
		return nil, notFound("kyc submission")
	}
	return latest.Clone(), nil
}

// LatestKYCStatus is LatestKYCSubmission without the documents.
func (s *Store) LatestKYCStatus(ctx context.Context, userID string) (*storage.KYCSubmission, error) {
	sub, err := s.LatestKYCSubmission(ctx, userID)
	if err != nil {
		return nil, err
	}
	sub.Documents = nil
	return sub, nil
}

// ListKYCSubmissions returns copies of every submission of the user with
// its documents, lowest Attempt first (creation order among equals); a user
// without submissions has none.
func (s *Store) ListKYCSubmissions(_ context.Context, userID string) ([]*storage.KYCSubmission, error) {
	t := s.lock()
	defer s.unlock(t)
	ids := s.d.kycUser[userID]
	out := make([]*storage.KYCSubmission, len(ids))
	for i, id := range ids {
		out[i] = s.d.kyc[id].Clone()
	}
	slices.SortStableFunc(out, func(a, b *storage.KYCSubmission) int { return cmp.Compare(a.Attempt, b.Attempt) })
	return out, nil
}

// UpdateKYCSubmissionStatus sets the status, reason, missing documents and
// UpdatedAt = at of a submission, or returns storage.ErrNotFound.
func (s *Store) UpdateKYCSubmissionStatus(_ context.Context, id, status, reason string, missingDocuments []string, at time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	old, ok := s.d.kyc[id]
	if !ok {
		return notFound("kyc submission")
	}
	sub := *old // slices are shared, never modified in place
	sub.Status = status
	sub.Reason = reason
	sub.MissingDocuments = append([]string(nil), missingDocuments...)
	sub.UpdatedAt = at
	put(t, s.d.kyc, id, &sub)
	return nil
}
