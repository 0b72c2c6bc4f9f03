"""The installed package: public names, stubs and typing marker."""

from pathlib import Path

import netbox_windhcp as nw


def test_all_names_exist_and_are_documented():
    for name in nw.__all__:
        obj = getattr(nw, name)
        if callable(obj):
            assert obj.__doc__, f"{name} has no docstring"


def test_stubs_and_marker_are_installed():
    pkg = Path(nw.__file__).parent
    assert (pkg / "py.typed").is_file()
    stub = (pkg / "_native.pyi").read_text(encoding="utf-8")
    for name in nw.__all__:
        assert name in stub, f"{name} missing from _native.pyi"


def test_version():
    assert nw.__version__.count(".") == 2


def test_every_public_method_is_documented_and_stubbed():
    stub = (Path(nw.__file__).parent / "_native.pyi").read_text(encoding="utf-8")
    for cls in (nw.PsuClient, nw.NetBoxClient, nw.Snapshot, nw.Plan, nw.ClientId):
        for name in dir(cls):
            if name.startswith("_"):
                continue
            member = getattr(cls, name)
            assert member.__doc__, f"{cls.__name__}.{name} has no docstring"
            assert f"def {name}(" in stub, f"{cls.__name__}.{name} missing from _native.pyi"


def test_http_error_attributes_have_defaults():
    err = nw.ValidationError("plain")
    assert err.status is None and err.request_id is None and err.field_errors == {}
