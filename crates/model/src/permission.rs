//! What a staff account may do (F19): permissions, and the roles that are named sets of them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One thing a staff account may do. An agent's permissions are their role's.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Join a customer's session and see its (masked) pages.
    View,
    /// Draw over the shared page.
    Annotate,
    /// Write in a session's chat.
    Chat,
    /// Ask for and use control of the customer's page.
    Control,
    /// Use the address bar, back, forward and reload.
    Navigate,
    /// Open, close and switch tabs.
    Tabs,
    /// Start a recording of a session.
    Record,
    /// Watch and export recordings.
    Recordings,
    /// Read session reports.
    Reports,
    /// Administer the company: agents, rules, branding, policies, audit log.
    Admin,
}

impl Permission {
    /// Every permission, in the contract's order.
    pub const ALL: [Permission; 10] = [
        Permission::View,
        Permission::Annotate,
        Permission::Chat,
        Permission::Control,
        Permission::Navigate,
        Permission::Tabs,
        Permission::Record,
        Permission::Recordings,
        Permission::Reports,
        Permission::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::View => "view",
            Permission::Annotate => "annotate",
            Permission::Chat => "chat",
            Permission::Control => "control",
            Permission::Navigate => "navigate",
            Permission::Tabs => "tabs",
            Permission::Record => "record",
            Permission::Recordings => "recordings",
            Permission::Reports => "reports",
            Permission::Admin => "admin",
        }
    }
}

impl FromStr for Permission {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
            format!("`{s}` is not a permission; expected one of {}", names.join(", "))
        })
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions, small and copyable (one bit each).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Permissions(u16);

impl Permissions {
    pub const NONE: Permissions = Permissions(0);

    pub fn all() -> Permissions {
        Permissions::from_iter(Permission::ALL)
    }

    fn bit(p: Permission) -> u16 {
        1 << (p as u16)
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & Permissions::bit(p) != 0
    }

    pub fn with(self, p: Permission) -> Permissions {
        Permissions(self.0 | Permissions::bit(p))
    }

    pub fn without(self, p: Permission) -> Permissions {
        Permissions(self.0 & !Permissions::bit(p))
    }

    /// The permissions in the set, in the contract's order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter().fold(Permissions::NONE, Permissions::with)
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Permissions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Permissions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Permission>::deserialize(d)?.into_iter().collect())
    }
}

/// In the API's OpenAPI document: the permissions' names, each at most once.
impl utoipa::PartialSchema for Permissions {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::ToSchema;
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name(Permission::name()))
            .unique_items(true)
            .into()
    }
}

impl utoipa::ToSchema for Permissions {
    fn schemas(
        schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>,
    ) {
        use utoipa::PartialSchema;
        schemas.push((<Permission as utoipa::ToSchema>::name().into(), Permission::schema()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips_through_its_name() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert!("root".parse::<Permission>().unwrap_err().contains("view, annotate"));
    }

    #[test]
    fn a_set_holds_what_was_put_in_and_serialises_in_order() {
        let set = Permissions::NONE.with(Permission::Chat).with(Permission::View);
        assert!(set.contains(Permission::View) && !set.contains(Permission::Admin));
        assert_eq!(serde_json::to_string(&set).unwrap(), r#"["view","chat"]"#);
        assert_eq!(set.without(Permission::Chat).iter().collect::<Vec<_>>(), [Permission::View]);
        assert_eq!(Permissions::all().iter().count(), 10);
        let back: Permissions = serde_json::from_str(r#"["admin","view","admin"]"#).unwrap();
        assert_eq!(back, Permissions::NONE.with(Permission::View).with(Permission::Admin));
    }
}
