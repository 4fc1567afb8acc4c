-- Full-text search over comments (the comment explorer, issue 18): a tsvector of each
-- comment in its language's text-search configuration (Danish, Dutch, English, Finnish,
-- German, Norwegian, Swedish; 'simple' otherwise), generated from the comment so that
-- erasure and retention (which set it to NULL) leave nothing to find. Searches use
-- websearch_to_tsquery in the same configuration (advocate_ts_config).
CREATE FUNCTION advocate_ts_config(language TEXT) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE split_part(lower(language), '-', 1)
        WHEN 'da' THEN 'danish'::regconfig
        WHEN 'nl' THEN 'dutch'::regconfig
        WHEN 'en' THEN 'english'::regconfig
        WHEN 'fi' THEN 'finnish'::regconfig
        WHEN 'de' THEN 'german'::regconfig
        WHEN 'nb' THEN 'norwegian'::regconfig
        WHEN 'nn' THEN 'norwegian'::regconfig
        WHEN 'no' THEN 'norwegian'::regconfig
        WHEN 'sv' THEN 'swedish'::regconfig
        ELSE 'simple'::regconfig
    END
$$;

ALTER TABLE answers ADD COLUMN comment_search tsvector
    GENERATED ALWAYS AS (to_tsvector(advocate_ts_config(language), COALESCE(comment, ''))) STORED;

CREATE INDEX answers_comment_search ON answers USING GIN (comment_search)
    WHERE comment IS NOT NULL;
