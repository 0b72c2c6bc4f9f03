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
