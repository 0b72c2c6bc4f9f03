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
    """Base class of every error raised by netbox_windhcp."""

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
