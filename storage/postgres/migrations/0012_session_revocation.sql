-- 0012_session_revocation: a revocation that leaves no live token behind.
-- RotateRefreshToken marks a token rotated and inserts its successor in
-- one statement. A revocation running beside it (READ COMMITTED) waits for
-- the rotated token's row lock and revokes that token once the rotation
-- commits, but it reads the family from a snapshot taken before that
-- commit, so one UPDATE misses the successor: the family would be revoked
-- with a live token in it, which the client could go on rotating.
--
-- onboardkit_revoke_sessions revokes (revoked_at = p_at, where not revoked
-- yet) every token of the family p_family, or, when p_family is NULL,
-- every token of every family holding a token of the user p_user except
-- the family p_keep (none when NULL). It repeats its UPDATE, each time
-- with a new snapshot (every statement of a VOLATILE function takes one
-- under READ COMMITTED), until one revokes nothing: a rotation that held
-- a token the previous round waited for has committed by then, so its
-- successor is seen and revoked; a rotation that comes after finds its
-- token revoked (its UPDATE rechecks the newest row version) and inserts
-- nothing. It returns the number of tokens it revoked. (Under REPEATABLE
-- READ or SERIALIZABLE the wait ends in a serialization failure instead,
-- which Store.Tx retries.)
CREATE FUNCTION onboardkit_revoke_sessions(p_family text, p_user text, p_keep text, p_at timestamptz)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    total bigint := 0;
BEGIN
    LOOP
        IF p_family IS NOT NULL THEN
            UPDATE refresh_tokens SET revoked_at = p_at
            WHERE family_id = p_family AND revoked_at IS NULL;
        ELSE
            UPDATE refresh_tokens SET revoked_at = p_at
            WHERE revoked_at IS NULL AND family_id IS DISTINCT FROM p_keep
            AND family_id IN (SELECT family_id FROM refresh_tokens WHERE user_id = p_user);
        END IF;
        GET DIAGNOSTICS n = ROW_COUNT;
        EXIT WHEN n = 0;
        total := total + n;
    END LOOP;
    RETURN total;
END
$$;
