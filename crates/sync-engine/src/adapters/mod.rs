//! The source traits over the HTTP clients, each behind its cargo feature.
//!
//! * `psu` — [`psu::PsuServer`] and [`psu::PsuConnector`]: [`DhcpServer`](crate::source::DhcpServer)
//!   over `windhcp-psu-client`.

#[cfg(feature = "psu")]
#[cfg_attr(docsrs, doc(cfg(feature = "psu")))]
pub mod psu;
