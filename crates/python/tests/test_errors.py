"""The exception hierarchy and how errors map onto it."""

import pytest

import netbox_windhcp as nw

SUBCLASSES = [
    nw.ValidationError,
    nw.ConfigError,
    nw.DecodeError,
    nw.TransportError,
    nw.RequestTimeoutError,
    nw.AuthError,
    nw.NotFoundError,
    nw.ConflictError,
    nw.RateLimitedError,
    nw.RemoteError,
]


@pytest.mark.parametrize("cls", SUBCLASSES)
def test_everything_derives_from_the_base(cls):
    assert issubclass(cls, nw.WindhcpError)
    assert issubclass(cls, Exception)
    assert cls.__module__ == "netbox_windhcp"
    assert cls.__doc__


def test_nested_classes():
    assert issubclass(nw.ConfigError, nw.ValidationError)
    assert issubclass(nw.RequestTimeoutError, nw.TransportError)
    assert not issubclass(nw.DecodeError, nw.ValidationError)


def test_bad_json_is_a_decode_error():
    with pytest.raises(nw.DecodeError, match="snapshot"):
        nw.plan_sync("{not json")
    with pytest.raises(nw.DecodeError):
        nw.Plan.from_json('{"id": "x"}')
    with pytest.raises(nw.DecodeError):
        nw.plan_from_json(b"[]")


def test_wrong_shape_is_a_decode_error(small_snapshot):
    broken = dict(small_snapshot, settings={"sync_ip_addresses": "maybe"})
    with pytest.raises(nw.DecodeError):
        nw.plan_sync(broken)
    with pytest.raises(nw.DecodeError):
        nw.Snapshot.from_dict({"surprise": 1})
    with pytest.raises(nw.DecodeError):
        nw.plan_to_json({"not": "a plan"})


def test_wrong_type_is_a_type_error():
    with pytest.raises(TypeError):
        nw.plan_sync(42)
    with pytest.raises(TypeError):
        nw.Snapshot.from_json({"a": 1})


def test_validation_error_message_names_the_value():
    with pytest.raises(nw.ValidationError) as info:
        nw.normalize_client_id("zz:zz")
    assert "zz:zz" in str(info.value)


def test_catch_all_with_the_base():
    with pytest.raises(nw.WindhcpError):
        nw.parse_lifetime("soon")
