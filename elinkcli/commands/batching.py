"""Batches of source ids through the client: in input order, through the cache, with
failures kept for the end and hooks for journals and progress."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from elinkcli.cache.codec import linkset_ids, rename_linkset
from elinkcli.commands.ledger import Ledger
from elinkcli.config import Settings, resolve_settings
from elinkcli.constants import MAX_BATCH
from elinkcli.errors import GaveUpError, UsageError
from elinkcli.eutils.adaptive import AdaptiveBatch
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.records import ELinkResult, LinkSet
from elinkcli.ids.tokens import batches, uids_in
from elinkcli.sources.base import is_local, request_size
from elinkcli.sources.connect import connect
from elinkcli.sources.elink import NO_ID
from elinkcli.sources.select import source_for

if TYPE_CHECKING:
    from concurrent.futures import Future

    from elinkcli.ids.resolve import IdTable
    from elinkcli.sources.base import LinkRequest, LinkSource


def check_batch(batch: int) -> None:
    if not 1 <= batch <= MAX_BATCH:
        raise UsageError(f"--batch must be between 1 and {MAX_BATCH}, not {batch}")


@dataclass
class BatchHooks:
    """`skip`: indexes of batches already done (a resumed run); `done(index, n_ids)` is
    called once a batch's rows have all been taken by the consumer."""

    skip: set[int] = field(default_factory=set)
    done: Callable[[int, int], None] = lambda index, n: None


@contextmanager
def client_for(
    client: EutilsClient | None, settings: Settings | None, stats: Ledger
) -> Iterator[EutilsClient]:
    """The caller's client, or one of our own closed at the end; request counts into stats."""
    own = client is None
    client = client or connect(settings or resolve_settings())
    try:
        yield client
    finally:
        stats.requests = client.counters.requests
        stats.retries = client.counters.retries
        if own:
            client.close()


def run_batches(
    client: EutilsClient,
    ids: Sequence[str],
    size: int,
    source: LinkSource,
    stats: Ledger,
    hooks: BatchHooks | None = None,
    table: IdTable | None = None,
) -> Iterator[tuple[list[str], ELinkResult]]:
    """(batch of ids, answer) from a source of links (elinkcli.sources), batches in input
    order: the one way every command asks any source.

    Ids with a fresh cached answer (given a source signature and a client cache) are not asked
    again; only the others are sent, batched, so a rerun with one id added sends one small
    request. A batch given up after retries is left out of what is yielded and, after every
    other batch, reported as PartialFailure naming its ids. In offline mode nothing is sent:
    the ids not cached end the run with CacheMissError, after every cached answer.

    With a `table`, `ids` are the user's tokens: requests send their UIDs, answers are
    cached per UID, and every echoed id is mapped back to the token it stands for.
    """
    hooks = hooks or BatchHooks()
    mark = stats.mark()
    signature = source.signature
    fetch = source.answer
    cache = client.cache if signature is not None else None
    mode = client.settings.cache_mode
    mapped = table is not None and not table.trivial
    uids_of = uids_in(table if mapped else None)
    chunks = [(n, c) for n, c in enumerate(batches(ids, size)) if n not in hooks.skip]
    todo = [i for _, c in chunks for i in c]
    hits: dict[str, list[LinkSet]] = {}
    if cache and mode in ("use", "offline"):
        assert signature is not None
        hits = cache.get_many(signature, dict.fromkeys(u for i in todo for u in uids_of(i)))
        if mapped:  # cached under UIDs: each answer renamed to the token asked
            hits = {
                i: [_as_token(ls, i, u) for u in uids_of(i) for ls in hits[u]]
                for i in todo
                if all(u in hits for u in uids_of(i))
            }
    stats.cache_hits += len(hits)
    misses = [i for i in todo if i not in hits]
    local = is_local(source)
    if mode == "offline" and not local:
        stats.ids_failed.extend(misses)
        stats.misses.extend(misses)
        outcomes: Iterator[tuple[list[str], ELinkResult | Exception]] = iter(())
        misses_left = set(misses)
    else:
        if not local:
            announce_run(client, stats, len(misses), size)
        requests: Iterable[list[str]] = batches(misses, request_size(source, size))
        window = None
        observe = None
        if client.settings.adaptive_batch and not local:
            # Never below --batch: when NCBI is failing anyway, smaller requests only mean more.
            sizer = AdaptiveBatch(size, floor=size)
            stats.request_sizes = sizer.sizes
            requests = sizer.chunks(misses)
            observe = sizer.observe
            # Cut each request when a worker is free for it, not queued ahead at an old size.
            window = client.settings.max_in_flight
        # Two tokens of one record (`7`, `007`) ask for it once; the answer goes to both.
        limit = request_size(source, size)
        ask = partial(_ask_uids, fetch, uids_of, limit) if mapped else fetch
        outcomes = (
            _one_ahead(ask, requests)
            if local
            else client.map_ordered(ask, requests, window, observe)
        )
        misses_left = set()
    resolved: dict[str, list[LinkSet] | None] = dict.fromkeys(misses_left)
    extra: list[LinkSet] = []
    complete = True
    for index, chunk in chunks:
        while any(i not in hits and i not in resolved for i in chunk):
            asked, outcome = next(outcomes)
            if isinstance(outcome, GaveUpError):
                stats.gave_up.append(type(outcome)(str(outcome), asked, outcome.tries))
                stats.ids_failed.extend(asked)
                resolved.update(dict.fromkeys(asked))
                continue
            if isinstance(outcome, Exception):
                raise outcome
            if mapped:
                assert table is not None
                outcome = _to_tokens(outcome, asked, table)
            answers, unmatched, unasked = _split(outcome, asked)
            extra.extend(unmatched)
            stats.ids_unexpected.extend(unasked)
            if cache is not None and signature is not None:
                cache.put_many(signature, _by_uid(answers) if mapped else answers)
            for uid in asked:
                resolved[uid] = answers.get(uid, [])
        done = [i for i in chunk if i in hits or resolved.get(i) is not None]
        linksets = [ls for i in done for ls in (hits[i] if i in hits else resolved[i] or [])]
        for i in chunk:
            resolved.pop(i, None)
        yield done, ELinkResult(tuple(linksets + extra))
        extra = []
        # The journal may only ever hold a prefix of the batches: a resumed run appends, so a
        # batch finished after a failed one must be written again after that one.
        complete = complete and len(done) == len(chunk)
        if complete:
            hooks.done(index, len(chunk))
    stats.settle(mark, requests_only=True)


def _one_ahead(
    fn: Callable[[list[str]], ELinkResult], items: Iterable[list[str]]
) -> Iterator[tuple[list[str], ELinkResult | Exception]]:
    """(item, fn(item)) in order, the next item's call running in a thread while this
    one's answer is used: a local source's next query beside the writing of these rows.
    No HTTP stack, no pacer."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="elinkcli-table") as pool:
        pending: Future[ELinkResult] | None = None
        last: list[str] = []
        for item in items:
            started = pool.submit(fn, item)
            if pending is not None:
                yield last, _outcome(pending)
            pending, last = started, item
        if pending is not None:
            yield last, _outcome(pending)


def _outcome(future: Future[ELinkResult]) -> ELinkResult | Exception:
    try:
        return future.result()
    except GaveUpError as exc:
        return exc


# A run longer than this at the allowed rate is announced before it starts.
ANNOUNCE_ABOVE = 60.0


def announce_run(client: EutilsClient, ledger: Ledger, n_ids: int, size: int) -> None:
    """Say how many requests and about how long, once a run, when it is more than
    ANNOUNCE_ABOVE seconds at the allowed rate."""
    if ledger.announced:
        return
    n_requests = -(-n_ids // size)
    seconds = n_requests * client.settings.start_interval
    if seconds > ANNOUNCE_ABOVE:
        ledger.announced = True
        client.notice(
            f"{n_ids} id(s) to ask in {n_requests} requests: about {_duration(seconds)} at "
            f"NCBI's rate ({1 / client.settings.start_interval:.1f} requests/s)",
            "estimate",
        )


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _ask_uids(
    fetch: Callable[[list[str]], ELinkResult],
    uids_of: Callable[[str], tuple[str, ...]],
    limit: int,
    chunk: list[str],
) -> ELinkResult:
    """One answer for a chunk of tokens: the UIDs they stand for, each once, asked at most
    `limit` a request (a token may stand for thousands: an sra study)."""
    uids = list(dict.fromkeys(u for t in chunk for u in uids_of(t)))
    if len(uids) <= limit:
        return fetch(uids)
    parts = [fetch(part) for part in batches(uids, limit)]
    return ELinkResult(
        tuple(ls for p in parts for ls in p.linksets), tuple(e for p in parts for e in p.errors)
    )


def _as_token(ls: LinkSet, token: str, uid: str) -> LinkSet:
    """An answer for `uid`, renamed to the token that stands for it."""
    return replace(rename_linkset(ls, _constant(token)), uid=uid)


def _by_uid(answers: dict[str, list[LinkSet]]) -> dict[str, list[LinkSet]]:
    """Answers renamed to tokens, as the cache keeps them: under each record's UID (a UID
    two tokens stand for, `7` and `007` or a study and its sample, kept once)."""
    out: dict[str, list[LinkSet]] = {}
    for a in answers.values():
        mine: dict[str, list[LinkSet]] = {}
        for ls in a:
            if ls.uid is not None and ls.uid not in out:
                mine.setdefault(ls.uid, []).append(
                    replace(rename_linkset(ls, _constant(ls.uid)), uid=None)
                )
        out.update(mine)
    return out


def _constant(name: str) -> Callable[[str], str]:
    """A renaming that gives every id the one name."""
    return lambda _: name


def _to_tokens(result: ELinkResult, asked: Sequence[str], table: IdTable) -> ELinkResult:
    """The answer with each echoed UID (or accession) renamed to the asked token it stands
    for; a UID two tokens stand for (`7` and `007`) gives each its own copy. Ids that
    stand for no asked token are left as NCBI wrote them."""
    out: list[LinkSet] = []
    for ls in result.linksets:
        named = linkset_ids(ls)
        tokens = table.tokens_for(named[0], asked) if len(named) == 1 else []
        if tokens:
            out += [_as_token(ls, t, named[0] if t in table.sets else table.uid(t)) for t in tokens]
        elif named:
            out.append(rename_linkset(ls, lambda i: next(iter(table.tokens_for(i, asked)), i)))
        else:
            out.append(ls)
    return ELinkResult(tuple(out), result.errors)


def per_id_elink(
    ids: Sequence[str],
    batch: int,
    request: LinkRequest,
    *,
    client: EutilsClient | None,
    settings: Settings | None,
    stats: Ledger,
    hooks: BatchHooks | None,
    table: IdTable | None = None,
) -> Iterator[tuple[list[str], ELinkResult]]:
    """run_batches for a command asked one id at a time (one `id=` per id), from the source
    that answers `request` (elinkcli.sources.select); any <ERROR> fails a request."""
    with client_for(client, settings, stats) as session:
        source = source_for(session, request)
        yield from run_batches(session, ids, batch, source, stats, hooks, table)


def _split(
    result: ELinkResult, asked: Sequence[str]
) -> tuple[dict[str, list[LinkSet]], list[LinkSet], list[str]]:
    """{asked id: its LinkSets} for cacheable answers; LinkSets that name several asked ids,
    or none, or carry an error, come back apart, to be passed on but never cached; and the
    ids an answer named that were never asked. An answer speaks only for what was asked:
    a LinkSet whose IdList names a stranger is dropped (its links cannot be told apart), and
    a stranger's check, acheck or LinkOut entry is taken out of its LinkSet."""
    wanted = set(asked)
    answers: dict[str, list[LinkSet]] = {}
    other: list[LinkSet] = []
    unasked: list[str] = []
    for ls in result.linksets:
        strangers = [i for i in ls.ids if i not in wanted and i not in NO_ID]
        if strangers:
            unasked.extend(strangers)
            continue
        ls = _asked_entries(ls, wanted, unasked)
        named = linkset_ids(ls)
        if len(named) == 1 and named[0] in wanted and not ls.errors:
            answers.setdefault(named[0], []).append(ls)
        else:
            other.append(ls)
    return answers, other, unasked


def _asked_entries(ls: LinkSet, wanted: set[str], unasked: list[str]) -> LinkSet:
    """The LinkSet without the per-id entries (ncheck/lcheck, acheck, LinkOut) of ids never
    asked; those ids go to `unasked`."""

    def asked(entry_id: str) -> bool:
        if entry_id in wanted or entry_id in NO_ID:
            return True
        unasked.append(entry_id)
        return False

    if not (ls.id_checks or ls.id_link_sets or ls.id_url_sets):
        return ls
    checks = tuple(c for c in ls.id_checks if asked(c.id))
    link_sets = tuple(s for s in ls.id_link_sets if asked(s.id))
    url_sets = tuple(s for s in ls.id_url_sets if asked(s.id))
    if (len(checks), len(link_sets), len(url_sets)) == (
        len(ls.id_checks),
        len(ls.id_link_sets),
        len(ls.id_url_sets),
    ):
        return ls
    return replace(ls, id_checks=checks, id_link_sets=link_sets, id_url_sets=url_sets)
