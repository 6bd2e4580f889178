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
			expiry_date, description, warnings, errors, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`, []any{
			d.ID, sub.ID, i, d.Type, d.IssuingCountry, d.MediaType, d.Number.KeyRef, bytesOrNil(d.Number.Data),
			d.Content.KeyRef, bytesOrNil(d.Content.Data), d.ExpiryDate, d.Description, warnings, errs,
			ts(d.CreatedAt),
		}})
	}
	_, err := s.exec(ctx, "create kyc submission", stmts...)
	return err
}

// LatestKYCSubmission returns the user's submission with the highest
// Attempt (the newest stored among equals) with its documents, or
// storage.ErrNotFound.
func (s *Store) LatestKYCSubmission(ctx context.Context, userID string) (*storage.KYCSubmission, error) {
	const op = "latest kyc submission"
	var (
		sub              storage.KYCSubmission
		ssnKeyRef        string
		ssnData          []byte
		created, updated pgtype.Timestamptz
	)
	err := s.q.QueryRow(ctx, `SELECT id, user_id, attempt, status, missing_documents, missing_fields,
		reason, ssn_key_ref, ssn_data, created_at, updated_at
		FROM kyc_submissions WHERE user_id = $1 ORDER BY attempt DESC, seq DESC LIMIT 1`, userID).Scan(
		&sub.ID, &sub.UserID, &sub.Attempt, &sub.Status, &sub.MissingDocuments, &sub.MissingFields,
		&sub.Reason, &ssnKeyRef, &ssnData, &created, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(op)
	}
	if err != nil {
		return nil, mapErr(op, err)
	}
	sub.MissingDocuments, sub.MissingFields = stringsOrNil(sub.MissingDocuments), stringsOrNil(sub.MissingFields)
	sub.SSN = sealed(ssnKeyRef, ssnData)
	sub.CreatedAt, sub.UpdatedAt = fromTS(created), fromTS(updated)

	rows, err := s.q.Query(ctx, `SELECT id, submission_id, doc_type, issuing_country, media_type,
		number_key_ref, number_data, content_key_ref, content_data, expiry_date, description,
		warnings, errors, created_at
		FROM kyc_documents WHERE submission_id = $1 ORDER BY position`, sub.ID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			d                    storage.KYCDocument
			numRef, contentRef   string
			numData, contentData []byte
			warnings, errs       []byte
			docCreated           pgtype.Timestamptz
		)
		if err := rows.Scan(&d.ID, &d.SubmissionID, &d.Type, &d.IssuingCountry, &d.MediaType,
			&numRef, &numData, &contentRef, &contentData, &d.ExpiryDate, &d.Description,
			&warnings, &errs, &docCreated); err != nil {
			return nil, mapErr(op, err)
		}
		d.Number, d.Content = sealed(numRef, numData), sealed(contentRef, contentData)
		if d.Warnings, err = decodeFindings(warnings); err != nil {
			return nil, fmt.Errorf("postgres: %s: decode warnings: %w", op, err)
		}
		if d.Errors, err = decodeFindings(errs); err != nil {
			return nil, fmt.Errorf("postgres: %s: decode errors: %w", op, err)
		}
		d.CreatedAt = fromTS(docCreated)
		sub.Documents = append(sub.Documents, d)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(op, err)
	}
	return &sub, nil
}

// UpdateKYCSubmissionStatus sets the status, reason, missing documents and
// UpdatedAt = at of a submission, or returns storage.ErrNotFound.
func (s *Store) UpdateKYCSubmissionStatus(ctx context.Context, id, status, reason string, missingDocuments []string, at time.Time) error {
	tags, err := s.exec(ctx, "update kyc submission", stmt{`UPDATE kyc_submissions
		SET status = $2, reason = $3, missing_documents = $4, updated_at = $5 WHERE id = $1`,
		[]any{id, status, reason, stringsOrNil(missingDocuments), ts(at)}})
	if err != nil {
		return err
	}
	if tags[0].RowsAffected() == 0 {
		return notFound("update kyc submission")
	}
	return nil
}
