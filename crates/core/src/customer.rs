//! A customer as sent to Advocate (the API, alone or inside an answer, or a CSV import)
//! and the checked input it becomes.

use crate::field::{label, language, optional_text, text, Invalid};
use crate::{Label, Language};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Segment attributes of a customer (plan, region, …): attribute name → value.
pub type Attributes = BTreeMap<Label, String>;

/// Customer fields as given by the API or an import, checked; `None` leaves a stored
/// value as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerInput {
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<Language>,
    /// Merged into the stored attributes (given keys replace stored ones).
    pub attributes: Attributes,
    pub account_manager: Option<String>,
}

/// A customer as sent to the API, alone or inside an answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerFields {
    /// Your id for this customer (CRM id, account number); unique in the workspace.
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Preferred language, e.g. "nb" or "de-AT".
    pub language: Option<String>,
    /// Segment attributes to break NPS down by, e.g. {"plan": "premium"}; merged into
    /// the stored ones.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Who follows this customer up.
    pub account_manager: Option<String>,
}

impl CustomerFields {
    /// Whether anything beyond the external id was sent (an inline upsert).
    pub fn has_details(&self) -> bool {
        self.name.is_some()
            || self.email.is_some()
            || self.phone.is_some()
            || self.language.is_some()
            || !self.attributes.is_empty()
            || self.account_manager.is_some()
    }

    /// The checked input; messages name the field with `prefix` before it
    /// (`customer.email`).
    pub fn parse(&self, prefix: &str) -> Result<CustomerInput, Invalid> {
        let f = |name: &str| format!("{prefix}{name}");
        let email = optional_text(&f("email"), self.email.as_deref(), 254)?;
        if let Some(e) = &email {
            if !looks_like_email(e) {
                return Err(Invalid::new(format!(
                    "{} must be an email address; got {e:?}",
                    f("email")
                )));
            }
        }
        let phone = optional_text(&f("phone"), self.phone.as_deref(), 32)?;
        if let Some(p) = &phone {
            let ok = p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                && p.chars().filter(char::is_ascii_digit).count() >= 5;
            if !ok {
                return Err(Invalid::new(format!(
                    "{} must be a phone number such as +47 912 34 567; got {p:?}",
                    f("phone")
                )));
            }
        }
        let mut attributes = Attributes::new();
        if self.attributes.len() > 50 {
            return Err(Invalid::new(format!(
                "{} may hold at most 50 entries",
                f("attributes")
            )));
        }
        for (k, v) in &self.attributes {
            let key = label(&format!("{} key", f("attributes")), k)?;
            attributes.insert(key, text(&format!("{}.{k}", f("attributes")), v, 200)?);
        }
        Ok(CustomerInput {
            external_id: text(&f("external_id"), &self.external_id, 200)?,
            name: optional_text(&f("name"), self.name.as_deref(), 200)?,
            email,
            phone,
            language: self
                .language
                .as_deref()
                .map(|l| language(&f("language"), l))
                .transpose()?,
            attributes,
            account_manager: optional_text(
                &f("account_manager"),
                self.account_manager.as_deref(),
                200,
            )?,
        })
    }
}

/// A plausible email address: something@something.something, without spaces.
pub fn looks_like_email(e: &str) -> bool {
    e.split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        && !e.contains(char::is_whitespace)
}

/// Customers from a table (a CSV file or pasted lines): `external_id` (required), `name`,
/// `email`, `phone`, `language`, `account_manager`, and every other column a segment
/// attribute; each row checked with the API's rules. `rows` are (line number, fields).
/// Either every customer, or every problem with its line (the header is line 1).
pub fn from_table(
    header: &[String],
    rows: impl IntoIterator<Item = (u64, Vec<String>)>,
) -> Result<Vec<CustomerInput>, Vec<(u64, String)>> {
    let header: Vec<&str> = header.iter().map(|h| h.trim()).collect();
    let mut errors = Vec::new();
    if !header.contains(&"external_id") {
        errors.push((1, "missing required column external_id".to_owned()));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            errors.push((1, format!("column {} has no name", i + 1)));
        } else if !seen.insert(*h) {
            errors.push((1, format!("column {h:?} appears more than once")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut customers = Vec::new();
    let mut lines_of: std::collections::HashMap<String, u64> = Default::default();
    for (line, fields) in rows {
        if fields.len() != header.len() {
            let (got, want) = (fields.len(), header.len());
            errors.push((line, format!("has {got} fields but the header has {want}")));
            continue;
        }
        let mut customer = CustomerFields::default();
        for (name, value) in header.iter().zip(&fields) {
            let value = value.trim();
            let set = (!value.is_empty()).then(|| value.to_owned());
            match *name {
                "external_id" => customer.external_id = value.to_owned(),
                "name" => customer.name = set,
                "email" => customer.email = set,
                "phone" => customer.phone = set,
                "language" => customer.language = set,
                "account_manager" => customer.account_manager = set,
                attribute => {
                    if let Some(v) = set {
                        customer.attributes.insert(attribute.to_owned(), v);
                    }
                }
            }
        }
        match customer.parse("") {
            Ok(customer) => {
                if let Some(first) = lines_of.insert(customer.external_id.clone(), line) {
                    let id = &customer.external_id;
                    errors.push((line, format!("external_id {id:?} is also on line {first}")));
                }
                customers.push(customer);
            }
            Err(e) => errors.push((line, e.into_message())),
        }
    }
    if customers.is_empty() && errors.is_empty() {
        errors.push((2, "there are no customers after the header".to_owned()));
    }
    if errors.is_empty() {
        Ok(customers)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(external_id: &str) -> CustomerFields {
        CustomerFields {
            external_id: external_id.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn parses_and_trims_every_field() {
        let mut f = fields(" c-1 ");
        f.email = Some("kari@example.no".into());
        f.phone = Some("+47 912 34 567".into());
        f.language = Some("nb-NO".into());
        f.attributes.insert("plan".into(), " Pro ".into());
        let c = f.parse("customer.").unwrap();
        assert_eq!(c.external_id, "c-1");
        assert_eq!(c.language.unwrap().as_str(), "nb");
        assert_eq!(c.attributes[&Label::new("plan").unwrap()], "Pro");
        assert!(f.has_details());
        assert!(!fields("c-1").has_details());
    }

    #[test]
    fn refusals_name_the_prefixed_field() {
        let mut f = fields("c-1");
        f.email = Some("kari".into());
        assert_eq!(
            f.parse("customer.").unwrap_err().message(),
            "customer.email must be an email address; got \"kari\""
        );
        let mut f = fields("c-1");
        f.phone = Some("12".into());
        assert!(f
            .parse("")
            .unwrap_err()
            .message()
            .starts_with("phone must be a phone number"));
        assert_eq!(
            fields(" ").parse("").unwrap_err().message(),
            "external_id must not be empty"
        );
    }

    #[test]
    fn email_addresses_need_a_local_part_and_a_dotted_domain() {
        assert!(looks_like_email("a@b.no"));
        for bad in ["a@b", "@b.no", "a b@c.no", "ab.no"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
