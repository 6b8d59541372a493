"""The settings of a run, settled from its options in one place for the command line and
elinkcli.api alike: each option, else the environment, else the config file, else the
default (elinkcli.config.resolve), with what they give cause to say, said."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from elinkcli.commands import notices
from elinkcli.config import Resolved

Warn = Callable[[str], None]
KEY_ON_COMMAND_LINE = (
    "--api-key on the command line is visible to other users of this machine (ps); "
    "set NCBI_API_KEY or api_key in the config file instead"
)


def settled(warn: Warn, *, command_line: bool = False, **options: Any) -> Resolved:
    """The effective settings of these options (elinkcli.config.resolve: each option, else
    the environment, else the config file, else the default), with what they give cause to
    say, said: the config file's warnings, a key given on the command line (`command_line`),
    a key that would travel in clear. A bad value or config file is a UsageError, now."""
    from elinkcli.config import resolve

    resolved = resolve(**options)
    for warning in resolved.config_warnings:
        warn(warning)
    if command_line and resolved.sources.get("api_key") == "option":
        warn(KEY_ON_COMMAND_LINE)
    for text in notices.clear_key(resolved.settings.base_url, resolved.settings.api_key):
        warn(text)
    return resolved
