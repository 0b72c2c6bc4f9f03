//! Async NetBox REST client for netbox-windhcp: IPAM (IP addresses, prefixes, VRFs, IP ranges,
//! tags, custom fields) and the Windows DHCP plugin API, as typed calls.
//!
//! * Lists are lazy [`futures::Stream`]s over offset or cursor pagination
//!   ([`Endpoint::list`], [`ListQuery`]); `next` links are followed only on the configured
//!   origin, and loops are detected.
//! * Bulk writes ([`Endpoint::bulk_create`], [`Endpoint::bulk_patch`], [`Endpoint::bulk_delete`])
//!   are chunked; a rejected chunk is split so every good record lands and every bad one is
//!   reported with NetBox's field errors ([`BulkOutcome`]).
//! * Reads are retried on 429/502/503/504 and timeouts with exponential backoff, jitter and
//!   `Retry-After`; writes only when they certainly were not applied.
//! * Every write carries a change-log message; responses expose `X-Request-ID` and `ETag`
//!   ([`ResponseMeta`]); `If-Match` gives [`Error::PreconditionFailed`] on stale updates.
//!
//! This crate knows NetBox, not DHCP rules: deciding what to write is the sync engine's job.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use windhcp_netbox_client::{ListQuery, NetBoxClient, Token, VrfFilter, WriteOptions};
//!
//! # async fn demo() -> windhcp_netbox_client::Result<()> {
//! let nb = NetBoxClient::builder("https://netbox.example.com/")
//!     .token(Token::new("nbt_abcdefghijkl.secret"))
//!     .changelog_message("windhcp sync")
//!     .build()?;
//! let q = ListQuery::new().parent("10.0.0.0/16".parse().unwrap()).vrf(VrfFilter::Global);
//! let ips: Vec<_> = nb.ip_addresses_sync_view(&q).try_collect().await?;
//! # let _ = ips;
//! # Ok(())
//! # }
//! ```

mod bulk;
mod client;
mod config;
mod error;
mod ipam;
mod pagination;
pub mod plugin;

pub use bulk::{BulkFailure, BulkFailureReason, BulkOutcome, BulkSuccess, HasId};
pub use client::{ClientStats, Endpoint, NetBoxClient, ResponseMeta, WriteOptions, Written};
pub use config::{
    ClientBuilder, DEFAULT_BULK_CHUNK, DEFAULT_MAX_BODY_BYTES, DEFAULT_PAGE_SIZE,
    DEFAULT_PLUGIN_PATH, RetryPolicy, SleepFuture, Sleeper, Token, TokioSleeper,
};
pub use error::{BulkItemError, Error, FieldErrors, Result};
pub use ipam::{
    CustomField, DHCP_CLIENT_ID_FIELD, IP_SYNC_FIELDS, IpAddress, IpAddressWrite, IpRange,
    IpRangeWrite, Prefix, PrefixWrite, Tag, TagRef, TagSlug, Vrf, VrfRef, VrfWrite,
    etag_from_last_updated,
};
pub use pagination::{ListQuery, Page, Pagination, VrfFilter};
