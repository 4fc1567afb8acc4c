//! Retention KPIs and their linkage to NPS on every backend, against a small data set
//! whose every figure is computed by hand below. Business data goes in with plain SQL
//! into the 0003 tables, so these tests depend only on the schema.

use crate::common::*;
use advocate_core::kpi::rate_ratio;
use advocate_core::{Label, SurveyKind};
use advocate_store::insight::kpis::{KpiQuery, KpiReport};
use advocate_store::models::{NewAnswer, Respondent, WorkspaceSettings};
use advocate_store::testing::TestDb;
use advocate_store::{Store, StoreError};
use chrono::{Datelike, TimeZone, Utc};
use sqlx::AnyPool;

/// Midnight UTC, as stored (Unix seconds).
fn ts(y: i32, m: u32, d: u32) -> i64 {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap().timestamp()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

macro_rules! assert_close {
    ($a:expr, $b:expr) => {{
        let (a, b) = ($a, $b);
        assert!(close(a, b), "{} = {a:?}, expected {b}", stringify!($a));
    }};
}

/// Inserts business rows with plain SQL.
struct Biz {
    pool: AnyPool,
    ws: i64,
}

impl Biz {
    async fn exec(&self, sql: &str, args: Vec<Option<i64>>) {
        let mut q = sqlx::query(sql);
        for a in args {
            q = q.bind(a);
        }
        q.execute(&self.pool).await.unwrap();
    }

    async fn spell(&self, customer: i64, start: i64, end: Option<i64>) {
        self.exec(
            "INSERT INTO customer_spells (workspace_id, customer_id, started_at, ended_at, created_at) \
             VALUES ($1, $2, $3, $4, 0)",
            vec![Some(self.ws), Some(customer), Some(start), end],
        )
        .await;
    }

    async fn order(&self, customer: i64, minor: i64, at: i64) {
        self.order_in(customer, minor, minor, "EUR", at).await;
    }

    async fn order_in(&self, customer: i64, minor: i64, original: i64, currency: &str, at: i64) {
        sqlx::query(
            "INSERT INTO orders (workspace_id, customer_id, amount_minor, original_amount_minor, \
             original_currency, ordered_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0)",
        )
        .bind(self.ws)
        .bind(customer)
        .bind(minor)
        .bind(original)
        .bind(currency)
        .bind(at)
        .execute(&self.pool)
        .await
        .unwrap();
        // The monthly rollup the KPIs read, as the write path keeps it.
        let t = Utc.timestamp_opt(at, 0).unwrap();
        let month = Utc
            .with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        sqlx::query(
            "INSERT INTO order_rollup (workspace_id, customer_id, month, orders, amount_minor) \
             VALUES ($1, $2, $3, 1, $4) ON CONFLICT (workspace_id, customer_id, month) \
             DO UPDATE SET orders = order_rollup.orders + 1, \
             amount_minor = order_rollup.amount_minor + excluded.amount_minor",
        )
        .bind(self.ws)
        .bind(customer)
        .bind(month)
        .bind(minor)
        .execute(&self.pool)
        .await
        .unwrap();
    }

    async fn contact(
        &self,
        customer: Option<i64>,
        channel: &str,
        complaint: bool,
        opened: i64,
        reply_after: Option<i64>,
    ) {
        sqlx::query(
            "INSERT INTO contacts (workspace_id, customer_id, channel, is_complaint, opened_at, \
             first_reply_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0)",
        )
        .bind(self.ws)
        .bind(customer)
        .bind(channel)
        .bind(i64::from(complaint))
        .bind(opened)
        .bind(reply_after.map(|d| opened + d))
        .execute(&self.pool)
        .await
        .unwrap();
    }

    async fn member(&self, customer: i64, joined: i64, left: Option<i64>) {
        self.exec(
            "INSERT INTO loyalty_memberships (workspace_id, customer_id, joined_at, left_at, created_at) \
             VALUES ($1, $2, $3, $4, 0)",
            vec![Some(self.ws), Some(customer), Some(joined), left],
        )
        .await;
    }

    async fn case(&self, customer: i64, answer: i64, survey: i64, status: &str) {
        sqlx::query(
            "INSERT INTO cases (workspace_id, customer_id, answer_id, survey_id, score, priority, status, \
             assignee, language, sla_due_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 2, 'high', $5, 'ops@acme.example', 'en', 0, 0, 0)",
        )
        .bind(self.ws)
        .bind(customer)
        .bind(answer)
        .bind(survey)
        .bind(status)
        .execute(&self.pool)
        .await
        .unwrap();
    }

    async fn review(&self, answer: i64, at: i64) {
        self.exec(
            "INSERT INTO engagements (workspace_id, customer_id, answer_id, kind, status, created_at, updated_at) \
             VALUES ($1, NULL, $2, 'review_request', 'review_left', $3, $3)",
            vec![Some(self.ws), Some(answer), Some(at)],
        )
        .await;
    }
}

struct Fixture {
    ws: i64,
    ids: Vec<i64>,
    biz: Biz,
    nps: i64,
    c2_answer: i64,
}

fn nps_answer(ws: i64, survey: i64, who: Option<&str>, score: u8, at: i64) -> NewAnswer {
    let mut a = answer(
        ws,
        survey,
        score,
        Utc.timestamp_opt(at + 43_200, 0).unwrap(),
    );
    if let Some(id) = who {
        a.respondent = Respondent::Known(id.into());
    }
    a
}

/// Ten customers (c1–c5 plan premium, c6–c10 plan basic) in Q1 2026. See `by_hand` below
/// for what each row is for.
async fn fixture(store: &Store, db: &TestDb, slug: &str) -> Fixture {
    let ws = named_workspace(store, slug).await;
    let pool = AnyPool::connect(&db.url).await.unwrap();
    let biz = Biz { pool, ws };
    let nps = create_survey(store, ws, "rel", SurveyKind::Nps).await.id;
    let csat = create_survey(store, ws, "support", SurveyKind::Csat)
        .await
        .id;
    let mut ids = vec![0];
    for i in 1..=10 {
        let plan = if i <= 5 { "premium" } else { "basic" };
        let c = store
            .customers()
            .upsert(ws, &customer(&format!("c{i}"), plan))
            .await
            .unwrap();
        ids.push(c.id);
    }
    let c = |i: usize| ids[i];

    // Answers before the period decide each customer's category (latest wins): c1 3 then
    // 10 → promoter; c2 10, c3 9 promoters; c4 2, c5 5, c6 0, c8 6 detractors; c7 8
    // passive; c9, c10 never answered.
    let history = [
        ("c1", 3, ts(2025, 6, 1)),
        ("c1", 10, ts(2025, 11, 1)),
        ("c2", 10, ts(2025, 5, 1)),
        ("c3", 9, ts(2025, 5, 1)),
        ("c4", 2, ts(2025, 5, 1)),
        ("c5", 5, ts(2025, 5, 1)),
        ("c6", 0, ts(2025, 5, 1)),
        ("c7", 8, ts(2025, 5, 1)),
        ("c8", 6, ts(2025, 5, 1)),
    ];
    let batch: Vec<NewAnswer> = history
        .iter()
        .map(|(who, s, at)| nps_answer(ws, nps, Some(who), *s, *at))
        .collect();
    let history_ids = store.answers().record_many(&batch, false).await.unwrap();
    let (c2_answer, c4_answer) = (history_ids[2], history_ids[4]);

    // In the period: c8 gives a 10 in February (does not change c8's category); c7 a 9 at
    // touchpoint checkout and an anonymous 3 at checkout in March; four CSAT answers.
    let mut in_period = vec![nps_answer(ws, nps, Some("c8"), 10, ts(2026, 2, 20))];
    let mut c7 = nps_answer(ws, nps, Some("c7"), 9, ts(2026, 3, 5));
    c7.touchpoint = Some(Label::new("checkout").unwrap());
    in_period.push(c7);
    let mut anon = nps_answer(ws, nps, None, 3, ts(2026, 3, 6));
    anon.touchpoint = Some(Label::new("checkout").unwrap());
    in_period.push(anon);
    for s in [5, 4, 2, 3] {
        in_period.push(nps_answer(ws, csat, None, s, ts(2026, 1, 7)));
    }
    store
        .answers()
        .record_many(&in_period, false)
        .await
        .unwrap();

    // Spells.
    let open = None;
    biz.spell(c(1), ts(2024, 1, 1), open).await;
    biz.spell(c(2), ts(2024, 1, 1), open).await;
    biz.spell(c(3), ts(2024, 6, 1), Some(ts(2026, 2, 15))).await;
    biz.spell(c(4), ts(2024, 1, 1), Some(ts(2026, 1, 20))).await;
    biz.spell(c(5), ts(2024, 1, 1), Some(ts(2026, 3, 10))).await;
    biz.spell(c(6), ts(2025, 1, 1), open).await;
    biz.spell(c(7), ts(2025, 1, 1), Some(ts(2025, 12, 1))).await;
    biz.spell(c(7), ts(2026, 2, 1), open).await;
    biz.spell(c(8), ts(2025, 5, 1), Some(ts(2026, 1, 10))).await;
    biz.spell(c(8), ts(2026, 2, 20), open).await;
    biz.spell(c(9), ts(2026, 1, 15), open).await;
    biz.spell(c(10), ts(2026, 3, 1), Some(ts(2026, 3, 20)))
        .await;

    // Orders (cents of EUR); c6 paid in NOK, 80000 øre reported as 7000 cents.
    biz.order(c(1), 10_000, ts(2025, 6, 1)).await;
    biz.order(c(1), 5_000, ts(2026, 1, 5)).await;
    biz.order(c(1), 5_000, ts(2026, 2, 5)).await;
    biz.order(c(2), 20_000, ts(2026, 1, 10)).await;
    biz.order(c(4), 3_000, ts(2026, 1, 12)).await;
    biz.order_in(c(6), 7_000, 80_000, "NOK", ts(2026, 3, 15))
        .await;
    biz.order(c(9), 1_000, ts(2026, 2, 1)).await;
    biz.order(c(7), 99_999, ts(2026, 4, 5)).await;

    // Contacts: 4 complaints in the period (c4, c5, c6, anonymous); replies by channel:
    // email 3600, 7200, 600 → median 3600; chat 120, 240 → median 180; phone unanswered.
    let hour = 3600;
    biz.contact(Some(c(4)), "email", true, ts(2026, 1, 5), Some(hour))
        .await;
    biz.contact(Some(c(5)), "email", true, ts(2026, 2, 5), Some(2 * hour))
        .await;
    biz.contact(Some(c(1)), "email", false, ts(2026, 3, 1), Some(600))
        .await;
    biz.contact(Some(c(6)), "chat", true, ts(2026, 3, 2), Some(120))
        .await;
    biz.contact(Some(c(6)), "chat", false, ts(2026, 3, 4), Some(240))
        .await;
    biz.contact(None, "phone", true, ts(2026, 3, 3), None).await;
    biz.contact(Some(c(1)), "email", true, ts(2025, 12, 30), Some(99_999))
        .await;

    // Loyalty: c1 and c9 active members at the end; c2 left; c3 a member but churned.
    biz.member(c(1), ts(2025, 1, 1), None).await;
    biz.member(c(2), ts(2025, 1, 1), Some(ts(2026, 3, 1))).await;
    biz.member(c(3), ts(2025, 1, 1), None).await;
    biz.member(c(9), ts(2026, 2, 1), None).await;

    // Cases: c4 open, c5 contacted, c2 resolved (not at risk).
    biz.case(c(4), c4_answer, nps, "open").await;
    biz.case(c(5), history_ids[5], nps, "contacted").await;
    biz.case(c(2), c2_answer, nps, "resolved").await;

    // One review left in the period, one before it.
    biz.review(c2_answer, ts(2026, 2, 2)).await;
    biz.review(c2_answer, ts(2025, 12, 2)).await;

    Fixture {
        ws,
        ids,
        biz,
        nps,
        c2_answer,
    }
}

fn q1(ws: i64) -> KpiQuery {
    KpiQuery {
        workspace_id: ws,
        from: date(2026, 1, 1),
        to: date(2026, 3, 31),
        segment: None,
        touchpoint: None,
    }
}

fn cat<'a>(r: &'a KpiReport, name: &str) -> &'a advocate_store::insight::kpis::CategoryRow {
    r.linkage
        .categories
        .iter()
        .find(|c| c.category == name)
        .unwrap()
}

async fn by_hand(store: Store, db: &TestDb) {
    let f = fixture(&store, db, "acme").await;
    // Another workspace's data must not leak in.
    let other = fixture(&store, db, "globex").await;
    other
        .biz
        .order(other.ids[1], 1_000_000, ts(2026, 1, 2))
        .await;
    let r = store.kpis().report(&q1(f.ws)).await.unwrap();
    let k = &r.figures;
    assert_eq!(r.currency, "EUR");

    // Lifecycle. At start (active on 31 Dec): c1 c2 c3 c4 c5 c6 c8 = 7. Acquired: c7
    // (returns 1 Feb), c8 (churned 10 Jan, back 20 Feb), c9, c10 = 4. Lost: c3 c4 c5 c8
    // c10 = 5. At end: c1 c2 c6 c7 c8 c9 = 6 (= 7 + 4 − 5).
    assert_close!(k.customers_at_start.value, 7.0);
    assert_close!(k.acquired.value, 4.0);
    assert_close!(k.lost.value, 5.0);
    assert_close!(k.customers_at_end.value, 6.0);
    assert_close!(k.churn_rate.value, 5.0 / 7.0);
    assert_close!(k.retention_rate.value, 2.0 / 7.0);
    assert!(k.churn_rate.definition.contains("customers lost"));

    // Orders in the period: 50+50+200+30+70+10 = 410.00 EUR in 6 orders from 5 buyers.
    assert_close!(k.revenue.value, 410.0);
    assert_close!(k.average_order_value.value, 410.0 / 6.0);
    assert_close!(k.purchase_frequency.value, 1.2);
    // Predicted: 68.33 × 1.2 / (5/7) = 114.8.
    assert_close!(k.predicted_clv.value, 114.8);
    // Historic: 410 + 100 (c1 in June 2025) = 510 over the 10 customers; c7's April
    // order is after the period.
    assert_close!(k.historic_clv.value, 51.0);

    // NPS in the period: 10, 9, 3 → (2 − 1) / 3.
    assert_eq!(k.nps.n, 3);
    assert_close!(k.nps.value, 100.0 / 3.0);
    assert!(k.nps.ci95.is_some());
    // Feedback: 3 NPS + 4 CSAT answers + 1 review left in the period.
    assert_close!(k.feedback_volume.value, 8.0);
    assert_eq!(k.feedback_volume.inputs["reviews_left"], 1.0);
    // CSAT 5, 4, 2, 3 → 2 / 4.
    assert_close!(k.csat.value, 0.5);
    // Loyalty: c1 and c9 of the 6 active at the end.
    assert_close!(k.loyalty_usage.value, 2.0 / 6.0);
    // Complaints: 4 in 90 days.
    assert_close!(k.complaints_per_month.value, 4.0 / (90.0 / 30.4375));
    let replies: Vec<(&str, Option<f64>, u64)> = k
        .first_reply
        .channels
        .iter()
        .map(|c| (c.channel.as_str(), c.median_seconds, c.n))
        .collect();
    assert_eq!(
        replies,
        vec![("chat", Some(180.0), 2), ("email", Some(3600.0), 3)]
    );
    // The same medians as the core formula.
    assert_eq!(
        advocate_core::kpi::median(&mut [3600, 7200, 600]),
        Some(3600.0)
    );

    // Linkage. Promoters c1 c2 c3: 3 at start, c3 lost; detractors c4 c5 c6 c8: 4 at
    // start, c4 c5 c8 lost; passive c7 was not there at the start; no answer: c9, c10
    // (c10 lost, but nobody at the start).
    let (det, pas, pro, none) = (
        cat(&r, "detractor"),
        cat(&r, "passive"),
        cat(&r, "promoter"),
        cat(&r, "no_answer"),
    );
    assert_eq!((det.customers_at_start, det.lost), (4, 3));
    assert_eq!((pro.customers_at_start, pro.lost), (3, 1));
    assert_eq!((pas.customers_at_start, pas.lost), (0, 0));
    assert_eq!((none.customers_at_start, none.lost), (0, 1));
    assert_close!(det.churn_rate, 0.75);
    assert_close!(pro.churn_rate, 1.0 / 3.0);
    assert_eq!(pas.churn_rate, None);
    assert_eq!(none.churn_rate, None);
    // Revenue: promoters 50+50+200, detractors 30+70, no answer 10.
    assert_close!(Some(pro.revenue), 300.0);
    assert_close!(Some(det.revenue), 100.0);
    assert_close!(Some(pas.revenue), 0.0);
    assert_close!(Some(none.revenue), 10.0);
    // Historic CLV: promoters 400 / 3; detractors 100 / 4; passive 0 / 1; none 10 / 2.
    assert_close!(pro.historic_clv, 400.0 / 3.0);
    assert_close!(det.historic_clv, 25.0);
    assert_close!(pas.historic_clv, 0.0);
    assert_close!(none.historic_clv, 5.0);
    // Detractors churn (3/4) / (1/3) = 2.25 times as often.
    let ratio = r.linkage.churn_ratio.unwrap();
    assert_close!(Some(ratio.ratio), 2.25);
    assert_eq!(Some(ratio), rate_ratio(3, 4, 1, 3));
    assert!(ratio.low < 2.25 && ratio.high > 2.25);
    // At risk: c4 (open) spent 30 in the last 12 months; c5 (contacted) nothing.
    assert_close!(r.linkage.revenue_at_risk.value, 30.0);
    assert_eq!(
        r.linkage.revenue_at_risk.inputs["customers_with_open_case"],
        2.0
    );

    // Series. Jan: 7 at start, c4 c8 lost; 280.00; 1 complaint; no NPS.
    // Feb: c1 c2 c3 c5 c6 c9 at start, c3 lost; 60.00; 1 complaint; NPS 100.
    // Mar: c1 c2 c5 c6 c7 c8 c9 at start, c5 and c10 lost; 70.00; 2 complaints; NPS 0.
    let s = &r.series;
    assert_eq!(
        s.iter().map(|m| m.month.as_str()).collect::<Vec<_>>(),
        ["2026-01", "2026-02", "2026-03"]
    );
    assert_close!(s[0].churn_rate, 2.0 / 7.0);
    assert_close!(s[1].churn_rate, 1.0 / 6.0);
    assert_close!(s[2].churn_rate, 2.0 / 7.0);
    assert_eq!(
        s.iter().map(|m| m.revenue).collect::<Vec<_>>(),
        [280.0, 60.0, 70.0]
    );
    assert_eq!(
        s.iter().map(|m| m.complaints).collect::<Vec<_>>(),
        [1, 1, 2]
    );
    assert_eq!(s[0].nps, None);
    assert_close!(s[1].nps, 100.0);
    assert_close!(s[2].nps, 0.0);

    // Previous 90 days (3 Oct – 31 Dec 2025): c1–c8 at start, c7 lost; no revenue.
    let p = &r.previous;
    assert_eq!((p.from, p.to), (date(2025, 10, 3), date(2025, 12, 31)));
    assert_close!(p.customers_at_start.value, 8.0);
    assert_close!(p.churn_rate.value, 1.0 / 8.0);
    assert_close!(p.revenue.value, 0.0);

    // The other workspace sees only its own (same data plus its big order).
    let o = store.kpis().report(&q1(other.ws)).await.unwrap();
    assert_close!(o.figures.revenue.value, 10_410.0);
    assert_close!(o.figures.customers_at_start.value, 7.0);
    let _ = (f.nps, f.c2_answer);
}

async fn filters(store: Store, db: &TestDb) {
    let f = fixture(&store, db, "acme").await;

    // Segment plan:premium (c1–c5): at start 5, lost c3 c4 c5, at end c1 c2.
    let mut q = q1(f.ws);
    q.segment = Some(("plan".into(), "premium".into()));
    let r = store.kpis().report(&q).await.unwrap();
    assert_eq!(r.segment.as_deref(), Some("plan:premium"));
    assert_close!(r.figures.customers_at_start.value, 5.0);
    assert_close!(r.figures.lost.value, 3.0);
    assert_close!(r.figures.customers_at_end.value, 2.0);
    assert_close!(r.figures.churn_rate.value, 0.6);
    assert_close!(r.figures.revenue.value, 330.0);
    // Complaints c4, c5 only; premium customers answered nothing in the period.
    assert_eq!(r.figures.complaints_per_month.inputs["complaints"], 2.0);
    assert_eq!((r.figures.nps.n, r.figures.nps.value), (0, None));
    assert_close!(r.linkage.revenue_at_risk.value, 30.0);

    // Segment plan:basic: NPS from the answers of basic customers: c8 10, c7 9.
    q.segment = Some(("plan".into(), "basic".into()));
    let r = store.kpis().report(&q).await.unwrap();
    assert_eq!(r.figures.nps.n, 2);
    assert_close!(r.figures.nps.value, 100.0);
    assert_close!(r.figures.customers_at_start.value, 2.0); // c6, c8
    assert_close!(r.linkage.revenue_at_risk.value, 0.0);

    // Touchpoint checkout: NPS from 9 and 3; customers unchanged; CSAT had none there.
    let mut q = q1(f.ws);
    q.touchpoint = Some("checkout".into());
    let r = store.kpis().report(&q).await.unwrap();
    assert_eq!(r.figures.nps.n, 2);
    assert_close!(r.figures.nps.value, 0.0);
    assert_close!(r.figures.feedback_volume.value, 2.0);
    assert_eq!(r.figures.csat.value, None);
    assert_close!(r.figures.customers_at_start.value, 7.0);

    // Both: only c7's 9 (a basic customer at checkout).
    q.segment = Some(("plan".into(), "basic".into()));
    let r = store.kpis().report(&q).await.unwrap();
    assert_eq!(r.figures.nps.n, 1);
    assert_close!(r.figures.nps.value, 100.0);

    // A segment value nobody has: zero customers, rates undefined.
    let mut q = q1(f.ws);
    q.segment = Some(("plan".into(), "gold".into()));
    let r = store.kpis().report(&q).await.unwrap();
    assert_close!(r.figures.customers_at_start.value, 0.0);
    assert_eq!(r.figures.churn_rate.value, None);

    // A bad attribute name and a reversed period are refused.
    q.segment = Some(("plan'; --".into(), "x".into()));
    let err = store.kpis().report(&q).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(ref m) if m.contains("segment attribute")),
        "{err:?}"
    );
    let mut q = q1(f.ws);
    q.from = date(2026, 4, 1);
    let err = store.kpis().report(&q).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(ref m) if m.contains("after")),
        "{err:?}"
    );
}

async fn edge_cases(store: Store, db: &TestDb) {
    // Empty workspace: counts 0, every rate and value undefined (null, not 0).
    let ws = named_workspace(&store, "empty").await;
    let r = store.kpis().report(&q1(ws)).await.unwrap();
    let k = &r.figures;
    assert_close!(k.customers_at_start.value, 0.0);
    assert_close!(k.revenue.value, 0.0);
    for (name, v) in [
        ("churn", k.churn_rate.value),
        ("retention", k.retention_rate.value),
        ("aov", k.average_order_value.value),
        ("frequency", k.purchase_frequency.value),
        ("historic clv", k.historic_clv.value),
        ("predicted clv", k.predicted_clv.value),
        ("csat", k.csat.value),
        ("loyalty", k.loyalty_usage.value),
        ("nps", k.nps.value),
    ] {
        assert_eq!(v, None, "{name}");
    }
    assert_eq!(r.linkage.churn_ratio, None);
    assert_eq!(r.series.len(), 3);
    assert!(r.series.iter().all(|m| m.churn_rate.is_none()));
    // The JSON has the nulls and no NaN.
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["churn_rate"]["value"].is_null());
    assert_eq!(json["currency"], "EUR");

    // No customers at the start but some acquired: rates over the start are undefined.
    let f = fixture(&store, db, "acme").await;
    let biz = &f.biz;
    let ws = f.ws;
    // December 2023 – January 2024: c1 c2 c4 c5 start on 1 January 2024.
    let mut q = q1(ws);
    q.from = date(2023, 12, 1);
    q.to = date(2024, 1, 31);
    let r = store.kpis().report(&q).await.unwrap();
    assert_close!(r.figures.customers_at_start.value, 0.0);
    assert_close!(r.figures.acquired.value, 4.0);
    assert_eq!(r.figures.churn_rate.value, None);
    assert_eq!(r.figures.retention_rate.value, None);

    // Mixed currencies and a reporting currency without minor units: JPY shows minor
    // amounts as they are.
    let settings = WorkspaceSettings {
        currency: "JPY".into(),
        ..Default::default()
    };
    store.settings().save(ws, &settings).await.unwrap();
    let r = store.kpis().report(&q1(ws)).await.unwrap();
    assert_eq!(r.currency, "JPY");
    assert_close!(r.figures.revenue.value, 41_000.0);

    // A single-day period with a churn-and-return on that day.
    let c = f.ids[10];
    biz.spell(c, ts(2026, 6, 1) + 10, Some(ts(2026, 6, 1) + 20))
        .await;
    biz.spell(c, ts(2026, 6, 1) + 30, None).await;
    let mut q = q1(ws);
    q.from = date(2026, 6, 1);
    q.to = date(2026, 6, 1);
    let r = store.kpis().report(&q).await.unwrap();
    // c1 c2 c6 c7 c8 c9 at start; c10 acquired (twice, counted once) and lost once.
    assert_close!(r.figures.customers_at_start.value, 6.0);
    assert_close!(r.figures.acquired.value, 1.0);
    assert_close!(r.figures.lost.value, 1.0);
    assert_close!(r.figures.customers_at_end.value, 7.0);
    assert_close!(
        r.figures.complaints_per_month.inputs.get("days").copied(),
        1.0
    );
}

#[tokio::test]
async fn kpis_by_hand_with_linkage_series_and_isolation() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        by_hand(db.store().await, &db).await;
    }
}

#[tokio::test]
async fn kpi_segment_and_touchpoint_filters() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        filters(db.store().await, &db).await;
    }
}

#[tokio::test]
async fn kpi_edge_cases() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        edge_cases(db.store().await, &db).await;
    }
}

/// `order_rollup` as a recount from the orders: (customer, month start) → (orders, amount).
async fn rollup_and_recount(
    db: &TestDb,
    ws: i64,
) -> (
    std::collections::BTreeMap<(i64, i64), (i64, i64)>,
    std::collections::BTreeMap<(i64, i64), (i64, i64)>,
) {
    use sqlx::{AnyConnection, Connection};
    sqlx::any::install_default_drivers();
    let mut raw = AnyConnection::connect(&db.url).await.unwrap();
    let stored: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT customer_id, month, orders, amount_minor FROM order_rollup WHERE workspace_id = $1",
    )
    .bind(ws)
    .fetch_all(&mut raw)
    .await
    .unwrap();
    let orders: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT customer_id, ordered_at, amount_minor FROM orders WHERE workspace_id = $1",
    )
    .bind(ws)
    .fetch_all(&mut raw)
    .await
    .unwrap();
    let mut recount = std::collections::BTreeMap::new();
    for (customer, at, amount) in orders {
        let t = Utc.timestamp_opt(at, 0).unwrap();
        let month = Utc
            .with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        let e: &mut (i64, i64) = recount.entry((customer, month)).or_default();
        e.0 += 1;
        e.1 += amount;
    }
    let stored = stored
        .into_iter()
        .filter(|r| r.2 != 0 || r.3 != 0)
        .map(|(c, m, n, a)| ((c, m), (n, a)))
        .collect();
    (stored, recount)
}

async fn order_rollup_kept(store: Store, db: &TestDb) {
    use advocate_core::customer::CustomerInput;
    use advocate_store::business::{BusinessHistory, HistoricOrder, NewOrder};
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "other").await;
    let people: Vec<CustomerInput> = ["A", "B", "C"]
        .iter()
        .map(|id| CustomerInput {
            external_id: (*id).into(),
            name: None,
            email: None,
            phone: None,
            language: None,
            attributes: Default::default(),
            account_manager: None,
        })
        .collect();
    store.customers().upsert_many(ws, &people).await.unwrap();
    store.customers().upsert_many(other, &people).await.unwrap();
    let currency = store.settings().get(ws).await.unwrap().currency;
    let order = |ext: Option<&str>, who: &str, amount: &str, when| NewOrder {
        external_id: ext.map(Into::into),
        customer: who.into(),
        amount: amount.into(),
        currency: currency.clone(),
        amount_in_reporting_currency: None,
        ordered_at: when,
    };
    // Several orders in one month, across a year's end, and a retry of a stored one.
    let batch = vec![
        order(Some("o1"), "A", "10.00", at(2024, 1, 31)),
        order(Some("o2"), "A", "5.50", at(2024, 1, 1)),
        order(None, "A", "1.00", at(2024, 2, 1)),
        order(Some("o3"), "B", "7.25", at(2023, 12, 31)),
        order(Some("o4"), "C", "3.00", at(2024, 1, 15)),
    ];
    store.orders().record_many(ws, &batch).await.unwrap();
    store.orders().record(ws, &batch[0]).await.unwrap();
    store
        .orders()
        .record(other, &order(None, "A", "99.00", at(2024, 1, 2)))
        .await
        .unwrap();
    let (stored, recount) = rollup_and_recount(db, ws).await;
    assert_eq!(stored, recount, "after the API's inserts");
    assert_eq!(stored.len(), 4);

    // An import of history (bulk, in batches).
    let history: Vec<HistoricOrder> = (0..1_200)
        .map(|i| HistoricOrder {
            customer_external_id: ["A", "B", "C"][i % 3].into(),
            external_id: format!("H-{i}"),
            amount_minor: 100 + i as i64,
            original_amount_minor: 100 + i as i64,
            original_currency: currency.clone(),
            ordered_at: at(2022, 1, 1) + chrono::Duration::hours(13 * i as i64),
        })
        .collect();
    store
        .history()
        .load_business(
            ws,
            BusinessHistory {
                spells: &[],
                orders: &history,
                contacts: &[],
                loyalty: &[],
            },
            |_| {},
        )
        .await
        .unwrap();
    let (stored, recount) = rollup_and_recount(db, ws).await;
    assert_eq!(stored, recount, "after an import");

    // Erasure deletes the person's orders, and their rollup rows with them.
    store.privacy().erase_person(ws, "A").await.unwrap();
    let (stored, recount) = rollup_and_recount(db, ws).await;
    assert_eq!(stored, recount, "after an erasure");
    let (stored, recount) = rollup_and_recount(db, other).await;
    assert_eq!(stored, recount, "the other workspace");
    assert_eq!(stored.len(), 1);
}

#[tokio::test]
async fn kpis_order_rollup_equals_a_recount_after_inserts_import_and_erasure() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        order_rollup_kept(db.store().await, &db).await;
    }
}
