"""Settings given in code are read by the rule configuration is read by.

``Ajax(max_body_size="1MB")``, ``Ajax(rate_limit_storage="bogus://")`` or
``Ajax(debug=os.environ["DEBUG"])`` used to be taken as they were: the
registry was built and mounted, and then every POST (or every call to a
rate-limited endpoint) was a 500 whose log spoke of comparing an int with a
str, or of an unknown storage scheme.  The same value in a framework's
configuration was a ConfigurationError naming it at mount time.  Now a value
given in code is read by the same rule for its kind, when the settings are
built, and a bad one is a ConfigurationError naming the field and the value.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ajaxkit import Ajax, ConfigurationError, Settings
from ajaxkit.core.steps import DEFAULT_STEPS, CsrfStep
from ajaxkit.testing import Client


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("debug", "yes", "True or False"),
        ("debug", 2, "True or False"),
        ("max_body_size", "1MB", "a whole number of bytes, 0 or more"),
        ("max_body_size", -1, "a whole number of bytes, 0 or more"),
        ("max_params", 1.5, "a whole number, 0 or more"),
        ("trusted_proxies", -1, "a whole number, 0 or more"),
        ("idempotency_expiry", 0, "a number of seconds above 0"),
        ("default_methods", "", "a non-empty list of method names"),
        ("logger_name", 3, "a non-empty string"),
        ("login_url", "", "a non-empty string"),
        ("secret_key", 123, "a non-empty string or bytes"),
        ("openapi", "no", "True or False"),
        ("rate_limit_storage", "bogus://", "a storage URI"),
        ("rate_limit_storage", "memory", "a storage URI"),
    ],
)
def test_a_bad_value_in_code_names_the_field_and_the_value(
    field: str, value: Any, expected: str
) -> None:
    named = re.escape(f"Settings({field}={value!r}): must be {expected}")
    with pytest.raises(ConfigurationError, match=named):
        Ajax(**{field: value})
    with pytest.raises(ConfigurationError, match=named):
        Settings(**{field: value})


def test_an_async_storage_is_refused_when_the_settings_are_built() -> None:
    # It was refused too, but on the first limited request, as a 500.
    with pytest.raises(ConfigurationError, match=r"async storage.*redis:// instead"):
        Ajax(rate_limit_storage="async+redis://127.0.0.1:6379/0")


def test_an_unknown_storage_scheme_in_configuration_is_refused_at_mount() -> None:
    api = Ajax()
    with pytest.raises(ConfigurationError, match=r"AJAXKIT_RATE_LIMIT_STORAGE.*'bogus://x'"):
        api.apply_config({"AJAXKIT_RATE_LIMIT_STORAGE": "bogus://x"})


@pytest.mark.parametrize(
    ("field", "value", "read"),
    [
        ("debug", "0", False),
        ("debug", "true", True),
        ("max_body_size", "2048", 2048),
        ("idempotency_expiry", "0.5", 0.5),
        ("default_methods", "get, post", ("GET", "POST")),
        ("default_methods", ["GET", "POST"], ("GET", "POST")),
    ],
)
def test_a_value_in_code_is_read_as_configuration_reads_it(
    field: str, value: Any, read: Any
) -> None:
    # One rule per kind: Ajax(debug=os.environ["DEBUG"]) with "0" is off,
    # never a string's truthiness.
    assert getattr(Ajax(**{field: value}).settings, field) == read


def test_default_methods_given_as_a_string_in_code_serve_those_methods() -> None:
    api = Ajax(default_methods="GET,POST")

    @api.endpoint
    def ping() -> dict[str, bool]:
        return {"pong": True}

    assert Client(api).get("/ajax/ping").json() == {"pong": True}


def test_objects_and_absent_values_are_left_as_they_are() -> None:
    settings = Settings(secret_key=None, login_url=None)
    assert settings.secret_key is None and settings.login_url is None
    storage = Settings().rate_limit_storage
    assert Settings(rate_limit_storage=storage).rate_limit_storage is storage


@pytest.mark.parametrize(
    ("loader", "problem"),
    [
        (
            "myapp.users.load",
            r"user_loader must be a callable user_loader\(request\), not 'myapp\.users\.load'",
        ),
        (lambda: None, r"user_loader is called as user_loader\(request\), but .*<lambda>"),
    ],
)
def test_a_user_loader_that_cannot_be_called_with_the_request_is_refused(
    loader: Any, problem: str
) -> None:
    # It was taken, and every call that needed the user was a 500.
    with pytest.raises(ConfigurationError, match=rf"Settings\(user_loader=.*\): {problem}"):
        Ajax(user_loader=loader)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Ajax(debgu=True),
        lambda: Ajax().configure(max_body=10),
        lambda: Ajax(Settings(debgu=True)),  # type: ignore[call-arg]
    ],
)
def test_an_unknown_setting_name_is_refused_naming_it_and_the_known_ones(build: Any) -> None:
    # A misspelt name was a dataclass TypeError about Settings.__init__.
    with pytest.raises(ConfigurationError, match=r"no setting called '(debgu|max_body)'") as info:
        build()
    assert "max_body_size" in str(info.value)
    assert "debug" in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "advice"),
    [
        # rate_limit_storage takes a URI, so a URI is the natural slip here:
        # every request with a key was a 503 "store is unreachable".
        ("idempotency_store", "redis://localhost:6379/0", "RedisIdempotencyStore.from_url("),
        # Every token or cross-site POST was a 500 (an AttributeError).
        ("csrf", {"trusted_origins": ["https://a.example"]}, "CsrfPolicy(trusted_origins="),
        ("csrf", None, "CsrfPolicy("),
        ("clock", 0, "time() and monotonic()"),
        ("encoder", None, "JSONEncoder"),
        ("profile", None, "ProblemProfile()"),
    ],
    ids=["store-uri", "csrf-dict", "csrf-none", "clock", "encoder", "profile"],
)
def test_an_object_of_the_wrong_kind_is_refused_naming_the_field(
    field: str, value: Any, advice: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Ajax(**{field: value})
    message = str(raised.value)
    assert message.startswith(f"Settings({field}={value!r}): must be ")
    assert advice in message


def test_objects_of_the_right_kind_are_kept() -> None:
    from ajaxkit.core.clock import ManualClock
    from ajaxkit.core.csrf import CsrfPolicy
    from ajaxkit.core.idempotency import MemoryIdempotencyStore

    clock, store, policy = ManualClock(0), MemoryIdempotencyStore(), CsrfPolicy()
    settings = Settings(clock=clock, idempotency_store=store, csrf=policy)
    assert (settings.clock, settings.idempotency_store, settings.csrf) == (clock, store, policy)


@pytest.mark.parametrize(
    "field",
    [
        "max_body_size",
        "max_params",
        "max_json_depth",
        "max_string_length",
        "trusted_proxies",
        "idempotency_expiry",
        "default_methods",
        "logger_name",
        "debug",
        "openapi",
    ],
)
def test_none_in_code_is_not_given_as_in_configuration(field: str) -> None:
    # Ajax(max_body_size=config.get("MAX_BODY")): None was kept, and every
    # POST was a 500 comparing an int with None (logger_name=None logged on
    # the root logger, openapi=None turned the document off).
    given: dict[str, Any] = {field: None}
    assert getattr(Settings(**given), field) == getattr(Settings(), field)


def test_none_for_the_rate_limit_storage_is_the_default_one() -> None:
    # Every rate-limited request was a 503 "the rate-limit store is unreachable".
    api = Ajax(rate_limit_storage=None, max_body_size=None)
    api.endpoint("limited", methods=["POST"], rate="1/minute")(lambda: {"ok": True})
    client = Client(api)
    assert [client.post("/ajax/limited", json={}).status for _ in range(2)] == [200, 429]


class _AsyncLoader:
    async def __call__(self, request: Any) -> None:
        return None


async def _async_load(request: Any) -> None:
    return None  # nobody signed in


@pytest.mark.parametrize("loader", [_async_load, _AsyncLoader()], ids=["function", "callable"])
def test_an_async_user_loader_is_refused(loader: Any) -> None:
    # It was called and never awaited: the user was a coroutine object,
    # which counts as signed in, so login_required let every anonymous
    # request through.
    with pytest.raises(ConfigurationError, match=r"Settings\(user_loader=.*\): .*async"):
        Ajax(user_loader=loader)


@pytest.mark.parametrize(
    ("name", "part"),
    [("csrf_trusted_origins", "trusted_origins"), ("csrf_allow_same_site", "allow_same_site")],
)
def test_a_csrf_part_given_flat_names_the_policy_to_put_it_in(name: str, part: str) -> None:
    # Written as the AJAXKIT_CSRF_TRUSTED_ORIGINS setting reads, it was
    # answered "did you mean 'trusted_proxies'?", another security setting.
    given: dict[str, Any] = {name: ["https://shop.example"]}
    with pytest.raises(ConfigurationError, match=rf"{name}.*csrf=CsrfPolicy\({part}=") as refused:
        Ajax(**given)
    assert "trusted_proxies" not in str(refused.value)


@pytest.mark.parametrize("build", [Ajax, Settings, lambda steps: Ajax().configure(steps=steps)])
def test_steps_without_csrf_say_csrf_cannot_be_turned_off(build: Any) -> None:
    # Such a list once failed on the registry's own browser client route:
    # "Endpoint 'client:ajaxkit.js (ajaxkit.js)': unknown option(s) 'csrf_exempt'".
    steps = tuple(step for step in DEFAULT_STEPS if not isinstance(step, CsrfStep))
    with pytest.raises(ConfigurationError) as raised:
        build(steps=steps)
    message = str(raised.value)
    assert "ajaxkit.js" not in message
    assert "CSRF protection cannot be turned off" in message
    assert "csrf_exempt=True" in message


@pytest.mark.parametrize(
    "build",
    [
        lambda given: Ajax(settings=given),
        Ajax,
        lambda given: Ajax(settings=given, max_params=10),
    ],
    ids=["keyword", "positional", "with-overrides"],
)
@pytest.mark.parametrize("given", [{"debug": True}, {}, "debug=True", ["debug"]])
def test_settings_that_are_no_settings_say_what_to_pass(build: Any, given: Any) -> None:
    # A dict failed with a bare AttributeError ('dict' object has no
    # attribute 'default_methods'), and an empty one was taken for the
    # defaults; Live(settings={...}) is refused the same way.
    with pytest.raises(ConfigurationError) as info:
        build(given)
    message = str(info.value)
    assert message.startswith(f"Ajax(settings={given!r}): give a Settings, settings=Settings(")
    assert "Ajax(" in message.split(":", 1)[1]


def test_a_settings_mapping_is_shown_as_the_settings_and_the_keywords_to_pass() -> None:
    with pytest.raises(ConfigurationError) as info:
        Ajax(settings={"debug": True, "max_params": 10})  # type: ignore[arg-type]
    message = str(info.value)
    assert "settings=Settings(debug=True, max_params=10)" in message
    assert "Ajax(debug=True, max_params=10)" in message


def test_live_settings_given_to_ajax_are_refused_naming_the_settings_it_takes() -> None:
    from ajaxkit.live import LiveSettings

    refused = r"^Ajax\(settings=LiveSettings\(.*give a Settings"
    with pytest.raises(ConfigurationError, match=refused):
        Ajax(settings=LiveSettings())  # type: ignore[arg-type]
