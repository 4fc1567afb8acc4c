//! People, API keys and the audit log of a workspace: `/api/v1/members`,
//! `/api/v1/api-keys`, `/api/v1/audit-log`. Admin scope only (see [`routes`]).

use super::json::ApiJson;
use super::values::{Role, Scope};
use crate::access::Access::Key;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::Routes;
use crate::state::AppState;
use crate::team::{self, InviteOutcome};
use advocate_core::Permission::Administer;
use advocate_store as store;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(members, invite, set_role, remove, preferences, change_preferences, digest, set_digest,
        keys, create_key, rotate_key, revoke_key, audit_log),
    components(schemas(Member, NewMember, RoleChange, InviteOutcome, Preferences, PreferencesChange,
        Digest, DigestFrequency, ApiKey, NewApiKey, CreatedApiKey, AuditEntry, Role, Scope)),
    tags((name = "accounts", description = "People and their roles, API keys with scopes, \
        and the audit log. Needs a key with the admin scope."))
)]
pub struct Doc;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/members", Key(Administer), members)
        .post("/api/v1/members", Key(Administer), invite)
        .put("/api/v1/members/{user_id}", Key(Administer), set_role)
        .delete("/api/v1/members/{user_id}", Key(Administer), remove)
        .get(
            "/api/v1/members/{user_id}/preferences",
            Key(Administer),
            preferences,
        )
        .patch(
            "/api/v1/members/{user_id}/preferences",
            Key(Administer),
            change_preferences,
        )
        .get("/api/v1/members/{user_id}/digest", Key(Administer), digest)
        .put(
            "/api/v1/members/{user_id}/digest",
            Key(Administer),
            set_digest,
        )
        .get("/api/v1/api-keys", Key(Administer), keys)
        .post("/api/v1/api-keys", Key(Administer), create_key)
        .post("/api/v1/api-keys/{id}/rotate", Key(Administer), rotate_key)
        .delete("/api/v1/api-keys/{id}", Key(Administer), revoke_key)
        .get("/api/v1/audit-log", Key(Administer), audit_log)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub email: String,
    pub role: Role,
    /// The invitation's language (en, nb, sv, da, fi, de, nl) for someone new; default the
    /// workspace's. Someone with an account reads it in their own.
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: Role,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What the key is for, e.g. "CRM sync".
    pub name: String,
    /// One or more of ingest, read, admin.
    pub scopes: Vec<Scope>,
    /// A member's user id for a personal key, which speaks for them and can do no more
    /// than their role allows; left out for a workspace key.
    pub user_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The key itself, shown only now; only its hash is stored.
    pub secret: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// 1–500, default 100.
    pub limit: Option<u32>,
    /// Only entries with a smaller id (the previous page's last id).
    pub before: Option<i64>,
}

fn id_of(raw: &str, what: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no {what} {raw:?}")))
}

#[utoipa::path(get, path = "/api/v1/members", operation_id = "listMembers", tag = "accounts", security(("api_key" = [])),
    responses((status = 200, body = Vec<Member>), (status = 403, body = Problem)))]
pub async fn members(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<Member>>> {
    let members = state.store.accounts().members(caller.workspace_id).await?;
    Ok(Json(members.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/members", operation_id = "inviteMember", tag = "accounts", request_body = NewMember,
    security(("api_key" = [])),
    responses((status = 201, description = "an email with a link to join was queued; the same \
        answer whether or not the address has an account", body = InviteOutcome),
              (status = 409, description = "already a member here", body = Problem),
              (status = 422, body = Problem)))]
pub async fn invite(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<NewMember>,
) -> ApiResult<(StatusCode, Json<InviteOutcome>)> {
    let outcome = team::invite(
        &state,
        caller.workspace_id,
        &body.value.email,
        body.value.role.into(),
        body.value.language.as_deref(),
        &caller.actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(outcome)))
}

#[utoipa::path(put, path = "/api/v1/members/{user_id}", operation_id = "setMemberRole", tag = "accounts", request_body = RoleChange,
    params(("user_id" = i64, Path)), security(("api_key" = [])),
    responses((status = 204), (status = 404, body = Problem),
              (status = 409, description = "the last admin cannot be demoted", body = Problem)))]
pub async fn set_role(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(user_id): Path<String>,
    body: super::replace::FullJson<RoleChange>,
) -> ApiResult<StatusCode> {
    let user_id = id_of(&user_id, "member")?;
    team::change_role(
        &state,
        caller.workspace_id,
        user_id,
        body.value.role.into(),
        &caller.actor(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/members/{user_id}", operation_id = "removeMember", tag = "accounts",
    params(("user_id" = i64, Path)), security(("api_key" = [])),
    responses((status = 204), (status = 404, body = Problem),
              (status = 409, description = "the last admin cannot be removed", body = Problem)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(user_id): Path<String>,
) -> ApiResult<StatusCode> {
    let user_id = id_of(&user_id, "member")?;
    team::remove_member(&state, caller.workspace_id, user_id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member's language and time zone: Advocate's emails to them (invitations, password
/// resets, alerts, digests) are written in the language, digests arrive at their hour in
/// the zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preferences {
    pub user_id: i64,
    pub email: String,
    /// One of en, nb, sv, da, fi, de, nl.
    pub language: String,
    /// An IANA time zone name, e.g. Europe/Oslo.
    pub time_zone: String,
}

/// What to change; a field left out keeps its value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesChange {
    /// One of en, nb, sv, da, fi, de, nl.
    pub language: Option<String>,
    /// An IANA time zone name, e.g. Europe/Oslo.
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DigestFrequency {
    Off,
    Daily,
    /// On Mondays.
    Weekly,
}

/// A member's digest in this workspace: off, daily (the last 24 hours) or weekly (on
/// Mondays, the last 7 days), at `hour` in their time zone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    pub digest: DigestFrequency,
    /// 0–23, in the member's time zone.
    pub hour: i64,
}

/// The member behind a path's id, in the caller's workspace only.
async fn member_of(
    state: &AppState,
    workspace_id: i64,
    raw: &str,
) -> ApiResult<store::models::User> {
    let user_id = id_of(raw, "member")?;
    let missing = || ApiError::not_found(format!("no member {raw:?}"));
    if state
        .store
        .accounts()
        .role_of(user_id, workspace_id)
        .await?
        .is_none()
    {
        return Err(missing());
    }
    state.store.users().get(user_id).await?.ok_or_else(missing)
}

pub(super) async fn preferences_of(
    state: &AppState,
    user: &store::models::User,
) -> ApiResult<Preferences> {
    let p = state.store.users().preferences(user.id).await?;
    Ok(Preferences {
        user_id: user.id,
        email: user.email.clone(),
        language: p.language,
        time_zone: p.time_zone,
    })
}

#[utoipa::path(get, path = "/api/v1/members/{user_id}/preferences", operation_id = "getMemberPreferences", tag = "accounts",
    params(("user_id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = Preferences), (status = 404, body = Problem)))]
pub async fn preferences(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Preferences>> {
    let user = member_of(&state, caller.workspace_id, &user_id).await?;
    Ok(Json(preferences_of(&state, &user).await?))
}

#[utoipa::path(patch, path = "/api/v1/members/{user_id}/preferences", operation_id = "changeMemberPreferences", tag = "accounts",
    request_body = PreferencesChange, params(("user_id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = Preferences),
              (status = 400, description = "a language Advocate does not speak, or no such time zone; nothing changed", body = Problem),
              (status = 404, body = Problem)))]
pub async fn change_preferences(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(user_id): Path<String>,
    body: ApiJson<PreferencesChange>,
) -> ApiResult<Json<Preferences>> {
    let user = member_of(&state, caller.workspace_id, &user_id).await?;
    Ok(Json(
        change_preferences_of(&state, &caller, &user, body.value).await?,
    ))
}

/// Changes a person's language and time zone (what the change names), audited.
pub(super) async fn change_preferences_of(
    state: &AppState,
    caller: &ApiCaller,
    user: &store::models::User,
    change: PreferencesChange,
) -> ApiResult<Preferences> {
    // Both checked before anything is written: a bad one changes nothing.
    for (value, check) in [
        (
            &change.language,
            check_language as fn(&str) -> Result<(), String>,
        ),
        (&change.time_zone, check_time_zone),
    ] {
        if let Some(v) = value {
            check(v).map_err(ApiError::bad_request)?;
        }
    }
    state
        .store
        .users()
        .set_preferences(
            user.id,
            change.language.as_deref(),
            change.time_zone.as_deref(),
        )
        .await?;
    let after = preferences_of(state, user).await?;
    state
        .store
        .audit()
        .record_person(
            user.id,
            Some(caller.workspace_id),
            &caller.actor(),
            "preferences.changed",
            &format!("language {}, time zone {}", after.language, after.time_zone),
        )
        .await?;
    Ok(after)
}

fn check_language(s: &str) -> Result<(), String> {
    advocate_core::staff::check_language(s).map(drop)
}

fn check_time_zone(s: &str) -> Result<(), String> {
    advocate_core::staff::check_time_zone(s).map(drop)
}

impl From<store::digests::DigestSettings> for Digest {
    fn from(s: store::digests::DigestSettings) -> Self {
        use advocate_core::staff::DigestFrequency as F;
        Self {
            digest: match s.frequency {
                F::Off => DigestFrequency::Off,
                F::Daily => DigestFrequency::Daily,
                F::Weekly => DigestFrequency::Weekly,
            },
            hour: i64::from(s.hour),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/members/{user_id}/digest", operation_id = "getMemberDigest", tag = "accounts",
    params(("user_id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = Digest), (status = 404, body = Problem)))]
pub async fn digest(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Digest>> {
    let user = member_of(&state, caller.workspace_id, &user_id).await?;
    let settings = state
        .store
        .digests()
        .settings(user.id, caller.workspace_id)
        .await?;
    Ok(Json(settings.into()))
}

#[utoipa::path(put, path = "/api/v1/members/{user_id}/digest", operation_id = "setMemberDigest", tag = "accounts",
    request_body = Digest, params(("user_id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = Digest), (status = 404, body = Problem),
              (status = 422, description = "hour outside 0–23", body = Problem)))]
pub async fn set_digest(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(user_id): Path<String>,
    body: super::replace::FullJson<Digest>,
) -> ApiResult<Json<Digest>> {
    let user = member_of(&state, caller.workspace_id, &user_id).await?;
    Ok(Json(
        set_digest_of(&state, &caller, &user, body.value).await?,
    ))
}

/// Sets a person's digest in the caller's workspace, audited.
pub(super) async fn set_digest_of(
    state: &AppState,
    caller: &ApiCaller,
    user: &store::models::User,
    digest: Digest,
) -> ApiResult<Digest> {
    let frequency = match digest.digest {
        DigestFrequency::Off => "off",
        DigestFrequency::Daily => "daily",
        DigestFrequency::Weekly => "weekly",
    };
    let settings = crate::pages::account::digest_settings(frequency, digest.hour)?;
    let settings = state
        .store
        .digests()
        .set(user.id, caller.workspace_id, settings)
        .await?;
    state
        .store
        .audit()
        .record_person(
            user.id,
            Some(caller.workspace_id),
            &caller.actor(),
            "digest.changed",
            &format!("{} at {:02}:00", settings.frequency, settings.hour),
        )
        .await?;
    Ok(settings.into())
}

#[utoipa::path(get, path = "/api/v1/api-keys", operation_id = "listApiKeys", tag = "accounts", security(("api_key" = [])),
    responses((status = 200, description = "every key, revoked ones too; never the secret", body = Vec<ApiKey>)))]
pub async fn keys(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<Vec<ApiKey>>> {
    let keys = state.store.api_keys().list(caller.workspace_id).await?;
    Ok(Json(keys.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/api-keys", operation_id = "createApiKey", tag = "accounts", request_body = NewApiKey,
    security(("api_key" = [])),
    responses((status = 201, description = "the secret is shown only now", body = CreatedApiKey),
              (status = 404, description = "`user_id` is not a member here", body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let scopes: Vec<advocate_core::Scope> = body.value.scopes.iter().map(|&s| s.into()).collect();
    let keys = state.store.api_keys();
    let (key, secret) = match body.value.user_id {
        Some(user) => {
            keys.create_personal(caller.workspace_id, user, &body.value.name, &scopes)
                .await?
        }
        None => {
            keys.create_scoped(caller.workspace_id, &body.value.name, &scopes)
                .await?
        }
    };
    audit_key(
        &state,
        caller.workspace_id,
        &caller.actor(),
        "api_key.created",
        &key,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key: key.into(),
            secret,
        }),
    ))
}

#[utoipa::path(post, path = "/api/v1/api-keys/{id}/rotate", operation_id = "rotateApiKey", tag = "accounts",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 201, description = "a new key with the same name and scopes; the old one is revoked", body = CreatedApiKey),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn rotate_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let id = id_of(&id, "API key")?;
    let (key, secret) = state
        .store
        .api_keys()
        .rotate(caller.workspace_id, id)
        .await?;
    audit_key(
        &state,
        caller.workspace_id,
        &caller.actor(),
        "api_key.rotated",
        &key,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key: key.into(),
            secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", operation_id = "revokeApiKey", tag = "accounts",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, description = "revoked at once", body = ApiKey), (status = 404, body = Problem)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKey>> {
    let id = id_of(&id, "API key")?;
    let key = state
        .store
        .api_keys()
        .revoke(caller.workspace_id, id)
        .await?;
    audit_key(
        &state,
        caller.workspace_id,
        &caller.actor(),
        "api_key.revoked",
        &key,
    )
    .await?;
    Ok(Json(key.into()))
}

/// Records a key's creation, rotation or revocation in the audit log, by whoever did it.
pub(crate) async fn audit_key(
    state: &AppState,
    workspace_id: i64,
    actor: &str,
    action: &str,
    key: &store::models::ApiKey,
) -> ApiResult<()> {
    let scopes = advocate_core::access::format_scopes(&key.scopes);
    state
        .store
        .audit()
        .record(
            workspace_id,
            actor,
            action,
            &format!("key {} ({})", key.prefix, key.name),
            &match &key.owner {
                Some(o) => format!("personal key of {}, scopes {scopes}", o.email),
                None => format!("scopes {scopes}"),
            },
        )
        .await?;
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/audit-log", operation_id = "listAuditLog", tag = "accounts", params(AuditQuery),
    security(("api_key" = [])), responses((status = 200, description = "newest first", body = Vec<AuditEntry>)))]
pub async fn audit_log(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let entries = state
        .store
        .audit()
        .log(caller.workspace_id, q.limit.unwrap_or(100), q.before)
        .await?;
    Ok(Json(entries.into_iter().map(Into::into).collect()))
}

/// A person in a workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    pub since: DateTime<Utc>,
}

impl From<store::tenancy::accounts::Member> for Member {
    fn from(x: store::tenancy::accounts::Member) -> Self {
        Self {
            user_id: x.user_id,
            email: x.email,
            role: x.role.into(),
            since: x.since,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    /// The first characters of the key, safe to show to tell keys apart.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set when the key was revoked (or rotated away); a revoked key authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The member a personal key speaks for; absent for a workspace key.
    pub user_id: Option<i64>,
}

impl From<store::models::ApiKey> for ApiKey {
    fn from(x: store::models::ApiKey) -> Self {
        Self {
            id: x.id,
            workspace_id: x.workspace_id,
            name: x.name,
            prefix: x.prefix,
            scopes: x.scopes.into_iter().map(Into::into).collect(),
            created_at: x.created_at,
            last_used_at: x.last_used_at,
            revoked_at: x.revoked_at,
            user_id: x.owner.map(|o| o.user_id),
        }
    }
}

/// One line of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// Who did it: `user:<email>`, `key:<prefix>` or `cli`.
    pub actor: String,
    /// What was done, e.g. `role.changed`, `export.answers`, `person.erased`.
    pub action: String,
    /// What it was done to.
    pub target: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

impl From<store::tenancy::audit::AuditEntry> for AuditEntry {
    fn from(x: store::tenancy::audit::AuditEntry) -> Self {
        Self {
            id: x.id,
            actor: x.actor,
            action: x.action,
            target: x.target,
            detail: x.detail,
            at: x.at,
        }
    }
}
