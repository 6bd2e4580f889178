-- 0005_sealed_personal_data: personal data is sealed at rest (package
-- seal), and the users' data keys get a table of their own.
--
-- The clear columns users.profile (jsonb), users.profile_ssn_key_ref and
-- users.profile_ssn_data (the SSN given with the profile),
-- users.compliance (jsonb) and kyc_documents.description give way to sealed
-- blobs, two columns each as in 0001_init: <name>_key_ref (text, '' when
-- empty) and <name>_data (bytea, NULL when empty). Sealed values cannot be
-- derived from clear ones here (the keys are the service's, not the
-- database's), so the migration refuses to drop clear personal data: when
-- any row still holds some, it raises an exception, the whole migration
-- rolls back and Migrate fails with the message below; the operator
-- exports those rows, clears the columns deliberately and migrates
-- again, and the details are then entered again through onboardkit. A
-- NULL (or empty '{}') document, an empty SSN and an empty description
-- hold nothing. The columns that stay (the SSN of a KYC submission, a
-- document's number and content, an authenticator secret) were written in
-- clear with an empty key_ref before this version: such rows are refused
-- the same way, since the service no longer opens clear values.
--
-- The DO block needs PL/pgSQL: built into PostgreSQL; CockroachDB runs DO
-- blocks from v25.1.

DO $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM users
    WHERE (profile IS NOT NULL AND profile <> '{}'::jsonb)
       OR (compliance IS NOT NULL AND compliance <> '{}'::jsonb)
       OR profile_ssn_key_ref <> '' OR profile_ssn_data IS NOT NULL;
    IF n > 0 THEN
        RAISE EXCEPTION 'onboardkit migration 0005: % row(s) of users hold personal details or compliance answers in clear (columns profile, profile_ssn_key_ref, profile_ssn_data, compliance). onboardkit now seals personal data at rest, and this migration replaces these columns by sealed ones; it does not drop clear personal data silently. Export these rows, clear the columns (UPDATE users SET profile = NULL, profile_ssn_key_ref = '''', profile_ssn_data = NULL, compliance = NULL) and migrate again; then have the details entered again through onboardkit, which seals them. Clearing the columns without an export deletes that data for good.', n
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT count(*) INTO n FROM kyc_documents WHERE description <> '';
    IF n > 0 THEN
        RAISE EXCEPTION 'onboardkit migration 0005: % row(s) of kyc_documents hold a description in clear (column description). onboardkit now seals personal data at rest, and this migration replaces this column by sealed ones; it does not drop clear personal data silently. Export these rows, clear the column (UPDATE kyc_documents SET description = '''') and migrate again; then have the documents submitted again through onboardkit, which seals them. Clearing the column without an export deletes that data for good.', n
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT (SELECT count(*) FROM kyc_submissions WHERE ssn_key_ref = '' AND ssn_data IS NOT NULL)
         + (SELECT count(*) FROM kyc_documents WHERE (number_key_ref = '' AND number_data IS NOT NULL)
                                                 OR (content_key_ref = '' AND content_data IS NOT NULL))
         + (SELECT count(*) FROM totp_enrollments WHERE secret_key_ref = '' AND secret_data IS NOT NULL)
      INTO n;
    IF n > 0 THEN
        RAISE EXCEPTION 'onboardkit migration 0005: % row(s) of kyc_submissions, kyc_documents or totp_enrollments hold an SSN, a document number or content, or an authenticator secret in clear (an empty *_key_ref beside a *_data). onboardkit now seals personal data at rest and refuses to open a value stored in clear; it cannot seal these here (the keys are the service''s). Export these rows, delete them (DELETE FROM totp_enrollments WHERE secret_key_ref = ''''; likewise the KYC rows) and migrate again; then have the users enrol their authenticator and submit their documents again. Deleting them without an export loses that data for good.', n
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END
$$;

-- An erased user kept, anonymised, while its KYC records are retained.
ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN (
    'registered', 'contact_verified', 'profile_completed',
    'compliance_completed', 'kyc_pending', 'active', 'rejected', 'locked', 'erased'));

ALTER TABLE users DROP COLUMN profile;
ALTER TABLE users DROP COLUMN profile_ssn_key_ref;
ALTER TABLE users DROP COLUMN profile_ssn_data;
ALTER TABLE users DROP COLUMN compliance;
ALTER TABLE users ADD COLUMN profile_key_ref text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN profile_data bytea;
ALTER TABLE users ADD COLUMN compliance_key_ref text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN compliance_data bytea;

ALTER TABLE kyc_documents DROP COLUMN description;
ALTER TABLE kyc_documents ADD COLUMN description_key_ref text NOT NULL DEFAULT '';
ALTER TABLE kyc_documents ADD COLUMN description_data bytea;

-- The users' data keys (storage.DataKeys), wrapped by a key-encryption
-- key of the service's keyring (key_ref names it). No foreign key: a key
-- names no record and outlives the records it sealed until it is deleted
-- (erasure by crypto-shredding). Every sealed value of a user is
-- unreadable without its row, so keep this table's data out of long-lived
-- backups (pg_dump --exclude-table-data=data_keys) and back it up apart,
-- with a short retention; see the package documentation.
-- retain_until is set while an erased user's key is kept under the
-- retention keyring.
CREATE TABLE data_keys (
    user_id      text        NOT NULL,
    id           text        NOT NULL,
    key_ref      text        NOT NULL,
    wrapped      bytea       NOT NULL,
    retain_until timestamptz,
    created_at   timestamptz,
    updated_at   timestamptz,
    CONSTRAINT data_keys_pkey PRIMARY KEY (user_id)
);
