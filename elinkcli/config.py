"""Effective settings, each from the first place that sets it: option, environment variable,
config file, default. `explain()` says where each came from (`elinkcli config`)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elinkcli import constants as C
from elinkcli.errors import UsageError

# Settings a config file may hold.
FILE_KEYS = C.CONFIG_FILE_KEYS


@dataclass(frozen=True)
class Settings:
    base_url: str = C.DEFAULT_BASE_URL
    icite_url: str = C.DEFAULT_ICITE_URL
    europepmc_url: str = C.DEFAULT_EUROPEPMC_URL
    # Which services answer --cited/--cites (elinkcli.citations), comma-separated or "all".
    citations_from: str = "icite"
    email: str | None = None
    api_key: str | None = field(default=None, repr=False)
    tool: str = C.TOOL
    connect_timeout: float = C.CONNECT_TIMEOUT
    read_timeout: float = C.READ_TIMEOUT
    deadline: float = C.DEADLINE
    max_tries: int = C.MAX_TRIES
    backoff_base: float = C.BACKOFF_BASE
    # None: no on-disk state at all (no cache, no shared rate limit).
    cache_dir: Path | None = None
    # Request starts shared by every process of the user (elinkcli.pacing); None: this
    # process paces alone.
    state_dir: Path | None = None
    cache_ttl: float = C.CACHE_TTL
    # "use" (read and write), "refresh" (ask again, write), "off", "offline" (read only).
    cache_mode: str = "use"
    # Request sizes follow how NCBI answers, starting from --batch (elinkcli.adaptive).
    adaptive_batch: bool = False
    # The whole run, in seconds (--max-time); None: no limit.
    max_time: float | None = None
    max_body: int = C.MAX_BODY

    @property
    def start_interval(self) -> float:
        return C.START_INTERVAL_WITH_KEY if self.api_key else C.START_INTERVAL_NO_KEY

    @property
    def max_in_flight(self) -> int:
        return C.MAX_IN_FLIGHT_WITH_KEY if self.api_key else C.MAX_IN_FLIGHT_NO_KEY


@dataclass(frozen=True)
class Resolved:
    settings: Settings
    # setting name -> "option", "environment (NAME)", "config file (PATH)" or "default"
    sources: dict[str, str]
    config_file: Path
    config_warnings: tuple[str, ...] = ()


def parse_duration(text: str | float) -> float:
    """Seconds from `3600`, `90s`, `30m`, `12h` or `7d`."""
    if isinstance(text, (int, float)):
        return float(text)
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise UsageError(f"bad duration {text!r}: use seconds or a number with s, m, h or d")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return float(match.group(1)) * unit


def default_config_file(env: Mapping[str, str]) -> Path:
    if env.get(C.ENV_CONFIG):
        return Path(env[C.ENV_CONFIG])
    import platformdirs

    return Path(platformdirs.user_config_dir("elinkcli")) / "config.toml"


def default_cache_dir(env: Mapping[str, str]) -> Path:
    if env.get(C.ENV_CACHE_DIR):
        return Path(env[C.ENV_CACHE_DIR])
    import platformdirs

    return Path(platformdirs.user_cache_dir("elinkcli"))


def default_state_dir(env: Mapping[str, str]) -> Path:
    """The user's state directory: one per user whatever the cache directory, the same for
    a cron job and a login shell (a runtime directory is not: cron has no XDG_RUNTIME_DIR)."""
    if env.get(C.ENV_STATE_DIR):
        return Path(env[C.ENV_STATE_DIR])
    import platformdirs

    return Path(platformdirs.user_state_dir("elinkcli"))


def read_config_file(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The file's settings and warnings; none when it does not exist. Refused (UsageError)
    when other users can write it: it may hold the API key and decides where requests go."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}, []
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror}") from None
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UsageError(
            f"refusing to read config file {path}: other users can write it (chmod go-w)"
        )
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from None
    warnings = [
        f"config file {path}: unknown setting {k!r} ignored" for k in data if k not in FILE_KEYS
    ]
    if data.get("api_key") and info.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.append(
            f"config file {path} holds an API key that other users can read (chmod 600)"
        )
    return {k: v for k, v in data.items() if k in FILE_KEYS}, warnings


def resolve(
    *,
    base_url: str | None = None,
    email: str | None = None,
    api_key: str | None = None,
    cache_dir: Path | None = None,
    cache_ttl: str | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    max_time: str | float | None = None,
    icite_url: str | None = None,
    europepmc_url: str | None = None,
    citations_from: str | None = None,
    cache_mode: str = "use",
    adaptive_batch: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Resolved:
    env = os.environ if environ is None else environ
    config_file = default_config_file(env)
    from_file, warnings = read_config_file(config_file)
    sources: dict[str, str] = {}

    def pick(name: str, option: Any, env_names: tuple[str, ...], default: Any) -> Any:
        if option is not None and option != "":
            sources[name] = "option"
            return option
        for env_name in env_names:
            if env.get(env_name):
                sources[name] = f"environment ({env_name})"
                return env[env_name]
        if from_file.get(name) not in (None, ""):
            sources[name] = f"config file ({config_file})"
            return from_file[name]
        sources[name] = "default"
        return default

    url = _url("base URL", pick("base_url", base_url, (C.ENV_BASE_URL,), C.DEFAULT_BASE_URL))
    icite = _url("iCite URL", pick("icite_url", icite_url, (C.ENV_ICITE_URL,), C.DEFAULT_ICITE_URL))
    europepmc = _url(
        "Europe PMC URL",
        pick("europepmc_url", europepmc_url, (C.ENV_EUROPEPMC_URL,), C.DEFAULT_EUROPEPMC_URL),
    )
    backoff = env.get(C.ENV_BACKOFF_BASE)
    try:
        backoff_base = float(backoff) if backoff else C.BACKOFF_BASE
    except ValueError:
        raise UsageError(f"{C.ENV_BACKOFF_BASE} must be a number of seconds") from None
    settings = Settings(
        base_url=url,
        icite_url=icite,
        europepmc_url=europepmc,
        citations_from=str(pick("citations_from", citations_from, (), "icite")),
        email=pick("email", email, C.ENV_EMAIL, None),
        api_key=pick("api_key", api_key, (C.ENV_API_KEY,), None),
        read_timeout=_number("timeout", pick("timeout", timeout, (), C.READ_TIMEOUT)),
        deadline=_number("deadline", pick("deadline", deadline, (), C.DEADLINE)),
        backoff_base=backoff_base,
        cache_dir=Path(
            pick("cache_dir", cache_dir, (C.ENV_CACHE_DIR,), None) or default_cache_dir(env)
        ),
        state_dir=default_state_dir(env),
        cache_ttl=parse_duration(pick("cache_ttl", cache_ttl, (), C.CACHE_TTL)),
        max_time=_max_time(pick("max_time", max_time, (C.ENV_MAX_TIME,), C.MAX_TIME)),
        max_body=_max_body(env.get(C.ENV_MAX_BODY)),
        cache_mode=cache_mode,
        adaptive_batch=_flag(
            "adaptive_batch",
            pick("adaptive_batch", adaptive_batch, (C.ENV_ADAPTIVE_BATCH,), False),
        ),
    )
    return Resolved(settings, sources, config_file, tuple(warnings))


def _number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a number of seconds, not {value!r}") from None
    if number <= 0:
        raise UsageError(f"{name} must be positive")
    return number


def _url(what: str, value: Any) -> str:
    url = str(value)
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{what} must start with http:// or https://: {url!r}")
    return url if url.endswith("/") else url + "/"


def _max_time(value: Any) -> float | None:
    seconds = parse_duration(value) if isinstance(value, str) else _seconds(value)
    return seconds or None  # 0: no limit


def _seconds(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"max_time must be a duration, not {value!r}") from None
    if number < 0:
        raise UsageError("max_time must not be negative")
    return number


def _max_body(value: str | None) -> int:
    if not value:
        return C.MAX_BODY
    if not value.isdigit() or int(value) < 1024:
        raise UsageError(f"{C.ENV_MAX_BODY} must be a number of bytes (at least 1024)")
    return int(value)


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"{name} must be true or false, not {value!r}")


def resolve_settings(**kwargs: Any) -> Settings:
    """Settings for library use: like the command line, without options unless given."""
    return resolve(**kwargs).settings


def redact(text: str, secret: str | None) -> str:
    """Text with the API key masked: applied to anything that may reach a user."""
    return text.replace(secret, "***") if secret else text
