"""Plain Python data in and out of the engine: key spellings, errors with paths, GC state."""

import copy
import gc
import json

import pytest

import netbox_windhcp as nw


def int_keyed(snapshot: dict) -> dict:
    """The snapshot with every id-keyed NetBox map keyed by int instead of str."""
    data = copy.deepcopy(snapshot)
    for section, maps in (("ipam", ("ip_addresses", "prefixes")),
                          ("inventory", ("scopes", "lease_info"))):
        for name in maps:
            if name in data.get(section, {}):
                data[section][name] = {int(k): v for k, v in data[section][name].items()}
    return data


def test_int_and_str_keys_give_the_same_plan(small_snapshot):
    as_ints = int_keyed(small_snapshot)
    assert any(isinstance(k, int) for k in as_ints["ipam"]["ip_addresses"])
    assert nw.plan_sync(as_ints) == nw.plan_sync(small_snapshot)
    assert nw.Snapshot.from_dict(as_ints) == nw.Snapshot.from_dict(small_snapshot)


def test_output_is_exactly_what_json_loads_gives(small_snapshot_text):
    snap = nw.Snapshot.from_json(small_snapshot_text)
    assert snap.to_dict() == json.loads(snap.to_json())
    plan = snap.plan_sync()
    assert plan.to_dict() == json.loads(plan.to_json())
    # map keys are str as in JSON, also for integer-keyed maps
    ips = snap.to_dict()["ipam"]["ip_addresses"]
    assert ips and all(isinstance(k, str) for k in ips)


def test_tuples_read_as_lists(small_snapshot):
    data = copy.deepcopy(small_snapshot)
    scope = next(iter(data["servers"]["dhcp01.example.com"]["leases"].values()))
    scope["ok"] = tuple(scope["ok"])
    assert nw.plan_sync(data) == nw.plan_sync(small_snapshot)


def test_shape_errors_name_the_path(small_snapshot):
    data = copy.deepcopy(small_snapshot)
    leases = next(iter(data["servers"]["dhcp01.example.com"]["leases"].values()))["ok"]
    leases[1]["ip"] = "not-an-ip"
    with pytest.raises(nw.DecodeError) as info:
        nw.plan_sync(data)
    text = str(info.value)
    assert text.startswith("snapshot: ") and "servers" in text and "ip" in text


def test_bad_keys_values_and_cycles_are_decode_errors(small_snapshot):
    data = copy.deepcopy(small_snapshot)
    data["ipam"]["ip_addresses"] = {1.5: {}}
    with pytest.raises(nw.DecodeError, match="keys must be str or int"):
        nw.plan_sync(data)
    data = copy.deepcopy(small_snapshot)
    data["settings"] = {"sync_ip_addresses": object()}
    with pytest.raises(nw.DecodeError):
        nw.plan_sync(data)
    cyclic: dict = {"settings": {}, "inventory": {}, "ipam": {}}
    cyclic["extra"] = cyclic
    cyclic["inventory"]["servers"] = {"x": cyclic}
    with pytest.raises(nw.DecodeError):
        nw.plan_sync(cyclic)


def test_garbage_collector_state_is_restored(small_snapshot):
    assert gc.isenabled()
    nw.plan_sync(small_snapshot)
    assert gc.isenabled()
    gc.disable()
    try:
        nw.plan_sync(small_snapshot)
        assert not gc.isenabled()
    finally:
        gc.enable()
