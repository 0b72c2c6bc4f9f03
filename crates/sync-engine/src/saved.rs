//! Plans saved to disk and applied later.
//!
//! A saved plan is the plan's own JSON ([`Plan::to_json_pretty`]), written atomically. Between
//! planning and applying, the world may have moved on, so a saved plan is applied with
//! verification ([`ExecuteOptions::verify`]): the executor first re-reads everything the plan
//! touches and refuses every action whose recorded before-state no longer holds (reported as
//! [`ActionStatus::Stale`](crate::executor::ActionStatus::Stale)); IP updates and deletes then
//! carry the freshly read ETag so that NetBox refuses them if the IP changes in between.

use std::path::{Path, PathBuf};

use crate::executor::{ApplyReport, ExecuteOptions, Executor};
use crate::plan::Plan;
use crate::source::Progress;

/// A saved plan that could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SavedPlanError {
    /// The file could not be written or read.
    #[error("cannot access plan file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not hold a plan.
    #[error("{path} is not a valid plan: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
}

/// Write `plan` to `path` (temporary file + rename, so a reader never sees half a plan).
///
/// # Errors
///
/// [`SavedPlanError::Io`] if the file cannot be written.
pub fn save_plan(path: &Path, plan: &Plan) -> Result<(), SavedPlanError> {
    use std::io::Write as _;

    let io = |source| SavedPlanError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = plan
        .to_json_pretty()
        .map_err(|source| SavedPlanError::Format {
            path: path.to_path_buf(),
            source,
        })?;
    text.push('\n');
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plan.json".to_owned());
    let temp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&temp, path).map_err(io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Read a plan written by [`save_plan`] (or any plan JSON).
///
/// # Errors
///
/// [`SavedPlanError::Io`] if the file cannot be read, [`SavedPlanError::Format`] if it does
/// not hold a plan.
pub fn load_plan(path: &Path) -> Result<Plan, SavedPlanError> {
    let text = std::fs::read(path).map_err(|source| SavedPlanError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&text).map_err(|source| SavedPlanError::Format {
        path: path.to_path_buf(),
        source,
    })
}

/// Apply a saved plan: like [`Executor::apply`], with verification forced on.
pub async fn apply_saved(executor: &Executor, plan: &Plan, progress: &dyn Progress) -> ApplyReport {
    let verifying = executor.clone().with_options(ExecuteOptions {
        verify: true,
        ..executor.options().clone()
    });
    verifying.apply(plan, progress).await
}
