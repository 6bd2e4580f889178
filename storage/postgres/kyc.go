package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

// CreateKYCSubmission stores s and its documents in one atomic batch. A
// taken submission or document id returns a *storage.DuplicateError with
// Field "id"; a user id naming no user an error wrapping
// storage.ErrNotFound. Each document is stored under s.ID whatever its
// SubmissionID says, and is read back with SubmissionID = s.ID.
func (s *Store) CreateKYCSubmission(ctx context.Context, sub *storage.KYCSubmission) error {
	stmts := []stmt{{`INSERT INTO kyc_submissions (id, user_id, attempt, status, missing_documents,
		missing_fields, reason, ssn_key_ref, ssn_data, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, []any{
		sub.ID, sub.UserID, sub.Attempt, sub.Status, stringsOrNil(sub.MissingDocuments),
		stringsOrNil(sub.MissingFields), sub.Reason, sub.SSN.KeyRef, bytesOrNil(sub.SSN.Data),
		ts(sub.CreatedAt), ts(sub.UpdatedAt),
	}}}
	for i := range sub.Documents {
		d := &sub.Documents[i]
		warnings, err := encodeFindings(d.Warnings)
		if err != nil {
			return fmt.Errorf("postgres: encode findings: %w", err)
		}
		errs, err := encodeFindings(d.Errors)
		if err != nil {
			return fmt.Errorf("postgres: encode findings: %w", err)
		}
		stmts = append(stmts, stmt{`INSERT INTO kyc_documents (id, submission_id, position, doc_type,
			issuing_country, media_type, number_key_ref, number_data, content_key_ref, content_data,
			expiry_date, description_key_ref, description_data, warnings, errors, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, []any{
			d.ID, sub.ID, i, d.Type, d.IssuingCountry, d.MediaType, d.Number.KeyRef, bytesOrNil(d.Number.Data),
			d.Content.KeyRef, bytesOrNil(d.Content.Data), d.ExpiryDate, d.Description.KeyRef,
			bytesOrNil(d.Description.Data), warnings, errs, ts(d.CreatedAt),
		}})
	}
	return s.later(ctx, "create kyc submission", stmts...)
}

const submissionColumns = `id, user_id, attempt, status, missing_documents, missing_fields,
	reason, ssn_key_ref, ssn_data, created_at, updated_at`

func scanSubmission(row pgx.Row) (*storage.KYCSubmission, error) {
	var (
		sub              storage.KYCSubmission
		ssnKeyRef        string
		ssnData          []byte
		created, updated pgtype.Timestamptz
	)
	err := row.Scan(&sub.ID, &sub.UserID, &sub.Attempt, &sub.Status, &sub.MissingDocuments, &sub.MissingFields,
		&sub.Reason, &ssnKeyRef, &ssnData, &created, &updated)
	if err != nil {
		return nil, err
	}
	sub.MissingDocuments, sub.MissingFields = stringsOrNil(sub.MissingDocuments), stringsOrNil(sub.MissingFields)
	sub.SSN = sealed(ssnKeyRef, ssnData)
	sub.CreatedAt, sub.UpdatedAt = fromTS(created), fromTS(updated)
	return &sub, nil
}

const documentColumns = `id, submission_id, doc_type, issuing_country, media_type,
	number_key_ref, number_data, content_key_ref, content_data, expiry_date,
	description_key_ref, description_data, warnings, errors, created_at`

func scanDocument(row pgx.Row) (storage.KYCDocument, error) {
	var (
		d                              storage.KYCDocument
		numRef, contentRef, descRef    string
		numData, contentData, descData []byte
		warnings, errs                 []byte
		created                        pgtype.Timestamptz
	)
	err := row.Scan(&d.ID, &d.SubmissionID, &d.Type, &d.IssuingCountry, &d.MediaType,
		&numRef, &numData, &contentRef, &contentData, &d.ExpiryDate,
		&descRef, &descData, &warnings, &errs, &created)
	if err != nil {
		return d, err
	}
	d.Number, d.Content = sealed(numRef, numData), sealed(contentRef, contentData)
	d.Description = sealed(descRef, descData)
	if d.Warnings, err = decodeFindings(warnings); err != nil {
		return d, fmt.Errorf("decode warnings: %w", err)
	}
	if d.Errors, err = decodeFindings(errs); err != nil {
		return d, fmt.Errorf("decode errors: %w", err)
	}
	d.CreatedAt = fromTS(created)
	return d, nil
}

// LatestKYCSubmission returns the user's submission with the highest
// Attempt (the newest stored among equals) with its documents, or
// storage.ErrNotFound.
func (s *Store) LatestKYCSubmission(ctx context.Context, userID string) (*storage.KYCSubmission, error) {
	const op = "latest kyc submission"
	sub, err := s.latestSubmission(ctx, op, userID)
	if err != nil {
		return nil, err
	}
	if err := s.readDocuments(ctx, op, []*storage.KYCSubmission{sub}); err != nil {
		return nil, err
	}
	return sub, nil
}

// LatestKYCStatus is LatestKYCSubmission without the documents: one
// statement, no document content read.
func (s *Store) LatestKYCStatus(ctx context.Context, userID string) (*storage.KYCSubmission, error) {
	return s.latestSubmission(ctx, "latest kyc status", userID)
}

// latestSubmission reads the user's latest submission without its
// documents, or storage.ErrNotFound, naming op in its errors.
func (s *Store) latestSubmission(ctx context.Context, op, userID string) (*storage.KYCSubmission, error) {
	sub, err := scanSubmission(s.q.QueryRow(ctx, `SELECT `+submissionColumns+`
		FROM kyc_submissions WHERE user_id = $1 ORDER BY attempt DESC, seq DESC LIMIT 1`, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(op)
	}
	if err != nil {
		return nil, mapErr(op, err)
	}
	return sub, nil
}

// ListKYCSubmissions returns every submission of the user with its
// documents, lowest Attempt first (the order they were stored in among
// equals); a user without submissions has none.
func (s *Store) ListKYCSubmissions(ctx context.Context, userID string) ([]*storage.KYCSubmission, error) {
	const op = "list kyc submissions"
	rows, err := s.q.Query(ctx, `SELECT `+submissionColumns+`
		FROM kyc_submissions WHERE user_id = $1 ORDER BY attempt, seq`, userID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*storage.KYCSubmission, error) { return scanSubmission(r) })
	if err != nil {
		return nil, mapErr(op, err)
	}
	if err := s.readDocuments(ctx, op, subs); err != nil {
		return nil, err
	}
	return subs, nil
}

// readDocuments reads the documents of subs, in one query, and appends
// them to their submissions in position order.
func (s *Store) readDocuments(ctx context.Context, op string, subs []*storage.KYCSubmission) error {
	if len(subs) == 0 {
		return nil
	}
	byID := make(map[string]*storage.KYCSubmission, len(subs))
	ids := make([]string, len(subs))
	for i, sub := range subs {
		byID[sub.ID], ids[i] = sub, sub.ID
	}
	rows, err := s.q.Query(ctx, `SELECT `+documentColumns+`
		FROM kyc_documents WHERE submission_id = ANY($1) ORDER BY submission_id, position`, ids)
	if err != nil {
		return mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return mapErr(op, err)
		}
		sub := byID[d.SubmissionID]
		sub.Documents = append(sub.Documents, d)
	}
	return mapErr(op, rows.Err())
}

// UpdateKYCSubmissionStatus sets the status, reason, missing documents and
// UpdatedAt = at of a submission, or returns storage.ErrNotFound.
func (s *Store) UpdateKYCSubmissionStatus(ctx context.Context, id, status, reason string, missingDocuments []string, at time.Time) error {
	return s.execFound(ctx, "update kyc submission", `UPDATE kyc_submissions
		SET status = $2, reason = $3, missing_documents = $4, updated_at = $5 WHERE id = $1`,
		id, status, reason, stringsOrNil(missingDocuments), ts(at))
}
