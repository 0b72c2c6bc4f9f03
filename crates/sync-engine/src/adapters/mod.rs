//! The source traits over the HTTP clients, each behind its cargo feature.
//!
//! * `psu` — [`psu::PsuServer`] and [`psu::PsuConnector`]: [`DhcpServer`](crate::source::DhcpServer)
//!   over `windhcp-psu-client`.
//! * `netbox` — [`netbox::NetBoxIpam`]: [`Ipam`](crate::source::Ipam) over
//!   `windhcp-netbox-client`.

#[cfg(feature = "psu")]
#[cfg_attr(docsrs, doc(cfg(feature = "psu")))]
pub mod psu;

#[cfg(feature = "netbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "netbox")))]
pub mod netbox;
