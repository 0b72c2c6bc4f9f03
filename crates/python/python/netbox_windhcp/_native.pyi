"""Type stubs for the native extension ``netbox_windhcp._native`` (re-exported by the package)."""

from __future__ import annotations

from typing import Any, Mapping

__version__: str

JsonText = str | bytes
PlainData = dict[str, Any]

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

class WindhcpError(Exception):
    """Base class of every error raised by netbox_windhcp.

    Errors from an HTTP call carry what the server said; for other errors these keep their
    class defaults (None / empty).
    """

    status: int | None
    """The HTTP status of the failed call, when there was a response."""
    field_errors: Mapping[str, list[str]]
    """NetBox's messages per field for a 400 (``__all__`` for non-field messages)."""
    request_id: str | None
    """NetBox's ``X-Request-ID`` of the failed request, when it sent one."""

class ValidationError(WindhcpError):
    """A value was rejected by the domain rules (bad MAC, lease lifetime, option value, range, ...)."""

class ConfigError(ValidationError):
    """A client was configured wrongly (empty host, malformed URL, unusable CA, zero timeout, ...)."""

class DecodeError(WindhcpError):
    """Input or a server response could not be decoded (JSON syntax, wrong shape or field types)."""

class TransportError(WindhcpError):
    """The request got no HTTP answer (DNS, connect, TLS, connection reset)."""

class RequestTimeoutError(TransportError):
    """The connection or the request timed out."""

class AuthError(WindhcpError):
    """The server refused the credentials (HTTP 401/403)."""

class NotFoundError(WindhcpError):
    """The object or endpoint does not exist (HTTP 404)."""

class ConflictError(WindhcpError):
    """The object already exists or changed since it was read (HTTP 409/412)."""

class RateLimitedError(WindhcpError):
    """The server asked the client to slow down (HTTP 429) and retries were exhausted."""

class RemoteError(WindhcpError):
    """The server answered with an error that fits no other class (HTTP 5xx, a PowerShell failure)."""

# --------------------------------------------------------------------------------------------
# Lease lifetimes (seconds; None means unlimited)
# --------------------------------------------------------------------------------------------

UNLIMITED_LEASE_SECONDS: int
"""0xFFFFFFFF: the DHCP wire value of an unlimited lease; this many seconds or more is unlimited."""

def format_lifetime(seconds: int | None) -> str:
    """'1 Day', '3 Days', '73 Hours', '45 Seconds', or 'Unlimited' for None / >= 0xFFFFFFFF."""

def decompose_lifetime(seconds: int | None) -> tuple[int, str] | None:
    """(count, unit) with the largest exact unit ('days', 'hours', 'minutes', 'seconds'); None if unlimited."""

def parse_lifetime(text: str) -> int | None:
    """Seconds of '3 Days', '8h', '3600', ...; None for 'Unlimited'. Raises ValidationError."""

def lifetime_seconds(value: int, unit: str) -> int:
    """Seconds of value x unit (unit: 'days', 'h', 'min', ...). Raises ValidationError."""

# --------------------------------------------------------------------------------------------
# Client ids
# --------------------------------------------------------------------------------------------

def normalize_client_id(text: str) -> str:
    """Canonical Windows spelling 'aa-bb-cc-dd-ee-ff' of any MAC / client-id spelling."""

class ClientId:
    """A DHCP client identifier; every spelling of the same bytes is equal and hashes equal."""

    def __init__(self, text: str) -> None: ...
    @staticmethod
    def from_bytes(data: bytes) -> ClientId:
        """A client id from 1 to 255 raw bytes."""
    @property
    def bytes(self) -> bytes:
        """The raw bytes."""
    @property
    def is_mac(self) -> bool:
        """True when the id is exactly six bytes."""
    @property
    def mac(self) -> str | None:
        """The MAC inside the id (also for a 01-prefixed seven-byte id), canonical; else None."""
    def same_hardware(self, other: ClientId) -> bool:
        """True when both ids name the same MAC, with or without the 01 hardware-type prefix."""
    def __len__(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def __lt__(self, other: ClientId) -> bool: ...
    def __le__(self, other: ClientId) -> bool: ...
    def __gt__(self, other: ClientId) -> bool: ...
    def __ge__(self, other: ClientId) -> bool: ...
    def __hash__(self) -> int: ...

# --------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------

def option_catalog() -> list[dict[str, Any]]:
    """Predefined options by code: code, name, data_type, windows_type, multi_valued, description."""

def option_definition(code: int) -> dict[str, Any] | None:
    """The predefined definition of a code, or None."""

def parse_option_value(
    code: int,
    text: str,
    data_type: str | None = None,
    vendor_class: str | None = None,
    user_class: str | None = None,
) -> dict[str, Any]:
    """Typed option value: code, name, vendor_class, user_class, data_type, value, text, values."""

# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------

class Snapshot:
    """A parsed snapshot (everything one run read), ready to be planned many times."""

    @staticmethod
    def from_json(text: JsonText) -> Snapshot:
        """Parse snapshot JSON in Rust with the GIL released. Raises DecodeError."""
    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Snapshot:
        """Build from plain data (str or int ids as keys). Raises DecodeError."""
    def to_json(self, pretty: bool = False) -> str: ...
    def to_dict(self) -> PlainData: ...
    def plan_sync(self) -> Plan:
        """Plan a sync of every eligible server (GIL released)."""
    def plan_import(self, server: str) -> Plan:
        """Plan a one-time import from one server (GIL released)."""
    def servers_to_read(self) -> list[str]:
        """Servers a sync must read, sorted."""
    def __eq__(self, other: object) -> bool: ...

class Plan:
    """Ordered concrete actions plus a report; immutable, compares by content."""

    @staticmethod
    def from_json(text: JsonText) -> Plan: ...
    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Plan: ...
    @property
    def id(self) -> str:
        """Deterministic plan id (16 hex digits, a hash of the snapshot content)."""
    @property
    def kind(self) -> str:
        """'sync' or 'import'."""
    @property
    def import_server(self) -> str | None: ...
    @property
    def actions(self) -> list[dict[str, Any]]: ...
    @property
    def report(self) -> dict[str, Any]: ...
    @property
    def is_empty(self) -> bool: ...
    def counts(self) -> dict[str, int]:
        """Number of actions per action kind."""
    def to_dict(self) -> PlainData: ...
    def to_json(self, pretty: bool = False) -> str: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...

def plan_sync(snapshot: Snapshot | JsonText | Mapping[str, Any]) -> PlainData:
    """Plan a sync; the plan as a dict with id, kind, actions and report."""

def plan_import(snapshot: Snapshot | JsonText | Mapping[str, Any], server: str) -> PlainData:
    """Plan a one-time import from `server`; the plan as a dict."""

def plan_sync_json(snapshot_json: str, pretty: bool = False) -> str:
    """Snapshot JSON in, plan JSON out, all in Rust without the GIL."""

def plan_import_json(snapshot_json: str, server: str, pretty: bool = False) -> str:
    """Snapshot JSON in, import plan JSON out."""

def plan_to_json(plan: Plan | Mapping[str, Any], pretty: bool = False) -> str:
    """Encode a plan (validated) as JSON text. Raises DecodeError for a dict that is not a plan."""

def plan_from_json(text: JsonText) -> PlainData:
    """Decode and validate plan JSON into plain data. Raises DecodeError."""

# --------------------------------------------------------------------------------------------
# Clients (blocking; the GIL is released while waiting)
# --------------------------------------------------------------------------------------------

class PsuClient:
    """Blocking client for the PowerShell Universal endpoints in front of one Windows DHCP server."""

    def __init__(
        self,
        host: str,
        *,
        token: str | None = None,
        port: int | None = None,
        https: bool = True,
        verify_tls: bool = True,
        base_path: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        ca_pem: str | None = None,
    ) -> None: ...
    @property
    def base_url(self) -> str: ...
    def health(self) -> dict[str, Any]: ...
    def write_ping(self) -> None: ...
    def list_scopes(self, *, active_only: bool = False, include_router: bool = True) -> list[dict[str, Any]]: ...
    def get_scope(self, scope_id: str) -> dict[str, Any]: ...
    def list_leases(self, scope_id: str | None = None, *, all_states: bool = False) -> list[dict[str, Any]]: ...
    def list_reservations(self, scope_id: str | None = None) -> list[dict[str, Any]]: ...
    def list_exclusions(self, scope_id: str) -> list[dict[str, Any]]: ...
    def list_scope_options(self, scope_id: str) -> list[dict[str, Any]]: ...
    def list_server_options(self) -> list[dict[str, Any]]: ...
    def list_failovers(self) -> list[dict[str, Any]]: ...
    # writes (dicts in the shape the list calls return)
    def create_scope(self, scope: Mapping[str, Any]) -> dict[str, Any]:
        """Create a scope; ConflictError when it overlaps an existing one."""
    def update_scope(
        self,
        scope_id: str,
        *,
        name: str | None = None,
        start: str | None = None,
        end: str | None = None,
        description: str | None = None,
        state: str | None = None,
        lease_duration_seconds: int | None = None,
        router: str | None = None,
    ) -> dict[str, Any]:
        """Change the given fields ('Active'/'Inactive' state; router='' removes option 3)."""
    def delete_scope(self, scope_id: str) -> None:
        """Delete a scope with its leases, reservations, exclusions and options."""
    def create_reservation(self, reservation: Mapping[str, Any]) -> dict[str, Any]:
        """Create a reservation (scope_id, ip, client_id, name, description, type); ConflictError if taken."""
    def update_reservation(
        self,
        client_id: str,
        *,
        scope_id: str | None = None,
        name: str | None = None,
        description: str | None = None,
        type_: str | None = None,
    ) -> dict[str, Any]:
        """Change name, description or type ('Dhcp', 'Bootp', 'Both') of a client's reservation."""
    def delete_reservation(self, client_id: str, scope_id: str | None = None) -> None:
        """Delete a client's reservation; NotFoundError when there is none."""
    def create_exclusion(self, exclusion: Mapping[str, Any]) -> dict[str, Any]:
        """Add an exclusion range ({'scope_id', 'range': {'start', 'end'}})."""
    def delete_exclusion(self, exclusion: Mapping[str, Any]) -> None:
        """Remove an exclusion range."""
    def set_scope_option(self, scope_id: str, option: Mapping[str, Any]) -> dict[str, Any]:
        """Set one option value on a scope."""
    def remove_scope_option(
        self, scope_id: str, code: int, *, vendor_class: str | None = None, user_class: str | None = None
    ) -> None:
        """Remove an option from a scope."""
    def create_failover(self, failover: Mapping[str, Any]) -> dict[str, Any]:
        """Create a failover relationship (model failover shape, with the secret if auth is on)."""
    def delete_failover(self, name: str) -> None:
        """Delete a failover relationship (its scopes stay)."""
    def replicate_scopes(self, scope_ids: list[str]) -> list[str]:
        """Replicate scopes to their failover partner; returns the replicated ids."""
    def replicate_failover(self, name: str, scope_ids: list[str] | None = None) -> list[str]:
        """Replicate a relationship (all or some scopes) to the partner."""

Filter = str | int | bool | None | list[str | int | bool | None] | tuple[str | int | bool | None, ...]

class NetBoxClient:
    """Blocking client for the NetBox REST API (IPAM and the Windows DHCP plugin API).

    Objects are dicts in NetBox's JSON shape; lists follow every page; calls release the GIL.
    The token never appears in repr() or error messages. Keyword filters are NetBox filters:
    a list repeats the filter (ORed), None sends 'null' (e.g. vrf_id=None: global table).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        verify_tls: bool = True,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        ca_pem: str | None = None,
        changelog_message: str | None = None,
        page_size: int | None = None,
        max_retries: int | None = None,
    ) -> None:
        """url defaults to $NETBOX_URL, token to $NETBOX_TOKEN; ConfigError when either is missing."""
    @property
    def base_url(self) -> str: ...
    def status(self) -> dict[str, Any]:
        """NetBox's api/status/ document."""
    def version(self) -> str:
        """The NetBox version, e.g. '4.7.3'."""
    # any endpoint
    def list_objects(self, path: str, **filters: Filter) -> list[dict[str, Any]]: ...
    def count_objects(self, path: str, **filters: Filter) -> int: ...
    def get_object(self, path: str, id: int) -> dict[str, Any]: ...
    def create_object(self, path: str, data: Mapping[str, Any], *, message: str | None = None) -> dict[str, Any]: ...
    def update_object(
        self, path: str, id: int, data: Mapping[str, Any], *, if_match: str | None = None, message: str | None = None
    ) -> dict[str, Any]: ...
    def delete_object(self, path: str, id: int, *, if_match: str | None = None, message: str | None = None) -> None: ...
    @staticmethod
    def etag(obj: Mapping[str, Any]) -> str | None:
        """NetBox's ETag for an object (from last_updated), for if_match."""
    # IPAM
    def list_prefixes(self, **filters: Filter) -> list[dict[str, Any]]: ...
    def get_prefix(self, id: int) -> dict[str, Any]: ...
    def list_ip_ranges(self, **filters: Filter) -> list[dict[str, Any]]: ...
    def get_ip_range(self, id: int) -> dict[str, Any]: ...
    def list_ip_addresses(self, **filters: Filter) -> list[dict[str, Any]]: ...
    def list_ip_addresses_sync_view(self, **filters: Filter) -> list[dict[str, Any]]:
        """Only the fields the sync reads: much faster on big tables."""
    def count_ip_addresses(self, **filters: Filter) -> int: ...
    def get_ip_address(self, id: int) -> dict[str, Any]: ...
    def create_ip_address(self, data: Mapping[str, Any], *, message: str | None = None) -> dict[str, Any]: ...
    def update_ip_address(
        self, id: int, data: Mapping[str, Any], *, if_match: str | None = None, message: str | None = None
    ) -> dict[str, Any]: ...
    def delete_ip_address(self, id: int, *, if_match: str | None = None, message: str | None = None) -> None: ...
    def bulk_create_ip_addresses(self, items: list[Mapping[str, Any]], *, message: str | None = None) -> dict[str, Any]:
        """{'succeeded': [{'index', 'value'}], 'failed': [{'index', 'id', 'reason', 'errors', 'message'}],
        'request_ids': [...], 'requests': n}; rejected records never raise."""
    def bulk_update_ip_addresses(self, items: list[Mapping[str, Any]], *, message: str | None = None) -> dict[str, Any]:
        """Each item: {'id': ..., <fields to change>}. Same outcome dict as bulk_create_ip_addresses."""
    def bulk_delete_ip_addresses(self, ids: list[int], *, message: str | None = None) -> dict[str, Any]: ...
    # Windows DHCP plugin
    def list_lease_info(self, **filters: Filter) -> list[dict[str, Any]]: ...
    def create_lease_info(self, data: Mapping[str, Any], *, message: str | None = None) -> dict[str, Any]: ...
    def update_lease_info(self, id: int, data: Mapping[str, Any], *, message: str | None = None) -> dict[str, Any]: ...
    def delete_lease_info(self, id: int, *, message: str | None = None) -> None: ...
