"""Typed exceptions of the library and the exit status each one means."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from elinkcli.inert import QUOTE_LIMIT, cut, line

# A message names this many ids at most, then says how many there are in all (the ids
# themselves stay on the exception, and the command line keeps the whole list in a file).
SHOWN_IDS = 50


def id_listing(ids: Sequence[str], shown: int = SHOWN_IDS) -> str:
    """`a,b,c`; past `shown` ids, the first ones and how many in all."""
    if len(ids) <= shown:
        return ",".join(ids)
    return ",".join(ids[:shown]) + f",… ({len(ids):,} in all)"


def _reasons(texts: Sequence[str], shown: int = 3) -> str:
    distinct = sorted({cut(text, QUOTE_LIMIT) for text in texts})
    more = len(distinct) - shown
    return "; ".join(distinct[:shown]) + (f"; and {more} other reason(s)" if more > 0 else "")


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    REJECTED = 3
    GAVE_UP = 4
    INTERRUPTED = 130


# What each exit status means: the one text of every command's --help (elinkcli.cli.panels),
# the man pages, README.md and docs/usage.md (tools/gendocs.py writes those from here).
EXIT_MEANINGS: tuple[tuple[ExitStatus, str], ...] = (
    (
        ExitStatus.OK,
        "success, also when nothing links, when the reader of stdout stops early, and for "
        "--resume of a FILE the same command already completed (nothing asked, FILE as it was)",
    ),
    (
        ExitStatus.ERROR,
        "elinkcli could not do its own part: writing the output failed (a full disk, "
        "/dev/full), the cache cannot be used (with --offline, or by a cache command), a "
        "temporary file for a long input cannot be written, the system is not POSIX, a local "
        "table cannot be loaded or read (a damaged download, a full disk, a damaged record: "
        "the table in use before stays in use), or an internal error (a bug, named as one in "
        "the message). For linkout validate, convert and preview: the file has errors "
        "(validate --strict: warnings too)",
    ),
    (
        ExitStatus.USAGE,
        "usage or bad input: an unknown option, format or command, a bad id, an empty id "
        "list, binary data on stdin, a file that cannot be read, a name refused with --strict, "
        "an --output FILE that cannot be opened or resumed, --from tables for what no loaded "
        "table answers, local tables without DuckDB installed",
    ),
    (
        ExitStatus.REJECTED,
        "NCBI rejected the request (an invalid database, link name or id, HTTP 400/414, a "
        "redirect to another host; for `tables get`, a file not on the server, or longer than "
        "it said), never retried",
    ),
    (
        ExitStatus.GAVE_UP,
        "gave up: a request failed after its retries, --max-time ran out, an answer could "
        "not be used, --offline found ids missing from the cache, or a search run again (or a "
        "History set) came back with fewer ids than counted. The output holds everything that "
        "succeeded and stderr names the failed ids. For `tables get`: the download failed "
        "after its retries",
    ),
    (
        ExitStatus.INTERRUPTED,
        "interrupted (Ctrl-C): one line says how many ids were done and, with --output, "
        "what is kept for --resume",
    ),
)


class ElinkError(Exception):
    """Base of every error elinkcli raises on purpose. Its text is inert (elinkcli.inert):
    one line, control and format characters escaped, the API key masked, cut short."""

    exit_status = ExitStatus.ERROR

    def __str__(self) -> str:
        return line(super().__str__())


class UsageError(ElinkError):
    """Bad options or bad input: nothing was (or will be) asked of NCBI."""

    exit_status = ExitStatus.USAGE


class OutputError(ElinkError):
    """The output cannot be written (a full disk, a device error, /dev/full)."""

    def __init__(self, message: str, to_stdout: bool = False) -> None:
        super().__init__(message)
        self.to_stdout = to_stdout


class ResponseParseError(ElinkError):
    """A body that is not the XML expected (truncated, HTML, empty, not JSON): worth asking
    again."""


class ResponseValueError(ResponseParseError):
    """A well-formed answer holding what its fields may not hold (an id that is no id, a
    number that is no number, nesting past any real answer's): not asked again."""


class NCBIError(ElinkError):
    """NCBI answered with an error or not at all."""


class TransientError(NCBIError):
    """Worth asking again: 429, 5xx, dropped connection, timeout, bad body, transient <ERROR>."""

    def __init__(
        self, message: str, retry_after: float | None = None, max_tries: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        # Fewer tries than the policy's for this cause (an unknown <ERROR> text, no DNS).
        self.max_tries = max_tries


class PermanentError(NCBIError):
    """NCBI rejected the request (HTTP 400/414, invalid database or link name...): never retried."""

    exit_status = ExitStatus.REJECTED


class UnknownIdsError(PermanentError):
    """Ids the user gave that name no record (or several): the others were linked."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        shown = "; ".join(f"{token} {why}" for token, why in problems[:SHOWN_IDS])
        more = f"; … ({len(problems):,} in all)" if len(problems) > SHOWN_IDS else ""
        super().__init__(f"{len(problems)} id(s) not linked: {shown}{more}")
        self.problems = tuple(problems)
        self.ids = tuple(token for token, _ in problems)


class ClientClosedError(ElinkError):
    """A request asked of a client that was already closed (the run is ending)."""


class GaveUpError(NCBIError):
    """Every try of a request failed, or its deadline passed."""

    exit_status = ExitStatus.GAVE_UP

    def __init__(self, message: str, ids: Sequence[str] = (), tries: int = 0) -> None:
        super().__init__(message)
        self.ids = tuple(ids)
        self.tries = tries


class MaxTimeError(GaveUpError):
    """The run's --max-time ran out before this request was answered."""


class IncompleteSetError(NCBIError):
    """NCBI counted more (or fewer) records than it handed out: the set is not used."""

    exit_status = ExitStatus.GAVE_UP


class PartialFailure(NCBIError):
    """The run finished, but some batches were given up; the rest of the output is complete."""

    exit_status = ExitStatus.GAVE_UP

    def __init__(self, failures: Sequence[GaveUpError]) -> None:
        ids = [i for f in failures for i in f.ids]
        what = (
            f"{len(ids)} id(s) not done"
            if all(isinstance(f, MaxTimeError) for f in failures)
            else f"gave up on {len(ids)} id(s) after retries"
        )
        reasons = _reasons([str(f) for f in failures])
        super().__init__(f"{what}: {reasons}; failed ids: {id_listing(ids)}")
        self.failures = tuple(failures)
        self.ids = tuple(ids)


class RunCutShort(PartialFailure):
    """--max-time ran out in a long input read in windows: what failed is named, the ids
    after it in the input are counted (they were never read)."""

    def __init__(self, failures: Sequence[GaveUpError], not_read: int) -> None:
        super().__init__(failures)
        self.args = (f"{self.args[0]}; and {not_read} id(s) after them in the input",)
        self.not_read = not_read


class CacheMissError(NCBIError):
    """--offline: these ids have no fresh answer in the cache."""

    exit_status = ExitStatus.GAVE_UP

    def __init__(self, ids: Sequence[str], what: str = "") -> None:
        self.ids = tuple(ids)
        shown = id_listing(self.ids)
        super().__init__(what or f"--offline: {len(self.ids)} id(s) are not in the cache: {shown}")
