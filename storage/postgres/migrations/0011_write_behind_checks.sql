-- 0011_write_behind_checks: the check of a conditional write that a unit
-- of work defers (storage.WriteBehind) and sends with its next statement
-- or its COMMIT, in one pipeline. Such a write cannot be checked by the
-- client before COMMIT runs, so the statement checks itself: it counts
-- the rows it changed and calls onboardkit_expect_one, which raises an
-- error when the count is not one. The error aborts the transaction, and
-- the server skips the rest of the pipeline, COMMIT included: nothing of
-- the unit is written.
--
-- code is the SQLSTATE raised: 40001 (serialization_failure) for a row
-- that changed since the unit read it (a stale user version: Store.Tx runs
-- the unit again, as it does for any serialization failure), OB409 for a
-- row that is not in the state the write needs (a challenge consumed,
-- burned or expired meanwhile: the caller explains it from a fresh read).
CREATE FUNCTION onboardkit_expect_one(n bigint, code text, what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF n <> 1 THEN
        RAISE EXCEPTION 'onboardkit: %', what USING ERRCODE = code;
    END IF;
END
$$;
