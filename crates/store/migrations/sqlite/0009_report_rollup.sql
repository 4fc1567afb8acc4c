-- Answer counts per day, per ISO week and per calendar month, one dimension at a time:
-- the total (dimension ''), 'touchpoint', 'channel', 'language' and 'segment:<attribute>'.
-- A report over any period reads whole months from the month rows, whole weeks around
-- them from the week rows and only the days at its edges from the day rows, and only the
-- dimension it breaks down by, so it reads a few thousand rows however many answers there
-- are (nps_rollup holds every combination of dimensions per day: about 1.4 million rows
-- for 10 million answers). Kept in each answer's transaction with the two rollups above.
CREATE TABLE report_rollup (
    workspace_id BIGINT  NOT NULL,
    dimension    TEXT    NOT NULL,
    -- 'd': `day` is the day; 'w': `day` is the Monday, counts for the ISO week;
    -- 'm': `day` is the first day of the month, counts for the month.
    grain        TEXT    NOT NULL,
    survey_id    BIGINT  NOT NULL,
    day          INTEGER NOT NULL,
    value        TEXT    NOT NULL,
    score        INTEGER NOT NULL,
    n            BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, dimension, grain, survey_id, day, value, score)
) WITHOUT ROWID;

-- Filled from the existing rollups.
INSERT INTO report_rollup (workspace_id, dimension, grain, survey_id, day, value, score, n)
SELECT workspace_id, '', 'd', survey_id, day, '', score, SUM(n)
FROM nps_rollup GROUP BY workspace_id, survey_id, day, score;
INSERT INTO report_rollup (workspace_id, dimension, grain, survey_id, day, value, score, n)
SELECT workspace_id, 'touchpoint', 'd', survey_id, day, touchpoint, score, SUM(n)
FROM nps_rollup GROUP BY workspace_id, survey_id, day, touchpoint, score;
INSERT INTO report_rollup (workspace_id, dimension, grain, survey_id, day, value, score, n)
SELECT workspace_id, 'channel', 'd', survey_id, day, channel, score, SUM(n)
FROM nps_rollup GROUP BY workspace_id, survey_id, day, channel, score;
INSERT INTO report_rollup (workspace_id, dimension, grain, survey_id, day, value, score, n)
SELECT workspace_id, 'language', 'd', survey_id, day, language, score, SUM(n)
FROM nps_rollup GROUP BY workspace_id, survey_id, day, language, score;
INSERT INTO report_rollup (workspace_id, dimension, grain, survey_id, day, value, score, n)
SELECT workspace_id, 'segment:' || attribute, 'd', survey_id, day, value, score, SUM(n)
FROM segment_rollup GROUP BY workspace_id, attribute, survey_id, day, value, score;
INSERT INTO report_rollup (workspace_id, dimension, grain, survey_id, day, value, score, n)
SELECT workspace_id, dimension, 'm', survey_id,
       CAST(ROUND(julianday(day * 86400, 'unixepoch', 'start of month') - 2440587.5) AS INTEGER),
       value, score, SUM(n)
FROM report_rollup WHERE grain = 'd'
GROUP BY workspace_id, dimension, survey_id,
         CAST(ROUND(julianday(day * 86400, 'unixepoch', 'start of month') - 2440587.5) AS INTEGER),
         value, score;
INSERT INTO report_rollup (workspace_id, dimension, grain, survey_id, day, value, score, n)
SELECT workspace_id, dimension, 'w', survey_id, day - ((day + 3) % 7), value, score, SUM(n)
FROM report_rollup WHERE grain = 'd'
GROUP BY workspace_id, dimension, survey_id, day - ((day + 3) % 7), value, score;
