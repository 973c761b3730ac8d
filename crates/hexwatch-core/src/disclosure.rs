//! Roles and the disclosure hook.

/// Who a response is computed for. Every cache key includes the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Role {
    /// The public map: subject to the disclosure policy.
    #[default]
    Public,
    /// Partnership analysts with access to exact counts.
    Partner,
}

impl Role {
    /// Stable lowercase name (`"public"`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Partner => "partner",
        }
    }
}

/// What a role may see of a count. With `min_count` = 0 (the default until the hardening
/// issue sets a threshold) nothing is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DisclosurePolicy {
    /// Counts below this are withheld from the public role (0 withholds nothing).
    pub min_count: u32,
}

impl DisclosurePolicy {
    /// The count a role may see: `None` when it is withheld.
    #[must_use]
    pub const fn visible_count(&self, role: Role, count: u32) -> Option<u32> {
        match role {
            Role::Partner => Some(count),
            Role::Public if count < self.min_count => None,
            Role::Public => Some(count),
        }
    }
}
