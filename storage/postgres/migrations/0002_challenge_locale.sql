-- 0002_challenge_locale: challenges keep the locale they were issued in, so
-- that a resent code is in the language of the first message.
--
-- Challenges created before this migration read as locale '' (the default
-- language), which is what their resends used until now.

ALTER TABLE challenges ADD COLUMN locale text NOT NULL DEFAULT '';
