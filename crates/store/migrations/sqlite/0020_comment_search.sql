-- Full-text search over comments (the comment explorer, issue 18): an FTS5 index whose
-- content is answers.comment itself (external content: the text is stored once), kept
-- in step by the triggers below. Porter stems English words over the unicode61
-- tokenizer (diacritics folded), so "invoices" finds "invoice"; other languages match
-- whole words (or a prefix with *).
CREATE VIRTUAL TABLE comment_search USING fts5 (
    comment,
    content = 'answers',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Erasure and retention set the comment to NULL: with secure-delete its words leave the
-- index's pages at once, rather than at a later merge.
INSERT INTO comment_search (comment_search, rank) VALUES ('secure-delete', 1);

INSERT INTO comment_search (rowid, comment)
    SELECT id, comment FROM answers WHERE comment IS NOT NULL AND comment <> '';

CREATE TRIGGER comment_search_insert AFTER INSERT ON answers
WHEN new.comment IS NOT NULL AND new.comment <> '' BEGIN
    INSERT INTO comment_search (rowid, comment) VALUES (new.id, new.comment);
END;

CREATE TRIGGER comment_search_update_old AFTER UPDATE OF comment ON answers
WHEN old.comment IS NOT NULL AND old.comment <> '' BEGIN
    INSERT INTO comment_search (comment_search, rowid, comment)
        VALUES ('delete', old.id, old.comment);
END;

CREATE TRIGGER comment_search_update_new AFTER UPDATE OF comment ON answers
WHEN new.comment IS NOT NULL AND new.comment <> '' BEGIN
    INSERT INTO comment_search (rowid, comment) VALUES (new.id, new.comment);
END;

CREATE TRIGGER comment_search_delete AFTER DELETE ON answers
WHEN old.comment IS NOT NULL AND old.comment <> '' BEGIN
    INSERT INTO comment_search (comment_search, rowid, comment)
        VALUES ('delete', old.id, old.comment);
END;
