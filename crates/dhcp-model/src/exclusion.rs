//! Exclusion ranges: addresses inside a scope's pool that the server never hands out.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::range::IpRange;
use crate::scope::ScopeId;

/// An exclusion range of one scope. Both parts are individually valid by construction; whether
/// it fits its scope is checked by [`crate::Scope::validate_exclusion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExclusionRange {
    /// The scope it belongs to.
    pub scope_id: ScopeId,
    /// The excluded addresses.
    pub range: IpRange,
}

impl fmt::Display for ExclusionRange {
    /// `"10.0.0.0: 10.0.0.10-10.0.0.20"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.scope_id, self.range)
    }
}
