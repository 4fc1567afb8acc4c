//! eNPS anonymity in reports: no figure is shown that rests on fewer answers than the
//! workspace's `enps_min_group_size` (default 5), because a group of one or two answers
//! names the people in it. The rules:
//!
//! - **Every group** — segment, touchpoint, channel, language *and time bucket* — with
//!   0 < n < min is hidden (`suppressed`). A time bucket with one answer identifies its
//!   author as surely as a department of one. Empty groups reveal nobody and stay.
//! - **The total** is hidden too when 0 < n < min: a date filter can make the total any
//!   small period, so exempting it would undo the rule for time buckets.
//! - **Complementary hiding**: when exactly one group is hidden, the smallest other
//!   non-empty group is hidden with it; otherwise the hidden one is the total minus the rest.
//! - **Changes** against a previous period or bucket are dropped when that one had
//!   0 < n < min (the change would reveal its NPS).
//! - By day is refused altogether for eNPS (see `nps_report`): week or longer.

use crate::insight::report::{summary, NpsGroup, NpsReport};
use advocate_core::CiMethod;

fn too_few(n: u64, min: u32) -> bool {
    n > 0 && n < u64::from(min)
}

/// Applies the rules above to an eNPS report.
pub(crate) fn suppress(report: &mut NpsReport, min: u32) {
    if too_few(report.summary.n, min) {
        report.summary = summary(&Default::default(), CiMethod::default());
        report.change = None;
        report.suppressed = Some(min);
    }
    if report
        .change
        .as_ref()
        .is_some_and(|c| too_few(c.previous_n, min))
    {
        report.change = None;
    }
    let Some(groups) = report.groups.as_mut() else {
        return;
    };
    for g in groups.iter_mut() {
        if report.suppressed.is_some() || too_few(g.summary.n, min) {
            hide(g, min);
        } else if g
            .change
            .as_ref()
            .is_some_and(|c| too_few(c.previous_n, min))
        {
            g.change = None;
        }
    }
    if groups.iter().filter(|g| g.suppressed.is_some()).count() == 1 {
        let smallest = groups
            .iter_mut()
            .filter(|g| g.suppressed.is_none() && g.summary.n > 0)
            .min_by_key(|g| g.summary.n);
        if let Some(g) = smallest {
            hide(g, min);
        }
    }
}

fn hide(g: &mut NpsGroup, min: u32) {
    g.summary = summary(&Default::default(), CiMethod::default());
    g.change = None;
    g.suppressed = Some(min);
}
