"""Configuration values written as strings (environment variables, dotenv files).

A Starlette or FastAPI ``config=`` is often ``os.environ`` or a dict read from
a ``.env`` file, so every value is a string; Flask's
``app.config.from_prefixed_env()`` turns what parses as JSON into numbers
and lists and leaves the rest strings.  Each setting reads a string by one
rule (ajaxkit.core.config), the framework's own ``DEBUG`` included:

- a switch is ``True``/``False``, ``1``/``0``, or one of the strings
  Starlette's ``Config(cast=bool)`` takes (``"true"``, ``"false"``, ``"1"``,
  ``"0"``, any case); any other value is a ConfigurationError naming the key
  and the value, never its truthiness (``bool("0")`` would turn debug on);
- a whole number is an int or a string of decimal digits;
- seconds are a number or a decimal string such as ``"3600"`` or ``"0.5"``;
- a list is a list or tuple, or a comma-separated string (as Starlette's
  ``CommaSeparatedStrings``).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit import ConfigurationError, Settings
from ajaxkit.core.config import settings_from_config

TRUE_SPELLINGS = ("true", "1")
FALSE_SPELLINGS = ("false", "0")


def _resolve(config: dict[str, Any], declared: Settings | None = None) -> Settings:
    return settings_from_config(declared or Settings(), config)


@pytest.mark.parametrize("value", ["0", "false", "False", "FALSE", "fAlSe", 0, False])
def test_a_false_framework_debug_keeps_tracebacks_off(value: Any) -> None:
    # bool("0") and bool("false") are True: read so, they turned debug on.
    assert _resolve({"DEBUG": value}).debug is False


@pytest.mark.parametrize("value", ["1", "true", "True", "TRUE", 1, True])
def test_a_true_framework_debug_turns_debug_on(value: Any) -> None:
    assert _resolve({"DEBUG": value}).debug is True


@pytest.mark.parametrize("value", ["yes", "no", "off", "", " true", "2", 2, -1, 0.0, [], "none"])
def test_any_other_framework_debug_is_refused_naming_it(value: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        _resolve({"DEBUG": value})
    message = str(info.value)
    assert message.startswith("DEBUG must be")
    assert repr(value) in message


def test_the_framework_debug_is_not_read_when_the_code_decides() -> None:
    # Code beats the framework default: its value is neither read nor checked.
    assert _resolve({"DEBUG": "maybe"}, Settings(debug=True)).debug is True


@pytest.mark.parametrize("name", ["DEBUG", "OPENAPI", "CSRF_ALLOW_SAME_SITE"])
def test_every_switch_takes_the_same_spellings(name: str) -> None:
    field = {"DEBUG": "debug", "OPENAPI": "openapi"}
    for value, expected in [("TRUE", True), ("0", False), ("1", True), (0, False)]:
        resolved = _resolve({f"AJAXKIT_{name}": value})
        got = resolved.csrf.allow_same_site if name not in field else getattr(resolved, field[name])
        assert got is expected
    with pytest.raises(ConfigurationError, match=f"AJAXKIT_{name} must be .*, not 'on'"):
        _resolve({f"AJAXKIT_{name}": "on"})


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("MAX_BODY_SIZE", "max_body_size"),
        ("TRUSTED_PROXIES", "trusted_proxies"),
        ("MAX_JSON_DEPTH", "max_json_depth"),
        ("MAX_PARAMS", "max_params"),
        ("MAX_STRING_LENGTH", "max_string_length"),
    ],
)
def test_a_whole_number_may_be_a_string_of_digits(name: str, field: str) -> None:
    assert getattr(_resolve({f"AJAXKIT_{name}": "1048576"}), field) == 1048576
    assert getattr(_resolve({f"AJAXKIT_{name}": "0"}), field) == 0
    for bad in ["10 MB", "-1", "1e6", "1_000", " 10", "", "\u0661\u0660", "\u00b2"]:
        with pytest.raises(ConfigurationError) as info:
            _resolve({f"AJAXKIT_{name}": bad})
        assert f"AJAXKIT_{name} must be" in str(info.value)
        assert repr(bad) in str(info.value)


def test_a_huge_string_of_digits_is_a_number_not_a_crash() -> None:
    # int() refuses more than 4300 digits with its own message.
    with pytest.raises(ConfigurationError, match="AJAXKIT_MAX_PARAMS must be a whole number"):
        _resolve({"AJAXKIT_MAX_PARAMS": "9" * 5000})


def test_seconds_may_be_a_decimal_string() -> None:
    assert _resolve({"AJAXKIT_IDEMPOTENCY_EXPIRY": "3600"}).idempotency_expiry == 3600.0
    assert _resolve({"AJAXKIT_IDEMPOTENCY_EXPIRY": "0.5"}).idempotency_expiry == 0.5
    for bad in ["0", "nan", "inf", "-5", "1e3", "ten", "", float("inf"), float("nan")]:
        with pytest.raises(ConfigurationError, match="AJAXKIT_IDEMPOTENCY_EXPIRY must be"):
            _resolve({"AJAXKIT_IDEMPOTENCY_EXPIRY": bad})


def test_trusted_origins_may_be_comma_separated() -> None:
    value = "https://a.example, https://b.example,"
    resolved = _resolve({"AJAXKIT_CSRF_TRUSTED_ORIGINS": value})
    assert resolved.csrf.trusted_origins == ("https://a.example", "https://b.example")
    assert _resolve({"AJAXKIT_CSRF_TRUSTED_ORIGINS": ""}).csrf.trusted_origins == ()


def test_a_json_list_in_a_string_is_refused_with_the_spelling_to_use() -> None:
    with pytest.raises(ConfigurationError, match="comma-separated") as info:
        _resolve({"AJAXKIT_CSRF_TRUSTED_ORIGINS": '["https://a.example"]'})
    assert "AJAXKIT_CSRF_TRUSTED_ORIGINS" in str(info.value)


def test_a_bad_origin_in_a_string_is_named() -> None:
    with pytest.raises(ConfigurationError, match=r"'https://b\.example/' has a path"):
        _resolve({"AJAXKIT_CSRF_TRUSTED_ORIGINS": "https://a.example,https://b.example/"})


def test_default_methods_may_be_comma_separated() -> None:
    resolved = _resolve({"AJAXKIT_DEFAULT_METHODS": "get, POST"})
    assert resolved.default_methods == ("GET", "POST")
    # One name is a list of one, not P, O, S, T.
    assert _resolve({"AJAXKIT_DEFAULT_METHODS": "POST"}).default_methods == ("POST",)
    with pytest.raises(ConfigurationError, match="AJAXKIT_DEFAULT_METHODS must be"):
        _resolve({"AJAXKIT_DEFAULT_METHODS": ","})


# --- properties: the strings come from strangers' environments --------------------


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(["DEBUG", "AJAXKIT_DEBUG"]), value=st.text(max_size=8))
def test_no_string_turns_debug_on_unless_it_is_a_true_spelling(key: str, value: str) -> None:
    try:
        resolved = _resolve({key: value})
    except ConfigurationError as exc:
        assert str(exc).startswith(f"{key} must be")
        assert repr(value) in str(exc)
        assert value.lower() not in TRUE_SPELLINGS + FALSE_SPELLINGS
    else:
        assert value.lower() in TRUE_SPELLINGS + FALSE_SPELLINGS
        assert resolved.debug is (value.lower() in TRUE_SPELLINGS)


_SPELLINGS = st.sampled_from(TRUE_SPELLINGS + FALSE_SPELLINGS).flatmap(
    lambda word: st.tuples(*(st.sampled_from((c.lower(), c.upper())) for c in word)).map("".join)
)


@given(key=st.sampled_from(["DEBUG", "AJAXKIT_DEBUG"]), value=_SPELLINGS)
def test_every_case_of_an_accepted_spelling_is_read(key: str, value: str) -> None:
    assert _resolve({key: value}).debug is (value.lower() in TRUE_SPELLINGS)


@given(value=st.one_of(st.integers(), st.floats(), st.none(), st.binary(max_size=4)))
def test_no_other_value_turns_debug_on_by_its_truthiness(value: Any) -> None:
    try:
        resolved = _resolve({"DEBUG": value})
    except ConfigurationError as exc:
        assert "DEBUG must be" in str(exc)
    else:
        assert value is None or value in (0, 1)
        assert resolved.debug is (value == 1)


@given(number=st.integers(min_value=0, max_value=10**30))
def test_any_whole_number_reads_the_same_as_its_digits(number: int) -> None:
    assert _resolve({"AJAXKIT_MAX_BODY_SIZE": str(number)}).max_body_size == number


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=8))
def test_a_string_is_a_whole_number_only_if_it_is_ascii_digits(value: str) -> None:
    try:
        resolved = _resolve({"AJAXKIT_MAX_JSON_DEPTH": value})
    except ConfigurationError as exc:
        assert "AJAXKIT_MAX_JSON_DEPTH must be" in str(exc)
        assert not (value.isascii() and value.isdigit())
    else:
        assert value.isascii() and value.isdigit()
        assert resolved.max_json_depth == int(value)


@given(st.lists(st.text(max_size=20), max_size=4))
def test_comma_separated_origins_read_as_the_list(origins: list[str]) -> None:
    joined = ",".join(origins)
    wanted = tuple(o.strip() for o in joined.split(",") if o.strip())
    try:
        resolved = _resolve({"AJAXKIT_CSRF_TRUSTED_ORIGINS": joined})
    except ConfigurationError as exc:
        assert "AJAXKIT_CSRF_TRUSTED_ORIGINS" in str(exc)
    else:
        assert resolved.csrf.trusted_origins == wanted


@pytest.mark.parametrize("value", ["", b"", 42])
def test_a_bad_framework_secret_key_is_a_configuration_error(value: Any) -> None:
    # It was a bare ValueError from the reading function, naming nothing.
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be a non-empty string"):
        _resolve({"SECRET_KEY": value})
