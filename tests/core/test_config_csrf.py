"""The CSRF policy's configurable parts come from configuration too (ajaxkit.core.config).

``CSRF_TRUSTED_ORIGINS`` and ``CSRF_ALLOW_SAME_SITE`` set the matching
:class:`~ajaxkit.core.csrf.CsrfPolicy` fields by the one rule: configuration
beats code, and the policy's other fields stay the code's.  Origins are
checked at mount time, because a mistyped one (no scheme, a trailing slash)
would otherwise never match and the CORS package, given the same list,
would fail the same way without a word.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ajaxkit import ConfigurationError, Settings
from ajaxkit.core.config import settings_from_config
from ajaxkit.core.csrf import CsrfPolicy

ORIGINS = ["https://app.example.com", "https://*.example.com", "http://localhost:8000"]


def test_trusted_origins_from_either_spelling() -> None:
    for config in (
        {"AJAXKIT_CSRF_TRUSTED_ORIGINS": ORIGINS},
        {"AJAXKIT": {"CSRF_TRUSTED_ORIGINS": tuple(ORIGINS)}},
    ):
        resolved = settings_from_config(Settings(), config)
        assert resolved.csrf.trusted_origins == tuple(ORIGINS)


def test_configuration_beats_code_and_keeps_the_other_policy_fields() -> None:
    declared = Settings(
        csrf=CsrfPolicy(trusted_origins=("https://old.example",), cookie_name="c", token_max_age=9)
    )
    config = {"AJAXKIT_CSRF_TRUSTED_ORIGINS": ORIGINS[:1], "AJAXKIT_CSRF_ALLOW_SAME_SITE": True}
    resolved = settings_from_config(declared, config)
    assert resolved.csrf.trusted_origins == ("https://app.example.com",)
    assert resolved.csrf.allow_same_site is True
    assert (resolved.csrf.cookie_name, resolved.csrf.token_max_age) == ("c", 9)
    # The code's policy object is left as it was (a registry mounted again
    # resolves from it afresh).
    assert declared.csrf.trusted_origins == ("https://old.example",)


def test_unconfigured_keeps_the_code_policy() -> None:
    declared = Settings(csrf=CsrfPolicy(trusted_origins=("https://a.example",)))
    resolved = settings_from_config(declared, {"AJAXKIT_CSRF_TRUSTED_ORIGINS": None})
    assert resolved.csrf == declared.csrf


def test_an_empty_list_trusts_no_other_origin() -> None:
    declared = Settings(csrf=CsrfPolicy(trusted_origins=("https://a.example",)))
    resolved = settings_from_config(declared, {"AJAXKIT_CSRF_TRUSTED_ORIGINS": []})
    assert resolved.csrf.trusted_origins == ()


@pytest.mark.parametrize(
    ("origin", "why"),
    [
        ("app.example.com", "no scheme"),
        ("https://app.example.com/", "a path"),
        ("https://app.example.com/app", "a path"),
        ("https://app.example.com?x=1", "a query"),
        ("https://app.example.com#top", "a fragment"),
        ("https://user@app.example.com", "user info"),
        ("https://", "no host"),
        ("https://app.*.com", "'*'"),
        ("*", "no scheme"),
        ("https://app.example.com:99999", "port"),
        (" https://app.example.com", "spaces"),
        ("https://*.com", "every site under 'com'"),
        ("https://*.COM:443", "every site under 'com'"),
        ("https://*.", "an empty label"),
        ("https://.example.com", "an empty label"),
        ("https://*..example.com", "an empty label"),
        # Browsers leave a scheme's default port out of Origin, and send a
        # host in its ASCII (punycode) form: such entries never matched.
        ("https://app.example.com:443", "write 'https://app.example.com'"),
        ("http://app.example.com:80", "write 'http://app.example.com'"),
        ("https://*.example.com:443", "write 'https://*.example.com'"),
        ("https://app.example.com:", "an empty port"),
        ("https://bücher.example", "write 'https://xn--bcher-kva.example'"),
        ("https://*.bücher.example:8443", "write 'https://*.xn--bcher-kva.example:8443'"),
        # Browsers send an origin in lower case, and a CORS package given
        # the same list compares it as written; "has no scheme" was said of
        # an upper-case one.
        ("HTTPS://app.example.com", "write 'https://app.example.com'"),
        ("https://App.Example.com:8443", "write 'https://app.example.com:8443'"),
    ],
)
def test_a_malformed_origin_names_the_key_and_the_value(origin: str, why: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        settings_from_config(
            Settings(), {"AJAXKIT_CSRF_TRUSTED_ORIGINS": ["https://ok.example", origin]}
        )
    message = str(info.value)
    assert "AJAXKIT_CSRF_TRUSTED_ORIGINS" in message
    assert repr(origin) in message
    assert why in message


@pytest.mark.parametrize(
    "origin",
    [
        "https://*.example.com",
        "http://*.localhost:8000",
        "http://app.example.com:443",
        "https://app.example.com:80",
        "https://xn--bcher-kva.example",
    ],
)
def test_a_wildcard_under_a_domain_or_another_port_is_accepted(origin: str) -> None:
    resolved = settings_from_config(Settings(), {"AJAXKIT_CSRF_TRUSTED_ORIGINS": [origin]})
    assert resolved.csrf.trusted_origins == (origin,)


@pytest.mark.parametrize("value", ['["https://a.example"]', 3, [1], {"https://a.example": 1}])
def test_trusted_origins_must_be_a_list_of_strings(value: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"AJAXKIT\['CSRF_TRUSTED_ORIGINS'\].*list"):
        settings_from_config(Settings(), {"AJAXKIT": {"CSRF_TRUSTED_ORIGINS": value}})


@pytest.mark.parametrize("value", ["yes", 2, "on", " true"])
def test_allow_same_site_must_be_a_bool(value: Any) -> None:
    with pytest.raises(
        ConfigurationError, match="AJAXKIT_CSRF_ALLOW_SAME_SITE must be True or False"
    ):
        settings_from_config(Settings(), {"AJAXKIT_CSRF_ALLOW_SAME_SITE": value})


@given(st.lists(st.text(max_size=30), max_size=3))
def test_any_list_of_strings_is_accepted_or_refused_by_name(origins: list[str]) -> None:
    try:
        resolved = settings_from_config(Settings(), {"AJAXKIT_CSRF_TRUSTED_ORIGINS": origins})
    except ConfigurationError as exc:
        assert "AJAXKIT_CSRF_TRUSTED_ORIGINS" in str(exc)
    else:
        assert resolved.csrf.trusted_origins == tuple(origins)


@pytest.mark.parametrize(
    "origins",
    [("https://app.example.com/",), ("app.example.com",), ("https://u@a.example",), "https://a"],
    ids=["trailing-slash", "no-scheme", "user-info", "bare-string"],
)
def test_origins_given_in_code_are_checked_as_configured_ones_are(origins: Any) -> None:
    # The same near misses as in configuration would never match an Origin
    # either; in code they were accepted without a word.
    with pytest.raises(ConfigurationError, match="trusted_origins"):
        CsrfPolicy(trusted_origins=origins)


def test_well_formed_origins_in_code_are_kept() -> None:
    assert CsrfPolicy(trusted_origins=tuple(ORIGINS)).trusted_origins == tuple(ORIGINS)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        # bool("false") is True: CsrfPolicy(allow_same_site=os.environ[...])
        # trusted every sibling subdomain when the variable said "false".
        ("allow_same_site", "false", False),
        ("allow_same_site", "1", True),
        ("cookie_secure", "0", False),
        # A string was its characters: the token was looked for in "X".
        ("header_names", "X-My-Token", ("X-My-Token",)),
        ("header_names", "X-A, X-B", ("X-A", "X-B")),
        ("header_names", ["X-A"], ("X-A",)),
        # A string made every GET <mount>/_csrf a 500.
        ("token_max_age", "3600", 3600),
    ],
)
def test_policy_fields_in_code_are_read_as_configuration_reads_them(
    field: str, value: Any, expected: Any
) -> None:
    assert getattr(CsrfPolicy(**{field: value}), field) == expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("allow_same_site", "no", "True or False"),
        ("cookie_secure", 2, "True or False"),
        ("header_names", ("X Bad",), "header names"),
        ("header_names", 3, "header names"),
        ("header_names", [1], "header names"),
        # Every token expired as it was issued: every token request a 403.
        ("token_max_age", 0, "a whole number of seconds, 1 or more"),
        ("token_max_age", -1, "a whole number of seconds, 1 or more"),
        ("token_max_age", "1h", "a whole number of seconds, 1 or more"),
        ("cookie_name", "", "a cookie name"),
        ("cookie_name", "a b", "a cookie name"),
    ],
)
def test_a_bad_policy_field_in_code_names_the_field_and_the_value(
    field: str, value: Any, expected: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        CsrfPolicy(**{field: value})
    message = str(raised.value)
    assert message.startswith(f"CsrfPolicy({field}={value!r}): must be ")
    assert expected in message


@pytest.mark.parametrize("name", ["__Host-csrf", "__Secure-csrf", "__host-csrf"])
def test_a_prefixed_token_cookie_without_cookie_secure_is_refused_in_code(name: str) -> None:
    # Browsers drop such a cookie: every GET <mount>/_csrf was a 500 (the
    # cookie refused where it was made), and the policy named no fix.
    with pytest.raises(ConfigurationError, match=rf"cookie_name={name!r}.*cookie_secure=True"):
        CsrfPolicy(cookie_name=name)
    assert CsrfPolicy(cookie_name=name, cookie_secure=True).cookie_name == name
