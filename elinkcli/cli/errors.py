"""The one place where errors become a stderr line and an exit status."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from elinkcli import constants as C
from elinkcli.errors import SHOWN_IDS, ElinkError, ExitStatus, OutputError
from elinkcli.inert import line

P = ParamSpec("P")
R = TypeVar("R")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C in a run, with what the run had done by then (said on the same line as
    `elinkcli: interrupted`: the ids finished and how to go on)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


def say(text: str) -> None:
    """One line on stderr, made inert (elinkcli.inert): every word elinkcli says to a
    person goes through here, the API key masked even when the run has not read its
    settings yet (an error in the input on stdin)."""
    _know_secrets()
    print(line(text), file=sys.stderr)


@functools.cache
def _know_secrets() -> None:
    from elinkcli.config import default_config_file, read_config_file
    from elinkcli.inert import keep_secret

    keep_secret(os.environ.get(C.ENV_API_KEY))
    args = sys.argv[1:]
    for n, arg in enumerate(args):
        name, equals, value = arg.partition("=")
        if name in ("--api-key", "-api_key"):
            keep_secret(value if equals else (args[n + 1] if n + 1 < len(args) else None))
    try:
        settings, _ = read_config_file(default_config_file(os.environ))
    except Exception:  # a config file that cannot be read holds no key to mask
        return
    key = settings.get("api_key")
    keep_secret(key if isinstance(key, str) else None)


def report(exc: ElinkError) -> int:
    """Print `elinkcli: error: ...` on stderr; return the exit status. An error naming
    more ids than a message shows keeps them all in a file, and says where."""
    say(f"elinkcli: error: {exc}{_all_ids(exc)}")
    return int(exc.exit_status)


def _all_ids(exc: ElinkError) -> str:
    ids = getattr(exc, "ids", ())
    if not isinstance(ids, (tuple, list)) or len(ids) <= SHOWN_IDS:
        return ""
    from elinkcli.output.idfiles import keep_ids

    return f"; {keep_ids(ids)}"


def warn(message: str) -> None:
    say(f"elinkcli: warning: {message}")


def leave_now(code: int) -> None:
    """Exit at once, without waiting for requests still in flight in worker threads."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _stdout_closed(code: int = ExitStatus.OK) -> None:
    # The reader went away (`| head`), or stdout cannot take more (/dev/full): point it at
    # /dev/null so no later flush fails.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    leave_now(code)


def _flush_stdout() -> None:
    """Flush stdout at the end; a write error there (a full disk) is one line, exit 1."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_closed()
    except OSError as exc:
        say(f"elinkcli: error: cannot write stdout: {exc.strerror or exc}")
        _stdout_closed(ExitStatus.ERROR)


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command: library errors, a closed pipe and Ctrl-C end cleanly, no traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = command(*args, **kwargs)
            _flush_stdout()
            return result
        except ElinkError as exc:
            code = report(exc)
            if isinstance(exc, OutputError) and exc.to_stdout:
                _stdout_closed(code)
            _flush_stdout()
            # Leave at once: requests other threads still have in flight are not waited for.
            leave_now(code)
        except BrokenPipeError:
            _stdout_closed()
        except KeyboardInterrupt as exc:
            # A terminal shows ^C where the cursor is: the line starts below it.
            if sys.stderr is not None and sys.stderr.isatty():
                print(file=sys.stderr)
            detail = getattr(exc, "detail", "")
            say(f"elinkcli: interrupted: {detail}" if detail else "elinkcli: interrupted")
            leave_now(ExitStatus.INTERRUPTED)
        except Exception as exc:  # a bug of ours: one line, the traceback only on request
            if os.environ.get(C.ENV_DEBUG):
                traceback.print_exc()
            say(
                f"elinkcli: internal error: {type(exc).__name__}: {exc} "
                "(set ELINKCLI_DEBUG=1 for the traceback; please report it)"
            )
            leave_now(ExitStatus.ERROR)
        raise AssertionError("unreachable")

    return run
