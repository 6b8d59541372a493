"""Effective settings: option, else environment, else default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from elinkcli import constants as C
from elinkcli.errors import UsageError


@dataclass(frozen=True)
class Settings:
    base_url: str = C.DEFAULT_BASE_URL
    email: str | None = None
    api_key: str | None = field(default=None, repr=False)
    tool: str = C.TOOL
    connect_timeout: float = C.CONNECT_TIMEOUT
    read_timeout: float = C.READ_TIMEOUT
    deadline: float = C.DEADLINE
    max_tries: int = C.MAX_TRIES
    backoff_base: float = C.BACKOFF_BASE

    @property
    def start_interval(self) -> float:
        return C.START_INTERVAL_WITH_KEY if self.api_key else C.START_INTERVAL_NO_KEY

    @property
    def max_in_flight(self) -> int:
        return C.MAX_IN_FLIGHT_WITH_KEY if self.api_key else C.MAX_IN_FLIGHT_NO_KEY


def resolve_settings(
    *,
    base_url: str | None = None,
    email: str | None = None,
    api_key: str | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: float | int,
) -> Settings:
    env = os.environ if environ is None else environ
    url = base_url or env.get(C.ENV_BASE_URL) or C.DEFAULT_BASE_URL
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"base URL must start with http:// or https://: {url!r}")
    if not url.endswith("/"):
        url += "/"
    mail = email or next((env[k] for k in C.ENV_EMAIL if env.get(k)), None)
    key = api_key or env.get(C.ENV_API_KEY) or None
    if env.get(C.ENV_BACKOFF_BASE) and "backoff_base" not in overrides:
        try:
            overrides["backoff_base"] = float(env[C.ENV_BACKOFF_BASE])
        except ValueError:
            raise UsageError(f"{C.ENV_BACKOFF_BASE} must be a number of seconds") from None
    return Settings(base_url=url, email=mail, api_key=key, **overrides)  # type: ignore[arg-type]


def redact(text: str, secret: str | None) -> str:
    """Text with the API key masked: applied to anything that may reach a user."""
    return text.replace(secret, "***") if secret else text
