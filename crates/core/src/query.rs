//! What a report counts — NPS, a comparison of two sides, the KPIs — and the one parser
//! from the text a caller gives (API query parameters or CLI flags) into it. A refusal
//! names the parameter (`from`, `b.segment`); the server answers it with a 400.

use crate::field::Invalid;
use crate::{Channel, CiMethod, GroupBy, Label, Language};
use chrono::{Duration, NaiveDate};

/// Which answers to report on and how to break them down.
#[derive(Debug, Clone, PartialEq)]
pub struct NpsQuery {
    pub workspace_id: i64,
    /// A survey slug; `None` means every NPS survey of the workspace.
    pub survey: Option<String>,
    /// First and last day, inclusive (UTC).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group_by: Option<GroupBy>,
    pub ci: CiMethod,
    /// Only the answers with this value in one dimension other than time (see [`only`]).
    pub only: Option<(GroupBy, String)>,
}

/// The answers one side of a comparison counts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NpsFilter {
    /// A survey slug; `None` means every NPS survey of the workspace.
    pub survey: Option<String>,
    /// First and last day, inclusive (UTC); open ends mean all time and today.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A breakdown dimension other than time, and the value an answer must have in it.
    pub value: Option<(GroupBy, String)>,
}

/// Two sides to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareQuery {
    pub workspace_id: i64,
    pub a: NpsFilter,
    pub b: NpsFilter,
    /// The method of each side's interval.
    pub ci: CiMethod,
}

/// Which KPIs to report on.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiQuery {
    pub workspace_id: i64,
    /// First and last day, inclusive (UTC).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `(attribute, value)`: customers whose current attribute has this value.
    pub segment: Option<(String, String)>,
    pub touchpoint: Option<String>,
}

/// A day given as YYYY-MM-DD; empty is none.
pub fn date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, Invalid> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                Invalid::new(format!("{field} must be a date like 2026-01-31; got {v:?}"))
            })
        })
        .transpose()
}

/// One value of one dimension a report is narrowed to, as written in a link:
/// `touchpoint:checkout`, `channel:email`, `language:nb` or `segment:plan:premium`; empty
/// is none. One dimension only: the rollups count one dimension at a time.
pub fn only(field: &str, value: Option<&str>) -> Result<Option<(GroupBy, String)>, Invalid> {
    let Some(text) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        Invalid::new(format!(
            "{field} is touchpoint:<name>, channel:<channel>, language:<code> or \
             segment:<attribute>:<value>; got {text:?}"
        ))
    };
    let (dimension, rest) = text.split_once(':').ok_or_else(bad)?;
    let nonempty = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty()).ok_or_else(bad);
    Ok(Some(match dimension {
        "touchpoint" => (GroupBy::Touchpoint, nonempty(rest)?),
        "channel" => {
            let c = Channel::parse(rest).map_err(|e| Invalid::new(format!("{field}: {e}")))?;
            (GroupBy::Channel, c.as_str().to_owned())
        }
        "language" => {
            let l = Language::new(rest).map_err(|e| Invalid::new(format!("{field}: {e}")))?;
            (GroupBy::Language, l.as_str().to_owned())
        }
        "segment" => {
            let (attr, v) = rest.split_once(':').ok_or_else(bad)?;
            let attr =
                Label::new(attr).map_err(|e| Invalid::new(format!("{field}: attribute: {e}")))?;
            (GroupBy::Segment(attr), nonempty(v)?)
        }
        _ => return Err(bad()),
    }))
}

/// How [`only`] reads a dimension's value back: `channel:email`, `segment:plan:premium`.
pub fn only_code(dimension: &GroupBy, value: &str) -> String {
    format!("{dimension}:{value}")
}

/// The interval method; empty is the default (adjusted Wald).
pub fn ci_method(ci: Option<&str>) -> Result<CiMethod, Invalid> {
    match ci {
        None | Some("") => Ok(CiMethod::default()),
        Some(m) => CiMethod::parse(m)
            .ok_or_else(|| Invalid::new(format!("ci must be wald or adjusted_wald; got {m:?}"))),
    }
}

/// `GET /api/v1/nps` and `advocate nps`, as given.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NpsParams {
    pub survey: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub group_by: Option<String>,
    pub ci: Option<String>,
}

impl NpsParams {
    /// The query these parameters ask for, or a message naming the bad one.
    pub fn to_query(&self, workspace_id: i64) -> Result<NpsQuery, Invalid> {
        let from = date("from", self.from.as_deref())?;
        let to = date("to", self.to.as_deref())?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(Invalid::new(format!("from ({f}) is after to ({t})")));
            }
        }
        Ok(NpsQuery {
            workspace_id,
            survey: self.survey.clone().filter(|s| !s.is_empty()),
            from,
            to,
            group_by: self
                .group_by
                .as_deref()
                .filter(|g| !g.is_empty())
                .map(|g| g.parse::<GroupBy>().map_err(Invalid::new))
                .transpose()?,
            ci: ci_method(self.ci.as_deref())?,
            only: None,
        })
    }
}

/// One side's filter of a comparison, as given: each field is `a.<name>` or `b.<name>` in
/// the API's query, `--a <name>=…` on the command line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SideParams {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub survey: Option<String>,
    pub segment: Option<String>,
    pub touchpoint: Option<String>,
    pub channel: Option<String>,
    pub language: Option<String>,
}

/// The names a side's filter takes, in the order they are documented.
pub const SIDE_FIELDS: [&str; 8] = [
    "period",
    "from",
    "to",
    "survey",
    "segment",
    "touchpoint",
    "channel",
    "language",
];

impl SideParams {
    /// Sets the field `name` (one of [`SIDE_FIELDS`]); `Err` names the unknown one.
    pub fn set(&mut self, name: &str, value: String) -> Result<(), String> {
        let slot = match name {
            "period" => &mut self.period,
            "from" => &mut self.from,
            "to" => &mut self.to,
            "survey" => &mut self.survey,
            "segment" => &mut self.segment,
            "touchpoint" => &mut self.touchpoint,
            "channel" => &mut self.channel,
            "language" => &mut self.language,
            _ => {
                return Err(format!(
                    "unknown filter {name:?}: a side is filtered by {}",
                    SIDE_FIELDS.join(", ")
                ))
            }
        };
        *slot = Some(value);
        Ok(())
    }

    /// The side's filter, or a message naming the parameter (`a.segment`, `b.from`, …).
    pub fn to_filter(&self, side: &str) -> Result<NpsFilter, Invalid> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let bad = |field: &str, msg: String| Invalid::new(format!("{side}.{field}: {msg}"));
        let (mut from, mut to) = (
            date(&format!("{side}.from"), given(&self.from).as_deref())?,
            date(&format!("{side}.to"), given(&self.to).as_deref())?,
        );
        if let Some(p) = given(&self.period) {
            if from.is_some() || to.is_some() {
                return Err(bad(
                    "period",
                    format!("give either {side}.period or {side}.from/{side}.to, not both"),
                ));
            }
            let (f, t) = crate::period::parse_period(&p).map_err(|e| bad("period", e))?;
            (from, to) = (Some(f), Some(t));
        }
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(bad("from", format!("{f} is after {side}.to ({t})")));
            }
        }
        let mut values = Vec::new();
        if let Some(s) = given(&self.segment) {
            let (attr, value) = s
                .split_once(':')
                .filter(|(a, v)| !a.is_empty() && !v.is_empty())
                .ok_or_else(|| {
                    bad(
                        "segment",
                        format!("a segment is attribute:value, e.g. plan:Pro; got {s:?}"),
                    )
                })?;
            let attr = Label::new(attr).map_err(|e| bad("segment", format!("attribute: {e}")))?;
            values.push(("segment", GroupBy::Segment(attr), value.to_owned()));
        }
        if let Some(t) = given(&self.touchpoint) {
            values.push(("touchpoint", GroupBy::Touchpoint, t));
        }
        if let Some(c) = given(&self.channel) {
            let c = Channel::parse(&c).map_err(|e| bad("channel", e.to_string()))?;
            values.push(("channel", GroupBy::Channel, c.as_str().to_owned()));
        }
        if let Some(l) = given(&self.language) {
            let l = Language::new(&l).map_err(|e| bad("language", e.to_string()))?;
            values.push(("language", GroupBy::Language, l.as_str().to_owned()));
        }
        if values.len() > 1 {
            let names: Vec<String> = values
                .iter()
                .map(|(n, _, _)| format!("{side}.{n}"))
                .collect();
            return Err(Invalid::new(format!(
                "{}: a side is one value of one of segment, touchpoint, channel or language (the \
                 figures are counted one dimension at a time); give only one",
                names.join(" and ")
            )));
        }
        Ok(NpsFilter {
            survey: given(&self.survey),
            from,
            to,
            value: values.pop().map(|(_, dim, value)| (dim, value)),
        })
    }
}

/// The comparison two sides and an interval method ask for, or a message naming every bad
/// filter.
pub fn compare_query(
    workspace_id: i64,
    a: &SideParams,
    b: &SideParams,
    ci: Option<&str>,
) -> Result<CompareQuery, Invalid> {
    // Both sides are checked, so one answer names every bad filter.
    let (a, b) = match (a.to_filter("a"), b.to_filter("b")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e),
        (Err(ea), Err(eb)) => return Err(Invalid::new(format!("{ea}; {eb}"))),
    };
    if a == b {
        return Err(Invalid::new(
            "a and b: the two sides have the same filter; give each side its own (e.g. \
             a.segment=plan:Basic&b.segment=plan:Pro, or a.period=2026-Q2&b.period=2026-Q3)",
        ));
    }
    Ok(CompareQuery {
        workspace_id,
        a,
        b,
        ci: ci_method(ci)?,
    })
}

/// Days in the default KPI period when `from` is left out.
pub const DEFAULT_KPI_DAYS: i64 = 90;

/// `GET /api/v1/kpis` and `advocate kpis`, as given.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KpiParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub segment: Option<String>,
    pub touchpoint: Option<String>,
}

impl KpiParams {
    /// The query these parameters ask for, or a message naming the bad one.
    pub fn to_query(&self, workspace_id: i64, today: NaiveDate) -> Result<KpiQuery, Invalid> {
        let to = date("to", self.to.as_deref())?.unwrap_or(today);
        let from = date("from", self.from.as_deref())?
            .unwrap_or(to - Duration::days(DEFAULT_KPI_DAYS - 1));
        if from > to {
            return Err(Invalid::new(format!("from ({from}) is after to ({to})")));
        }
        let segment = match self.segment.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let (attr, value) = s.split_once(':').ok_or_else(|| {
                    Invalid::new(format!(
                        "segment must be attribute:value such as plan:premium; got {s:?}"
                    ))
                })?;
                Label::new(attr).map_err(|e| Invalid::new(format!("segment attribute {e}")))?;
                if value.is_empty() {
                    return Err(Invalid::new(format!(
                        "segment needs a value after the colon, such as plan:premium; got {s:?}"
                    )));
                }
                Some((attr.to_owned(), value.to_owned()))
            }
        };
        let touchpoint = self
            .touchpoint
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| {
                Label::new(t)
                    .map(|l| l.as_str().to_owned())
                    .map_err(|e| Invalid::new(format!("touchpoint {e}")))
            })
            .transpose()?;
        Ok(KpiQuery {
            workspace_id,
            from,
            to,
            segment,
            touchpoint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn only_reads_one_value_of_one_dimension_and_writes_it_back() {
        let read = |v: &str| only("only", Some(v));
        for code in [
            "touchpoint:checkout",
            "channel:email",
            "language:nb",
            "segment:plan:premium",
            "segment:region:a:b",
        ] {
            let (dim, value) = read(code).unwrap().unwrap();
            assert_eq!(only_code(&dim, &value), code);
        }
        assert_eq!(read("  ").unwrap(), None);
        assert_eq!(only("only", None).unwrap(), None);
        for bad in [
            "channel",
            "touchpoint:",
            "segment:plan",
            "segment::x",
            "day:1",
            "month:x",
        ] {
            let e = read(bad).unwrap_err();
            assert!(e.message().starts_with("only"), "{bad}: {}", e.message());
        }
        assert!(read("channel:pigeon")
            .unwrap_err()
            .message()
            .contains("pigeon"));
    }

    #[test]
    fn nps_parameters_name_the_bad_one() {
        let p = |from: &str, to: &str| NpsParams {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        };
        assert_eq!(
            p("2026-01-32", "").to_query(1).unwrap_err().message(),
            "from must be a date like 2026-01-31; got \"2026-01-32\""
        );
        assert_eq!(
            p("2026-02-01", "2026-01-01")
                .to_query(1)
                .unwrap_err()
                .message(),
            "from (2026-02-01) is after to (2026-01-01)"
        );
        let q = p("2026-01-01", "").to_query(7).unwrap();
        assert_eq!(
            (q.workspace_id, q.from, q.to),
            (7, Some(day("2026-01-01")), None)
        );
        let ci = NpsParams {
            ci: Some("exact".into()),
            ..Default::default()
        };
        assert_eq!(
            ci.to_query(1).unwrap_err().message(),
            "ci must be wald or adjusted_wald; got \"exact\""
        );
    }

    #[test]
    fn a_side_is_one_value_of_one_dimension() {
        let mut side = SideParams::default();
        side.set("segment", "plan:Pro".into()).unwrap();
        side.set("period", "2026-Q3".into()).unwrap();
        let f = side.to_filter("a").unwrap();
        assert_eq!(
            (f.from, f.to),
            (Some(day("2026-07-01")), Some(day("2026-09-30")))
        );
        assert_eq!(
            f.value,
            Some((GroupBy::Segment(Label::new("plan").unwrap()), "Pro".into()))
        );
        side.set("channel", "email".into()).unwrap();
        assert!(side
            .to_filter("b")
            .unwrap_err()
            .message()
            .starts_with("b.segment and b.channel: a side is one value"));
        assert!(side.set("colour", "red".into()).is_err());
    }

    #[test]
    fn a_comparison_names_both_bad_sides_and_refuses_twins() {
        let bad = SideParams {
            from: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(
            compare_query(1, &bad, &bad, None).unwrap_err().message(),
            "a.from must be a date like 2026-01-31; got \"x\"; \
             b.from must be a date like 2026-01-31; got \"x\""
        );
        let same = SideParams::default();
        assert!(compare_query(1, &same, &same, None)
            .unwrap_err()
            .message()
            .starts_with("a and b: the two sides have the same filter"));
    }

    #[test]
    fn kpis_default_to_the_last_ninety_days() {
        let q = KpiParams::default().to_query(1, day("2026-03-31")).unwrap();
        assert_eq!((q.from, q.to), (day("2026-01-01"), day("2026-03-31")));
        let seg = KpiParams {
            segment: Some("plan:".into()),
            ..Default::default()
        };
        assert_eq!(
            seg.to_query(1, day("2026-03-31")).unwrap_err().message(),
            "segment needs a value after the colon, such as plan:premium; got \"plan:\""
        );
    }
}
