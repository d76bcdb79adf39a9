"""Live set-up mistakes are ConfigurationErrors naming the setting and the value.

An unknown broker URL and a ring window below 1 used to be bare
``ValueError``s raised while the application starts; they are mistakes in
its set-up, so they belong to the tree's ``ConfigurationError``.  A bad
topic at publish time stays a ``ValueError`` (it is the running code's
mistake, per call), and its message names the topic.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ajaxkit import Ajax, ConfigurationError
from ajaxkit.exceptions import RegistrationError
from ajaxkit.live import Live, MemoryBroker, make_broker


@pytest.mark.parametrize("url", ["nats://127.0.0.1", "memory:", "", "redis//x"])
def test_an_unknown_broker_url_names_the_setting_and_the_url(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_broker(url)
    assert "broker" in str(info.value)
    assert repr(url) in str(info.value)
    assert "memory://" in str(info.value) and "redis://" in str(info.value)


def test_live_with_an_unknown_broker_url_registers_nothing() -> None:
    api = Ajax()
    before = [route.pattern for route in api.router]
    with pytest.raises(ConfigurationError, match=r"Live\(broker='kafka://x'\)"):
        Live(api, broker="kafka://x")
    assert [route.pattern for route in api.router] == before


def test_a_broker_that_is_neither_a_url_nor_a_broker_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"Live\(broker=42\).*Broker or a URL"):
        Live(Ajax(), broker=42)  # type: ignore[arg-type]


@pytest.mark.parametrize("window", [0, -1, "10", 2.5, True, None])
def test_a_memory_window_below_one_names_the_setting_and_the_value(window: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        MemoryBroker(window)
    assert f"window={window!r}" in str(info.value)
    assert "1 or more" in str(info.value)


def test_a_redis_window_is_checked_alike() -> None:
    pytest.importorskip("redis")
    from ajaxkit.live.redis import RedisBroker

    # No connection is made before the first publish: the check comes first.
    with pytest.raises(ConfigurationError, match=r"RedisBroker window=0 .*1 or more"):
        RedisBroker("redis://127.0.0.1:6379/0", window=0)


@pytest.mark.parametrize("topic", ["", "/lobby", "lobby/", "a\nb", "x" * 201])
def test_a_bad_topic_at_publish_time_is_a_value_error_naming_it(topic: str) -> None:
    with pytest.raises(ValueError, match="Invalid topic") as info:
        MemoryBroker().publish(topic, b"{}")
    assert repr(topic) in str(info.value)
    assert not isinstance(info.value, ConfigurationError)


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [("chat/{room", "opens no"), ("chat/room}", "closes no"), ("dm/{a}/{a}", "captures 'a' twice")],
)
def test_a_topic_pattern_that_cannot_be_read_as_written_names_it(
    pattern: str, problem: str
) -> None:
    # Topics share the routes' syntax: a stray brace matched only its literal
    # text, and a name captured twice was a bare re.error.
    live = Live(Ajax())
    with pytest.raises(RegistrationError, match=rf"Topic {re.escape(repr(pattern))}: .*{problem}"):
        live.topic(pattern)


def test_a_topic_authorize_that_cannot_take_its_arguments_names_it() -> None:
    # It was declared, and every subscription to the topic was a 500.
    live = Live(Ajax())
    called_as = r"authorize is called as authorize\(request, topic, action\)"
    with pytest.raises(RegistrationError, match=rf"Topic 'chat': {called_as}"):
        live.topic("chat", authorize=lambda request, topic: True)  # type: ignore[arg-type, misc]


def test_a_topic_authorize_that_is_not_callable_names_it() -> None:
    live = Live(Ajax())
    with pytest.raises(RegistrationError, match=r"Topic 'chat': authorize must be a callable"):
        live.topic("chat", authorize="staff")  # type: ignore[arg-type]


def test_a_topic_login_required_must_be_a_bool() -> None:
    live = Live(Ajax())
    with pytest.raises(RegistrationError, match=r"Topic 'chat': login_required must be True or"):
        live.topic("chat", login_required="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("given", [{"heartbeat": 0}, {}, ["heartbeat"], "heartbeat=0"])
def test_live_settings_that_are_no_live_settings_say_what_to_pass(given: Any) -> None:
    # A dict failed with a bare AttributeError ('dict' object has no
    # attribute 'heartbeat'), and an empty one was taken for the defaults.
    # Settings are an object passed in, as Ajax(settings=Settings(...)).
    api = Ajax()
    before = [route.pattern for route in api.router]
    with pytest.raises(ConfigurationError) as info:
        Live(api, settings=given)
    message = str(info.value)
    assert message.startswith(f"Live(settings={given!r}): ")
    assert "LiveSettings(" in message
    assert [route.pattern for route in api.router] == before


def test_a_settings_mapping_is_shown_as_the_live_settings_to_pass() -> None:
    with pytest.raises(ConfigurationError, match=r"settings=LiveSettings\(heartbeat=0\)"):
        Live(Ajax(), settings={"heartbeat": 0})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["true", "True", "1", "yes", "false", "0"])
def test_a_redis_url_asking_for_decoded_replies_is_refused_naming_the_option(value: str) -> None:
    # redis-py lets the URL's query override the code's arguments, and
    # decodes replies for any non-empty value (even "false": it is a
    # string).  The broker reads bytes, so every entry read as malformed:
    # logged and skipped, no event ever delivered.
    pytest.importorskip("redis")
    url = f"redis://127.0.0.1:6379/0?decode_responses={value}"
    with pytest.raises(ConfigurationError) as info:
        make_broker(url)
    message = str(info.value)
    assert repr(url) in message
    assert f"decode_responses={value}" in message
    assert "remove" in message


def test_a_redis_url_with_other_options_is_accepted() -> None:
    pytest.importorskip("redis")
    from ajaxkit.live.redis import RedisBroker

    # No connection is made before the first publish.
    broker = make_broker("redis://127.0.0.1:6379/0?socket_timeout=5&health_check_interval=10")
    assert isinstance(broker, RedisBroker)
