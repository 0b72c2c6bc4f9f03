//! Sync settings (the plugin's settings page, as one value).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// Minutes between scheduled syncs, 5 to 1440 (default 60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct SyncInterval(u32);

impl SyncInterval {
    /// Smallest interval, minutes.
    pub const MIN_MINUTES: u32 = 5;
    /// Largest interval, minutes (one day).
    pub const MAX_MINUTES: u32 = 1_440;

    /// An interval of `minutes`, checked against 5..=1440.
    pub fn from_minutes(minutes: u32) -> Result<Self, ModelError> {
        if (Self::MIN_MINUTES..=Self::MAX_MINUTES).contains(&minutes) {
            Ok(SyncInterval(minutes))
        } else {
            Err(ModelError::OutOfRange {
                field: "sync_interval",
                value: u64::from(minutes),
                min: u64::from(Self::MIN_MINUTES),
                max: u64::from(Self::MAX_MINUTES),
            })
        }
    }

    /// The interval in minutes.
    #[must_use]
    pub fn minutes(self) -> u32 {
        self.0
    }

    /// The interval as a duration.
    #[must_use]
    pub fn as_duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.0) * 60)
    }
}

impl Default for SyncInterval {
    fn default() -> Self {
        SyncInterval(60)
    }
}

impl TryFrom<u32> for SyncInterval {
    type Error = ModelError;
    fn try_from(m: u32) -> Result<Self, Self::Error> {
        SyncInterval::from_minutes(m)
    }
}

impl From<SyncInterval> for u32 {
    fn from(i: SyncInterval) -> u32 {
        i.0
    }
}

/// Job timeout in seconds, at least 60 (default 300).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct JobTimeout(u32);

impl JobTimeout {
    /// Smallest timeout, seconds.
    pub const MIN_SECS: u32 = 60;

    /// A timeout of `secs`, at least 60.
    pub fn from_secs(secs: u32) -> Result<Self, ModelError> {
        if secs >= Self::MIN_SECS {
            Ok(JobTimeout(secs))
        } else {
            Err(ModelError::OutOfRange {
                field: "sync_job_timeout",
                value: u64::from(secs),
                min: u64::from(Self::MIN_SECS),
                max: u64::from(u32::MAX),
            })
        }
    }

    /// Seconds.
    #[must_use]
    pub fn secs(self) -> u32 {
        self.0
    }
}

impl Default for JobTimeout {
    fn default() -> Self {
        JobTimeout(300)
    }
}

impl TryFrom<u32> for JobTimeout {
    type Error = ModelError;
    fn try_from(s: u32) -> Result<Self, Self::Error> {
        JobTimeout::from_secs(s)
    }
}

impl From<JobTimeout> for u32 {
    fn from(t: JobTimeout) -> u32 {
        t.0
    }
}

/// The job queue sync jobs run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobQueue {
    /// `high`.
    High,
    /// `default`.
    #[default]
    Default,
    /// `low`.
    Low,
}

impl FromStr for JobQueue {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "high" => Ok(JobQueue::High),
            "default" => Ok(JobQueue::Default),
            "low" => Ok(JobQueue::Low),
            _ => Err(ModelError::UnknownKeyword {
                kind: "job queue",
                input: s.to_owned(),
            }),
        }
    }
}

impl fmt::Display for JobQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JobQueue::High => "high",
            JobQueue::Default => "default",
            JobQueue::Low => "low",
        })
    }
}

fn default_true() -> bool {
    true
}
fn default_lease_status() -> String {
    "dhcp".to_owned()
}
fn default_reservation_status() -> String {
    "reserved".to_owned()
}

/// Sync settings. Every field has the plugin's default, so `{}` deserialises to
/// [`Settings::default`]. Deserialisation runs [`Settings::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, try_from = "crate::wire::SettingsWire")]
pub struct Settings {
    /// Pull leases and reservations into NetBox IP addresses (default false).
    pub sync_ip_addresses: bool,
    /// NetBox is the source of truth for reservations: create, update and delete them on the
    /// server (default false).
    pub push_reservations: bool,
    /// NetBox is the source of truth for scopes (default false: the server wins).
    pub push_scope_info: bool,
    /// With `push_reservations`, give reservation-status IPs without a client id a placeholder
    /// id (default false).
    pub reservation_placeholders: bool,
    /// Minutes between scheduled syncs.
    pub sync_interval: SyncInterval,
    /// Job timeout.
    pub sync_job_timeout: JobTimeout,
    /// Queue for sync jobs.
    pub queue: JobQueue,
    /// Tag slug that protects IP addresses (and IPs inside tagged prefixes) from sync writes.
    pub protected_tag: Option<String>,
    /// Still update the client id of protected IPs from active leases (default false).
    pub update_client_id_for_protected: bool,
    /// Create a NetBox prefix for a scope that has none (default true).
    pub create_missing_prefixes: bool,
    /// NetBox IP status for lease addresses (default `dhcp`).
    pub lease_status: String,
    /// NetBox IP status for reservation addresses (default `reserved`); must differ from
    /// `lease_status`.
    pub reservation_status: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sync_ip_addresses: false,
            push_reservations: false,
            push_scope_info: false,
            reservation_placeholders: false,
            sync_interval: SyncInterval::default(),
            sync_job_timeout: JobTimeout::default(),
            queue: JobQueue::default(),
            protected_tag: None,
            update_client_id_for_protected: false,
            create_missing_prefixes: default_true(),
            lease_status: default_lease_status(),
            reservation_status: default_reservation_status(),
        }
    }
}

impl Settings {
    /// Checks: statuses not blank and different from each other (the original plugin did not
    /// check this and then could not tell leases from reservations); protected tag not blank if set.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.lease_status.trim().is_empty() {
            return Err(ModelError::EmptyField {
                field: "lease_status",
            });
        }
        if self.reservation_status.trim().is_empty() {
            return Err(ModelError::EmptyField {
                field: "reservation_status",
            });
        }
        if self.lease_status.trim() == self.reservation_status.trim() {
            return Err(ModelError::ConflictingSettings {
                first: "lease_status",
                second: "reservation_status",
                value: self.lease_status.clone(),
            });
        }
        if let Some(tag) = &self.protected_tag
            && tag.trim().is_empty()
        {
            return Err(ModelError::EmptyField {
                field: "protected_tag",
            });
        }
        Ok(())
    }
}
