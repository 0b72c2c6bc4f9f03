//! The IPAM side of a demo or end-to-end run: the in-memory IPAM, or a real NetBox confined to
//! one VRF.
//!
//! Both variants offer the same operations — prepare prefixes, seed an IP by hand (as a human
//! would in the NetBox UI), read IPs back, clean up — so that a scenario is written once. The
//! NetBox variant reads back with the netbox-client directly, not through the sync's adapter,
//! so a test checks what NetBox really stored.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use futures::TryStreamExt as _;
use ipnetwork::{IpNetwork, Ipv4Network};
use netbox_windhcp::netbox::{
    IpAddress, IpAddressWrite, ListQuery, NetBoxClient, VrfFilter, WriteOptions,
};
use netbox_windhcp::sync::memory::MemoryIpam;
use netbox_windhcp::sync::plan::IpFields;
use netbox_windhcp::sync::snapshot::{IpamAddress, ObjectId};
use netbox_windhcp::sync::source::Ipam;

/// The error type: a message for a human.
pub type SideError = Box<dyn std::error::Error + Send + Sync>;

/// A real NetBox, with everything the run writes kept in one VRF.
#[derive(Debug, Clone)]
pub struct NetBoxSide {
    /// The client (for seeding and reading back).
    pub client: NetBoxClient,
    /// The sync's IPAM adapter over the same NetBox.
    pub ipam: Arc<dyn Ipam>,
    /// The run's VRF.
    pub vrf: ObjectId,
    /// The VRF's name.
    pub vrf_name: String,
}

/// Where the run's IP addresses live.
#[derive(Debug, Clone)]
pub enum IpamSide {
    /// The engine's in-memory IPAM; `vrf` is a made-up VRF id the prefixes are put in.
    Memory {
        /// The store.
        ipam: MemoryIpam,
        /// The VRF id used for prepared prefixes.
        vrf: Option<ObjectId>,
    },
    /// A real NetBox.
    NetBox(NetBoxSide),
}

fn opts(message: &str) -> WriteOptions {
    WriteOptions::message(message)
}

impl IpamSide {
    /// An in-memory side whose prepared prefixes go into `vrf`.
    pub fn memory(vrf: Option<ObjectId>) -> Self {
        Self::Memory {
            ipam: MemoryIpam::new(),
            vrf,
        }
    }

    /// A NetBox side in the VRF `vrf_name` (created if missing); makes sure the
    /// `dhcp_client_id` custom field and the `tags` exist.
    pub async fn netbox(
        client: NetBoxClient,
        ipam: Arc<dyn Ipam>,
        vrf_name: &str,
        tags: &[&str],
    ) -> Result<Self, SideError> {
        let o = opts("netbox-windhcp: setup");
        client.ensure_dhcp_client_id_field(&o).await?;
        for tag in tags {
            client.ensure_tag(tag, tag, "9e9e9e", &o).await?;
        }
        let vrf = client.get_or_create_vrf(vrf_name, &o).await?;
        Ok(Self::NetBox(NetBoxSide {
            client,
            ipam,
            vrf: vrf.id,
            vrf_name: vrf_name.to_owned(),
        }))
    }

    /// The sync's view of this side.
    pub fn ipam(&self) -> Arc<dyn Ipam> {
        match self {
            Self::Memory { ipam, .. } => Arc::new(ipam.clone()),
            Self::NetBox(nb) => Arc::clone(&nb.ipam),
        }
    }

    /// The VRF the run's prefixes and IPs live in.
    pub fn vrf(&self) -> Option<ObjectId> {
        match self {
            Self::Memory { vrf, .. } => *vrf,
            Self::NetBox(nb) => Some(nb.vrf),
        }
    }

    /// A short description for output.
    pub fn describe(&self) -> String {
        match self {
            Self::Memory { .. } => "in-memory IPAM".to_owned(),
            Self::NetBox(nb) => format!("NetBox {} (VRF {})", nb.client.base_url(), nb.vrf_name),
        }
    }

    /// Whether this is a real NetBox.
    pub fn is_netbox(&self) -> bool {
        matches!(self, Self::NetBox(_))
    }

    /// Create the prefixes (in the run's VRF) that the scopes will be matched to.
    pub async fn prepare_prefixes(&self, networks: &[Ipv4Network]) -> Result<(), SideError> {
        match self {
            Self::Memory { ipam, vrf } => {
                for network in networks {
                    ipam.insert_prefix(*network, *vrf);
                }
            }
            Self::NetBox(nb) => {
                let o = opts("netbox-windhcp: prepare prefixes");
                for network in networks {
                    nb.client
                        .get_or_create_prefix(IpNetwork::V4(*network), Some(nb.vrf), &o)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Create an IP by hand (as a human would), in the run's VRF.
    pub async fn insert_ip(
        &self,
        address: Ipv4Network,
        fields: &IpFields,
        tags: &[&str],
    ) -> Result<ObjectId, SideError> {
        match self {
            Self::Memory { ipam, vrf } => {
                Ok(ipam.insert_ip(address, *vrf, fields.clone(), tags)?)
            }
            Self::NetBox(nb) => {
                let mut write = IpAddressWrite::new(IpNetwork::V4(address))
                    .vrf(Some(nb.vrf))
                    .status(fields.status.as_str())
                    .dns_name(fields.dns_name.as_str())
                    .tags(tags.iter().copied());
                if let Some(client_id) = &fields.dhcp_client_id {
                    write = write.custom_field(
                        "dhcp_client_id",
                        serde_json::Value::String(client_id.as_str().to_owned()),
                    );
                }
                let created = nb
                    .client
                    .ip_addresses()
                    .create(&write, &opts("netbox-windhcp: seeded by hand"))
                    .await?;
                Ok(created.value.id)
            }
        }
    }

    /// Change an IP's managed fields by hand.
    pub async fn edit_ip(&self, id: ObjectId, fields: &IpFields) -> Result<(), SideError> {
        match self {
            Self::Memory { ipam, .. } => Ok(ipam.edit_ip(id, fields.clone())?),
            Self::NetBox(nb) => {
                let write = IpAddressWrite::default()
                    .status(fields.status.as_str())
                    .dns_name(fields.dns_name.as_str())
                    .custom_field(
                        "dhcp_client_id",
                        fields
                            .dhcp_client_id
                            .as_deref()
                            .map_or(serde_json::Value::Null, |c| {
                                serde_json::Value::String(c.to_owned())
                            }),
                    );
                nb.client
                    .ip_addresses()
                    .patch(id, &write, &opts("netbox-windhcp: edited by hand"))
                    .await?;
                Ok(())
            }
        }
    }

    /// The IP at `address` in the run's VRF, read back from the store itself.
    pub async fn ip_at(&self, address: Ipv4Addr) -> Result<Option<IpamAddress>, SideError> {
        match self {
            Self::Memory { ipam, vrf } => Ok(ipam.ip_at(address, *vrf)),
            Self::NetBox(nb) => {
                let found = nb
                    .client
                    .find_ip_address(IpAddr::V4(address), VrfFilter::Id(nb.vrf))
                    .await?;
                Ok(found.and_then(convert))
            }
        }
    }

    /// Every IP in the run's VRF, read back from the store itself.
    pub async fn all_ips(&self) -> Result<Vec<IpamAddress>, SideError> {
        match self {
            Self::Memory { ipam, vrf } => Ok(ipam
                .ips()
                .into_values()
                .filter(|ip| ip.vrf == *vrf)
                .collect()),
            Self::NetBox(nb) => {
                let q = ListQuery::new().vrf(VrfFilter::Id(nb.vrf));
                let ips: Vec<IpAddress> = nb.client.ip_addresses().list(&q).try_collect().await?;
                Ok(ips.into_iter().filter_map(convert).collect())
            }
        }
    }

    /// Delete every IP and prefix of the run's VRF, then the VRF itself (NetBox only; the
    /// in-memory store just goes away). With `keep_vrf` the (empty) VRF stays.
    pub async fn cleanup(&self, keep_vrf: bool) -> Result<(), SideError> {
        let Self::NetBox(nb) = self else {
            return Ok(());
        };
        let o = opts("netbox-windhcp: cleanup");
        let q = ListQuery::new().vrf(VrfFilter::Id(nb.vrf));
        let ips: Vec<u64> = nb.client.ip_addresses().ids(&q).try_collect().await?;
        if !ips.is_empty() {
            nb.client.ip_addresses().bulk_delete(&ips, &o).await?;
        }
        let q = ListQuery::new().param("vrf_id", nb.vrf);
        let prefixes: Vec<u64> = nb.client.prefixes().ids(&q).try_collect().await?;
        if !prefixes.is_empty() {
            nb.client.prefixes().bulk_delete(&prefixes, &o).await?;
        }
        if !keep_vrf {
            nb.client.vrfs().delete(nb.vrf, &o).await?;
        }
        Ok(())
    }
}

/// A NetBox IP as the engine sees it (IPv4 only; others are not ours).
fn convert(ip: IpAddress) -> Option<IpamAddress> {
    let IpNetwork::V4(address) = ip.address else {
        return None;
    };
    let dhcp_client_id = ip.dhcp_client_id().map(Into::into);
    let etag = ip.etag().map(Into::into);
    Some(IpamAddress {
        id: ip.id,
        address,
        vrf: ip.vrf.as_ref().map(|v| v.id),
        status: ip.status.unwrap_or_default().into(),
        dns_name: ip.dns_name.into(),
        tags: ip
            .tags
            .iter()
            .map(|t| t.slug.clone())
            .collect::<BTreeSet<_>>(),
        dhcp_client_id,
        etag,
    })
}
