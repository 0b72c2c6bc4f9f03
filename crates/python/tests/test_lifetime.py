"""Lease lifetimes: the same examples as the Rust model tests."""

import pytest

import netbox_windhcp as nw

DISPLAY = [
    (86400, "1 Day"),
    (259200, "3 Days"),
    (262800, "73 Hours"),
    (3600, "1 Hour"),
    (60, "1 Minute"),
    (45, "45 Seconds"),
    (7200, "2 Hours"),
    (0, "0 Seconds"),
]


@pytest.mark.parametrize(("seconds", "text"), DISPLAY)
def test_format(seconds, text):
    assert nw.format_lifetime(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), DISPLAY)
def test_parse_inverts_format(seconds, text):
    assert nw.parse_lifetime(text) == seconds
    assert nw.parse_lifetime(text.upper()) == seconds


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (86400, (1, "days")),
        (259200, (3, "days")),
        (262800, (73, "hours")),
        (3600, (1, "hours")),
        (60, (1, "minutes")),
        (45, (45, "seconds")),
        (0, (0, "seconds")),
    ],
)
def test_decompose(seconds, expected):
    assert nw.decompose_lifetime(seconds) == expected


def test_unlimited_is_none():
    assert nw.format_lifetime(None) == "Unlimited"
    assert nw.format_lifetime(nw.UNLIMITED_LEASE_SECONDS) == "Unlimited"
    assert nw.format_lifetime(2**70) == "Unlimited"
    assert nw.decompose_lifetime(None) is None
    assert nw.parse_lifetime("Unlimited") is None
    assert nw.parse_lifetime(" infinite ") is None
    assert nw.format_lifetime(nw.UNLIMITED_LEASE_SECONDS - 1) != "Unlimited"


def test_short_forms_and_bare_seconds():
    assert nw.parse_lifetime("8h") == 8 * 3600
    assert nw.parse_lifetime("30 min") == 1800
    assert nw.parse_lifetime("3600") == 3600
    assert nw.lifetime_seconds(3, "days") == 259200
    assert nw.lifetime_seconds(73, "Hours") == 262800
    assert nw.lifetime_seconds(1, "d") == 86400


@pytest.mark.parametrize("text", ["", "days", "3 fortnights", "-1", "1.5 days"])
def test_parse_rejects_garbage(text):
    with pytest.raises(nw.ValidationError):
        nw.parse_lifetime(text)


def test_bad_arguments():
    with pytest.raises(nw.ValidationError, match="negative"):
        nw.format_lifetime(-1)
    with pytest.raises(TypeError):
        nw.format_lifetime("86400")
    with pytest.raises(TypeError):
        nw.format_lifetime(True)
    with pytest.raises(nw.ValidationError):
        nw.lifetime_seconds(50_000, "days")  # beyond a finite DHCP lease
    with pytest.raises(nw.ValidationError):
        nw.lifetime_seconds(1, "weeks")
