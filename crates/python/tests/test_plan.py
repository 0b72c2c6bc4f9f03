"""Planning from plain data, JSON text and Snapshot objects; plan (de)serialisation."""

import copy
import json

import pytest

import netbox_windhcp as nw


def creates(plan: dict) -> dict:
    """The create_ip actions of a plan dict, by address."""
    return {
        a["action"]["address"]: a
        for a in plan["actions"]
        if a["action"]["kind"] == "create_ip"
    }


def test_plan_sync_from_dict(small_snapshot):
    plan = nw.plan_sync(small_snapshot)
    assert set(plan) >= {"id", "kind", "actions", "report"}
    assert plan["kind"] == {"kind": "sync"}
    assert len(plan["id"]) == 16
    created = creates(plan)
    assert sorted(created) == ["10.20.0.11/24", "10.20.0.12/24"]
    after = created["10.20.0.12/24"]["action"]["after"]
    # the Cisco spelling in the lease is stored canonically
    assert after["dhcp_client_id"] == "aa-bb-cc-00-00-12"
    assert after["status"] == "dhcp"
    assert created["10.20.0.11/24"]["reason"] == "active_lease"
    assert created["10.20.0.11/24"]["context"]["server"] == "dhcp01.example.com"
    # the printer (status active, not DHCP-managed) is never touched
    touched = json.dumps(plan["actions"])
    assert "10.20.0.50" not in touched


def test_all_paths_agree(small_snapshot, small_snapshot_text):
    from_dict = nw.plan_sync(small_snapshot)
    from_text = nw.plan_sync(small_snapshot_text)
    from_bytes = nw.plan_sync(small_snapshot_text.encode())
    from_json = json.loads(nw.plan_sync_json(small_snapshot_text))
    snapshot = nw.Snapshot.from_json(small_snapshot_text)
    from_object = snapshot.plan_sync()
    assert from_dict == from_text == from_bytes == from_json == from_object.to_dict()
    assert nw.plan_sync(snapshot) == from_dict
    assert nw.Snapshot.from_dict(small_snapshot) == snapshot


def test_plan_object(small_snapshot_text):
    plan = nw.Snapshot.from_json(small_snapshot_text).plan_sync()
    assert plan.kind == "sync" and plan.import_server is None
    assert len(plan) == len(plan.actions) > 0
    assert not plan.is_empty
    counts = plan.counts()
    assert counts["create_ip"] == 2
    assert sum(counts.values()) == len(plan)
    assert plan.report == plan.to_dict()["report"]
    assert "Plan(id='" in repr(plan)


def test_plan_is_deterministic_and_content_addressed(small_snapshot):
    first = nw.plan_sync(small_snapshot)
    again = nw.plan_sync(copy.deepcopy(small_snapshot))
    assert first == again
    changed = copy.deepcopy(small_snapshot)
    leases = changed["servers"]["dhcp01.example.com"]["leases"]["10.20.0.0"]["ok"]
    leases[0]["hostname"] = "renamed"
    assert nw.plan_sync(changed)["id"] != first["id"]


def test_json_round_trip(small_snapshot):
    plan = nw.plan_sync(small_snapshot)
    text = nw.plan_to_json(plan)
    assert json.loads(text) == plan
    assert nw.plan_from_json(text) == plan
    pretty = nw.plan_to_json(plan, pretty=True)
    assert "\n" in pretty and json.loads(pretty) == plan

    obj = nw.Plan.from_json(text)
    assert obj.to_dict() == plan
    assert nw.Plan.from_json(obj.to_json()) == obj
    assert nw.Plan.from_dict(plan) == obj
    assert nw.plan_to_json(obj) == text


def test_snapshot_round_trip(small_snapshot_text):
    snap = nw.Snapshot.from_json(small_snapshot_text)
    assert nw.Snapshot.from_json(snap.to_json()) == snap
    assert nw.Snapshot.from_json(snap.to_json(pretty=True)) == snap
    assert nw.Snapshot.from_dict(json.loads(snap.to_json())) == snap
    assert snap.servers_to_read() == ["dhcp01.example.com"]
    assert repr(snap) == "Snapshot(servers=1, scopes=1, leases=2, ip_addresses=1)"


def test_plan_import(small_snapshot_text):
    plan = nw.plan_import(small_snapshot_text, "dhcp01.example.com")
    assert plan["kind"] == {"kind": "import", "server": "dhcp01.example.com"}
    obj = nw.Snapshot.from_json(small_snapshot_text).plan_import("dhcp01.example.com")
    assert obj.kind == "import" and obj.import_server == "dhcp01.example.com"
    assert obj.to_dict() == plan
    assert json.loads(nw.plan_import_json(small_snapshot_text, "dhcp01.example.com")) == plan


def test_repository_snapshot_fixture(repo_snapshot_text):
    snapshot = nw.Snapshot.from_json(repo_snapshot_text)
    plan = snapshot.plan_sync()
    assert plan == nw.Plan.from_json(plan.to_json())
    assert nw.plan_sync(json.loads(repo_snapshot_text)) == plan.to_dict()
    assert len(plan) > 0


def test_repository_plan_matches_the_engine(repo_snapshot_text, repo_root):
    """Python plans the checked-in example snapshot exactly as the Rust engine did."""
    plan_path = repo_root / "examples" / "data" / "plan.json"
    expected = json.loads(plan_path.read_text(encoding="utf-8"))
    assert nw.plan_sync(repo_snapshot_text) == expected
    assert nw.Plan.from_dict(expected) == nw.Snapshot.from_json(repo_snapshot_text).plan_sync()
