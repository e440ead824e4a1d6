//! Roles an account can hold within one tenant (or on the platform).

use std::fmt;
use std::str::FromStr;

/// What a clerk may work on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClerkScope {
    Finance,
    Budget,
    Consultations,
    PublicInfo,
}

impl ClerkScope {
    pub const ALL: [ClerkScope; 4] = [
        Self::Finance,
        Self::Budget,
        Self::Consultations,
        Self::PublicInfo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Finance => "finance",
            Self::Budget => "budget",
            Self::Consultations => "consultations",
            Self::PublicInfo => "publicinfo",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Resident,
    Clerk(ClerkScope),
    TenantAdmin,
    PlatformOperator,
}

impl fmt::Display for Role {
    /// The wire form used in tokens, the database and GraphQL: `RESIDENT`, `CLERK:finance`,
    /// `TENANT_ADMIN`, `PLATFORM_OPERATOR`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Resident => f.write_str("RESIDENT"),
            Self::Clerk(scope) => write!(f, "CLERK:{}", scope.as_str()),
            Self::TenantAdmin => f.write_str("TENANT_ADMIN"),
            Self::PlatformOperator => f.write_str("PLATFORM_OPERATOR"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RESIDENT" => Ok(Self::Resident),
            "TENANT_ADMIN" => Ok(Self::TenantAdmin),
            "PLATFORM_OPERATOR" => Ok(Self::PlatformOperator),
            _ => s
                .strip_prefix("CLERK:")
                .and_then(|scope| ClerkScope::ALL.into_iter().find(|c| c.as_str() == scope))
                .map(Self::Clerk)
                .ok_or_else(|| UnknownRole(s.to_owned())),
        }
    }
}

/// The set of roles of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(mut roles: Vec<Role>) -> Self {
        roles.sort();
        roles.dedup();
        Self(roles)
    }

    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    /// A tenant admin may do whatever any clerk of the tenant may.
    pub fn is_clerk_for(&self, scope: ClerkScope) -> bool {
        self.has(Role::Clerk(scope)) || self.has(Role::TenantAdmin)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(Role::to_string).collect()
    }

    /// Parses the wire form, ignoring roles this build does not know (a newer token).
    pub fn from_strings<S: AsRef<str>>(raw: &[S]) -> Self {
        Self::new(raw.iter().filter_map(|r| r.as_ref().parse().ok()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_wire_form() {
        let all = [
            Role::Resident,
            Role::Clerk(ClerkScope::Finance),
            Role::Clerk(ClerkScope::PublicInfo),
            Role::TenantAdmin,
            Role::PlatformOperator,
        ];
        for role in all {
            assert_eq!(role.to_string().parse::<Role>().ok(), Some(role));
        }
        assert!("CLERK:taxes".parse::<Role>().is_err());
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn tenant_admin_acts_as_every_clerk() {
        let admin = Roles::new(vec![Role::TenantAdmin]);
        let clerk = Roles::new(vec![Role::Clerk(ClerkScope::Budget)]);
        assert!(admin.is_clerk_for(ClerkScope::Finance));
        assert!(clerk.is_clerk_for(ClerkScope::Budget));
        assert!(!clerk.is_clerk_for(ClerkScope::Finance));
    }
}
