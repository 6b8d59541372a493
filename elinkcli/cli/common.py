"""What every command shares: the client from the options, and one flow from rows to the
output (writer, atomic file and journal, progress, summary)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from elinkcli import constants as C
from elinkcli.cli.errors import Interrupted, say, warn
from elinkcli.cli.options import Common
from elinkcli.commands import notices
from elinkcli.errors import ElinkError, UsageError
from elinkcli.inert import line

if TYPE_CHECKING:
    from elinkcli.commands.batching import BatchHooks
    from elinkcli.commands.ledger import Ledger, Tallied
    from elinkcli.config import Settings
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.eutils.requestlog import RequestLog
    from elinkcli.ids.edirect import EDirectMessage
    from elinkcli.output.files import AtomicOutput, DirectOutput
    from elinkcli.output.writers import ToObject


Row = Sequence[object]


def cache_mode(common: Common) -> str:
    chosen = [
        mode
        for mode, on in (
            ("refresh", common.refresh),
            ("off", common.no_cache),
            ("offline", common.offline),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UsageError("--refresh, --no-cache and --offline exclude each other")
    return chosen[0] if chosen else "use"


def settings_of(common: Common) -> Settings:
    """The run's settings as the common options make them, nothing said (make_client says
    what they give cause to)."""
    from elinkcli.config import resolve

    return resolve(links_from=common.links_from, base_url=common.base_url).settings


def make_client(common: Common, **more: str | None) -> EutilsClient:
    """The client of the common options; `more`: other settings of resolve() (citations)."""
    from elinkcli.commands.settings import settled
    from elinkcli.sources.connect import connect

    settings = settled(
        warn,
        command_line=True,
        **more,
        base_url=common.base_url,
        email=common.email,
        api_key=common.api_key,
        timeout=common.timeout,
        deadline=common.deadline,
        max_time=common.max_time,
        cache_ttl=common.cache_ttl,
        cache_mode=cache_mode(common),
        adaptive_batch=common.adaptive_batch,
        links_from=common.links_from,
    ).settings
    log = request_log(common)
    retries_shown = not common.quiet and (
        common.verbose or (sys.stderr is not None and sys.stderr.isatty())
    )

    def notice(kind: str, text: str) -> None:
        if kind not in ("retry", "estimate") or retries_shown:
            warn(text)

    if settings.max_time:
        _watchdog(settings.max_time)
    try:
        return connect(settings, log=log, on_notice=notice)
    except BaseException:
        if log is not None:
            log.close()
        raise


# Every wait of the request layer ends by --max-time; this is for what it cannot cut short
# (a DNS lookup the system resolver keeps waiting on).
WATCHDOG_GRACE = 15.0


def _watchdog(max_time: float) -> None:
    import threading

    from elinkcli.cli.errors import leave_now

    def expire() -> None:
        say(
            f"elinkcli: error: the run's --max-time ({max_time:g} s) ran out; stopped "
            f"{WATCHDOG_GRACE:g} s later, with requests still waiting"
        )
        leave_now(4)

    timer = threading.Timer(max_time + WATCHDOG_GRACE, expire)
    timer.daemon = True
    timer.start()


def request_log(common: Common) -> RequestLog | None:
    """--log FILE (`-`: stderr), else -log/-debug (stderr), else none. An unwritable FILE
    is a usage error, raised before any request or output is opened."""
    from elinkcli.eutils.requestlog import STDERR, RequestLog

    if common.log is not None:
        return RequestLog.open(common.log)
    return RequestLog.open(STDERR) if common.log_stderr else None


def show_summary(common: Common) -> bool:
    """The run summary goes to stderr on a terminal or with --verbose; --quiet wins."""
    if common.quiet:
        return False
    return common.verbose or (sys.stderr is not None and sys.stderr.isatty())


@dataclass(frozen=True)
class OutputSpec:
    fmt: str | None
    columns: Sequence[str]
    uid_key: str
    header: bool = True
    title: str | None = None
    message: EDirectMessage | None = None
    came_as_message: bool = False
    as_object: ToObject | None = None
    table_columns: Sequence[str] | None = None
    # What tells one run from another, for --resume: the source ids (argv is added).
    ids: Sequence[str] = ()
    # What names the input when it is not a list of ids (a History set, a query): --resume.
    identity: Sequence[str] = ()
    # --format xml, an eLinkResult document, is for `link` only (link_stats given; else
    # a usage error): the run's Ledger, read live for the ids without links, which get
    # an empty LinkSet at their place in `ids`; the source database; --union.
    link_stats: Ledger | None = None
    source_db: str = ""
    union: bool = False
    # The formats the command writes (elinkcli.constants.COMMAND_FORMATS): the
    # configured default format applies only where it is one of them.
    accepts: Sequence[str] = ("tsv", "edirect")
    # Rows with scores: the default format keeps them (choose_format).
    scored: bool = False
    # uid and edirect: the column written where uid_key is empty (--idtype acc: the UID).
    uid_fallback: str | None = None


@functools.cache
def configured_format() -> str | None:
    """ELINKCLI_FORMAT, else the config file's `format`: the default into a pipe or file
    (read alone, once a process: the other settings are checked when the client is made)."""
    from elinkcli.config import configured_format as read

    return read()


def choose_format(
    fmt: str | None,
    came_as_message: bool,
    to_file: bool,
    *,
    accepts: Sequence[str] | None = None,
    scored: bool = False,
    configured: str | None = None,
) -> str:
    """The explicit format; else table on a terminal; else the configured format
    (ELINKCLI_FORMAT, config `format`) when the command `accepts` it; else edirect into a
    pipe fed by a message, tsv otherwise. Links with scores (`scored`) never default to a
    format that drops them: the eLinkResult document carries them, as EDirect's -cmd score."""
    if fmt:
        return fmt
    if not to_file and sys.stdout.isatty():
        return "table"
    accepted = accepts if accepts is not None else ("tsv", "edirect")
    if configured is not None and configured in accepted:
        chosen = configured
    else:
        chosen = "edirect" if came_as_message and "edirect" in accepted else "tsv"
    if scored and chosen in ("edirect", "uid") and "xml" in accepted:
        return "xml"
    return chosen


def run_fingerprint(
    common: Common, ids: Sequence[str], columns: Sequence[str] | None = None
) -> str:
    """What identifies a run for --resume: its command and the options that shape the
    output (Common.run_shape), and its ids; and its columns when they are not the
    command's own (link's ninth, `source`, once local tables are in play: a file begun
    with eight columns is not resumed with nine)."""
    shape: list[object] = [common.run_shape, list(ids)]
    if columns is not None and "source" in columns:
        shape.append(list(columns))
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:32]


def run_rows(
    common: Common,
    spec: OutputSpec,
    produce: Callable[[EutilsClient | None, BatchHooks], Iterable[Row]],
    *,
    total_ids: int = 0,
    summary: Callable[[], None] = lambda: None,
    needs_client: bool = True,
    batched: bool = False,
    client_options: dict[str, str | None] | None = None,
    ledger: Tallied | None = None,
) -> None:
    """Rows from `produce(client, hooks)` (lists of rows with `batched`) to stdout or to
    --output FILE (atomically, with a journal for --resume), with a progress bar on a
    terminal and the summary at the end. `ledger`: what counts the run (for the summary);
    the journal keeps its counts after each batch, and a resumed run's `ledger.before`
    gets those of the batches it skips, so its summary is the whole run's."""
    from elinkcli.cli.progress import Progress
    from elinkcli.commands.batching import BatchHooks
    from elinkcli.output.files import OutputComplete, open_output
    from elinkcli.output.writers import make_writer

    if common.resume and common.output is None:
        raise UsageError("--resume goes with --output FILE")
    configured = configured_format()
    fmt = choose_format(
        spec.fmt,
        spec.came_as_message,
        common.output is not None,
        accepts=spec.accepts,
        scored=spec.scored,
        configured=configured,
    )
    xml = None
    if fmt == "xml":
        from elinkcli.output.elink_xml import XML_IS_FOR_LINK, XmlSpec

        if spec.link_stats is None:
            raise UsageError(XML_IS_FOR_LINK)
        xml = XmlSpec(spec.source_db, spec.link_stats, spec.union)
    if common.resume and fmt in ("edirect", "table", "xml"):
        setting = (
            f" (the {C.ENV_FORMAT} / config format setting: give --format tsv, json, jsonl "
            "or uid for this run)"
            if fmt == configured
            else ""
        )
        raise UsageError(f"--resume works with tsv, json, jsonl and uid, not {fmt}{setting}")
    # Settings first: a bad option or config file must fail before any output is opened.
    client_context = (
        make_client(common, **(client_options or {})) if needs_client else contextlib.nullcontext()
    )
    try:
        target = (
            open_output(
                common.output,
                run_fingerprint(common, spec.identity or spec.ids, spec.columns),
                common.resume,
                shape=common.run_shape,
            )
            if common.output
            else None
        )
    except OutputComplete as complete:  # --resume of a FILE this command line completed
        with client_context:
            say(f"elinkcli: {complete}")
        return
    resumed = target is not None and target.resumed
    if ledger is not None and target is not None and resumed:
        ledger.before = dict(target.tally)
    # Ids of the finished batches, those of a resumed run's journal included.
    ids_done = [target.tally.get("ids", 0) if target is not None and resumed else 0]
    writer = make_writer(
        fmt,
        target.stream if target else sys.stdout,
        spec.columns,
        uid_key=spec.uid_key,
        header=spec.header and not resumed,
        title=spec.title,
        message=spec.message,
        as_object=spec.as_object,
        table_columns=spec.table_columns,
        resumed_rows=target.rows if target is not None and resumed else 0,
        seen=_written_ids(target) if resumed and fmt == "uid" else None,
        xml=xml,
        uid_fallback=spec.uid_fallback,
    )
    rows_written = target.rows if target is not None and resumed else 0
    # Rows streaming to the terminal are the progress: a bar drawn among them would garble
    # them (edirect alone writes at the end). The summary still comes.
    to_screen = common.output is None and fmt != "edirect" and sys.stdout.isatty()
    progress = Progress(
        total_ids,
        enabled=not common.quiet
        and not to_screen
        and sys.stderr is not None
        and sys.stderr.isatty(),
    )

    def batch_done(index: int, n_ids: int) -> None:
        ids_done[0] += n_ids
        if target is not None:
            counts = {"ids": ids_done[0], **(ledger.tally() if ledger is not None else {})}
            target.batch_done(index, rows_written, counts)
        progress.advance(n_ids, rows_written)

    hooks = BatchHooks(skip=set(target.done) if target else set(), done=batch_done)
    ok = False
    where = str(common.output) if common.output else "stdout"
    with client_context as client:
        progress.watch(client)
        try:
            for item in produce(client, hooks):
                with _writing(where):
                    if batched:  # a list of rows: one batch's
                        writer.write_many(item)  # type: ignore[arg-type]
                        rows_written += len(item)
                        del item  # not kept while the next batch is parsed
                    else:
                        writer.write(item)
                        rows_written += 1
            ok = True
        except ElinkError as exc:
            writer.error = str(exc)
            raise
        except KeyboardInterrupt:
            writer.error = "interrupted"
            raise Interrupted(_what_was_done(target, ids_done[0], total_ids)) from None
        except BaseException as exc:
            writer.error = line(f"{type(exc).__name__}: {exc}")
            raise
        finally:
            try:
                with _writing(where):
                    writer.close()
            finally:
                progress.stop()
                if target is not None:
                    target.commit() if ok else target.abort()
                summary()


def _what_was_done(target: AtomicOutput | DirectOutput | None, ids: int, total: int) -> str:
    """What an interrupted run leaves, for the line after `elinkcli: interrupted`."""
    from elinkcli.output.files import AtomicOutput

    of = f"{ids:,} of {total:,}" if total else f"{ids:,}"
    if isinstance(target, AtomicOutput):
        if not target.done:
            return f"no batch was finished, nothing kept: {target.path} is as it was"
        batches = f"{len(target.done):,} batch{'es' if len(target.done) != 1 else ''}"
        return (
            f"{of} id(s) ({batches}) are finished and kept in {target.journal}; "
            "rerun the same command with --resume to continue"
        )
    return f"{of} id(s) were done" if ids or total else ""


@contextlib.contextmanager
def _writing(where: str) -> Iterator[None]:
    """An OSError while writing output (a full disk, /dev/full, EIO) is OutputError; a
    reader gone away (BrokenPipeError) stays what it is (`| head` ends quietly)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        from elinkcli.errors import OutputError

        message = f"cannot write {where}: {exc.strerror or exc}"
        raise OutputError(message, to_stdout=where == "stdout") from None


def _written_ids(target: AtomicOutput | DirectOutput | None) -> set[object]:
    from elinkcli.output.files import AtomicOutput

    if not isinstance(target, AtomicOutput):
        return set()
    return {line.strip() for line in target.part.read_text("utf-8").splitlines() if line.strip()}


def warn_not_echoed(stats: Ledger) -> None:
    """Ids NCBI gave no answer for, and ids it answered for unasked, are named on stderr,
    whatever the verbosity."""
    for text in (*notices.not_echoed(stats), *notices.unexpected(stats)):
        warn(text)


def _listing(label: str, ids: Sequence[str], total: int | None = None) -> str:
    """`ids` named (the first 1000 kept), with how many more there are, and how many more
    were in the batches a --resume skipped (`total`: the whole run's count)."""
    named = list(ids[:1000])
    more = [f"{len(ids) - len(named)} more"] if len(ids) > len(named) else []
    if total is not None and total > len(ids):
        more.append(f"{total - len(ids)} in the batches done before --resume")
    shown = ",".join([*named, *(["..."] if more else [])])
    return f"elinkcli: {label}: {shown}" + (f" ({', '.join(more)})" if more else "")


def print_link_summary(
    stats: Ledger,
    *,
    verbose: bool,
    union: bool = False,
    yes: str = "with links",
    no: str = "without links",
) -> None:
    # The whole run's counts: a resumed run's include the batches done before (stats.before).
    whole = stats.tally()
    before = stats.before.get("ids", 0)
    parts = [f"{stats.ids_in} id(s) in" + (f" ({before} done before --resume)" if before else "")]
    if not union:
        parts.append(f"{whole['with']} {yes}")
        parts.append(f"{whole['without']} {no}")
    if whole["not_echoed"]:
        parts.append(f"{whole['not_echoed']} not echoed by NCBI")
    if whole["members_not_echoed"]:
        parts.append(f"{whole['members_not_echoed']} record(s) of a token not echoed")
    if whole["unexpected"]:
        parts.append(f"{whole['unexpected']} answered but not asked")
    if whole["failed"]:
        parts.append(f"{whole['failed']} failed")
    cached = f", {stats.cache_hits} from the cache" if stats.cache_hits else ""
    if stats.origins and set(stats.origins) != {"elink"}:
        said = "; ".join(f"{origin}: {n} id(s)" for origin, n in stats.origins.items())
        say(f"elinkcli: answered from {said}")
    say(
        f"elinkcli: {', '.join(parts)}; {whole['links']} link(s); "
        f"{stats.requests} request(s), {stats.retries} retr{'y' if stats.retries == 1 else 'ies'}"
        f"{cached}"
    )
    if stats.request_sizes:
        sizes = stats.request_sizes
        say(
            f"elinkcli: adaptive batch: {len(sizes)} request(s) of {min(sizes)}-{max(sizes)} "
            f"ids, the last of {sizes[-1]}"
        )
    if verbose:
        for label, ids, key in (
            (no, stats.ids_without_links, "without"),
            ("not echoed by NCBI", stats.ids_not_echoed, "not_echoed"),
            ("records of a token not echoed", stats.members_not_echoed, "members_not_echoed"),
            ("answered but not asked", stats.ids_unexpected, "unexpected"),
            ("failed", stats.ids_failed, "failed"),
        ):
            if whole[key]:
                say(_listing(label, ids, whole[key]))
