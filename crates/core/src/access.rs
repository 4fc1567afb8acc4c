//! Who may do what: roles of people, scopes of API keys, and the permissions they grant.
//!
//! The permission matrix lives here, once; the server looks up the permission each route
//! needs and asks [`Role::grants`] or [`Scope::grants`]. The README prints the same matrix.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// NPS and KPI reports, the dashboard, the quarterly report.
    Dashboards,
    /// Customer records, their answers and timelines (an agent: only their own customers).
    ReadCustomers,
    /// Cases (an agent: only the cases assigned to them).
    ReadCases,
    /// Contacting, noting, resolving cases; follow-up flags; engagements.
    WorkCases,
    /// CSV/XLSX exports and the export of everything about one person.
    Export,
    /// Sending data in: answers, customers, events, orders, invitations.
    Ingest,
    /// Surveys, schedules, triggers, settings, playbooks, routing, webhooks, outbox.
    Configure,
    /// Users, roles, API keys, the audit log, erasing a person.
    Administer,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::Dashboards,
        Permission::ReadCustomers,
        Permission::ReadCases,
        Permission::WorkCases,
        Permission::Export,
        Permission::Ingest,
        Permission::Configure,
        Permission::Administer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Dashboards => "dashboards",
            Permission::ReadCustomers => "read_customers",
            Permission::ReadCases => "read_cases",
            Permission::WorkCases => "work_cases",
            Permission::Export => "export",
            Permission::Ingest => "ingest",
            Permission::Configure => "configure",
            Permission::Administer => "administer",
        }
    }
}

/// A person's role in one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including settings, users and API keys.
    Admin,
    /// All analytics and all cases and customers, exports; no settings.
    Manager,
    /// Account manager or support agent: their own customers and cases, no exports.
    Agent,
    /// Dashboards only.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Agent, Role::Viewer];

    pub fn parse(s: &str) -> Result<Self, AccessError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                AccessError(format!(
                    "role must be one of admin, manager, agent, viewer; got {s:?}"
                ))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    /// The permission matrix for people.
    pub fn grants(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Manager => matches!(
                p,
                Dashboards | ReadCustomers | ReadCases | WorkCases | Export | Ingest
            ),
            Role::Agent => matches!(p, Dashboards | ReadCustomers | ReadCases | WorkCases),
            Role::Viewer => matches!(p, Dashboards),
        }
    }

    /// Whether this role sees only the customers and cases assigned to the person.
    pub fn sees_only_own(self) -> bool {
        self == Role::Agent
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Send answers, customers, events, business data and invitations in.
    Ingest,
    /// Read reports, customers, cases and exports.
    Read,
    /// Everything.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Ingest, Scope::Read, Scope::Admin];

    pub fn parse(s: &str) -> Result<Self, AccessError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                AccessError(format!(
                    "scope must be one of ingest, read, admin; got {s:?}"
                ))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    /// The permission matrix for API keys.
    pub fn grants(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Scope::Admin => true,
            Scope::Read => matches!(p, Dashboards | ReadCustomers | ReadCases | Export),
            Scope::Ingest => p == Ingest,
        }
    }
}

/// A comma-separated list of scopes, e.g. `ingest,read`: at least one, no repeats.
pub fn parse_scopes(s: &str) -> Result<Vec<Scope>, AccessError> {
    let mut scopes = Vec::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        let scope = Scope::parse(part)?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(AccessError(
            "an API key needs at least one scope: ingest, read or admin".into(),
        ));
    }
    scopes.sort();
    Ok(scopes)
}

/// The stored form of a scope list.
pub fn format_scopes(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AccessError(pub String);

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn the_matrix_as_written_in_the_readme() {
        let row = |role: Role| -> Vec<&str> {
            Permission::ALL
                .into_iter()
                .filter(|p| role.grants(*p))
                .map(Permission::as_str)
                .collect()
        };
        assert_eq!(row(Role::Admin).len(), Permission::ALL.len());
        assert_eq!(
            row(Role::Manager),
            [
                "dashboards",
                "read_customers",
                "read_cases",
                "work_cases",
                "export",
                "ingest"
            ]
        );
        assert_eq!(
            row(Role::Agent),
            ["dashboards", "read_customers", "read_cases", "work_cases"]
        );
        assert_eq!(row(Role::Viewer), ["dashboards"]);
        assert!(!Role::Agent.grants(Export), "agents never export");
        assert!(Role::Agent.sees_only_own() && !Role::Manager.sees_only_own());
    }

    #[test]
    fn scopes_grant_only_their_part() {
        assert!(Scope::Ingest.grants(Ingest) && !Scope::Ingest.grants(Dashboards));
        assert!(Scope::Read.grants(Export) && !Scope::Read.grants(Ingest));
        assert!(!Scope::Read.grants(WorkCases) && !Scope::Read.grants(Administer));
        assert!(Permission::ALL.iter().all(|p| Scope::Admin.grants(*p)));
    }

    #[test]
    fn scope_lists_parse_strictly() {
        assert_eq!(
            parse_scopes("read, ingest,read").unwrap(),
            [Scope::Ingest, Scope::Read]
        );
        assert_eq!(format_scopes(&[Scope::Ingest, Scope::Read]), "ingest,read");
        assert!(parse_scopes("")
            .unwrap_err()
            .0
            .contains("at least one scope"));
        assert!(parse_scopes("read,write")
            .unwrap_err()
            .0
            .contains("\"write\""));
        assert!(Role::parse("owner")
            .unwrap_err()
            .0
            .contains("admin, manager"));
        assert_eq!(Role::parse("agent").unwrap(), Role::Agent);
    }
}
