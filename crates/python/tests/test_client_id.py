"""Client ids: every MAC spelling normalises to the Windows form."""

import pytest

import netbox_windhcp as nw

SPELLINGS = [
    "aa-bb-cc-dd-ee-ff",
    "AA-BB-CC-DD-EE-FF",
    "aa:bb:cc:dd:ee:ff",
    "AA:BB:CC:DD:EE:FF",
    "aabb.ccdd.eeff",
    "AABB.CCDD.EEFF",
    "aabbccddeeff",
    "0xAABBCCDDEEFF",
    "aa bb cc dd ee ff",
    "  aa-bb-cc-dd-ee-ff  ",
]


@pytest.mark.parametrize("text", SPELLINGS)
def test_spellings_normalise(text):
    assert nw.normalize_client_id(text) == "aa-bb-cc-dd-ee-ff"


def test_single_digit_groups_are_padded():
    assert nw.normalize_client_id("a:b:c:d:e:f") == "0a-0b-0c-0d-0e-0f"


@pytest.mark.parametrize(
    "text",
    ["", "zz-bb-cc-dd-ee-ff", "aa-bb:cc-dd-ee-ff", "aabbccddeef", "aab.bcc.dde", "aaa-bb-cc"],
)
def test_rejects(text):
    with pytest.raises(nw.ValidationError):
        nw.normalize_client_id(text)


def test_client_id_class():
    a = nw.ClientId("AABB.CCDD.EEFF")
    b = nw.ClientId("aa:bb:cc:dd:ee:ff")
    typed = nw.ClientId("01-aa-bb-cc-dd-ee-ff")
    assert a == b and hash(a) == hash(b)
    assert str(a) == "aa-bb-cc-dd-ee-ff"
    assert repr(a) == "ClientId('aa-bb-cc-dd-ee-ff')"
    assert a.bytes == bytes.fromhex("aabbccddeeff")
    assert a.is_mac and not typed.is_mac
    assert len(typed) == 7
    assert typed != a
    assert typed.same_hardware(a) and a.same_hardware(typed)
    assert typed.mac == "aa-bb-cc-dd-ee-ff"
    assert nw.ClientId("02-aa-bb-cc-dd-ee-ff").mac is None
    assert nw.ClientId.from_bytes(b"\x00\x11\x22\x33\x44\x55") == nw.ClientId("00:11:22:33:44:55")
    assert len({a, b, typed}) == 2
    assert sorted([a, typed])[0] == typed  # ordering is by bytes: 01-… sorts before aa-…
    with pytest.raises(nw.ValidationError):
        nw.ClientId.from_bytes(b"")
