//! Retention KPIs (PRODUCT.md §4): pure formulas over counts and sums. Every function
//! returns `None` where the figure is undefined (e.g. a rate over zero customers), so a
//! report can show "—" rather than a misleading 0. The wording shown to users beside each
//! figure is in [`definitions`]; the table below summarises it.
//!
//! | KPI | definition |
//! |---|---|
//! | churn rate | customers lost in the period / customers at its start |
//! | retention rate | (customers at end − customers acquired in the period) / customers at start |
//! | average order value | revenue / orders |
//! | purchase frequency | orders / distinct buying customers in the period |
//! | historic CLV | revenue per customer over the whole relationship |
//! | predicted CLV | average order value × purchase frequency × expected lifetime, where expected lifetime = 1 / churn rate (in periods) |
//! | CSAT | share of 4–5 answers on the 1–5 scale |
//! | loyalty-programme usage | active members / active customers |
//! | complaints per month | complaints / (days in period / 30.4375, the average month) |
//! | time to first reply | median of (first reply − opened), per channel |
//! | churn ratio | churn rate of detractors / churn rate of promoters, with a 95 % interval (log method) |

use serde::Serialize;

/// The definitions shown beside each figure (PRODUCT.md §4): the one place they are
/// written, next to the formulas they describe.
pub mod definitions {
    pub const CUSTOMERS_AT_START: &str =
        "customers with a spell covering the last second before the period";
    pub const ACQUIRED: &str = "customers with a spell starting in the period (new and returning)";
    pub const LOST: &str = "customers with a spell ending in the period";
    pub const CUSTOMERS_AT_END: &str =
        "customers with a spell covering the last second of the period";
    pub const CHURN_RATE: &str = "customers lost in the period / customers at its start";
    pub const RETENTION_RATE: &str =
        "(customers at end − customers acquired in the period) / customers at start";
    pub const NPS: &str =
        "% promoters (9–10) − % detractors (0–6) of NPS answers in the period, with its 95 % interval";
    pub const REVENUE: &str = "sum of orders in the period, in the reporting currency";
    pub const AVERAGE_ORDER_VALUE: &str = "revenue / orders";
    pub const PURCHASE_FREQUENCY: &str = "orders / distinct buying customers in the period";
    pub const HISTORIC_CLV: &str = "revenue per customer over the whole relationship: all revenue up to the end of the period / customers with any spell begun by then";
    pub const PREDICTED_CLV: &str = "average order value × purchase frequency × expected lifetime, where expected lifetime = 1 / churn rate (in periods)";
    pub const FEEDBACK_VOLUME: &str =
        "answers received in the period + reviews left (engagements marked review_left in it)";
    pub const CSAT: &str = "share of 4–5 answers on the 1–5 scale (CSAT surveys)";
    pub const LOYALTY_USAGE: &str =
        "active loyalty members / active customers, at the end of the period";
    pub const COMPLAINTS_PER_MONTH: &str =
        "complaints / (days in period / 30.4375, the average month)";
    pub const FIRST_REPLY: &str =
        "median of (first reply − opened), per channel, over contacts opened in the period";
    pub const CHURN_RATIO: &str =
        "churn rate of detractors / churn rate of promoters, with a 95 % interval (log method)";
    pub const REVENUE_AT_RISK: &str = "revenue in the 12 months up to the end of the period from customers with an open (open or contacted) case today";
    pub const CATEGORY: &str =
        "each customer's NPS category from their latest NPS answer before the period";
}

/// Average days in a month (365.25 / 12), to put any period on a per-month footing.
pub const DAYS_PER_MONTH: f64 = 30.4375;
const Z95: f64 = 1.959_963_984_540_054;

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator)
}

/// Customers lost in the period / customers at its start, as a fraction.
pub fn churn_rate(lost: u64, at_start: u64) -> Option<f64> {
    ratio(lost as f64, at_start as f64)
}

/// (Customers at end − customers acquired in the period) / customers at start. Acquired
/// includes customers who returned after churning (they were not there at the start).
pub fn retention_rate(at_end: u64, acquired: u64, at_start: u64) -> Option<f64> {
    ratio(at_end as f64 - acquired as f64, at_start as f64)
}

pub fn average_order_value(revenue: f64, orders: u64) -> Option<f64> {
    ratio(revenue, orders as f64)
}

/// Orders per distinct buying customer in the period.
pub fn purchase_frequency(orders: u64, buying_customers: u64) -> Option<f64> {
    ratio(orders as f64, buying_customers as f64)
}

/// Revenue per customer over their whole relationship.
pub fn historic_clv(revenue: f64, customers: u64) -> Option<f64> {
    ratio(revenue, customers as f64)
}

/// Average order value × purchase frequency × expected lifetime (1 / churn rate), all per
/// period. Undefined when nobody churned (the expected lifetime is unbounded).
pub fn predicted_clv(aov: Option<f64>, frequency: Option<f64>, churn: Option<f64>) -> Option<f64> {
    let churn = churn.filter(|c| *c > 0.0)?;
    Some(aov? * frequency? / churn)
}

/// Share of satisfied (4–5) answers on the 1–5 scale, as a fraction.
pub fn csat(satisfied: u64, answers: u64) -> Option<f64> {
    ratio(satisfied as f64, answers as f64)
}

pub fn loyalty_usage(active_members: u64, active_customers: u64) -> Option<f64> {
    ratio(active_members as f64, active_customers as f64)
}

/// Complaints per (average) month over a period of `days` days.
pub fn complaints_per_month(complaints: u64, days: u64) -> Option<f64> {
    ratio(complaints as f64, days as f64 / DAYS_PER_MONTH)
}

/// The median of durations (e.g. seconds to first reply); the mean of the middle two for
/// an even count.
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] as f64 + values[mid] as f64) / 2.0
    } else {
        values[mid] as f64
    })
}

/// A ratio of two rates with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateRatio {
    pub ratio: f64,
    pub low: f64,
    pub high: f64,
}

/// How many times as often group A churns as group B: (a_lost / a_total) / (b_lost /
/// b_total), with the 95 % interval from the log method,
/// `exp(ln r ± 1.96 · √(1/a_lost − 1/a_total + 1/b_lost − 1/b_total))`.
/// Undefined when either group is empty or has no churn.
pub fn rate_ratio(a_lost: u64, a_total: u64, b_lost: u64, b_total: u64) -> Option<RateRatio> {
    if a_lost == 0 || b_lost == 0 || a_total == 0 || b_total == 0 {
        return None;
    }
    let (a, n1, b, n2) = (a_lost as f64, a_total as f64, b_lost as f64, b_total as f64);
    let r = (a / n1) / (b / n2);
    let se = (1.0 / a - 1.0 / n1 + 1.0 / b - 1.0 / n2).max(0.0).sqrt();
    Some(RateRatio {
        ratio: r,
        low: (r.ln() - Z95 * se).exp(),
        high: (r.ln() + Z95 * se).exp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn churn_and_retention_by_hand() {
        // 200 at the start, 20 lost, 50 acquired (10 of them returning), 230 at the end.
        assert!(close(churn_rate(20, 200).unwrap(), 0.10));
        assert!(close(retention_rate(230, 50, 200).unwrap(), 0.90));
        // No customers at the start: both undefined, not 0 % or 100 %.
        assert_eq!(churn_rate(0, 0), None);
        assert_eq!(retention_rate(5, 5, 0), None);
    }

    #[test]
    fn value_formulas_by_hand() {
        // 120 orders worth 6,000 from 40 buyers: AOV 50, frequency 3; churn 10 % a period.
        let aov = average_order_value(6000.0, 120);
        let freq = purchase_frequency(120, 40);
        assert_eq!((aov, freq), (Some(50.0), Some(3.0)));
        assert!(close(predicted_clv(aov, freq, Some(0.10)).unwrap(), 1500.0));
        assert_eq!(predicted_clv(aov, freq, Some(0.0)), None, "nobody churned");
        assert_eq!(predicted_clv(None, freq, Some(0.1)), None);
        assert_eq!(historic_clv(9000.0, 30), Some(300.0));
        assert_eq!(average_order_value(0.0, 0), None);
    }

    #[test]
    fn satisfaction_loyalty_complaints_and_reply_times() {
        assert_eq!(csat(45, 60), Some(0.75));
        assert_eq!(csat(0, 0), None);
        assert_eq!(loyalty_usage(30, 120), Some(0.25));
        // 61 complaints in 61 days ≈ 30.44 a month.
        assert!(close(complaints_per_month(61, 61).unwrap(), DAYS_PER_MONTH));
        assert_eq!(median(&mut [300, 60, 120]), Some(120.0));
        assert_eq!(median(&mut [10, 40, 20, 30]), Some(25.0));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn churn_ratio_with_its_interval() {
        // Detractors: 30 of 100 churned; promoters: 10 of 200. Ratio = 0.30 / 0.05 = 6.
        let r = rate_ratio(30, 100, 10, 200).unwrap();
        assert!(close(r.ratio, 6.0));
        let se = (1.0f64 / 30.0 - 1.0 / 100.0 + 1.0 / 10.0 - 1.0 / 200.0).sqrt();
        assert!(close(r.low, (6f64.ln() - Z95 * se).exp()));
        assert!(r.low > 2.9 && r.high < 12.5, "{r:?}");
        assert_eq!(rate_ratio(0, 100, 10, 200), None);
        assert_eq!(rate_ratio(5, 100, 0, 200), None, "promoters never churned");
    }
}
