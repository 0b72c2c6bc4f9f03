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
