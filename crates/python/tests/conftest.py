"""Shared fixtures for the netbox_windhcp test suite."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO_ROOT = Path(os.environ.get("WINDHCP_REPO_ROOT", TESTS.parents[2]))


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
