//! Typed IPAM objects (IP addresses, prefixes, VRFs, IP ranges) and extras (tags, custom fields).
//!
//! Read types tolerate trimmed responses (`fields=`): every field but `id` has a default.
//! Write types serialize only the fields that are set, so a PATCH never clobbers fields we do
//! not own (assignments, NAT, comments, other custom fields…).

use futures::stream::BoxStream;
use ipnetwork::IpNetwork;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use windhcp_dhcp_model::{ClientId, ModelError};

use crate::bulk::HasId;
use crate::client::{Endpoint, NetBoxClient, WriteOptions};
use crate::error::{Error, Result};
use crate::pagination::{ListQuery, VrfFilter};

/// Name of the custom field holding a DHCP client id on IP addresses.
pub const DHCP_CLIENT_ID_FIELD: &str = "dhcp_client_id";

/// The fields the sync needs from an IP address; [`NetBoxClient::ip_addresses_sync_view`] asks
/// only for these (about 5× less data than the full representation).
pub const IP_SYNC_FIELDS: &[&str] = &[
    "id",
    "address",
    "vrf",
    "status",
    "dns_name",
    "description",
    "tags",
    "custom_fields",
    "assigned_object_type",
    "assigned_object_id",
    "last_updated",
];

/// Accepts NetBox's `{"value": …, "label": …}` choice objects and plain strings.
fn choice<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Choice {
        Obj { value: Option<String> },
        Plain(String),
    }
    Ok(match Option::<Choice>::deserialize(d)? {
        None => None,
        Some(Choice::Obj { value }) => value,
        Some(Choice::Plain(s)) => Some(s),
    })
}

fn null_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A VRF as NetBox nests it in other objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VrfRef {
    /// VRF id.
    pub id: u64,
    /// VRF name.
    #[serde(default)]
    pub name: String,
    /// Route distinguisher.
    #[serde(default)]
    pub rd: Option<String>,
}

/// A tag as NetBox nests it in other objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRef {
    /// Tag id.
    pub id: u64,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Slug (what filters and writes use).
    #[serde(default)]
    pub slug: String,
}

/// A tag in a write: referenced by slug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagSlug {
    /// The tag's slug.
    pub slug: String,
}

impl<S: Into<String>> From<S> for TagSlug {
    fn from(s: S) -> Self {
        TagSlug { slug: s.into() }
    }
}

/// An `ipam.ipaddress`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IpAddress {
    /// Primary key.
    pub id: u64,
    /// Address with prefix length, e.g. `10.0.0.5/24`.
    pub address: IpNetwork,
    /// VRF (`None` = global table).
    #[serde(default)]
    pub vrf: Option<VrfRef>,
    /// Status value (`active`, `reserved`, `dhcp`, … or a custom one).
    #[serde(default, deserialize_with = "choice")]
    pub status: Option<String>,
    /// DNS name.
    #[serde(default, deserialize_with = "null_default")]
    pub dns_name: String,
    /// Description.
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// Tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<TagRef>,
    /// Custom fields (every defined key; `null` when unset).
    #[serde(default, deserialize_with = "null_default")]
    pub custom_fields: Map<String, Value>,
    /// Content type of the assigned interface, if any (owned by someone else: never written).
    #[serde(default)]
    pub assigned_object_type: Option<String>,
    /// Id of the assigned interface, if any.
    #[serde(default)]
    pub assigned_object_id: Option<u64>,
    /// Last change time as NetBox renders it in JSON (`…Z`).
    #[serde(default)]
    pub last_updated: Option<String>,
}

impl HasId for IpAddress {
    fn id(&self) -> u64 {
        self.id
    }
}

impl IpAddress {
    /// The raw `dhcp_client_id` custom field value, if set.
    pub fn dhcp_client_id(&self) -> Option<&str> {
        self.custom_fields
            .get(DHCP_CLIENT_ID_FIELD)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The `dhcp_client_id` custom field parsed as a [`ClientId`].
    pub fn client_id(&self) -> std::result::Result<Option<ClientId>, ModelError> {
        self.dhcp_client_id().map(ClientId::parse).transpose()
    }

    /// Whether the object carries the tag with this slug.
    pub fn has_tag(&self, slug: &str) -> bool {
        self.tags.iter().any(|t| t.slug == slug)
    }

    /// The ETag NetBox would send for this object, derived from `last_updated` (NetBox's ETag
    /// is `W/"<last_updated in Python isoformat>"`, and its JSON renders `+00:00` as `Z`), so a
    /// listing gives usable `If-Match` values without a GET per object.
    pub fn etag(&self) -> Option<String> {
        self.last_updated.as_deref().map(etag_from_last_updated)
    }
}

/// Converts a JSON `last_updated` (`2026-11-22T10:51:50.423194Z`) to NetBox's ETag
/// (`W/"2026-11-22T10:51:50.423194+00:00"`).
pub fn etag_from_last_updated(last_updated: &str) -> String {
    let ts = match last_updated.strip_suffix('Z') {
        Some(t) => format!("{t}+00:00"),
        None => last_updated.to_owned(),
    };
    format!("W/\"{ts}\"")
}

/// Fields to write on an IP address (create or PATCH). Unset fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IpAddressWrite {
    /// Address with prefix length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<IpNetwork>,
    /// VRF id; `Some(None)` moves the address to the global table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrf: Option<Option<u64>>,
    /// Status value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// DNS name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The complete tag set (a PATCH replaces the set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TagSlug>>,
    /// Custom fields to set (NetBox merges per key; `null` clears one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Map<String, Value>>,
}

impl IpAddressWrite {
    /// A write that sets the address (what a create needs at least).
    pub fn new(address: IpNetwork) -> Self {
        IpAddressWrite {
            address: Some(address),
            ..Self::default()
        }
    }

    /// Sets the VRF (`None` = global table).
    pub fn vrf(mut self, vrf: Option<u64>) -> Self {
        self.vrf = Some(vrf);
        self
    }

    /// Sets the status.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Sets the DNS name.
    pub fn dns_name(mut self, name: impl Into<String>) -> Self {
        self.dns_name = Some(name.into());
        self
    }

    /// Sets the description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    /// Sets the complete tag set.
    pub fn tags<I, S>(mut self, slugs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = Some(
            slugs
                .into_iter()
                .map(|s| TagSlug { slug: s.into() })
                .collect(),
        );
        self
    }

    /// Sets one custom field (`Value::Null` clears it).
    pub fn custom_field(mut self, name: impl Into<String>, value: Value) -> Self {
        self.custom_fields
            .get_or_insert_with(Map::new)
            .insert(name.into(), value);
        self
    }

    /// Sets (or with `None` clears) the `dhcp_client_id` custom field.
    pub fn dhcp_client_id(self, id: Option<&ClientId>) -> Self {
        let v = id.map_or(Value::Null, |c| Value::String(c.to_string()));
        self.custom_field(DHCP_CLIENT_ID_FIELD, v)
    }
}

/// An `ipam.prefix`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Prefix {
    /// Primary key.
    pub id: u64,
    /// The network.
    pub prefix: IpNetwork,
    /// VRF (`None` = global table).
    #[serde(default)]
    pub vrf: Option<VrfRef>,
    /// Status value.
    #[serde(default, deserialize_with = "choice")]
    pub status: Option<String>,
    /// Description.
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// Tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<TagRef>,
    /// Custom fields.
    #[serde(default, deserialize_with = "null_default")]
    pub custom_fields: Map<String, Value>,
}

impl HasId for Prefix {
    fn id(&self) -> u64 {
        self.id
    }
}

/// Fields to write on a prefix.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PrefixWrite {
    /// The network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<IpNetwork>,
    /// VRF id; `Some(None)` = global table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrf: Option<Option<u64>>,
    /// Status value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Complete tag set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TagSlug>>,
}

/// An `ipam.vrf`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Vrf {
    /// Primary key.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Route distinguisher.
    #[serde(default)]
    pub rd: Option<String>,
    /// Whether addresses must be unique inside the VRF.
    #[serde(default)]
    pub enforce_unique: bool,
    /// Description.
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// Tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<TagRef>,
}

impl HasId for Vrf {
    fn id(&self) -> u64 {
        self.id
    }
}

/// Fields to write on a VRF.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VrfWrite {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Route distinguisher (`Some(None)` clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rd: Option<Option<String>>,
    /// Enforce unique addresses inside the VRF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforce_unique: Option<bool>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An `extras.tag`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tag {
    /// Primary key.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Colour (6 hex digits).
    #[serde(default)]
    pub color: String,
    /// Description.
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
}

impl HasId for Tag {
    fn id(&self) -> u64 {
        self.id
    }
}

/// An `extras.customfield`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomField {
    /// Primary key.
    pub id: u64,
    /// Name (the key in `custom_fields`).
    pub name: String,
    /// Label.
    #[serde(default, deserialize_with = "null_default")]
    pub label: String,
    /// Type (`text`, `integer`, …).
    #[serde(rename = "type", default, deserialize_with = "choice")]
    pub kind: Option<String>,
    /// Object types it applies to, e.g. `ipam.ipaddress`.
    #[serde(default, deserialize_with = "null_default")]
    pub object_types: Vec<String>,
    /// Filter logic (`exact`, `loose`, `disabled`).
    #[serde(default, deserialize_with = "choice")]
    pub filter_logic: Option<String>,
}

impl HasId for CustomField {
    fn id(&self) -> u64 {
        self.id
    }
}

/// An `ipam.iprange`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IpRange {
    /// Primary key.
    pub id: u64,
    /// First address (with prefix length).
    pub start_address: IpNetwork,
    /// Last address (with prefix length).
    pub end_address: IpNetwork,
    /// VRF (`None` = global table).
    #[serde(default)]
    pub vrf: Option<VrfRef>,
    /// Status value.
    #[serde(default, deserialize_with = "choice")]
    pub status: Option<String>,
    /// Description.
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// Tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<TagRef>,
    /// Custom fields.
    #[serde(default, deserialize_with = "null_default")]
    pub custom_fields: Map<String, Value>,
}

impl HasId for IpRange {
    fn id(&self) -> u64 {
        self.id
    }
}

/// Fields to write on an IP range.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IpRangeWrite {
    /// First address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_address: Option<IpNetwork>,
    /// Last address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_address: Option<IpNetwork>,
    /// VRF id; `Some(None)` = global table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrf: Option<Option<u64>>,
    /// Status value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Complete tag set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TagSlug>>,
}

/// Whether a create failed because the object already exists: NetBox answers 400 ("already
/// exists") when the row was there before, and a 500 IntegrityError when two creators race.
fn is_duplicate(e: &Error) -> bool {
    match e {
        Error::Validation { errors, .. } => errors
            .iter()
            .any(|(_, msgs)| msgs.iter().any(|m| m.contains("already exists"))),
        Error::Server {
            status: 500,
            message,
            ..
        } => message.contains("duplicate key") || message.contains("IntegrityError"),
        _ => false,
    }
}

impl NetBoxClient {
    /// `api/ipam/ip-addresses/`.
    pub fn ip_addresses(&self) -> Endpoint<IpAddress> {
        self.endpoint("api/ipam/ip-addresses/")
    }

    /// `api/ipam/prefixes/`.
    pub fn prefixes(&self) -> Endpoint<Prefix> {
        self.endpoint("api/ipam/prefixes/")
    }

    /// `api/ipam/vrfs/`.
    pub fn vrfs(&self) -> Endpoint<Vrf> {
        self.endpoint("api/ipam/vrfs/")
    }

    /// `api/ipam/ip-ranges/`.
    pub fn ip_ranges(&self) -> Endpoint<IpRange> {
        self.endpoint("api/ipam/ip-ranges/")
    }

    /// `api/extras/tags/`.
    pub fn tags(&self) -> Endpoint<Tag> {
        self.endpoint("api/extras/tags/")
    }

    /// `api/extras/custom-fields/`.
    pub fn custom_fields(&self) -> Endpoint<CustomField> {
        self.endpoint("api/extras/custom-fields/")
    }

    /// The sync's default listing of IP addresses: only [`IP_SYNC_FIELDS`], lazily paged.
    /// Any `fields=` in `query` is replaced.
    pub fn ip_addresses_sync_view(
        &self,
        query: &ListQuery,
    ) -> BoxStream<'static, Result<IpAddress>> {
        let q = query.clone().fields(IP_SYNC_FIELDS.iter().copied());
        self.ip_addresses().list(&q)
    }

    /// The IP address with this host address in this VRF (any mask), if it exists.
    pub async fn find_ip_address(
        &self,
        address: std::net::IpAddr,
        vrf: VrfFilter,
    ) -> Result<Option<IpAddress>> {
        let q = ListQuery::new().param("address", address).vrf(vrf);
        self.ip_addresses().first(&q).await
    }

    /// Returns the tag with `slug`, creating it if missing (safe against a concurrent creator).
    pub async fn ensure_tag(
        &self,
        name: &str,
        slug: &str,
        color: &str,
        opts: &WriteOptions,
    ) -> Result<Tag> {
        let q = ListQuery::new().param("slug", slug);
        if let Some(t) = self.tags().first(&q).await? {
            return Ok(t);
        }
        let body = serde_json::json!({ "name": name, "slug": slug, "color": color });
        match self.tags().create(&body, opts).await {
            Ok(w) => Ok(w.value),
            Err(e) if is_duplicate(&e) => self.tags().first(&q).await?.ok_or(e),
            Err(e) => Err(e),
        }
    }

    /// Makes sure the `dhcp_client_id` custom field exists: text, on `ipam.ipaddress`, exact
    /// filter logic. Adds `ipam.ipaddress` to an existing field that lacks it; never removes
    /// anything. Idempotent and safe against a concurrent creator.
    pub async fn ensure_dhcp_client_id_field(&self, opts: &WriteOptions) -> Result<CustomField> {
        self.ensure_text_custom_field(
            DHCP_CLIENT_ID_FIELD,
            "DHCP client id",
            "ipam.ipaddress",
            opts,
        )
        .await
    }

    /// Makes sure a text custom field `name` exists on `object_type` (see
    /// [`NetBoxClient::ensure_dhcp_client_id_field`]).
    pub async fn ensure_text_custom_field(
        &self,
        name: &str,
        label: &str,
        object_type: &str,
        opts: &WriteOptions,
    ) -> Result<CustomField> {
        let q = ListQuery::new().param("name", name);
        let existing = match self.custom_fields().first(&q).await? {
            Some(cf) => cf,
            None => {
                let body = serde_json::json!({
                    "name": name,
                    "label": label,
                    "type": "text",
                    "object_types": [object_type],
                    "filter_logic": "exact",
                    "required": false,
                });
                match self.custom_fields().create(&body, opts).await {
                    Ok(w) => return Ok(w.value),
                    Err(e) if is_duplicate(&e) => self.custom_fields().first(&q).await?.ok_or(e)?,
                    Err(e) => return Err(e),
                }
            }
        };
        if existing.object_types.iter().any(|t| t == object_type) {
            return Ok(existing);
        }
        let mut types = existing.object_types.clone();
        types.push(object_type.to_owned());
        let body = serde_json::json!({ "object_types": types });
        Ok(self
            .custom_fields()
            .patch(existing.id, &body, opts)
            .await?
            .value)
    }

    /// Returns the VRF with this exact name, creating it if missing.
    pub async fn get_or_create_vrf(&self, name: &str, opts: &WriteOptions) -> Result<Vrf> {
        let q = ListQuery::new().param("name", name);
        if let Some(v) = self.vrfs().first(&q).await? {
            return Ok(v);
        }
        let body = VrfWrite {
            name: Some(name.to_owned()),
            ..VrfWrite::default()
        };
        Ok(self.vrfs().create(&body, opts).await?.value)
    }

    /// Returns the prefix with exactly this network in this VRF (`None` = global table),
    /// creating it (status `active`) if missing. NetBox does not make prefixes unique, so two
    /// concurrent callers can both create one; the lowest id wins on the next lookup.
    pub async fn get_or_create_prefix(
        &self,
        prefix: IpNetwork,
        vrf: Option<u64>,
        opts: &WriteOptions,
    ) -> Result<Prefix> {
        let vf = vrf.map_or(VrfFilter::Global, VrfFilter::Id);
        let q = ListQuery::new()
            .param("prefix", prefix)
            .vrf(vf)
            .param("ordering", "id");
        if let Some(p) = self.prefixes().first(&q).await? {
            return Ok(p);
        }
        let body = PrefixWrite {
            prefix: Some(prefix),
            vrf: Some(vrf),
            status: Some("active".into()),
            ..PrefixWrite::default()
        };
        Ok(self.prefixes().create(&body, opts).await?.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ip_address_decodes_full_and_trimmed() {
        let full: IpAddress = serde_json::from_value(json!({
            "id": 7, "address": "10.1.2.3/24",
            "vrf": {"id": 2, "url": "x", "display": "blue", "name": "blue", "rd": null, "description": ""},
            "status": {"value": "dhcp", "label": "DHCP"}, "dns_name": "h.example", "description": "",
            "tags": [{"id": 1, "name": "DHCP", "slug": "dhcp", "color": "fff"}],
            "custom_fields": {"dhcp_client_id": "aa-bb-cc-dd-ee-ff"},
            "assigned_object_type": null, "assigned_object_id": null,
            "last_updated": "2026-11-22T10:51:50.423194Z"
        }))
        .unwrap();
        assert_eq!(full.vrf.as_ref().unwrap().id, 2);
        assert_eq!(full.status.as_deref(), Some("dhcp"));
        assert!(full.has_tag("dhcp"));
        assert_eq!(full.dhcp_client_id(), Some("aa-bb-cc-dd-ee-ff"));
        assert!(full.client_id().unwrap().is_some());
        assert_eq!(
            full.etag().unwrap(),
            "W/\"2026-11-22T10:51:50.423194+00:00\""
        );
        let trimmed: IpAddress =
            serde_json::from_value(json!({"id": 1, "address": "10.0.0.1/32"})).unwrap();
        assert_eq!(trimmed.vrf, None);
        assert!(trimmed.custom_fields.is_empty());
        assert_eq!(trimmed.dhcp_client_id(), None);
    }

    #[test]
    fn write_sends_only_set_fields() {
        let w = IpAddressWrite::default().description("x");
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            json!({"description": "x"})
        );
        let w = IpAddressWrite::new("10.0.0.1/24".parse().unwrap())
            .vrf(None)
            .tags(["dhcp"])
            .dhcp_client_id(None);
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            json!({"address": "10.0.0.1/24", "vrf": null, "tags": [{"slug": "dhcp"}],
                   "custom_fields": {"dhcp_client_id": null}})
        );
    }
}
