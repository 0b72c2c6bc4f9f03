"""Shared fixtures for the netbox_windhcp test suite."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO_ROOT = Path(os.environ.get("WINDHCP_REPO_ROOT", TESTS.parents[2]))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout (WINDHCP_REPO_ROOT, or three levels above this folder)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def small_snapshot_text() -> str:
    """The crate's own small snapshot (one server, one scope, two active leases)."""
    return (TESTS / "data" / "small_snapshot.json").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def small_snapshot(small_snapshot_text: str) -> dict:
    return json.loads(small_snapshot_text)


@pytest.fixture(scope="session")
def repo_snapshot_text() -> str:
    """The repository's documented example snapshot (examples/data/snapshot.json)."""
    path = REPO_ROOT / "examples" / "data" / "snapshot.json"
    if not path.is_file():
        # Reported in the summary (pytest -rs); scripts/python-test.sh sets the variable below
        # to make a missing fixture a failure instead.
        if os.environ.get("WINDHCP_REQUIRE_REPO_FIXTURE") == "1":
            pytest.fail(f"the repository snapshot fixture is missing: {path}")
        pytest.skip(f"the repository snapshot fixture is missing: {path}")
    return path.read_text(encoding="utf-8")


SIM_TOKEN = "py-test-writer-token-0123456789"
SIM_READER_TOKEN = "py-test-reader-token-0123456789"


def _simulator_binary() -> Path | None:
    env = os.environ.get("WINDHCP_PSU_SIMULATOR")
    candidates = [Path(env)] if env else []
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    candidates += [target / "debug" / "psu-simulator", target / "release" / "psu-simulator"]
    return next((p for p in candidates if p.is_file() and os.access(p, os.X_OK)), None)


@pytest.fixture(scope="session")
def psu_simulator():
    """A running psu-simulator on an ephemeral loopback port.

    Yields a dict with host, port, server (its hostname), leases (how many it generated),
    token (writer role) and reader_token.
    """
    import select
    import subprocess
    import time
    from urllib.parse import urlsplit

    binary = _simulator_binary()
    if binary is None:
        message = "psu-simulator binary not found (cargo build -p windhcp-psu-simulator)"
        if os.environ.get("WINDHCP_REQUIRE_SIMULATOR") == "1":
            pytest.fail(message)
        pytest.skip(message)
    env = dict(os.environ, PSU_SIM_TOKEN=SIM_TOKEN, PSU_SIM_READER_TOKEN=SIM_READER_TOKEN)
    proc = subprocess.Popen(
        [str(binary), "--bind", "127.0.0.1", "--port", "0", "--scopes", "3",
         "--leases-per-scope", "7", "--reservations-per-scope", "2", "--seed", "7"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while not line and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                line = proc.stdout.readline().strip()
                if not line and proc.poll() is not None:
                    break
        if not line:
            pytest.fail(f"psu-simulator did not announce its port (exit code {proc.poll()})")
        # "<server name> http://127.0.0.1:PORT/api/dhcp leases=N"
        name, url, leases = line.split()
        parts = urlsplit(url)
        yield {
            "server": name,
            "host": parts.hostname,
            "port": parts.port,
            "base_path": parts.path,
            "leases": int(leases.split("=", 1)[1]),
            "token": SIM_TOKEN,
            "reader_token": SIM_READER_TOKEN,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _netbox_gate(message: str) -> None:
    """Fail (the default) or skip when the real NetBox is not usable.

    NetBox tests fail loudly when NETBOX_URL/NETBOX_TOKEN are missing or NetBox does not answer.
    Set WINDHCP_SKIP_NETBOX=1 to skip them instead (reported by ``pytest -rs``);
    WINDHCP_REQUIRE_NETBOX=1 (set by CI) always wins and makes them fail.
    """
    if os.environ.get("WINDHCP_REQUIRE_NETBOX") == "1":
        pytest.fail(f"WINDHCP_REQUIRE_NETBOX=1 but {message}")
    if os.environ.get("WINDHCP_SKIP_NETBOX") == "1":
        pytest.skip(f"{message} (WINDHCP_SKIP_NETBOX=1)")
    pytest.fail(f"{message}; start it (scripts/test.sh does) or set WINDHCP_SKIP_NETBOX=1 to skip")


@pytest.fixture(scope="session")
def netbox():
    """A NetBoxClient for the real NetBox from NETBOX_URL / NETBOX_TOKEN (see _netbox_gate)."""
    import netbox_windhcp as nw

    url = os.environ.get("NETBOX_URL", "").strip()
    token = os.environ.get("NETBOX_TOKEN", "").strip()
    if not url or not token:
        _netbox_gate("NETBOX_URL/NETBOX_TOKEN are not set")
    nb = nw.NetBoxClient(url, token, changelog_message="netbox_windhcp pytest", max_retries=2,
                         timeout=60)
    try:
        nb.status()
    except nw.WindhcpError as e:
        _netbox_gate(f"NetBox at {url} is not usable: {e}")
    return nb


@pytest.fixture()
def netbox_vrf(netbox):
    """A fresh VRF with a unique name (deleted afterwards, with everything left in it)."""
    import uuid

    vrf = netbox.create_object("api/ipam/vrfs/", {"name": f"py-test-{uuid.uuid4().hex[:12]}"})
    try:
        yield vrf
    finally:
        leftovers = [ip["id"] for ip in netbox.list_ip_addresses(vrf_id=vrf["id"])]
        if leftovers:
            netbox.bulk_delete_ip_addresses(leftovers)
        for prefix in netbox.list_prefixes(vrf_id=vrf["id"]):
            netbox.delete_object("api/ipam/prefixes/", prefix["id"])
        netbox.delete_object("api/ipam/vrfs/", vrf["id"])
