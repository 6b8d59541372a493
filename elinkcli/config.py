"""Effective settings, each from the first place that sets it: option, environment variable,
config file, default. `explain()` says where each came from (`elinkcli config`)."""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elinkcli import constants as C
from elinkcli.errors import UsageError
from elinkcli.inert import keep_secret

# Settings a config file may hold.
FILE_KEYS = C.CONFIG_FILE_KEYS


@dataclass(frozen=True)
class Settings:
    base_url: str = C.DEFAULT_BASE_URL
    icite_url: str = C.DEFAULT_ICITE_URL
    europepmc_url: str = C.DEFAULT_EUROPEPMC_URL
    # Which services answer --cited/--cites (elinkcli.commands.citations), comma-separated or "all".
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
    # Request starts shared by every process of the user (elinkcli.eutils.pacing); None: this
    # process paces alone.
    state_dir: Path | None = None
    cache_ttl: float = C.CACHE_TTL
    # "auto" (WAL, a rollback journal on a network file system), "wal" or "delete".
    cache_journal: str = "auto"
    # "use" (read and write), "refresh" (ask again, write), "off", "offline" (read only).
    cache_mode: str = "use"
    # Request sizes follow how NCBI answers, starting from --batch (elinkcli.eutils.adaptive).
    adaptive_batch: bool = False
    # The whole run, in seconds (--max-time); None: no limit.
    max_time: float | None = None
    max_body: int = C.MAX_BODY
    # The output format when stdout is not a terminal and --format is not given; None:
    # each command's own default (edirect after an ENTREZ_DIRECT message, else tsv).
    pipe_format: str | None = None
    # Where links come from: "elink", "tables" or "auto"; None: "auto" once a table is
    # loaded, else "elink" (elinkcli.sources.tables). tables_dir None: no local tables.
    links_from: str | None = None
    tables_dir: Path | None = None
    tables_url: str = "https://ftp.ncbi.nlm.nih.gov/"
    tables_max_age: float = C.TABLES_MAX_AGE

    @property
    def start_interval(self) -> float:
        return C.START_INTERVAL_WITH_KEY if self.api_key else C.START_INTERVAL_NO_KEY

    @property
    def start_burst(self) -> int:
        """Request starts allowed in any window of start_burst x start_interval seconds."""
        return C.START_BURST_WITH_KEY if self.api_key else C.START_BURST_NO_KEY

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
    """ELINKCLI_CONFIG (/dev/null: no config file), else the user's config directory's."""
    if env.get(C.ENV_CONFIG):
        return Path(env[C.ENV_CONFIG])
    import platformdirs

    return Path(platformdirs.user_config_dir("elinkcli")) / "config.toml"


def default_cache_dir(env: Mapping[str, str]) -> Path:
    if env.get(C.ENV_CACHE_DIR):
        return Path(env[C.ENV_CACHE_DIR])
    import platformdirs

    return Path(platformdirs.user_cache_dir("elinkcli"))


def default_tables_dir(env: Mapping[str, str]) -> Path:
    """Where `elinkcli tables` keeps loaded tables: the user's data directory (XDG)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("elinkcli")) / "tables"


def default_state_dir(env: Mapping[str, str]) -> Path:
    """The user's state directory: one per user whatever the cache directory, the same for
    a cron job and a login shell (a runtime directory is not: cron has no XDG_RUNTIME_DIR)."""
    if env.get(C.ENV_STATE_DIR):
        return Path(env[C.ENV_STATE_DIR])
    import platformdirs

    return Path(platformdirs.user_state_dir("elinkcli"))


def read_config_file(path: Path, named: bool = False) -> tuple[dict[str, Any], list[str]]:
    """The file's settings and warnings; none when it does not exist (unless `named`: the
    user named it in ELINKCLI_CONFIG) or is /dev/null. Refused (UsageError) when another
    user owns it or can write it or the directory it is in: it may hold the API key and
    decides where requests go."""
    if str(path) == os.devnull:
        return {}, []
    try:
        info = path.stat()
    except FileNotFoundError:
        if named:
            raise UsageError(
                f"{C.ENV_CONFIG} names {path}, which does not exist "
                f"({C.ENV_CONFIG}={os.devnull} means no config file)"
            ) from None
        return {}, []
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror}") from None
    _check_owner(path, info)
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise UsageError(f"cannot read config file {path}: {why}") from None
    warnings = [
        f"config file {path}: unknown setting {k!r} ignored" for k in data if k not in FILE_KEYS
    ]
    if data.get("api_key") and info.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.append(
            f"config file {path} holds an API key that other users can read (chmod 600)"
        )
    return {k: v for k, v in data.items() if k in FILE_KEYS}, warnings


def _check_owner(path: Path, info: os.stat_result) -> None:
    """Refuse a config file another user could have written: owned by someone else, or
    writable by others, or in a directory they can write (without the sticky bit) or own."""
    me = os.geteuid()
    if info.st_uid != me:
        raise UsageError(
            f"refusing to read config file {path}: it belongs to another user (uid {info.st_uid})"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UsageError(
            f"refusing to read config file {path}: other users can write it (chmod go-w)"
        )
    parent = path.resolve().parent
    try:
        where = parent.stat()
    except OSError:
        return
    if where.st_uid not in (me, 0):
        raise UsageError(
            f"refusing to read config file {path}: its directory {parent} belongs to another "
            f"user (uid {where.st_uid})"
        )
    if where.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not where.st_mode & stat.S_ISVTX:
        raise UsageError(
            f"refusing to read config file {path}: other users can write its directory "
            f"{parent} (chmod go-w)"
        )


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
    cache_journal: str | None = None,
    pipe_format: str | None = None,
    links_from: str | None = None,
    tables_dir: Path | None = None,
    tables_url: str | None = None,
    tables_max_age: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Resolved:
    env = os.environ if environ is None else environ
    config_file = default_config_file(env)
    from_file, warnings = read_config_file(config_file, named=bool(env.get(C.ENV_CONFIG)))
    sources: dict[str, str] = {}
    env_of: dict[str, str] = {}

    def where(name: str) -> str:
        """Where a setting's value came from, for its error message."""
        source = sources.get(name, "default")
        if source == "option":
            return f"--{name.replace('_', '-')}"
        if source.startswith("environment"):
            return env_of[name]
        if source.startswith("config file"):
            return f"config file {config_file}: {name}"
        return name

    def pick(name: str, option: Any, env_names: tuple[str, ...], default: Any) -> Any:
        if option is not None and option != "":
            sources[name] = "option"
            return option
        for env_name in env_names:
            if env.get(env_name):
                sources[name] = f"environment ({env_name})"
                env_of[name] = env_name
                return env[env_name]
        if from_file.get(name) not in (None, ""):
            sources[name] = f"config file ({config_file})"
            return from_file[name]
        sources[name] = "default"
        return default

    def text(name: str, value: Any) -> Any:
        """A string setting: a string, one line, no NUL (None stays None)."""
        if value is None:
            return None
        if not isinstance(value, str) or "\n" in value or "\x00" in value or not value.strip():
            raise UsageError(f"{where(name)} must be a string of one line, not {value!r}")
        return value.strip()

    def url_of(name: str, what: str, option: Any, env_names: tuple[str, ...], default: str) -> str:
        value = text(name, pick(name, option, env_names, default))
        return _url(where(name), what, value)

    def picked(name: str, option: Any, env_names: tuple[str, ...], default: Any) -> tuple[str, Any]:
        """(where the value came from, the value)."""
        value = pick(name, option, env_names, default)
        return where(name), value

    def seconds(name: str, option: Any, default: float) -> float:
        return _number(*picked(name, option, (), default))

    url = url_of("base_url", "base URL", base_url, (C.ENV_BASE_URL,), C.DEFAULT_BASE_URL)
    icite = url_of("icite_url", "iCite URL", icite_url, (C.ENV_ICITE_URL,), C.DEFAULT_ICITE_URL)
    europepmc = url_of(
        "europepmc_url",
        "Europe PMC URL",
        europepmc_url,
        (C.ENV_EUROPEPMC_URL,),
        C.DEFAULT_EUROPEPMC_URL,
    )
    backoff = env.get(C.ENV_BACKOFF_BASE)
    backoff_base = _number(C.ENV_BACKOFF_BASE, backoff) if backoff else C.BACKOFF_BASE
    api = text("api_key", pick("api_key", api_key, (C.ENV_API_KEY,), None))
    if api is not None and not re.fullmatch(r"[A-Za-z0-9._-]+", api):
        raise UsageError(f"{where('api_key')} must be letters and digits (NCBI's key), not that")
    keep_secret(api)
    chosen_tables = pick("tables_dir", tables_dir, (C.ENV_TABLES_DIR,), None)
    if chosen_tables is not None and not isinstance(chosen_tables, Path):
        chosen_tables = Path(os.path.expanduser(text("tables_dir", chosen_tables)))
    from_where = text("links_from", pick("links_from", links_from, (C.ENV_LINKS_FROM,), None))
    if from_where is not None and from_where not in ("elink", "tables", "auto"):
        named = "--from" if sources.get("links_from") == "option" else where("links_from")
        raise UsageError(f"{named} must be elink, tables or auto, not {from_where!r}")
    chosen_cache = pick("cache_dir", cache_dir, (C.ENV_CACHE_DIR,), None)
    if chosen_cache is not None and not isinstance(chosen_cache, Path):
        chosen_cache = text("cache_dir", chosen_cache)
    settings = Settings(
        base_url=url,
        icite_url=icite,
        europepmc_url=europepmc,
        citations_from=text("citations_from", pick("citations_from", citations_from, (), "icite")),
        email=text("email", pick("email", email, C.ENV_EMAIL, None)),
        api_key=api,
        read_timeout=seconds("timeout", timeout, C.READ_TIMEOUT),
        deadline=seconds("deadline", deadline, C.DEADLINE),
        backoff_base=backoff_base,
        cache_dir=Path(os.path.expanduser(chosen_cache))
        if chosen_cache
        else default_cache_dir(env),
        state_dir=default_state_dir(env),
        cache_ttl=_duration(*picked("cache_ttl", cache_ttl, (), C.CACHE_TTL)),
        cache_journal=_journal(
            *picked("cache_journal", cache_journal, (C.ENV_CACHE_JOURNAL,), "auto")
        ),
        max_time=_max_time(*picked("max_time", max_time, (C.ENV_MAX_TIME,), C.MAX_TIME)),
        max_body=_max_body(env.get(C.ENV_MAX_BODY)),
        cache_mode=cache_mode,
        adaptive_batch=_flag(
            *picked("adaptive_batch", adaptive_batch, (C.ENV_ADAPTIVE_BATCH,), False)
        ),
        pipe_format=_pipe_format(*picked("format", pipe_format, (C.ENV_FORMAT,), None)),
        links_from=from_where,
        tables_dir=chosen_tables or default_tables_dir(env),
        tables_url=url_of(
            "tables_url",
            "tables URL",
            tables_url,
            (C.ENV_TABLES_URL,),
            "https://ftp.ncbi.nlm.nih.gov/",
        ),
        tables_max_age=_duration(*picked("tables_max_age", tables_max_age, (), C.TABLES_MAX_AGE))
        or float(C.TABLES_MAX_AGE),
    )
    return Resolved(settings, sources, config_file, tuple(warnings))


# Longer than this is a mistake (1e308, inf), not a setting: a week.
_MOST_SECONDS = 7 * 86400.0


def _number(where: str, value: Any) -> float:
    """A positive, finite number of seconds, at most a week."""
    if isinstance(value, bool):
        raise UsageError(f"{where} must be a number of seconds, not {value!r}")
    if isinstance(value, str) and not value.isascii():  # float() reads Arabic-Indic digits
        raise UsageError(f"{where} must be a number of seconds, not {value!a}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{where} must be a number of seconds, not {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise UsageError(f"{where} must be positive and finite, not {value!r}")
    if number > _MOST_SECONDS:
        raise UsageError(f"{where} must be at most a week ({_MOST_SECONDS:g} s), not {value!r}")
    return number


def _url(where: str, what: str, url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{where}: the {what} must start with http:// or https://: {url!r}")
    return url if url.endswith("/") else url + "/"


def _duration(where: str, value: Any) -> float:
    """A duration (`7d`, `3600`), finite and not negative."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UsageError(f"{where} must be a duration (e.g. 7d, 12h, 3600), not {value!r}")
    try:
        seconds = parse_duration(value)
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise UsageError(f"{where} must be a duration of 0 or more, not {value!r}")
    return seconds


def _max_time(where: str, value: Any) -> float | None:
    return _duration(where, value) or None  # 0: no limit


def _max_body(value: str | None) -> int:
    if not value:
        return C.MAX_BODY
    if not re.fullmatch(r"[0-9]{1,18}", value) or int(value) < 1024:
        raise UsageError(f"{C.ENV_MAX_BODY} must be a number of bytes (at least 1024)")
    return int(value)


JOURNALS = ("auto", "wal", "delete")
# What ELINKCLI_FORMAT / `format` may name (table is for terminals, counts for --cited).
PIPE_FORMATS = ("tsv", "json", "jsonl", "uid", "edirect", "xml")


def _pipe_format(where: str, value: Any) -> str | None:
    if value is None:
        return None
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in PIPE_FORMATS:
        raise UsageError(f"{where} must be one of {', '.join(PIPE_FORMATS)}, not {value!r}")
    return str(text)


def _journal(where: str, value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in JOURNALS:
        raise UsageError(f"{where} must be one of {', '.join(JOURNALS)}, not {value!r}")
    return str(text)


def _flag(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"{where} must be true or false, not {value!r}")


def configured_format(environ: Mapping[str, str] | None = None) -> str | None:
    """The `format` setting alone (ELINKCLI_FORMAT, else the config file), checked."""
    env = os.environ if environ is None else environ
    if env.get(C.ENV_FORMAT):
        return _pipe_format(C.ENV_FORMAT, env[C.ENV_FORMAT])
    config_file = default_config_file(env)
    from_file, _ = read_config_file(config_file, named=bool(env.get(C.ENV_CONFIG)))
    if from_file.get("format") in (None, ""):
        return None
    return _pipe_format(f"config file {config_file}: format", from_file["format"])


def resolve_settings(**kwargs: Any) -> Settings:
    """Settings for library use: like the command line, without options unless given."""
    return resolve(**kwargs).settings
