//! `GET /api/v1/exports/{answers|customers|cases|kpis}.{csv|xlsx}`: the workspace's data
//! as a spreadsheet file. CSV is streamed batch by batch (a million rows never sit in
//! memory); XLSX is built in memory, compressed as it goes. Every text cell that could run
//! as a formula is neutralised (see [`crate::export`]). The same code serves the signed-in
//! page links (`/export/{file}`), which call [`export_file`].

use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::export::{self, csv, xlsx, Cell, Format};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::case::CaseStatus;
use advocate_core::Permission::Export;
use advocate_store::insight::exports::{ExportFilter, ExportTable};
use advocate_store::insight::kpis::KpiQuery;
use advocate_store::Store;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

/// Rows read from the database per batch.
const BATCH: u32 = 2000;

#[derive(OpenApi)]
#[openapi(paths(download), tags((name = "exports")))]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new().get("/api/v1/exports/{file}", Key(Export), download)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// First day, inclusive (YYYY-MM-DD, UTC): answers answered from it; for kpis, the
    /// period's start.
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD, UTC).
    pub to: Option<String>,
    /// Answers only: a survey's slug.
    pub survey: Option<String>,
    /// Cases only: comma-separated statuses (open, contacted, resolved, closed).
    pub status: Option<String>,
}

/// What a file name asks for.
enum What {
    Table(ExportTable),
    Kpis,
}

fn parse_file(file: &str) -> ApiResult<(What, Format)> {
    let unknown = || {
        ApiError::not_found(format!(
            "no export named {file:?}; there are answers, customers, cases and kpis, \
             each as .csv or .xlsx"
        ))
    };
    let (name, ext) = file.rsplit_once('.').ok_or_else(unknown)?;
    let format = Format::parse(ext).ok_or_else(unknown)?;
    let what = match name {
        "kpis" => What::Kpis,
        other => What::Table(ExportTable::parse(other).ok_or_else(unknown)?),
    };
    Ok((what, format))
}

fn date(field: &str, value: Option<&str>) -> ApiResult<Option<NaiveDate>> {
    advocate_core::query::date(field, value).map_err(super::nps::bad_request)
}

/// The validated period: first day and last day (both inclusive).
fn period(p: &ExportParams) -> ApiResult<(Option<NaiveDate>, Option<NaiveDate>)> {
    let from = date("from", p.from.as_deref())?;
    let to = date("to", p.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::bad_request(format!(
                "from ({f}) is after to ({t})"
            )));
        }
    }
    Ok((from, to))
}

async fn filter(
    store: &Store,
    workspace_id: i64,
    table: ExportTable,
    p: &ExportParams,
) -> ApiResult<ExportFilter> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    let only = |field: &str, applies_to: ExportTable| {
        ApiError::bad_request(format!(
            "{field} applies to the {} export only, not to {}",
            applies_to.as_str(),
            table.as_str()
        ))
    };
    if table != ExportTable::Answers {
        for (field, value) in [("from", &p.from), ("to", &p.to), ("survey", &p.survey)] {
            if given(value) {
                return Err(only(field, ExportTable::Answers));
            }
        }
    }
    if table != ExportTable::Cases && given(&p.status) {
        return Err(only("status", ExportTable::Cases));
    }
    let (from, to) = period(p)?;
    let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let survey = p.survey.clone().filter(|s| !s.is_empty());
    if let Some(slug) = &survey {
        if store.surveys().by_slug(workspace_id, slug).await?.is_none() {
            return Err(ApiError::not_found(format!("no survey with slug {slug:?}")));
        }
    }
    let statuses = p
        .status
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            CaseStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "status must be open, contacted, resolved or closed; got {s:?}"
                ))
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(ExportFilter {
        from: from.and_then(start),
        // The last day is inclusive: stop at the start of the next day.
        to: to
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .and_then(start),
        survey,
        statuses,
    })
}

pub(crate) fn attachment(format: Format, name: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            // Customer data: never kept by a shared cache.
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// The whole export response for a workspace: file name checks, filters, the file.
/// The export `file` of the workspace, recorded in the audit log as done by `actor`.
pub async fn export_file(
    state: &AppState,
    workspace_id: i64,
    actor: &str,
    file: &str,
    params: &ExportParams,
) -> ApiResult<Response> {
    let response = prepare_export(state, workspace_id, file, params).await?;
    let detail = [
        ("from", &params.from),
        ("to", &params.to),
        ("survey", &params.survey),
        ("status", &params.status),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
    .collect::<Vec<_>>()
    .join(" ");
    state
        .store
        .audit()
        .record(workspace_id, actor, "export.downloaded", file, &detail)
        .await?;
    Ok(response)
}

async fn prepare_export(
    state: &AppState,
    workspace_id: i64,
    file: &str,
    params: &ExportParams,
) -> ApiResult<Response> {
    let (what, format) = parse_file(file)?;
    let store = &state.store;
    let ws = store
        .workspaces()
        .get(workspace_id)
        .await?
        .ok_or_else(|| ApiError::internal("caller's workspace is missing"))?;
    let today = Utc::now().date_naive();
    match what {
        What::Table(table) => {
            let filter = filter(store, workspace_id, table, params).await?;
            let name = export::file_name(&ws.slug, table.as_str(), today, format);
            let body = match format {
                Format::Csv => csv_body(store.clone(), workspace_id, table, filter).await?,
                Format::Xlsx => Body::from(xlsx_table(store, workspace_id, table, &filter).await?),
            };
            Ok(attachment(format, &name, body))
        }
        What::Kpis => {
            let (from, to) = period(params)?;
            if given_any(&[&params.survey, &params.status]) {
                return Err(ApiError::bad_request(
                    "the kpis export takes from and to only",
                ));
            }
            // Without dates: the 12 months up to today, as on the KPI page.
            let to = to.unwrap_or(today);
            let from = from.unwrap_or_else(|| to - Days::new(364));
            let report = store
                .kpis()
                .report(&KpiQuery {
                    workspace_id,
                    from,
                    to,
                    segment: None,
                    touchpoint: None,
                })
                .await?;
            let sheets = export::kpis::sheets(&report);
            let name = export::file_name(&ws.slug, "kpis", today, format);
            let body = match format {
                Format::Csv => {
                    // One CSV holds one table: the sheets follow each other, a blank line
                    // between them.
                    let mut out = String::from(csv::BOM);
                    for (i, sheet) in sheets.iter().enumerate() {
                        if i > 0 {
                            out.push_str("\r\n");
                        }
                        let header: Vec<Cell> = sheet
                            .columns
                            .iter()
                            .map(|c| Cell::Text((*c).to_owned()))
                            .collect();
                        csv::push_row(&mut out, &header);
                        for row in &sheet.rows {
                            csv::push_row(&mut out, row);
                        }
                    }
                    Body::from(out)
                }
                Format::Xlsx => {
                    let mut wb = xlsx::Workbook::new();
                    for sheet in &sheets {
                        wb.start_sheet(sheet.name, &sheet.columns)
                            .map_err(xlsx_error)?;
                        for row in &sheet.rows {
                            wb.push_row(row).map_err(xlsx_error)?;
                        }
                    }
                    Body::from(wb.finish().map_err(xlsx_error)?)
                }
            };
            Ok(attachment(format, &name, body))
        }
    }
}

fn given_any(values: &[&Option<String>]) -> bool {
    values
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.is_empty()))
}

pub(crate) fn xlsx_error(e: xlsx::XlsxError) -> ApiError {
    match e {
        xlsx::XlsxError::TooManyRows => ApiError::unprocessable(e.to_string()),
        xlsx::XlsxError::Write(_) => ApiError::internal(e),
    }
}

/// The CSV body as a stream: the first batch is read before answering (so a database
/// error is still a proper error response), then one batch per chunk.
async fn csv_body(
    store: Store,
    workspace_id: i64,
    table: ExportTable,
    filter: ExportFilter,
) -> ApiResult<Body> {
    let first = store
        .exports()
        .batch(workspace_id, table, &filter, 0, BATCH)
        .await?;
    let mut chunk = csv::header(table.columns());
    for row in &first.rows {
        csv::push_row(&mut chunk, row);
    }
    struct Next {
        store: Store,
        filter: ExportFilter,
        chunk: Option<String>,
        after: Option<i64>,
    }
    let start = Next {
        store,
        filter,
        chunk: Some(chunk),
        after: first.next_after,
    };
    let stream = futures_util::stream::unfold(start, move |mut st| async move {
        if let Some(chunk) = st.chunk.take() {
            return Some((Ok(chunk), st));
        }
        let after = st.after?;
        match st
            .store
            .exports()
            .batch(workspace_id, table, &st.filter, after, BATCH)
            .await
        {
            Ok(batch) => {
                let mut chunk = String::new();
                for row in &batch.rows {
                    csv::push_row(&mut chunk, row);
                }
                st.after = batch.next_after;
                Some((Ok(chunk), st))
            }
            Err(e) => {
                // Headers are sent: all that is left is to cut the body short, which the
                // client sees as a failed download rather than a silently short file.
                tracing::error!(error = %e, "export stopped by a database error");
                st.after = None;
                Some((Err(std::io::Error::other("export failed")), st))
            }
        }
    });
    Ok(Body::from_stream(stream))
}

async fn xlsx_table(
    store: &Store,
    workspace_id: i64,
    table: ExportTable,
    filter: &ExportFilter,
) -> ApiResult<Vec<u8>> {
    let mut wb = xlsx::Workbook::new();
    let mut title = table.as_str().to_owned();
    title[..1].make_ascii_uppercase();
    wb.start_sheet(&title, table.columns())
        .map_err(xlsx_error)?;
    let mut after = Some(0);
    while let Some(a) = after {
        let batch = store
            .exports()
            .batch(workspace_id, table, filter, a, BATCH)
            .await?;
        for row in &batch.rows {
            wb.push_row(row).map_err(xlsx_error)?;
        }
        after = batch.next_after;
    }
    wb.finish().map_err(xlsx_error)
}

/// Downloads one export. `file` is `answers`, `customers`, `cases` or `kpis` with `.csv` or
/// `.xlsx`. Text cells starting with `=`, `+`, `-`, `@`, tab or carriage return get a
/// leading `'` so a spreadsheet never runs them; numbers stay numbers.
#[utoipa::path(get, path = "/api/v1/exports/{file}", operation_id = "exportFile", tag = "exports",
    params(("file" = String, Path, description = "e.g. answers.csv, customers.xlsx, cases.csv, kpis.xlsx"),
           ExportParams),
    security(("api_key" = [])),
    responses((status = 200, description = "the file (text/csv or .xlsx), as an attachment"),
              (status = 400, description = "bad parameter", body = Problem),
              (status = 404, description = "unknown export or survey", body = Problem),
              (status = 422, description = "too many rows for one worksheet", body = Problem)))]
pub async fn download(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(file): Path<String>,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    export_file(&state, caller.workspace_id, &caller.actor(), &file, &params).await
}
