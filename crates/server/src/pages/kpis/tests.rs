use super::format::*;
use super::periods::*;
use chrono::NaiveDate;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn quarters() {
    assert_eq!(quarter_start(d(2026, 8, 15)), d(2026, 7, 1));
    assert_eq!(quarter_end(d(2026, 7, 1)), d(2026, 9, 30));
    assert_eq!(quarter_end(d(2026, 10, 1)), d(2026, 12, 31));
    assert_eq!(parse_quarter("2026-Q3"), Some(d(2026, 7, 1)));
    assert_eq!(parse_quarter("2026-Q5"), None);
    assert_eq!(parse_quarter("26-Q1"), None);
    assert_eq!(parse_quarter("<b>"), None);
    assert_eq!(quarter_code(d(2026, 12, 31)), "2026-Q4");
}

#[test]
fn periods() {
    let today = d(2026, 8, 15);
    assert_eq!(
        resolve_period("this_quarter", None, None, today).unwrap(),
        (d(2026, 7, 1), today)
    );
    assert_eq!(
        resolve_period("last_quarter", None, None, today).unwrap(),
        (d(2026, 4, 1), d(2026, 6, 30))
    );
    assert_eq!(
        resolve_period("12m", None, None, today).unwrap(),
        (d(2025, 8, 16), today)
    );
    assert_eq!(
        resolve_period("custom", Some("2026-01-01"), Some("2026-01-31"), today).unwrap(),
        (d(2026, 1, 1), d(2026, 1, 31))
    );
    assert!(resolve_period("custom", Some("2026-02-01"), Some("2026-01-31"), today).is_err());
    assert!(resolve_period("custom", Some("nope"), None, today).is_err());
}

#[test]
fn formatting() {
    let fmt = Fmt {
        currency: "EUR".into(),
        money_digits: 2,
    };
    assert_eq!(fmt.value(Some(0.1234), "fraction"), "12.3 %");
    assert_eq!(
        fmt.value(Some(1234567.0), "count"),
        "1\u{202f}234\u{202f}567"
    );
    assert_eq!(fmt.value(Some(-1234.5), "money"), "-1\u{202f}234.50 EUR");
    assert_eq!(fmt.value(None, "money"), "—");
    assert_eq!(
        fmt.change(Some(0.12), Some(0.10), "fraction").unwrap().1,
        "+2.0 pp"
    );
    assert_eq!(fmt.change(Some(5.0), Some(8.0), "count").unwrap().1, "-3");
    assert_eq!(fmt.change(None, Some(8.0), "count"), None);
    assert_eq!(change_class(0.02, true), "bad");
    assert_eq!(change_class(0.02, false), "good");
    assert_eq!(change_class(0.0, false), "flat");
    // A change that rounds to zero is shown unsigned and is neutral, not red.
    let (d, text) = fmt.change(Some(0.1003), Some(0.1004), "fraction").unwrap();
    assert_eq!((text.as_str(), change_class(d, false)), ("0.0 pp", "flat"));
    let (d, text) = fmt.change(Some(0.1004), Some(0.1003), "fraction").unwrap();
    assert_eq!((text.as_str(), change_class(d, true)), ("0.0 pp", "flat"));
    let (d, text) = fmt.change(Some(10.001), Some(10.0), "money").unwrap();
    assert_eq!(
        (text.as_str(), change_class(d, false)),
        ("0.00 EUR", "flat")
    );
}

#[test]
fn rules_show_names_as_code_not_backticks() {
    let parts = rule_parts("The period runs from `from` 00:00 UTC to the end of `to`.");
    let shown: Vec<(bool, &str)> = parts.iter().map(|p| (p.code, p.text.as_str())).collect();
    assert_eq!(
        shown,
        [
            (false, "The period runs from "),
            (true, "from"),
            (false, " 00:00 UTC to the end of "),
            (true, "to"),
            (false, ".")
        ]
    );
    assert_eq!(rule_parts("odd ` one")[0].text, "odd ` one");
}

#[test]
fn the_partial_current_month_is_left_out_of_sparklines() {
    let point = |from: NaiveDate, to: NaiveDate| advocate_store::insight::kpis::MonthPoint {
        month: from.format("%Y-%m").to_string(),
        from,
        to,
        churn_rate: None,
        nps: None,
        revenue: 0.0,
        complaints: 0,
    };
    assert!(!partial_month(&point(d(2026, 11, 1), d(2026, 11, 30))));
    assert!(partial_month(&point(d(2026, 12, 1), d(2026, 12, 2))));
    assert!(partial_month(&point(d(2026, 10, 15), d(2026, 10, 31))));
    assert!(!partial_month(&point(d(2026, 2, 1), d(2026, 2, 28))));
}
