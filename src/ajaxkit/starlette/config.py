"""The ``config=`` of the Starlette and FastAPI mounts: a mapping, or Starlette's ``Config``.

Starlette has no settings object, so a mount takes the configuration by
name (``docs/settings.md``): a dict, ``os.environ``, or the
``starlette.config.Config`` an app already reads its own settings with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.config import Config

if TYPE_CHECKING:
    from ajaxkit.core.registry import Ajax

__all__ = ["MountConfig", "apply_mount_config"]

#: What a mount's ``config=`` takes.
MountConfig = Mapping[str, Any] | Config


def apply_mount_config(api: Ajax, config: MountConfig | None) -> None:
    """Resolve ``api``'s settings from a mount's ``config=`` (nothing to do for ``None``).

    Raises:
        ConfigurationError: as :meth:`ajaxkit.Ajax.apply_config` does.
    """
    if config is not None:
        api.apply_config(_names(config), dedicated=True)


def _names(config: MountConfig) -> Mapping[str, Any]:
    """``config`` as a mapping: a ``Config`` by the names it answers.

    A ``Config`` reads one name at a time (its ``env_prefix`` before it,
    the environment before the ``.env`` file) and cannot be iterated: given
    as it was, the mount failed with ``'Config' object is not iterable``.
    """
    if not isinstance(config, Config):
        return config
    prefix: str = getattr(config, "env_prefix", "")  # Starlette 0.37 added it
    found = {**config.file_values, **config.environ}
    return {name[len(prefix) :]: value for name, value in found.items() if name.startswith(prefix)}
