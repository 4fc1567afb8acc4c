//! The case inbox (`/cases`) and the case page (`/cases/{id}`): the triggering answer, the
//! checklist, notes, and the form that moves a case along; writing to the customer from a
//! case, or about an answer that has none yet (which opens one). Changes are signed with the
//! signed-in user's email; every form posts, passes `same_origin`, and redirects (303)
//! after success, or shows the page again with the refusal and status 422.

mod about_answer;
mod changes;
mod compose;
mod inbox;
mod page;
mod unmatched;

use super::PageError;
use crate::access::Access::Person;
use crate::auth::SignedIn;
use crate::routes::Routes;
use advocate_core::Permission::{Configure, ReadCases, WorkCases};
use axum::http::StatusCode;
use changes::{note, tick, update};
use inbox::inbox;
use page::show;

pub fn routes() -> Routes {
    Routes::new()
        .get("/cases", Person(ReadCases), inbox)
        .get("/cases/unmatched", Person(Configure), unmatched::list)
        .post(
            "/cases/unmatched/{id}/assign",
            Person(Configure),
            unmatched::assign,
        )
        .post(
            "/cases/unmatched/{id}/dismiss",
            Person(Configure),
            unmatched::dismiss,
        )
        .get("/cases/{id}", Person(ReadCases), show)
        .post("/cases/{id}", Person(WorkCases), update)
        .post("/cases/{id}/steps", Person(WorkCases), tick)
        .post("/cases/{id}/notes", Person(WorkCases), note)
        .get("/cases/{id}/email", Person(WorkCases), compose::compose)
        .post("/cases/{id}/email", Person(WorkCases), compose::send)
        .get(
            "/answers/{id}/email",
            Person(WorkCases),
            about_answer::compose,
        )
        .post("/answers/{id}/email", Person(WorkCases), about_answer::send)
}

const NO_SUCH_CASE: PageError = PageError(StatusCode::NOT_FOUND, "There is no such case.");

/// "2 h 5 min", "3 d 4 h": a duration a person reads at a glance.
pub fn duration_text(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

fn parse_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| NO_SUCH_CASE)
}

/// Whether the person may see the case: everyone but agents, and agents their own.
fn visible(user: &SignedIn, case: &advocate_store::closed_loop::cases::Case) -> bool {
    !user.sees_only_own() || case.assignee.eq_ignore_ascii_case(&user.email)
}
