"""netbox-windhcp: keep Windows DHCP Server and NetBox IPAM in step, from Python.

The engine is written in Rust and embedded in this package as ``netbox_windhcp._native``;
everything public is re-exported here.

* Lease lifetimes: :func:`format_lifetime`, :func:`decompose_lifetime`, :func:`parse_lifetime`,
  :func:`lifetime_seconds`.
* Client ids: :func:`normalize_client_id`, :class:`ClientId`.
* DHCP options: :func:`option_catalog`, :func:`option_definition`, :func:`parse_option_value`.
* Planning: :func:`plan_sync`, :func:`plan_import` (plain data in, plain data out),
  :func:`plan_sync_json`, :func:`plan_import_json` (JSON in, JSON out), :class:`Snapshot`,
  :class:`Plan`, :func:`plan_to_json`, :func:`plan_from_json`.
* Clients: :class:`PsuClient` and :class:`NetBoxClient` (blocking; the GIL is released while
  waiting).
* Errors: every exception derives from :class:`WindhcpError`.

Example::

    import json, netbox_windhcp as nw
    nw.format_lifetime(259200)                      # '3 Days'
    nw.normalize_client_id("AABB.CCDD.EEFF")         # 'aa-bb-cc-dd-ee-ff'
    plan = nw.plan_sync(json.load(open("snapshot.json")))
    print(len(plan["actions"]), plan["report"]["stats"])
"""

from __future__ import annotations

from . import _native
from ._native import *  # noqa: F401,F403  (the public API is listed in __all__ below)

__version__: str = _native.__version__

__all__ = [
    # errors
    "WindhcpError",
    "ValidationError",
    "ConfigError",
    "DecodeError",
    "TransportError",
    "RequestTimeoutError",
    "AuthError",
    "NotFoundError",
    "ConflictError",
    "RateLimitedError",
    "RemoteError",
    # lease lifetimes
    "UNLIMITED_LEASE_SECONDS",
    "format_lifetime",
    "decompose_lifetime",
    "parse_lifetime",
    "lifetime_seconds",
    # client ids
    "ClientId",
    "normalize_client_id",
    # options
    "option_catalog",
    "option_definition",
    "parse_option_value",
    # planning
    "Snapshot",
    "Plan",
    "plan_sync",
    "plan_import",
    "plan_sync_json",
    "plan_import_json",
    "plan_to_json",
    "plan_from_json",
    # clients
    "PsuClient",
    "NetBoxClient",
]
