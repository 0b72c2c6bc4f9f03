"""PsuClient against the PSU simulator (a real HTTP server on loopback)."""

import socket
import threading

import pytest

import netbox_windhcp as nw


def client(sim, token=None, **kw):
    return nw.PsuClient(
        sim["host"], port=sim["port"], https=False, base_path=sim["base_path"],
        token=sim["token"] if token is None else token, **kw,
    )


def test_health_and_reads(psu_simulator):
    psu = client(psu_simulator)
    health = psu.health()
    assert health["ok"] is True
    scopes = psu.list_scopes()
    assert len(scopes) == 3
    first = scopes[0]
    scope_id = first["id"]
    assert psu.get_scope(scope_id)["id"] == scope_id
    leases = psu.list_leases(all_states=True)
    assert len(leases) == psu_simulator["leases"] > 0
    active = psu.list_leases()
    assert 0 < len(active) <= len(leases)
    assert all(lease["address_state"].startswith("Active") for lease in active)
    one_scope = psu.list_leases(scope_id)
    assert 0 < len(one_scope) <= len(leases)
    # every client id comes back in the canonical form
    for lease in leases:
        assert lease["client_id"] == nw.normalize_client_id(lease["client_id"])
    reservations = psu.list_reservations(scope_id)
    assert len(reservations) == 2
    assert isinstance(psu.list_exclusions(scope_id), list)
    assert isinstance(psu.list_scope_options(scope_id), list)
    assert isinstance(psu.list_failovers(), list)


def test_missing_scope_is_not_found(psu_simulator):
    with pytest.raises(nw.NotFoundError):
        client(psu_simulator).get_scope("192.0.2.0")


def test_bad_scope_id_is_a_validation_error(psu_simulator):
    with pytest.raises(nw.ValidationError):
        client(psu_simulator).get_scope("not-an-address")


def test_wrong_token_is_an_auth_error_and_is_not_leaked(psu_simulator):
    secret = "wrong-token-that-must-not-leak"
    psu = client(psu_simulator, token=secret)
    with pytest.raises(nw.AuthError) as info:
        psu.list_scopes()
    assert secret not in str(info.value)
    assert secret not in repr(psu)


def test_reader_token_cannot_write(psu_simulator):
    reader = client(psu_simulator, token=psu_simulator["reader_token"])
    assert reader.health()["ok"] is True
    with pytest.raises(nw.AuthError):
        reader.write_ping()
    client(psu_simulator).write_ping()  # the writer may


def test_calls_release_the_gil(psu_simulator):
    psu = client(psu_simulator)
    results, errors = [], []

    def work():
        try:
            results.append(len(psu.list_leases(all_states=True)))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert results == [psu_simulator["leases"]] * 4


def test_unreachable_is_a_transport_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # nothing listens on `port` any more
    psu = nw.PsuClient("127.0.0.1", port=port, https=False, connect_timeout=2, timeout=5)
    with pytest.raises(nw.TransportError):
        psu.health()


def test_bad_configuration_is_a_config_error():
    with pytest.raises(nw.ConfigError):
        nw.PsuClient("https://dhcp01.example.com")
    with pytest.raises(nw.ConfigError):
        nw.PsuClient("dhcp01.example.com", timeout=0)
    with pytest.raises(nw.ValidationError):  # ConfigError is a ValidationError
        nw.PsuClient("")
    psu = nw.PsuClient("dhcp01.example.com", token="s3cr3t-token")
    assert psu.base_url == "https://dhcp01.example.com/api/dhcp/"
    assert "s3cr3t" not in repr(psu)


# ---------------------------------------------------------------------------------- writes


def test_reservation_create_list_update_delete(psu_simulator):
    psu = client(psu_simulator)
    scope = psu.list_scopes()[0]
    before = psu.list_reservations(scope["id"])
    taken = {r["ip"] for r in before} | {lease["ip"] for lease in psu.list_leases(scope["id"])}
    ip = next(f"{scope['range']['end'].rsplit('.', 1)[0]}.{n}" for n in range(250, 10, -1)
              if f"{scope['range']['end'].rsplit('.', 1)[0]}.{n}" not in taken)
    new = {"scope_id": scope["id"], "ip": ip, "client_id": "02:00:5E:10:00:99",
           "name": "py-test.example", "type": "Dhcp"}
    made = psu.create_reservation(new)
    assert made["ip"] == ip and made["client_id"] == "02-00-5e-10-00-99"
    listed = psu.list_reservations(scope["id"])
    assert len(listed) == len(before) + 1
    assert any(r["ip"] == ip for r in listed)

    with pytest.raises(nw.ConflictError) as info:
        psu.create_reservation(new)
    assert info.value.status == 409

    renamed = psu.update_reservation("02-00-5e-10-00-99", scope_id=scope["id"],
                                     name="renamed.example", description="via python")
    assert renamed["name"] == "renamed.example" and renamed["description"] == "via python"

    psu.delete_reservation("02-00-5e-10-00-99", scope["id"])
    assert len(psu.list_reservations(scope["id"])) == len(before)
    with pytest.raises(nw.NotFoundError) as info:
        psu.delete_reservation("02-00-5e-10-00-99", scope["id"])
    assert info.value.status == 404


def test_malformed_write_input_is_a_validation_error(psu_simulator):
    psu = client(psu_simulator)
    with pytest.raises(nw.ValidationError):
        psu.create_reservation({"scope_id": "10.0.0.0", "ip": "10.0.0.5"})  # no client_id
    with pytest.raises(nw.ValidationError):
        psu.update_reservation("not-a-mac", name="x")
    with pytest.raises(nw.ValidationError):
        psu.update_scope(psu.list_scopes()[0]["id"], state="sleeping")


def test_scope_update_exclusions_options_and_delete(psu_simulator):
    psu = client(psu_simulator)
    scope = psu.list_scopes()[-1]
    sid = scope["id"]
    updated = psu.update_scope(sid, name="py-renamed", description="set from python")
    assert updated["name"] == "py-renamed" and updated["description"] == "set from python"
    assert psu.get_scope(sid)["name"] == "py-renamed"

    base = sid.rsplit(".", 1)[0]
    exclusion = {"scope_id": sid, "range": {"start": f"{base}.100", "end": f"{base}.105"}}
    before = psu.list_exclusions(sid)
    psu.create_exclusion(exclusion)
    assert len(psu.list_exclusions(sid)) == len(before) + 1
    psu.delete_exclusion(exclusion)
    assert len(psu.list_exclusions(sid)) == len(before)

    option = {"code": 15, "data_type": "String", "value": "py.example.test",
              "vendor_class": None, "user_class": None}
    stored = psu.set_scope_option(sid, option)
    assert stored["code"] == 15
    assert any(o["code"] == 15 for o in psu.list_scope_options(sid))
    psu.remove_scope_option(sid, 15)
    assert all(o["code"] != 15 for o in psu.list_scope_options(sid))

    reader = client(psu_simulator, token=psu_simulator["reader_token"])
    with pytest.raises(nw.AuthError):
        reader.delete_scope(sid)
    psu.delete_scope(sid)
    with pytest.raises(nw.NotFoundError):
        psu.get_scope(sid)
