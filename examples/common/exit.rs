//! The tools' exit codes (documented in the README).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success: the plan was applied completely, or there was nothing to do |
//! | 1 | error: bad configuration, unreadable inventory or IPAM, I/O error |
//! | 2 | usage error (reported by clap) |
//! | 3 | partial: some actions failed or were skipped; the rest was applied |
//! | 4 | refused: stale actions of a saved plan, or deletions withheld by the budget |
//! | 5 | changes pending: `--dry-run --detailed-exitcode` found something to do |

use std::process::ExitCode;

use netbox_windhcp::sync::executor::ApplyReport;
use netbox_windhcp::sync::plan::Plan;
use netbox_windhcp::sync::report::Conflict;

/// How a tool run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Everything applied, or nothing to do.
    Success = 0,
    /// A fatal error.
    Error = 1,
    /// Some actions failed or were skipped.
    Partial = 3,
    /// Stale actions were refused, or deletions were withheld.
    Refused = 4,
    /// Dry run with `--detailed-exitcode`: changes are pending.
    ChangesPending = 5,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }

    /// The outcome of applying `plan` with the result `report`.
    ///
    /// Failed or skipped actions weigh more than refused ones: a partial failure needs a
    /// human, a refusal only a fresh plan.
    pub fn of_apply(plan: &Plan, report: &ApplyReport) -> Self {
        if report.counts.failed > 0 || report.counts.skipped > 0 {
            Self::Partial
        } else if report.counts.stale > 0 || withheld_deletions(plan) {
            Self::Refused
        } else {
            Self::Success
        }
    }

    /// The outcome of a dry run of `plan`.
    pub fn of_dry_run(plan: &Plan, detailed: bool) -> Self {
        if detailed && !plan.is_empty() {
            Self::ChangesPending
        } else {
            Self::Success
        }
    }
}

/// Whether the planner withheld deletions because of the deletion budget.
pub fn withheld_deletions(plan: &Plan) -> bool {
    plan.report
        .conflicts
        .iter()
        .any(|c| matches!(c, Conflict::DeletionsWithheld { .. }))
}
