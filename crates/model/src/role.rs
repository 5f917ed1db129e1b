//! Who someone is in a session, and what an agent is within their company.

use crate::{Permission, Permissions};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The part a participant plays in one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The role of a staff account within its company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    /// Helps customers.
    Agent,
    /// Helps customers and administers the company.
    Admin,
}

impl AgentRole {
    /// What the built-in role may do: an agent everything in a session, an administrator
    /// also everything about the company.
    pub fn permissions(self) -> Permissions {
        use Permission::*;
        match self {
            AgentRole::Agent => {
                Permissions::from_iter([View, Annotate, Chat, Control, Navigate, Tabs, Record])
            }
            AgentRole::Admin => Permissions::all(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Agent => "agent",
            AgentRole::Admin => "admin",
        }
    }
}

impl FromStr for AgentRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "agent" => Ok(AgentRole::Agent),
            "admin" => Ok(AgentRole::Admin),
            other => Err(format!("`{other}` is not a role; expected `agent` or `admin`")),
        }
    }
}

impl fmt::Display for AgentRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a company rule does to the elements its selector finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Paint the elements over in the agent's frames.
    Mask,
    /// Refuse the agent's input on the elements.
    Block,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Mask => "mask",
            RuleKind::Block => "block",
        }
    }
}

impl FromStr for RuleKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mask" => Ok(RuleKind::Mask),
            "block" => Ok(RuleKind::Block),
            other => Err(format!("`{other}` is not a rule kind; expected `mask` or `block`")),
        }
    }
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
