"""NetBoxClient against the real NetBox (NETBOX_URL / NETBOX_TOKEN; see conftest._netbox_gate)."""

import os
import threading

import pytest

import netbox_windhcp as nw


def test_status_and_version(netbox):
    status = netbox.status()
    assert status["netbox-version"] == netbox.version()
    major = int(netbox.version().split(".")[0])
    assert major >= 4
    assert netbox.base_url.startswith(os.environ["NETBOX_URL"].rstrip("/"))


def test_ip_crud_in_a_fresh_prefix(netbox, netbox_vrf):
    vrf_id = netbox_vrf["id"]
    prefix = netbox.create_object(
        "api/ipam/prefixes/", {"prefix": "10.77.0.0/24", "vrf": vrf_id, "status": "active"})
    assert netbox.get_prefix(prefix["id"])["prefix"] == "10.77.0.0/24"
    assert [p["id"] for p in netbox.list_prefixes(vrf_id=vrf_id)] == [prefix["id"]]

    made = netbox.create_ip_address({
        "address": "10.77.0.5/24", "vrf": vrf_id, "status": "dhcp", "dns_name": "h5.example.test",
    })
    assert made["address"] == "10.77.0.5/24"
    assert made["vrf"]["id"] == vrf_id
    got = netbox.get_ip_address(made["id"])
    assert got["dns_name"] == "h5.example.test" and got["status"]["value"] == "dhcp"

    # filters: parent + vrf, a list value is ORed, None means the global table
    listed = netbox.list_ip_addresses(parent="10.77.0.0/24", vrf_id=vrf_id,
                                      status=["dhcp", "reserved"])
    assert [ip["id"] for ip in listed] == [made["id"]]
    assert netbox.list_ip_addresses(parent="10.77.0.0/24", vrf_id=vrf_id, status="active") == []
    assert netbox.count_ip_addresses(vrf_id=vrf_id) == 1
    trimmed = netbox.list_ip_addresses_sync_view(vrf_id=vrf_id)
    assert [ip["id"] for ip in trimmed] == [made["id"]]
    assert "created" not in trimmed[0] and "dns_name" in trimmed[0]

    # update with a matching ETag, then a stale one is a conflict
    etag = nw.NetBoxClient.etag(got)
    assert etag and etag.startswith('W/"')
    updated = netbox.update_ip_address(made["id"], {"dns_name": "renamed.example.test"},
                                       if_match=etag)
    assert updated["dns_name"] == "renamed.example.test"
    assert updated["status"]["value"] == "dhcp"  # PATCH leaves other fields alone
    with pytest.raises(nw.ConflictError) as info:
        netbox.update_ip_address(made["id"], {"dns_name": "again"}, if_match=etag)
    assert info.value.status == 412

    netbox.delete_ip_address(made["id"])
    with pytest.raises(nw.NotFoundError) as info:
        netbox.get_ip_address(made["id"])
    assert info.value.status == 404


def test_bulk_writes_report_every_record(netbox, netbox_vrf):
    vrf_id = netbox_vrf["id"]
    items = [{"address": f"10.78.0.{i}/24", "vrf": vrf_id, "status": "dhcp"} for i in range(1, 6)]
    items.insert(2, {"address": "not-an-address", "vrf": vrf_id})
    out = netbox.bulk_create_ip_addresses(items)
    assert [s["index"] for s in out["succeeded"]] == [0, 1, 3, 4, 5]
    assert [f["index"] for f in out["failed"]] == [2]
    failure = out["failed"][0]
    assert failure["reason"] == "rejected" and "address" in failure["errors"]
    ids = [s["value"]["id"] for s in out["succeeded"]]

    changes = [{"id": i, "description": f"bulk {n}"} for n, i in enumerate(ids)]
    upd = netbox.bulk_update_ip_addresses(changes)
    assert not upd["failed"]
    assert sorted(s["value"]["description"] for s in upd["succeeded"]) == \
        sorted(c["description"] for c in changes)

    gone = netbox.bulk_delete_ip_addresses(ids)
    assert sorted(s["value"] for s in gone["succeeded"]) == sorted(ids) and not gone["failed"]
    assert netbox.count_ip_addresses(vrf_id=vrf_id) == 0


def test_validation_error_carries_field_messages(netbox):
    with pytest.raises(nw.ValidationError) as info:
        netbox.create_ip_address({"address": "999.1.2.3/24"})
    err = info.value
    assert err.status == 400
    assert "address" in err.field_errors and err.field_errors["address"]
    assert "address" in str(err)
    assert err.request_id


def test_bad_token_is_an_auth_error_and_never_shown(netbox):
    secret = "nbt_pytestbogus1234.this-secret-must-not-leak"
    bad = nw.NetBoxClient(os.environ["NETBOX_URL"], secret)
    with pytest.raises(nw.AuthError) as info:
        bad.list_prefixes()
    assert info.value.status in (401, 403)
    assert "this-secret" not in str(info.value) and "this-secret" not in repr(info.value)
    assert "this-secret" not in repr(bad)


def test_token_from_the_environment(netbox, monkeypatch):
    monkeypatch.setenv("NETBOX_TOKEN", os.environ["NETBOX_TOKEN"])
    monkeypatch.setenv("NETBOX_URL", os.environ["NETBOX_URL"])
    assert nw.NetBoxClient().version() == netbox.version()
    monkeypatch.setenv("NETBOX_TOKEN", "")
    with pytest.raises(nw.ConfigError, match="token"):
        nw.NetBoxClient()
    monkeypatch.delenv("NETBOX_URL")
    with pytest.raises(nw.ConfigError, match="NETBOX_URL"):
        nw.NetBoxClient(token="x")


def test_generic_objects_and_errors(netbox):
    assert isinstance(netbox.list_objects("api/ipam/vrfs/"), list)
    assert netbox.count_objects("/api/ipam/prefixes") >= 0
    with pytest.raises(ValueError):
        netbox.list_objects("https://elsewhere.example/api/ipam/vrfs/")
    with pytest.raises(ValueError):
        netbox.list_ip_addresses(limit=5)  # paging is the client's job
    with pytest.raises(TypeError):
        netbox.list_ip_addresses(status={"a": 1})


def test_calls_release_the_gil(netbox):
    results, errors = [], []

    def work():
        try:
            results.append(netbox.version())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(set(results)) == 1 and len(results) == 4


def test_configuration_errors():
    with pytest.raises(nw.ConfigError):
        nw.NetBoxClient("not a url", "x")
    with pytest.raises(nw.ConfigError):
        nw.NetBoxClient("http://127.0.0.1:9", "x", timeout=0)
    nb = nw.NetBoxClient("https://netbox.example.com", "nbt_abc.s3cr3t-value")
    assert "s3cr3t" not in repr(nb)
