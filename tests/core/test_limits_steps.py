"""The rate-limit and idempotency steps' registration, configuration and key rules."""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.config import settings_from_config
from ajaxkit.core.idempotency import IdempotencyKeyInvalid, parse_key
from ajaxkit.core.identity import address_bucket, client_address, user_id
from ajaxkit.core.ratelimit import resolve_storage
from ajaxkit.core.settings import Settings
from ajaxkit.exceptions import ConfigurationError, RegistrationError
from ajaxkit.types import Headers, MultiDict


def _register(**options: Any) -> None:
    api = Ajax()

    @api.endpoint("thing", methods=["POST"], **options)
    def thing(request: AjaxRequest) -> None:
        return None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate": "often"}, "cannot read the rate 'often'"),
        ({"rate": 10}, "rate must be a string"),
        ({"rate": []}, "rate must be a string"),
        ({"rate": ["1/second", "1/second"]}, "given twice"),
        # limits reads it, but it would refuse every request.
        ({"rate": "0/second"}, "cannot read the rate '0/second'.*at least 1"),
        ({"rate": "1/second", "rate_key": "session"}, "rate_key must be"),
        ({"rate_key": "ip"}, "rate_key needs a rate"),
        ({"idempotency": "always"}, "idempotency must be"),
    ],
)
def test_bad_options_name_the_endpoint(options: dict[str, Any], message: str) -> None:
    with pytest.raises(RegistrationError, match=message) as raised:
        _register(**options)
    assert "thing" in str(raised.value)


def _request(peer: str | None, forwarded: str | None = None) -> AjaxRequest:
    headers = Headers([("X-Forwarded-For", forwarded)] if forwarded else [])
    return AjaxRequest(
        method="GET", path="/", route="", headers=headers, query=MultiDict(), client=peer
    )


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.1"),
        (1, None, "10.0.0.1"),
        (1, "1.1.1.1", "1.1.1.1"),
        (1, "6.6.6.6, 1.1.1.1", "1.1.1.1"),
        (2, "6.6.6.6, 1.1.1.1, 10.0.0.2", "1.1.1.1"),
        (2, "1.1.1.1", "10.0.0.1"),  # fewer hops than proxies: not via them
    ],
)
def test_client_address_believes_only_trusted_hops(
    trusted: int, forwarded: str | None, expected: str
) -> None:
    assert client_address(_request("10.0.0.1", forwarded), trusted) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=6), st.integers(0, 4))
def test_a_forged_prefix_never_chooses_the_address(forged: list[str], trusted: int) -> None:
    real = [f"10.0.0.{n}" for n in range(trusted)]
    header = ", ".join([*forged, *real])
    address = client_address(_request("192.0.2.1", header or None), trusted)
    assert address == (real[0] if trusted else "192.0.2.1")


def _every_hop_address(forwarded: str | None, trusted: int, peer: str) -> str:
    """The rule written plainly: every non-empty hop, trusted ones counted from the right."""
    hops = [h.strip() for h in (forwarded or "").split(",") if h.strip()]
    return hops[-trusted] if trusted > 0 and len(hops) >= trusted else peer


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text(alphabet=" ,.1a", max_size=12)), st.integers(0, 3))
def test_the_one_hop_shortcut_answers_as_the_rule(forwarded: str | None, trusted: int) -> None:
    expected = _every_hop_address(forwarded, trusted, "192.0.2.1")
    assert client_address(_request("192.0.2.1", forwarded), trusted) == expected


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7:50000", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("[2001:DB8:1:2::6]:443", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("unknown", "unknown"),
        ("[not an address]:1", "[not an address]:1"),
    ],
)
def test_address_buckets(address: str, bucket: str) -> None:
    assert address_bucket(address) == bucket


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses(v=6), st.integers(0, 2**64 - 1), st.integers(1, 65535))
def test_an_ipv6_client_is_one_bucket_for_its_whole_64(
    address: ipaddress.IPv6Address, host: int, port: int
) -> None:
    sibling = ipaddress.IPv6Address((int(address) >> 64 << 64) | host)
    assume(address.ipv4_mapped is None)
    assert address_bucket(f"[{sibling}]:{port}") == address_bucket(str(address))
    neighbour = ipaddress.IPv6Address(int(address) ^ (1 << 64))
    if neighbour.ipv4_mapped is None:
        assert address_bucket(str(neighbour)) != address_bucket(str(address))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_forwarded_hop_has_a_bucket(hop: str) -> None:
    assert isinstance(address_bucket(hop), str)


def test_users_are_named_by_their_id() -> None:
    assert user_id(None) is None
    assert user_id(SimpleNamespace(is_authenticated=False, pk=1)) is None
    assert user_id(SimpleNamespace(pk=7)) == "SimpleNamespace:7"
    assert user_id("sub-42") == "str:sub-42"


@pytest.mark.parametrize(("raw", "key"), [('"abc"', "abc"), ("abc", "abc"), (' "a-1" ', "a-1")])
def test_keys_are_sf_strings_read_leniently(raw: str, key: str) -> None:
    assert parse_key(raw) == key


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_header_value_is_a_key_or_a_400(raw: str) -> None:
    try:
        key = parse_key(raw)
    except IdempotencyKeyInvalid as exc:
        assert exc.status == 400
    else:
        assert 0 < len(key) <= 255
        assert key.isascii()


def test_limits_settings_come_from_configuration() -> None:
    resolved = settings_from_config(
        Settings(),
        {"AJAXKIT_RATE_LIMIT_STORAGE": "memory://", "AJAXKIT": {"TRUSTED_PROXIES": 2}},
    )
    assert (resolved.rate_limit_storage, resolved.trusted_proxies) == ("memory://", 2)
    for bad in ({"AJAXKIT_TRUSTED_PROXIES": -1}, {"AJAXKIT_RATE_LIMIT_STORAGE": "redis"}):
        with pytest.raises(ConfigurationError):
            settings_from_config(Settings(), bad)


def test_async_storages_are_refused_clearly() -> None:
    with pytest.raises(ConfigurationError, match="async"):
        resolve_storage("async+memory://")


def test_registries_do_not_share_counters_by_default() -> None:
    assert Settings().rate_limit_storage is not Settings().rate_limit_storage
    assert resolve_storage("memory://") is resolve_storage("memory://")
