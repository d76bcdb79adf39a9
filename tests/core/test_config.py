"""The core's one configuration rule, without a framework (ajaxkit.core.config)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit import Ajax, ConfigurationError, Settings
from ajaxkit.core.config import CONFIG_SETTINGS, read_ajaxkit_config, settings_from_config
from ajaxkit.core.csrf import CsrfPolicy


def test_both_spellings_give_the_same_settings() -> None:
    flat = {"AJAXKIT_MAX_BODY_SIZE": 5, "AJAXKIT_DEFAULT_METHODS": ["get", "post"]}
    nested = {"AJAXKIT": {"MAX_BODY_SIZE": 5, "DEFAULT_METHODS": ("GET", "POST")}}
    for config in (flat, nested):
        resolved = settings_from_config(Settings(), config)
        assert (resolved.max_body_size, resolved.default_methods) == (5, ("GET", "POST"))


def test_one_setting_spelled_twice_is_an_error() -> None:
    config = {"AJAXKIT": {"DEBUG": True}, "AJAXKIT_DEBUG": True}
    with pytest.raises(ConfigurationError, match="AJAXKIT_DEBUG and AJAXKIT\\['DEBUG'\\]"):
        settings_from_config(Settings(), config)


def test_a_code_only_setting_says_to_pass_it_in_code() -> None:
    with pytest.raises(ConfigurationError, match=r"pass it in code, Ajax\(encoder=...\)"):
        settings_from_config(Settings(), {"AJAXKIT_ENCODER": object()})


def test_a_code_only_part_names_its_configurable_keys() -> None:
    # The whole policy is an object, but its deployment-specific parts have keys.
    with pytest.raises(
        ConfigurationError,
        match=r"Ajax\(csrf=...\); its parts .*: CSRF_ALLOW_SAME_SITE, CSRF_TRUSTED_ORIGINS\.",
    ):
        settings_from_config(Settings(), {"AJAXKIT": {"CSRF": {"TRUSTED_ORIGINS": []}}})


def test_unknown_setting_lists_the_known_ones() -> None:
    known = "Known settings: CSRF_ALLOW_SAME_SITE, CSRF_TRUSTED_ORIGINS, DEBUG, DEFAULT_METHODS"
    with pytest.raises(ConfigurationError, match=known):
        settings_from_config(Settings(), {"AJAXKIT": {"NOPE": 1}})


@pytest.mark.parametrize(
    ("config", "where", "write"),
    [
        ({"AJAXKIT": {"debug": True}}, "AJAXKIT['debug']", "DEBUG"),
        ({"AJAXKIT": {"Max_Body_Size": 5}}, "AJAXKIT['Max_Body_Size']", "MAX_BODY_SIZE"),
        ({"AJAXKIT_max_body_size": 5}, "AJAXKIT_max_body_size", "AJAXKIT_MAX_BODY_SIZE"),
        (
            {"AJAXKIT": {"csrf_trusted_origins": []}},
            "AJAXKIT['csrf_trusted_origins']",
            "CSRF_TRUSTED_ORIGINS",
        ),
    ],
)
def test_a_setting_in_lower_case_is_told_to_be_upper_case(
    config: dict[str, Any], where: str, write: str
) -> None:
    # It was told that debug "cannot come from configuration; pass it in
    # code", which it can, or that CSRF_TRUSTED_ORIGINS is no setting.
    with pytest.raises(ConfigurationError) as raised:
        settings_from_config(Settings(), config)
    message = str(raised.value)
    assert message.startswith(f"{where} is not read: configuration names are upper case")
    assert f"write {write!r}" in message
    assert "cannot come from configuration" not in message


@pytest.mark.parametrize(
    "value",
    # An unknown method, or a socket for every endpoint, was a RegistrationError
    # naming whichever endpoint came first, not the setting.
    ["GET;POST", ",", [], ["GET", 1], ["GE T"], 3, ["GET", "FETCH"], "WEBSOCKET"],
)
def test_default_methods_must_be_a_list_of_names(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="AJAXKIT_DEFAULT_METHODS must be"):
        settings_from_config(Settings(), {"AJAXKIT_DEFAULT_METHODS": value})


def test_ajaxkit_must_be_a_dict() -> None:
    with pytest.raises(ConfigurationError, match="AJAXKIT must be a dict"):
        settings_from_config(Settings(), {"AJAXKIT": "DEBUG"})


def test_other_names_are_not_ajaxkits_business() -> None:
    config = {"SECRET_KEY": "x", "AJAXKITCHEN": 1, "DATABASES": {}}
    assert read_ajaxkit_config(config) == {}


def test_mounting_again_starts_from_the_code_not_the_last_mount() -> None:
    api = Ajax(max_body_size=50)
    api.apply_config({"AJAXKIT_MAX_BODY_SIZE": 10, "AJAXKIT_DEBUG": True})
    assert (api.settings.max_body_size, api.settings.debug) == (10, True)
    api.apply_config({})
    assert (api.settings.max_body_size, api.settings.debug) == (50, False)


def test_configure_changes_what_the_code_declared() -> None:
    api = Ajax()
    api.configure(debug=True)
    api.apply_config({"DEBUG": False})
    assert api.settings.debug is True


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from([*CONFIG_SETTINGS, "OTHER"]), value=_VALUES)
def test_any_value_is_accepted_or_a_configuration_error(name: str, value: Any) -> None:
    try:
        resolved = settings_from_config(Settings(), {f"AJAXKIT_{name}": value})
    except ConfigurationError as exc:
        assert f"AJAXKIT_{name}" in str(exc)
    else:
        assert isinstance(resolved, Settings)


def test_none_is_not_configured() -> None:
    resolved = settings_from_config(Settings(max_body_size=7), {"AJAXKIT_MAX_BODY_SIZE": None})
    assert resolved.max_body_size == 7


def test_a_frameworks_own_settings_may_share_ajaxkit_names() -> None:
    # Django has LOGIN_URL and CSRF_TRUSTED_ORIGINS of its own: in a framework's
    # configuration a bare name is the framework's, never a mistake of ours.
    django_like = {"LOGIN_URL": "/accounts/login/", "CSRF_TRUSTED_ORIGINS": ["https://a.b"]}
    declared = Settings()
    assert settings_from_config(declared, django_like) is declared


def test_in_a_mapping_for_ajaxkit_alone_a_bare_setting_name_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match=r"config\['LOGIN_URL'\].*AJAXKIT_LOGIN_URL"):
        settings_from_config(Settings(), {"LOGIN_URL": "/in/"}, dedicated=True)
    api = Ajax()
    with pytest.raises(ConfigurationError, match=r"config\['OPENAPI'\].*AJAXKIT_OPENAPI"):
        api.apply_config({"OPENAPI": False}, dedicated=True)


def test_configure_after_the_mount_leaves_the_configured_values() -> None:
    # api.configure() after the mount replaced the resolved settings, so an
    # Ajax.configure(debug=True) beat AJAXKIT_DEBUG = False until the next
    # mount: code beat configuration, against the precedence rule.
    api = Ajax()
    api.apply_config(
        {
            "AJAXKIT_DEBUG": False,
            "AJAXKIT_MAX_BODY_SIZE": 10,
            "AJAXKIT_CSRF_TRUSTED_ORIGINS": "https://a.example",
        }
    )
    api.configure(
        debug=True, max_body_size=99, logger_name="mine", csrf=CsrfPolicy(cookie_secure=True)
    )
    settings = api.settings
    assert (settings.debug, settings.max_body_size, settings.logger_name) == (False, 10, "mine")
    assert settings.csrf.trusted_origins == ("https://a.example",)
    assert settings.csrf.cookie_secure is True
    api.apply_config({})  # a configuration naming none of them: the code's
    assert (api.settings.debug, api.settings.max_body_size) == (True, 99)
    assert api.settings.csrf.trusted_origins == ()


def test_configure_after_the_mount_meets_the_frameworks_default_as_code_does() -> None:
    api = Ajax()
    api.apply_config({"DEBUG": False})
    api.configure(debug=True)  # code beats the framework's own default
    assert api.settings.debug is True
    api.apply_config({"DEBUG": True})
    api.configure(debug=False)  # ajaxkit's default, as Ajax(debug=False): DEBUG decides
    assert api.settings.debug is True
