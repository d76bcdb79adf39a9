"""Settings from a framework's configuration: one precedence rule for every framework.

Integrations hand :func:`settings_from_config` their configuration as a
mapping of names (Django's settings module, Flask's ``app.config``) when a
registry is mounted; nothing here knows which framework it came from.

Names read (the same on every framework):

``AJAXKIT``
    a dict of ajaxkit settings by upper-case name: ``{"DEBUG": False}``.
``AJAXKIT_<NAME>``
    one setting, the flat spelling of ``AJAXKIT["<NAME>"]``; giving both
    spellings of one setting is an error.
``DEBUG``
    the framework's debug mode, the default for ``debug``.

A value of ``None`` counts as not configured.

The rule, per setting, first match wins:

1. the ``AJAXKIT`` configuration, when it names the setting;
2. the value the registry was built with (``Ajax(debug=True)``,
   ``Settings(...)``), when it is not ajaxkit's default;
3. the framework's own default (``debug``: ``DEBUG``; ``secret_key``: ``SECRET_KEY``);
4. ajaxkit's default.

Values are often strings (a Starlette ``config=os.environ``, a dotenv
file's dict, Flask's ``from_prefixed_env()``), so every value, the
framework's own ``DEBUG`` included, is read by one rule per kind: a switch
is a bool, ``1``/``0`` or a string Starlette's ``Config(cast=bool)``
accepts (``"true"``, ``"false"``, ``"1"``, ``"0"``, any case), never a
string's truthiness; a whole number is an int or ASCII decimal digits;
seconds are a number or a plain decimal (``"0.5"``); a list is a list, a
tuple or a comma-separated string.

Configuration beats code because configuration is what differs between a
developer's machine and production: an ``Ajax(debug=True)`` left in the code
must be switchable off by the deployment without a code change, which is
how Django settings and Flask config are used.  An unknown name, or a value
of the wrong type, raises :class:`~ajaxkit.exceptions.ConfigurationError`
naming it, so a misspelt setting never goes unnoticed.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import limits.storage
from limits.storage import Storage

from ajaxkit.core.csrf import CsrfPolicy, origin_problem
from ajaxkit.core.settings import Settings
from ajaxkit.exceptions import ConfigurationError

__all__ = [
    "CONFIG_SETTINGS",
    "ConfigSetting",
    "check_dedicated",
    "over_config",
    "read_ajaxkit_config",
    "read_code_policy",
    "read_code_settings",
    "settings_from_config",
]

PREFIX = "AJAXKIT"


@dataclass(frozen=True)
class ConfigSetting:
    """One setting a framework's configuration may give.

    Attributes:
        field: the :class:`Settings` field it sets; ``"csrf.trusted_origins"``
            is a field of the ``csrf`` policy, the policy's other fields
            staying as the code gave them.
        convert: checks a configured value and returns the field's value;
            raises ``ValueError`` saying what was expected.  The
            framework's own default is read by it too, so ``DEBUG="0"``
            means what ``AJAXKIT_DEBUG="0"`` means.
        framework_default: the configuration name of the framework's own
            default for it (``"DEBUG"``), if any.
        objects: what code may give besides what ``convert`` reads (a
            storage object), taken as it is.
        follows: the setting whose framework default this one's goes
            with: read only when that setting takes the framework's too
            (``SECRET_KEY_FALLBACKS`` are old values of ``SECRET_KEY``,
            never of another key).
    """

    field: str
    convert: Callable[[Any], Any]
    framework_default: str | None = None
    objects: tuple[type, ...] = ()
    follows: str | None = None


# Values often arrive as strings: a Starlette ``config=`` may be
# ``os.environ`` or a dotenv file's dict, and Flask's
# ``from_prefixed_env()`` keeps whatever does not parse as JSON a string.
# Each kind of value reads a string by one rule, below; a string is never
# read by its truthiness (``bool("0")`` is True, which turned debug on).

#: The spellings of a switch Starlette's ``Config(cast=bool)`` accepts, any case.
_SWITCH_WORDS = {"true": True, "1": True, "false": False, "0": False}
_SWITCH = 'True or False (or "true", "false", "1", "0" in any case)'


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    # 1 and 0 too: Flask's from_prefixed_env() reads FLASK_AJAXKIT_DEBUG=1 as JSON.
    if type(value) is int and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _SWITCH_WORDS:
        return _SWITCH_WORDS[value.lower()]
    raise ValueError(_SWITCH)


def _whole(value: Any, expected: str) -> int:
    """An int of 0 or more, or a string of ASCII decimal digits (``"1048576"``)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        try:
            return int(value)
        except ValueError:  # beyond int()'s limit on digits
            raise ValueError(expected) from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(expected)
    return value


def _size(value: Any) -> int:
    return _whole(value, "a whole number of bytes, 0 or more")


def _count(value: Any) -> int:
    return _whole(value, "a whole number, 0 or more")


#: A decimal written plainly (``"3600"``, ``"0.5"``): not ``"nan"``, ``"inf"``
#: or ``"1e3"``, which float() would also read.
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SECONDS = "a number of seconds above 0"


def _seconds(value: Any) -> float:
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(_SECONDS)
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float
        raise ValueError(_SECONDS) from None
    if not 0 < seconds < math.inf:  # NaN fails this too
        raise ValueError(_SECONDS)
    return seconds


def _items(value: Any, expected: str) -> list[Any]:
    """A list or tuple as given; a string as its comma-separated items.

    Comma-separated as Starlette's ``CommaSeparatedStrings`` reads an
    environment variable: items are stripped and empty ones dropped, so
    ``"a, b,"`` is ``["a", "b"]``.  A plain string is never iterated: "POST"
    would be P, O, S, T.
    """
    if isinstance(value, str):
        if value.lstrip().startswith("["):  # JSON: one spelling, or a near miss passes
            raise ValueError(f"{expected}; in a string, comma-separated, not a JSON list")
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ValueError(expected)


_METHODS = 'a non-empty list of method names, e.g. ["GET", "POST"] or "GET,POST"'


def _methods(value: Any) -> tuple[str, ...]:
    # Here: the registration checks build on the settings.
    from ajaxkit.core.registration_checks import KNOWN_METHODS

    names = _items(value, _METHODS)
    if not names or not all(isinstance(m, str) and m.isascii() and m.isalpha() for m in names):
        raise ValueError(_METHODS)
    methods = tuple(m.upper() for m in names)
    # Checked here, not by the first endpoint registered with them, whose
    # error named that endpoint; WEBSOCKET is no HTTP method to default to.
    http = KNOWN_METHODS - {"WEBSOCKET"}
    unknown = sorted(set(methods) - http)
    if unknown:
        raise ValueError(f"{_METHODS}, of {', '.join(sorted(http))} ({unknown[0]} is not one)")
    return methods


def _secret(value: Any) -> str | bytes:
    if not isinstance(value, (str, bytes)) or not value:
        raise ValueError("a non-empty string or bytes")
    return value


_SECRETS = 'a list of non-empty strings or bytes, e.g. ["old-key"] or "old-key,older-key"'


def _secrets(value: Any) -> tuple[str | bytes, ...]:
    keys = _items(value, _SECRETS)
    if not all(isinstance(key, (str, bytes)) and key for key in keys):
        raise ValueError(_SECRETS)
    return tuple(keys)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a non-empty string")
    return value


_STORAGE = 'a storage URI such as "memory://" or "redis://host:6379/0"'
#: The URI schemes ``limits`` has storages for.  Its registry is not in its
#: ``__all__``; should a release drop it, schemes go unchecked here and an
#: unknown one fails on first use, as before.
_SCHEMES: frozenset[str] = frozenset(getattr(limits.storage, "SCHEMES", ()))


def _storage_uri(value: Any) -> str:
    """A ``limits`` storage URI of a sync storage, checked before any request needs it."""
    if not isinstance(value, str) or "://" not in value:
        raise ValueError(_STORAGE)
    scheme = value.partition("://")[0]
    if scheme.startswith("async+") and scheme.removeprefix("async+") in _SCHEMES:
        # Async storages would need awaiting per call; ajaxkit runs the
        # sync ones off the event loop instead.
        raise ValueError(
            f"a sync storage URI ({scheme}:// is an async storage; write "
            f"{scheme.removeprefix('async+')}:// instead)"
        )
    if _SCHEMES and scheme not in _SCHEMES:
        known = ", ".join(sorted(s for s in _SCHEMES if not s.startswith("async+")))
        raise ValueError(f"{_STORAGE}, with a scheme limits knows ({known})")
    return value


_ORIGINS = (
    'a list of origins such as ["https://app.example.com"] or "https://a.example,https://b.example"'
)


def _origins(value: Any) -> tuple[str, ...]:
    origins = _items(value, _ORIGINS)
    for origin in origins:
        problem = origin_problem(origin)
        if problem is not None:
            raise ValueError(f"{_ORIGINS} ({origin!r} {problem})")
    return tuple(origins)


_LIFETIME = "a whole number of seconds, 1 or more"


def _lifetime(value: Any) -> int:
    seconds = _whole(value, _LIFETIME)
    if seconds < 1:  # every token would be expired as it was issued
        raise ValueError(_LIFETIME)
    return seconds


#: A header or cookie name: an RFC 9110 token.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADERS = 'a list of header names, e.g. ["X-CSRFToken"] or "X-CSRFToken"'


def _header_names(value: Any) -> tuple[str, ...]:
    names = _items(value, _HEADERS)  # none: no token fallback, the headers decide
    if not all(isinstance(n, str) and _TOKEN.fullmatch(n) for n in names):
        raise ValueError(_HEADERS)
    return tuple(names)


def _cookie_name(value: Any) -> str:
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise ValueError('a cookie name, e.g. "ajaxkit_csrf"')
    return value


#: How the :class:`~ajaxkit.core.csrf.CsrfPolicy` fields given in code read
#: (``trusted_origins`` is checked by the policy itself).
_POLICY_FIELDS: Mapping[str, Callable[[Any], Any]] = {
    "allow_same_site": _bool,
    "cookie_secure": _bool,
    "header_names": _header_names,
    "token_max_age": _lifetime,
    "cookie_name": _cookie_name,
}


def read_code_policy(policy: CsrfPolicy) -> dict[str, Any]:
    """The fields of a CSRF ``policy`` given in code, read as configuration reads them.

    :class:`~ajaxkit.core.csrf.CsrfPolicy` calls this when it is made, as
    :class:`Settings` calls :func:`read_code_settings`: ``allow_same_site``
    of ``"false"`` (``bool("false")`` is True) trusted every sibling
    subdomain, a ``header_names`` string was its characters, and a
    ``token_max_age`` string made every ``<mount>/_csrf`` a 500.  Returns
    the fields whose value reads as something else.

    Raises:
        ConfigurationError: naming the field and the value.
    """
    read: dict[str, Any] = {}
    for name, convert in _POLICY_FIELDS.items():
        value = getattr(policy, name)
        try:
            converted = convert(value)
        except ValueError as exc:
            raise ConfigurationError(f"CsrfPolicy({name}={value!r}): must be {exc}.") from None
        if converted is not value:
            read[name] = converted
    return read


#: Every setting a configuration may give, by its upper-case name.  The
#: other :class:`Settings` fields hold objects (profile, encoder, clock,
#: ...) and are given in code, ``Ajax(encoder=...)``.
CONFIG_SETTINGS: Mapping[str, ConfigSetting] = {
    "DEBUG": ConfigSetting("debug", _bool, framework_default="DEBUG"),
    "MAX_BODY_SIZE": ConfigSetting("max_body_size", _size),
    "DEFAULT_METHODS": ConfigSetting("default_methods", _methods),
    "LOGGER_NAME": ConfigSetting("logger_name", _name),
    "RATE_LIMIT_STORAGE": ConfigSetting("rate_limit_storage", _storage_uri, objects=(Storage,)),
    "TRUSTED_PROXIES": ConfigSetting("trusted_proxies", _count),
    "IDEMPOTENCY_EXPIRY": ConfigSetting("idempotency_expiry", _seconds),
    # Signs values handed to clients (list cursors): every process of a
    # deployment must share it, so the framework's own secret is the default.
    "SECRET_KEY": ConfigSetting("secret_key", _secret, framework_default="SECRET_KEY"),
    # Keys a rotated secret_key replaced, still accepted for what they signed.
    # The framework's own are its SECRET_KEY's: read only with that key.
    "SECRET_KEY_FALLBACKS": ConfigSetting(
        "secret_key_fallbacks",
        _secrets,
        framework_default="SECRET_KEY_FALLBACKS",
        follows="SECRET_KEY",
    ),
    "LOGIN_URL": ConfigSetting("login_url", _name),
    "MAX_JSON_DEPTH": ConfigSetting("max_json_depth", _count),
    "MAX_PARAMS": ConfigSetting("max_params", _count),
    "MAX_STRING_LENGTH": ConfigSetting("max_string_length", _count),
    "OPENAPI": ConfigSetting("openapi", _bool),
    # The CSRF policy's parts that differ between deployments.  Its token
    # parts (cookie, headers, lifetime) stay in code: on Django, Django's
    # own CSRF settings decide the token, so keys here would be ignored there.
    "CSRF_TRUSTED_ORIGINS": ConfigSetting("csrf.trusted_origins", _origins),
    "CSRF_ALLOW_SAME_SITE": ConfigSetting("csrf.allow_same_site", _bool),
}


def settings_from_config(
    declared: Settings, config: Mapping[str, Any], *, dedicated: bool = False
) -> Settings:
    """``declared`` (the registry's own settings) resolved against ``config``.

    Args:
        declared: the settings the registry was built with.
        config: the framework's configuration by name (see the module doc).
        dedicated: ``config`` was given to ajaxkit alone (Starlette's and
            FastAPI's ``config=``) instead of being the framework's own
            configuration (Django's settings, Flask's ``app.config``), so a
            bare ajaxkit setting name in it is a mistake, not the
            framework's setting of that name (see :func:`check_dedicated`).

    Raises:
        ConfigurationError: an unknown ``AJAXKIT`` name or an ill-typed value;
            with ``dedicated``, a setting's name that is not read.
    """
    if not isinstance(config, Mapping):  # a list of pairs failed on .get() below
        shown = f"{config!r:.60}"
        raise ConfigurationError(
            "config must be a mapping of configuration names to values (a dict, "
            f"os.environ), not a {type(config).__name__}: {shown}."
        )
    if dedicated:
        check_dedicated(config)
    return over_config(declared, declared, config)


def over_config(settings: Settings, declared: Settings, config: Mapping[str, Any]) -> Settings:
    """``settings`` with what ``config`` decides over code that ``declared`` (a
    checked configuration: :func:`settings_from_config` checks it first).

    ``settings`` may hold more than ``declared`` does (what a mount added,
    such as a signer), so that code changing a setting after the mount
    meets the configuration by the one rule, keeping the rest.
    """
    given = read_ajaxkit_config(config)
    changes: dict[str, Any] = {}
    for name, setting in CONFIG_SETTINGS.items():
        if name in given:
            changes[setting.field] = given[name]
        elif setting.framework_default and _framework_decides(setting, declared, config, given):
            key = setting.framework_default
            changes[setting.field] = _converted(key, setting, config[key])
    return _replaced(settings, changes) if changes else settings


def read_code_settings(settings: Settings) -> dict[str, Any]:
    """The fields of ``settings`` given in code, read as configuration reads them.

    :class:`Settings` calls this when it is built, so ``Ajax(debug="0")`` is
    off and ``Ajax(max_body_size="1MB")`` fails there, naming the field,
    rather than as a 500 on every request.  Returns the fields whose value
    reads as something else (``"GET,POST"`` → ``("GET", "POST")``).
    ``None`` is not given, as in configuration: the field's default (which
    is ``None`` for ``secret_key`` and ``login_url``); objects a setting
    takes stay as given, and the CSRF policy checks its own fields.

    Raises:
        ConfigurationError: naming the field and the value.
    """
    read: dict[str, Any] = {}
    for setting in CONFIG_SETTINGS.values():
        if "." in setting.field:
            continue
        value = getattr(settings, setting.field)
        if value is None:
            # Not given, as in configuration: kept, max_body_size=None made
            # every POST a 500 (secret_key and login_url mean None as it is).
            default = _default(setting.field)
            if default is not None:
                read[setting.field] = default
            continue
        if isinstance(value, setting.objects):
            continue
        try:
            converted = setting.convert(value)
        except ValueError as exc:
            raise ConfigurationError(
                f"Settings({setting.field}={value!r}): must be {exc}."
            ) from None
        if converted is not value:
            read[setting.field] = converted
    return read


def _default(name: str) -> Any:
    """The :class:`Settings` field ``name``'s default (a fresh one, if it is made)."""
    found = next(f for f in dataclasses.fields(Settings) if f.name == name)
    if found.default_factory is not dataclasses.MISSING:
        return found.default_factory()
    return found.default


def _replaced(declared: Settings, changes: Mapping[str, Any]) -> Settings:
    """``declared`` with ``changes``; a dotted name changes one field of a part."""
    top = {name: value for name, value in changes.items() if "." not in name}
    parts: dict[str, dict[str, Any]] = {}
    for name, value in changes.items():
        if "." in name:
            part, _, inner = name.partition(".")
            parts.setdefault(part, {})[inner] = value
    for part, inner_changes in parts.items():
        top[part] = dataclasses.replace(getattr(declared, part), **inner_changes)
    return declared.replace(**top)


def read_ajaxkit_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The checked ajaxkit settings ``config`` gives, by upper-case name.

    Raises:
        ConfigurationError: naming the key that is unknown, given twice, or
            of the wrong type.
    """
    spelled = _gather(config)
    values: dict[str, Any] = {}
    for name, (where, value) in spelled.items():
        setting = CONFIG_SETTINGS.get(name)
        if setting is None:
            raise ConfigurationError(_unknown(where, name))
        if value is not None:  # None is "not configured", as for an absent key
            values[name] = _converted(where, setting, value)
    return values


def _converted(where: str, setting: ConfigSetting, value: Any) -> Any:
    """``value`` read by ``setting``; a bad one is an error naming ``where`` and it."""
    try:
        return setting.convert(value)
    except ValueError as exc:
        raise ConfigurationError(f"{where} must be {exc}, not {value!r}.") from None


def _gather(config: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Every ajaxkit name ``config`` gives → (how it was spelled, its value)."""
    spelled: dict[str, tuple[str, Any]] = {}
    nested = config.get(PREFIX)
    if nested is not None:
        if not isinstance(nested, Mapping):
            raise ConfigurationError(
                f"{PREFIX} must be a dict of settings, e.g. {{'DEBUG': False}}, not {nested!r}."
            )
        for key, value in nested.items():
            spelled[str(key)] = (f"{PREFIX}[{key!r}]", value)
    for key in config:
        if isinstance(key, str) and key.startswith(PREFIX + "_"):
            name = key[len(PREFIX) + 1 :]
            if name in spelled:
                raise ConfigurationError(
                    f"{key} and {PREFIX}[{name!r}] are both set; keep one of them."
                )
            spelled[name] = (key, config[key])
    return spelled


def _unknown(where: str, name: str) -> str:
    known = ", ".join(sorted(CONFIG_SETTINGS))
    upper = name.upper()
    if upper in CONFIG_SETTINGS:  # AJAXKIT = {"debug": ...}: a setting, in the wrong case
        written = f"{PREFIX}_{upper}" if where == f"{PREFIX}_{name}" else upper
        return f"{where} is not read: configuration names are upper case; write {written!r}."
    if name.lower() in {f.name for f in dataclasses.fields(Settings)}:
        parts = sorted(n for n in CONFIG_SETTINGS if n.startswith(name + "_"))
        if parts:  # an object in code whose deployment-specific parts have keys
            return (
                f"{where}: {name.lower()!r} cannot come from configuration; pass it in "
                f"code, Ajax({name.lower()}=...); its parts that can: {', '.join(parts)}."
            )
        return (
            f"{where}: {name.lower()!r} cannot come from configuration; "
            f"pass it in code, Ajax({name.lower()}=...). Configurable: {known}."
        )
    return f"{where} is not an ajaxkit setting. Known settings: {known}."


#: Bare names read as the framework's own defaults (``DEBUG``, ``SECRET_KEY``).
_FRAMEWORK_NAMES = frozenset(
    s.framework_default for s in CONFIG_SETTINGS.values() if s.framework_default is not None
)
_FIELDS = frozenset(f.name for f in dataclasses.fields(Settings))


def check_dedicated(config: Mapping[str, Any]) -> None:
    """No key of a mapping given to ajaxkit alone names a setting in a form never read.

    ``{"MAX_BODY_SIZE": 10}`` would otherwise be ignored without a word: the
    names are those of Django's and Flask's configuration, where a bare name
    is the framework's own (Django has ``LOGIN_URL``), so only
    ``AJAXKIT_<NAME>`` and ``AJAXKIT`` are ajaxkit's.  Accepting the bare
    name here instead would give one setting two spellings with different
    precedence (bare ``DEBUG`` is the app's debug mode, which code beats).
    Other keys stay allowed: the mapping may be an environment's.

    Raises:
        ConfigurationError: naming the key and what to write instead.
    """
    for key in config:
        problem = _misspelling(key) if isinstance(key, str) else None
        if problem is not None:
            raise ConfigurationError(problem)


def _misspelling(key: str) -> str | None:
    """Why ``key`` names an ajaxkit setting but is not read, or ``None``."""
    where, upper = f"config[{key!r}]", key.upper()
    if key in _FRAMEWORK_NAMES or key == PREFIX or key.startswith(PREFIX + "_"):
        return None  # read
    if upper == PREFIX or upper.startswith(PREFIX + "_"):
        return f"{where} is not read: configuration names are upper case; write {upper!r}."
    # Upper case as configuration names are, or lower case as the Settings
    # field; a mixed-case environment variable is someone else's.
    if upper in CONFIG_SETTINGS and key in (upper, upper.lower()):
        advice = (
            f"{where} is not read: ajaxkit's settings are named {PREFIX}_<NAME>, as in "
            f"Django's and Flask's configuration; write '{PREFIX}_{upper}' "
            f"(or {PREFIX}={{{upper!r}: ...}})"
        )
        if upper in _FRAMEWORK_NAMES:
            advice += f", or {upper!r} for the app's own default, which code beats"
        return advice + "."
    if key in _FIELDS:  # encoder=, csrf=: spelt as in code, never configuration
        return _unknown(where, upper)
    return None


def _framework_decides(
    setting: ConfigSetting,
    declared: Settings,
    config: Mapping[str, Any],
    given: Mapping[str, Any],
) -> bool:
    """Whether the framework's own default applies: it has one, it is
    configured, the registry kept ajaxkit's default, and the setting it
    follows (if any) takes the framework's own too."""
    if setting.framework_default is None or config.get(setting.framework_default) is None:
        return False
    followed = setting.follows
    if followed is not None:
        leader = CONFIG_SETTINGS[followed]
        if followed in given or not _framework_decides(leader, declared, config, given):
            return False
    field = next(f for f in dataclasses.fields(Settings) if f.name == setting.field)
    return bool(getattr(declared, setting.field) == field.default)
