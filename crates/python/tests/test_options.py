"""The option catalog and typed option values."""

import pytest

import netbox_windhcp as nw


def test_catalog_shape():
    catalog = nw.option_catalog()
    codes = [d["code"] for d in catalog]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    by_code = {d["code"]: d for d in catalog}
    assert by_code[6]["name"] == "DNS Servers"
    assert by_code[6]["data_type"] == "IPv4Address[]"
    assert by_code[6]["windows_type"] == "IPv4Address"
    assert by_code[6]["multi_valued"] is True
    assert by_code[15]["data_type"] == "String"
    assert by_code[51]["data_type"] == "DWord"
    assert 53 not in by_code  # managed by Windows itself
    assert set(catalog[0]) == {"code", "name", "data_type", "windows_type", "multi_valued", "description"}


def unknown_code() -> int:
    """A site-specific code (224-254) that Windows does not predefine."""
    known = {d["code"] for d in nw.option_catalog()}
    return next(c for c in range(224, 255) if c not in known)


def test_definition_lookup():
    assert nw.option_definition(3)["name"] == "Router"
    assert nw.option_definition(unknown_code()) is None


def test_ip_list():
    v = nw.parse_option_value(6, " 10.0.0.53 ,10.0.0.54")
    assert v["value"] == ["10.0.0.53", "10.0.0.54"]
    assert v["values"] == ["10.0.0.53", "10.0.0.54"]
    assert v["text"] == "10.0.0.53, 10.0.0.54"
    assert v["data_type"] == "IPv4Address[]"
    assert v["name"] == "DNS Servers"
    assert v["vendor_class"] is None


def test_single_ip_widened_to_list():
    assert nw.parse_option_value(6, "10.0.0.53")["value"] == ["10.0.0.53"]


def test_custom_multi_valued_types():
    code = unknown_code()
    assert nw.parse_option_value(code, "1, 2", data_type="DWord[]")["value"] == [1, 2]
    assert nw.parse_option_value(code, "7", data_type="Byte[]")["value"] == [7]
    v = nw.parse_option_value(code, "a.example, b.example", data_type="String[]")
    assert v["value"] == ["a.example", "b.example"]
    assert v["data_type"] == "String[]"
    with pytest.raises(nw.ValidationError):
        nw.parse_option_value(code, "1, 300", data_type="Byte[]")


def test_numbers_strings_binary():
    assert nw.parse_option_value(2, "0x10")["value"] == 16
    assert nw.parse_option_value(15, "corp.example.com")["value"] == "corp.example.com"
    assert nw.parse_option_value(46, "8")["value"] == 8
    b = nw.parse_option_value(43, "01:02:ff")
    assert b["value"] == b"\x01\x02\xff"
    assert b["text"] == "0102ff"


def test_unknown_code_needs_a_type():
    code = unknown_code()
    with pytest.raises(nw.ValidationError, match="data_type"):
        nw.parse_option_value(code, "http://wpad/wpad.dat")
    v = nw.parse_option_value(code, "http://wpad/wpad.dat", data_type="String")
    assert v["name"] is None and v["value"] == "http://wpad/wpad.dat"


def test_vendor_class_reuses_codes():
    v = nw.parse_option_value(1, "abc", data_type="String", vendor_class="Microsoft Options")
    assert v["vendor_class"] == "Microsoft Options"
    assert v["value"] == "abc"


@pytest.mark.parametrize(
    ("code", "text", "data_type"),
    [
        (6, "10.0.0.300", None),  # not an address
        (46, "256", None),  # Byte overflow
        (2, "-1", None),
        (6, "corp.example.com", None),
        (15, "x", "DWord"),  # type does not fit the catalog
        (230, "x", "NoSuchType"),
    ],
)
def test_rejects(code, text, data_type):
    with pytest.raises(nw.ValidationError):
        nw.parse_option_value(code, text, data_type=data_type)
