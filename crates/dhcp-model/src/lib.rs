//! Pure domain types for keeping Windows DHCP Server and NetBox IPAM in step.
//!
//! Scopes, ranges, exclusions, the DHCPv4 option catalog and option values, lease lifetimes,
//! failover relationships, leases, reservations, client ids, PSU server connections and sync
//! settings. Every type validates at construction — through constructors, `TryFrom` of a
//! `*Spec`/wire struct, `FromStr`, and serde — so an invalid value cannot exist. No I/O.
//!
//! Addresses are family-neutral (`IpAddr`) everywhere.
//!
//! ```
//! use windhcp_dhcp_model::{ClientId, IpRange, LeaseLifetime, OptionValue, Scope, ScopeId, ScopeSpec};
//!
//! let scope = Scope::try_from(ScopeSpec {
//!     id: "10.1.0.0".parse()?,
//!     name: "Office".into(),
//!     prefix: "10.1.0.0/24".parse().map_err(|_| "prefix")?,
//!     range: "10.1.0.10-10.1.0.200".parse()?,
//!     router: Some("10.1.0.1".parse()?),
//!     lease_lifetime: "8 Hours".parse()?,
//!     state: Default::default(),
//!     description: String::new(),
//!     vrf: None,
//!     source: None,
//!     options: vec![OptionValue::parse(6, "10.1.0.53, 10.1.0.54")?],
//!     exclusions: vec!["10.1.0.10-10.1.0.19".parse()?],
//! })?;
//! assert_eq!(scope.mask().to_string(), "255.255.255.0");
//! assert_eq!(scope.lease_lifetime(), LeaseLifetime::Finite(8 * 3600));
//! assert!(!scope.is_leasable("10.1.0.15".parse()?));
//!
//! let mac: ClientId = "AABB.CCDD.EEFF".parse()?;
//! assert_eq!(mac.to_string(), "aa-bb-cc-dd-ee-ff");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client_id;
pub mod error;
pub mod exclusion;
pub mod failover;
pub mod lease;
pub mod lifetime;
pub mod option;
pub mod range;
pub mod reservation;
pub mod scope;
pub mod server;
pub mod settings;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategies;
pub mod wire;

pub use client_id::ClientId;
pub use error::ModelError;
pub use exclusion::ExclusionRange;
pub use failover::{Failover, FailoverAuth, FailoverMode, FailoverSpec, ServerRole};
pub use lease::{AddressState, Lease};
pub use lifetime::{LeaseLifetime, LifetimeUnit};
pub use option::{OptionCode, OptionData, OptionDataType, OptionDefinition, OptionValue, catalog};
pub use range::IpRange;
pub use reservation::{Reservation, ReservationType};
pub use scope::{Scope, ScopeId, ScopeSource, ScopeSpec, ScopeState};
pub use server::{Secret, ServerConnection};
pub use settings::{JobQueue, JobTimeout, Settings, SyncInterval};
