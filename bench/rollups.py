"""The answer rollups of a generated Advocate SQLite database, shared by the benchmarks.

Advocate keeps three rollups in each answer's transaction (crates/store/src/feedback/
rollups.rs): nps_rollup (per day x survey x touchpoint x channel x language x score),
segment_rollup (per day x survey x attribute x value x score) and report_rollup (one
dimension at a time, per day, ISO week and month), which every NPS report reads. A
generator that writes answers with SQL must fill all three, or the reports count nothing.

`fill_report_rollup` runs the INSERT statements of the migration that created
report_rollup (0009), which derive it from the two other rollups; `check` recounts all
three from the raw answers the way the write path counts one answer (`Changes::add`) and
fails on any difference, so both the generator and that backfill are checked.
"""

import os

MIGRATION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "store",
                         "migrations", "sqlite", "0009_report_rollup.sql")


def fill_answer_rollups(db):
    """nps_rollup and segment_rollup from the answers (every attribute of each answer's
    snapshot, as the write path does)."""
    db.execute("INSERT INTO nps_rollup (workspace_id, survey_id, day, touchpoint, channel, "
               "language, score, n) SELECT workspace_id, survey_id, day, touchpoint, channel, "
               "language, score, COUNT(*) FROM answers GROUP BY 1, 2, 3, 4, 5, 6, 7")
    db.execute("INSERT INTO segment_rollup (workspace_id, attribute, survey_id, day, value, "
               "score, n) SELECT a.workspace_id, j.key, a.survey_id, a.day, j.value, a.score, "
               "COUNT(*) FROM answers a, json_each(a.attributes) j GROUP BY 1, 2, 3, 4, 5, 6")


# What one order adds to order_rollup (crates/store/src/business/orders.rs, migration
# 0026): one order and its amount at (workspace, customer, first second of its month, UTC).
_ORDER_MONTHS = ("SELECT workspace_id, customer_id, CAST(strftime('%s', ordered_at, 'unixepoch', "
                 "'start of month') AS INTEGER), COUNT(*), SUM(amount_minor) FROM orders "
                 "GROUP BY 1, 2, 3")


def fill_order_rollup(db):
    """order_rollup from the orders, as the write path counts each order."""
    db.execute("INSERT INTO order_rollup (workspace_id, customer_id, month, orders, amount_minor) "
               + _ORDER_MONTHS)


def fill_report_rollup(db):
    """report_rollup from nps_rollup and segment_rollup, by the migration's own statements."""
    sql = "\n".join(line for line in open(MIGRATION) if not line.lstrip().startswith("--"))
    statements = [s for s in sql.split(";") if s.strip().upper().startswith("INSERT")]
    if not statements:
        raise SystemExit(f"no INSERT statements in {MIGRATION}")
    for statement in statements:
        db.execute(statement)


# What one answer adds, as the write path counts it: its day from answered_at (UTC), the
# total, touchpoint, channel, language and `segment:<attribute>` dimensions, each at the
# day, the month (keyed by its first day) and the ISO week (keyed by its Monday; day 0,
# 1970-01-01, was a Thursday).
_DAY = "(a.answered_at / 86400)"
_DIMS = " UNION ALL ".join(
    f"SELECT a.workspace_id w, a.survey_id s, {_DAY} d, a.score sc, {dim} dim, {value} v "
    f"FROM answers a{extra}"
    for dim, value, extra in [
        ("''", "''", ""),
        ("'touchpoint'", "a.touchpoint", ""),
        ("'channel'", "a.channel", ""),
        ("'language'", "a.language", ""),
        ("'segment:' || j.key", "j.value", ", json_each(a.attributes) j"),
    ])
_EXPECTED = {
    "nps_rollup": ("workspace_id, survey_id, day, touchpoint, channel, language, score, n",
                   f"SELECT a.workspace_id, a.survey_id, {_DAY}, a.touchpoint, a.channel, "
                   f"a.language, a.score, COUNT(*) FROM answers a GROUP BY 1, 2, 3, 4, 5, 6, 7"),
    "segment_rollup": ("workspace_id, attribute, survey_id, day, value, score, n",
                       f"SELECT a.workspace_id, j.key, a.survey_id, {_DAY}, j.value, a.score, "
                       f"COUNT(*) FROM answers a, json_each(a.attributes) j "
                       f"GROUP BY 1, 2, 3, 4, 5, 6"),
    "report_rollup": ("workspace_id, dimension, grain, survey_id, day, value, score, n",
                      f"WITH dims AS ({_DIMS}) "
                      f"SELECT w, dim, g, s, k, v, sc, COUNT(*) FROM ("
                      f"SELECT w, dim, 'd' g, s, d k, v, sc FROM dims UNION ALL "
                      f"SELECT w, dim, 'm', s, CAST(ROUND(julianday(d * 86400, 'unixepoch', "
                      f"'start of month') - 2440587.5) AS INTEGER), v, sc FROM dims UNION ALL "
                      f"SELECT w, dim, 'w', s, d - ((d + 3) % 7), v, sc FROM dims) "
                      f"GROUP BY 1, 2, 3, 4, 5, 6, 7"),
    "order_rollup": ("workspace_id, customer_id, month, orders, amount_minor", _ORDER_MONTHS),
}


def check(db):
    """Recounts every rollup from the answers (and order_rollup from the orders); returns the differences (empty if none).
    Scans the answers several times: meant for the small sizes."""
    bad = []
    for table, (cols, expected) in _EXPECTED.items():
        expected = f"SELECT * FROM ({expected})"  # a WITH cannot start a compound's operand
        for label, a, b in [("missing from", expected, f"SELECT {cols} FROM {table}"),
                            ("extra in", f"SELECT {cols} FROM {table}", expected)]:
            rows = db.execute(f"SELECT COUNT(*) FROM ({a} EXCEPT {b})").fetchone()[0]
            if rows:
                bad.append(f"{rows} rows {label} {table} (against the answers)")
    if not db.execute("SELECT COUNT(*) FROM report_rollup").fetchone()[0]:
        bad.append("report_rollup is empty")
    return bad
