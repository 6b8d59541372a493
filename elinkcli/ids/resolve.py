"""The user's ids as NCBI's UIDs, and back: accessions resolved per database, every echo
form of a record mapped to the token the user typed, and target accessions for
`--idtype acc`. Every request goes through the client (paced, retried, cached).

How a token becomes a UID:
- a number is a UID, leading zeros dropped; `PMC123` (pmc) and `rs334` (snp) are the UID
  with a prefix;
- sequence databases: ESummary takes the accessions themselves (a bare one names its
  current version), and its DocSums say which UID each is;
- databases whose DocSum names the record's accession (bioproject, biosample, gds,
  assembly, sra, snp): one ESearch of OR'ed `ACC[FIELD]` terms, then ESummary of the
  UIDs found, read back to tell which accession gave which UID (never by position);
- other databases: one ESearch per accession;
- a DOI (pubmed, pmc): one ESearch of OR'ed `"DOI"[doi]` terms, then ESummary of the UIDs
  found, whose `ArticleIds` `doi` says which DOI gave which UID.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from elinkcli import validate as V
from elinkcli.accessions import (
    DOI_DBS,
    SEQUENCE_DBS,
    SUMMARY_ITEMS,
    UID_PREFIXES,
    base,
    doi_of,
    is_doi,
    is_uid,
    names_record,
    names_several,
    pattern_of,
    summary_accessions,
    summary_dois,
    summary_runs,
    uid_form,
)
from elinkcli.cache.codec import request_signature
from elinkcli.constants import EFETCH, ESEARCH, ESUMMARY
from elinkcli.errors import GaveUpError, UsageError
from elinkcli.eutils.client import EutilsClient
from elinkcli.ids.tokens import batches, check_ids

if TYPE_CHECKING:
    from elinkcli.eutils.records import DocSum, ESummaryResult
    from elinkcli.eutils.store import AnswerStore

# Terms OR'ed in one ESearch, and ids in one ESummary (POSTed).
SEARCH_BATCH = 100
SUMMARY_BATCH = 200


@dataclass
class IdTable:
    """The run's source tokens, each with its UID, and every form NCBI may echo (UID,
    accession.version, bare accession; lower case) mapped back to the tokens."""

    db: str
    tokens: list[str] = field(default_factory=list)
    uids: dict[str, str] = field(default_factory=dict)
    echoes: dict[str, list[str]] = field(default_factory=dict)
    # (token, why it was not linked), in input order.
    problems: list[tuple[str, str]] = field(default_factory=list)
    # Requests given up on while resolving: their tokens were not linked.
    failed: list[GaveUpError] = field(default_factory=list)
    # Tokens that stand for several records (an sra study, sample or submission names
    # every experiment of it): their UIDs, in order.
    sets: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def add(self, token: str, uid: str, accessions: Iterable[str] = ()) -> None:
        self.tokens.append(token)
        if uid == token and not accessions:
            return  # its own UID: nothing to map (a run of millions of UIDs stays small)
        self.uids[token] = uid
        for form in {f.lower() for f in (uid, token, *accessions)}:
            self.echoes.setdefault(form, []).append(token)

    def add_set(self, token: str, uids: Sequence[str]) -> None:
        """A token that stands for several records: each row it gets keeps the token as
        source_id, its record's UID as source_uid."""
        self.tokens.append(token)
        self.uids[token] = uids[0]
        self.sets[token] = tuple(uids)
        for uid in dict.fromkeys(uids):
            self.echoes.setdefault(uid.lower(), []).append(token)

    def uid(self, token: str) -> str:
        """The token's UID (a token standing for several records: the first)."""
        return self.uids.get(token, token)

    def uids_of(self, token: str) -> tuple[str, ...]:
        """Every UID the token stands for."""
        return self.sets.get(token) or (self.uids.get(token, token),)

    def tokens_for(self, echoed: str, asked: Iterable[str]) -> list[str]:
        """The asked tokens an echoed id stands for (none: it names no asked token)."""
        wanted = set(asked)
        found = [t for t in self.echoes.get(echoed.lower(), ()) if t in wanted]
        if echoed in wanted and echoed not in found and echoed not in self.uids:
            found.append(echoed)  # a token that is its own UID
        return found

    @property
    def trivial(self) -> bool:
        """Every token is its own UID: nothing to map."""
        return not self.uids


def build_table(
    client: EutilsClient | None,
    db: str,
    tokens: Sequence[str],
) -> IdTable:
    """Resolve `tokens` of `db` (checked and de-duplicated by check_ids), in input order.
    Accessions that name no record, or several, go to `problems`, not into the table."""
    checked = check_ids(tokens, db)
    if client is not None and client.settings.links_from == "tables":
        from elinkcli.sources.tables import by_accession

        if by_accession(client.settings, db):
            return _as_accessions(db, checked)
    prefix = UID_PREFIXES.get(db, "")
    direct: dict[str, tuple[str, list[str]]] = {}
    pending: list[str] = []
    for token in checked:
        if is_uid(token):
            direct[token] = (uid_form(token), [])
        elif (
            prefix
            and token.lower().startswith(prefix.lower())
            and is_uid(rest := token[len(prefix) :])
        ):
            number = uid_form(rest)
            direct[token] = (number, [prefix + number])
        else:
            pending.append(token)
    if pending and client is None:
        raise UsageError(f"accessions of {db} need NCBI to be resolved")
    found: dict[str, object] = {}
    if pending and client is not None:
        several = [t for t in pending if names_several(db, t)]
        if several:
            found.update(_resolve_sets(client, db, several))
            pending = [t for t in pending if t not in found]
        dois = [t for t in pending if not pattern_of(db, t) and is_doi(db, t)]
        if dois:
            found.update(_resolve_dois(client, db, dois))
            pending = [t for t in pending if t not in found]
        if pending:
            found.update(_resolve(client, db, pending))
    table = IdTable(db)
    for token in checked:
        outcome = direct.get(token) or found.get(token)
        if isinstance(outcome, tuple):
            table.add(token, outcome[0], outcome[1])
        elif isinstance(outcome, list):
            table.add_set(token, outcome)
        elif isinstance(outcome, GaveUpError):
            if not table.failed or table.failed[-1] is not outcome:
                table.failed.append(outcome)
        else:
            table.problems.append((token, str(outcome or f"names no {db} record")))
    return table


def _as_accessions(db: str, tokens: Sequence[str]) -> IdTable:
    """Tokens for a table that speaks accessions (sra_accessions): each its own upper-case
    accession; a UID names nothing there."""
    from elinkcli.tables.sra import EXAMPLES, is_sra_accession

    table = IdTable(db)
    for token in tokens:
        if pattern_of(db, token) and is_sra_accession(token):
            table.add(token, token.upper())
        else:
            table.problems.append(
                (
                    token,
                    f"is none of the {db} accessions table sra_accessions holds "
                    f"(such as {EXAMPLES[db]}): it has accessions, not UIDs",
                )
            )
    return table


def _caches(client: EutilsClient) -> tuple[AnswerStore | None, AnswerStore | None]:
    """The cache to read (use, offline) and the cache to write (use, refresh)."""
    mode = client.settings.cache_mode
    return (
        client.cache if mode in ("use", "offline") else None,
        client.cache if mode in ("use", "refresh") else None,
    )


def _signature(client: EutilsClient, db: str) -> str:
    return request_signature(client.settings.base_url, "accession", [("db", db)])


def _resolve(client: EutilsClient, db: str, tokens: list[str]) -> dict[str, object]:
    """{token: (uid, its accessions) or the reason it names no single record}."""
    cache, writable = _caches(client)
    signature = _signature(client, db)
    lowered = [t.lower() for t in tokens]
    known = cache.get_values(signature, lowered, _cached_record) if cache else {}
    found: dict[str, object] = {}
    todo: list[str] = []
    for token in tokens:
        hit = known.get(token.lower())
        if hit:
            found[token] = (hit[0], list(hit[1]))
        else:
            todo.append(token)
    if not todo:
        return found
    if db in SEQUENCE_DBS and client.settings.links_from != "elink":
        # A loaded gene2accession / gene2refseq maps accession.version to GI offline.
        from elinkcli.sources.tables import local_records

        records = local_records(client.settings, db, todo)
        local = {t: v for t, v in _match(db, todo, records).items() if isinstance(v, tuple)}
        found.update(local)
        todo = [t for t in todo if t not in local]
        if not todo:
            return found
    if db in SEQUENCE_DBS:
        fresh = _by_summary(client, db, todo)
    elif db in SUMMARY_ITEMS:
        fresh = _by_search_and_summary(client, db, todo)
    else:
        fresh = _by_single_searches(client, db, todo)
    found.update(fresh)
    if writable is not None:
        writable.put_values(
            signature,
            {t.lower(): list(v) for t, v in fresh.items() if isinstance(v, tuple)},
        )
    return found


def _cached_record(value: Any) -> tuple[str, list[str]]:
    """A cached resolution, [uid, [accessions]], checked as an answer is."""
    uid, accessions = value
    if not isinstance(uid, str) or not isinstance(accessions, list):
        raise TypeError("not a resolution")
    return V.uid(uid, "a cached UID"), [V.token(a, "a cached accession") for a in accessions]


def _cached_accession(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not an accession")
    return V.token(value, "a cached accession")


def summaries(client: EutilsClient, db: str, ids: Sequence[str]) -> ESummaryResult:
    # The parsers (and the XML stack) where a request is made: UIDs alone make none.
    from elinkcli.eutils.parsers import parse_esummary

    params = [("db", db), ("id", ",".join(ids))]
    return client.call(ESUMMARY, params, partial(parse_esummary, db=db), _unattributed, ids=ids)


# NCBI's <ERROR> for one id it has no record of, beside the other DocSums ("Invalid uid X
# at position=N", "UID=X: cannot get document summary"): that id is unknown, the request is
# fine. Any other <ERROR> fails the request.
_ONE_ID = re.compile(r"invalid uid|\buid\s*=|cannot get document summary", re.IGNORECASE)


def _unattributed(result: ESummaryResult) -> list[str]:
    return [e for e in result.errors if not _ONE_ID.search(e)]


def _match(db: str, tokens: Sequence[str], records: dict[str, list[str]]) -> dict[str, object]:
    """Each token's record among {uid: accessions}; none or several is a reason."""
    out: dict[str, object] = {}
    for token in tokens:
        uids = [uid for uid, accs in records.items() if names_record(token, accs)]
        if len(uids) > 1 and base(token) == token:
            uids = _current(token, uids, records)
        if len(uids) == 1:
            out[token] = (uids[0], records[uids[0]])
        elif uids:
            out[token] = f"names {len(uids)} {db} records ({', '.join(uids)})"
        elif "." in token and is_uid(token.rpartition(".")[2]):
            out[token] = f"names no {db} record (no such accession, or no such version)"
        else:
            out[token] = f"names no {db} record"
    return out


def _current(token: str, uids: list[str], records: dict[str, list[str]]) -> list[str]:
    """A bare accession names its current version: of records that are versions of it,
    the one with the highest version (several of them stay several)."""
    t = token.lower()
    versions: dict[str, int] = {}
    for uid in uids:
        numbers = [
            int(a.rpartition(".")[2]) for a in records[uid] if base(a.lower()) == t and a != base(a)
        ]
        if not numbers:
            return uids
        versions[uid] = max(numbers)
    top = max(versions.values())
    return [uid for uid, v in versions.items() if v == top]


def _by_summary(client: EutilsClient, db: str, tokens: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for chunk in batches(tokens, SUMMARY_BATCH):
        with _failing(out, chunk):
            result = summaries(client, db, chunk)
            records = {d.uid: summary_accessions(db, list(d.items)) for d in result.docsums}
            out.update(_match(db, chunk, records))
    return out


@contextmanager
def _failing(out: dict[str, object], chunk: list[str]) -> Iterator[None]:
    """A request given up on fails the tokens it was for (the others are resolved)."""
    try:
        yield
    except GaveUpError as exc:
        failure = type(exc)(str(exc), chunk, exc.tries)
        out.update(dict.fromkeys(chunk, failure))


def _search_uids(
    client: EutilsClient, db: str, terms: Sequence[str], tokens: Sequence[str]
) -> list[str]:
    from elinkcli.eutils.parsers import parse_esearch

    params = [("db", db), ("term", " OR ".join(terms)), ("retmax", str(10 * len(terms) + 100))]
    return list(client.call(ESEARCH, params, parse_esearch, lambda r: r.errors, ids=tokens).ids)


def _term(db: str, token: str) -> str:
    pattern = pattern_of(db, token)
    return f"{token}[{pattern.field}]" if pattern and pattern.field else token


def _by_search_and_summary(client: EutilsClient, db: str, tokens: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for chunk in batches(tokens, SEARCH_BATCH):
        with _failing(out, chunk):
            uids = _search_uids(client, db, [_term(db, t) for t in chunk], chunk)
            records: dict[str, list[str]] = {}
            for part in batches(uids, SUMMARY_BATCH):
                for d in summaries(client, db, part).docsums:
                    records[d.uid] = summary_accessions(db, list(d.items))
            out.update(_match(db, chunk, records))
    return out


def _by_single_searches(client: EutilsClient, db: str, tokens: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for token in tokens:
        with _failing(out, [token]):
            uids = _search_uids(client, db, [_term(db, token)], [token])
            if len(uids) == 1:
                out[token] = (uids[0], [token])
            elif uids:
                out[token] = f"names {len(uids)} {db} records ({', '.join(uids[:10])})"
            else:
                out[token] = f"names no {db} record"
    return out


# --- accessions naming several records (an sra study) ---------------------------------

# UIDs one ESearch page lists, and the most records one token may stand for.
SET_PAGE = 10_000
SET_MAX = 100_000


def _resolve_sets(client: EutilsClient, db: str, tokens: list[str]) -> dict[str, object]:
    """{token: [the UIDs of every record it names, ascending] or why not}, for accessions
    naming several records: one ESearch of `ACC[FIELD]` per token (its own search, so
    every UID found is that token's), paged; a listing shorter than ESearch's count is a
    reason, never a subset. Cached per token, lower case."""
    cache, writable = _caches(client)
    signature = request_signature(client.settings.base_url, "accession-set", [("db", db)])
    known = cache.get_values(signature, [t.lower() for t in tokens], _cached_set) if cache else {}
    found: dict[str, object] = {}
    fresh: dict[str, list[str]] = {}
    for token in tokens:
        hit = known.get(token.lower())
        if hit:
            found[token] = list(hit)
            continue
        with _failing(found, [token]):
            outcome = _set_uids(client, db, token)
            found[token] = outcome
            if isinstance(outcome, list):
                fresh[token.lower()] = outcome
    if writable is not None and fresh:
        writable.put_values(signature, fresh)
    return found


def _set_uids(client: EutilsClient, db: str, token: str) -> list[str] | str:
    from elinkcli.eutils.parsers import parse_esearch

    term = _term(db, token)
    uids: dict[str, None] = {}
    count = 0
    for start in range(0, SET_MAX, SET_PAGE):
        params = [("db", db), ("term", term), ("retmax", str(SET_PAGE)), ("retstart", str(start))]
        page = client.call(ESEARCH, params, parse_esearch, lambda r: r.errors, ids=[token])
        count = page.count
        if count > SET_MAX:
            return (
                f"names {count} {db} records: more than elinkcli expands ({SET_MAX}); "
                f"give them as a search (esearch -db {db} -query '{term}' | elinkcli link …)"
            )
        uids.update(dict.fromkeys(page.ids))
        if len(page.ids) < SET_PAGE or start + SET_PAGE >= count:
            break
    if not uids:
        return f"names no {db} record"
    if len(uids) != count:
        return f"ESearch counted {count} {db} records for it but listed {len(uids)}"
    return sorted(uids, key=int)


def _cached_set(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > SET_MAX:
        raise TypeError("not a set of UIDs")
    return [V.uid(u, "a cached UID") for u in value]


# --- DOIs ------------------------------------------------------------------------------


def _cached_doi_record(value: Any) -> tuple[str, list[str]]:
    """A cached DOI resolution, [uid, [doi]], checked as an answer is."""
    uid, dois = value
    if not isinstance(uid, str) or not isinstance(dois, list):
        raise TypeError("not a resolution")
    return V.uid(uid, "a cached UID"), [_cached_doi(d) for d in dois]


def _cached_doi(value: Any) -> str:
    if not isinstance(value, str) or (value and doi_of(value) != value):
        raise TypeError("not a DOI")
    return value


def _resolve_dois(client: EutilsClient, db: str, tokens: list[str]) -> dict[str, object]:
    """{token: (uid, [its DOI]) or the reason it names no single record}, for DOI tokens
    (cached under their DOI, lower case: `doi:10.1/X` and `10.1/x` are one)."""
    cache, writable = _caches(client)
    signature = request_signature(client.settings.base_url, "doi", [("db", db)])
    doi = {t: doi_of(t) or t for t in tokens}
    keys = list(dict.fromkeys(d.lower() for d in doi.values()))
    known = cache.get_values(signature, keys, _cached_doi_record) if cache else {}
    found: dict[str, object] = {}
    todo: list[str] = []
    for token in tokens:
        hit = known.get(doi[token].lower())
        if hit:
            found[token] = (hit[0], list(hit[1]))
        else:
            todo.append(token)
    fresh: dict[str, object] = {}
    for chunk in batches(todo, SEARCH_BATCH):
        with _failing(fresh, chunk):
            terms = ['"' + doi[t] + '"[doi]' for t in chunk]
            uids = _search_uids(client, db, list(dict.fromkeys(terms)), chunk)
            records: dict[str, list[str]] = {}
            for part in batches(uids, SUMMARY_BATCH):
                for d in summaries(client, db, part).docsums:
                    records[d.uid] = summary_dois(list(d.items))
            fresh.update(_match_dois(db, chunk, doi, records))
    found.update(fresh)
    if writable is not None:
        writable.put_values(
            signature,
            {doi[t].lower(): list(v) for t, v in fresh.items() if isinstance(v, tuple)},
        )
    return found


def _match_dois(
    db: str, tokens: Sequence[str], doi: dict[str, str], records: dict[str, list[str]]
) -> dict[str, object]:
    """Each DOI token's record among {uid: its DOIs} (case does not matter)."""
    out: dict[str, object] = {}
    for token in tokens:
        wanted = doi[token].lower()
        uids = [uid for uid, dois in records.items() if wanted in (d.lower() for d in dois)]
        if len(uids) == 1:
            out[token] = (uids[0], [d for d in records[uids[0]] if d.lower() == wanted][:1])
        elif uids:
            out[token] = f"names {len(uids)} {db} records ({', '.join(uids[:10])})"
        else:
            out[token] = f"names no {db} record (no such DOI)"
    return out


def dois_of(client: EutilsClient, db: str, uids: Iterable[str]) -> dict[str, str]:
    """{uid: the record's DOI} for `--idtype doi` (cached per uid); a database whose
    records have no DOI gives {}, and so does a record without one."""
    wanted = list(dict.fromkeys(uids))
    if db not in DOI_DBS or not wanted:
        return {}

    def pick(d: DocSum) -> str:
        dois = summary_dois(list(d.items))
        return dois[0] if dois else ""  # cached too: no DOI is an answer

    found = _per_uid(client, db, "doi-of", wanted, _cached_doi, pick, _local_dois)
    return {uid: doi for uid, doi in found.items() if doi}


def _local_dois(client: EutilsClient, db: str, uids: list[str]) -> dict[str, str]:
    """{UID: DOI} from a loaded pmc_ids table (PMC-ids.csv: articles in PMC), when links
    may come from tables; a UID it has no DOI for is left to ESummary."""
    from elinkcli.sources.tables import links_from, reader
    from elinkcli.tables.store import TablesError, TablesStore

    settings = client.settings
    if settings.tables_dir is None or links_from(settings) == "elink":
        return {}
    try:
        with TablesStore(settings.tables_dir).reading("pmc_ids") as loaded:
            if loaded is None:
                return {}
            found = reader().dois(loaded, db, uids)
    except TablesError:
        return {}  # a table that cannot be read: ESummary answers
    return {uid: doi for uid, doi in found.items() if doi_of(doi) == doi}


# --- accessions out ------------------------------------------------------------------


def has_accessions(db: str) -> bool:
    return db in SUMMARY_ITEMS or db in UID_PREFIXES


def accessions_of(client: EutilsClient, db: str, uids: Iterable[str]) -> dict[str, str]:
    """{uid: the record's accession} for `--idtype acc` (cached per uid); a database with
    no accession gives {}."""
    every = list(dict.fromkeys(uids))
    # A target that is an accession already (a table that speaks accessions) is its own.
    named = {t: t for t in every if not is_uid(t)}
    wanted = [t for t in every if t not in named]
    if db in UID_PREFIXES:
        return {uid: f"{UID_PREFIXES[db]}{uid}" for uid in wanted} | named
    if db not in SUMMARY_ITEMS or not wanted:
        return named

    def pick(d: DocSum) -> str | None:
        accs = summary_accessions(db, list(d.items))
        return accs[0] if accs else None

    def local(client: EutilsClient, db: str, uids: list[str]) -> dict[str, str]:
        from elinkcli.sources.tables import local_accessions

        return local_accessions(client.settings, db, uids)

    return _per_uid(client, db, "accession-of", wanted, _cached_accession, pick, local) | named


T = TypeVar("T")


def _per_uid(
    client: EutilsClient,
    db: str,
    kind: str,
    uids: list[str],
    cached: Callable[[Any], T],
    pick: Callable[[DocSum], T | None],
    local: Callable[[EutilsClient, str, list[str]], dict[str, T]] | None = None,
) -> dict[str, T]:
    """{uid: what `pick` reads from its DocSum (None: nothing, not kept)}, each UID from the
    cache (`kind`'s entries, checked by `cached`) else, when links may come from tables, a
    loaded table (`local`) else ESummary, SUMMARY_BATCH UIDs a request; ESummary's answers
    are cached."""
    signature = request_signature(client.settings.base_url, kind, [("db", db)])
    cache, writable = _caches(client)
    found: dict[str, T] = dict(cache.get_values(signature, uids, cached)) if cache else {}
    todo = [u for u in uids if u not in found]
    if todo and local is not None and client.settings.links_from != "elink":
        found.update(local(client, db, todo))
        todo = [u for u in uids if u not in found]
    fresh: dict[str, T] = {}
    for part in batches(todo, SUMMARY_BATCH):
        for d in summaries(client, db, part).docsums:
            value = pick(d)
            if value is not None:
                fresh[d.uid] = value
    found.update(fresh)
    if writable is not None and fresh:
        writable.put_values(signature, fresh)
    return found


# --- runs out ------------------------------------------------------------------------


def _cached_runs(value: Any) -> list[str]:
    """A cached list of an experiment's runs, checked as an answer is."""
    if not isinstance(value, list):
        raise TypeError("not a list of runs")
    return [V.token(a, "a cached run accession") for a in value]


def runs_of(client: EutilsClient, uids: Iterable[str]) -> dict[str, list[str]]:
    """{sra experiment UID: its run accessions, in order} for `--idtype run` (cached per
    UID; an experiment with no runs listed has []). ESummary's `Runs`, 200 UIDs a request;
    an experiment it lists fewer runs of than ExpXml's `total_runs` is asked of EFetch
    (`rettype=runinfo`), one request each: never a subset. A failure names the experiment."""
    every = list(dict.fromkeys(uids))
    # Experiment accessions (from a table that speaks accessions): that table's runs.
    named = [t for t in every if not is_uid(t)]
    wanted = [t for t in every if is_uid(t)]
    local: dict[str, list[str]] = {}
    if named:
        from elinkcli.sources.tables import local_runs

        local = local_runs(client.settings, named)
    if not wanted:
        return local

    def pick(d: DocSum) -> list[str]:
        runs, total = summary_runs(list(d.items))
        if total is not None and len(runs) < total:
            runs = _runinfo_runs(client, d.uid, total)
        return runs

    return _per_uid(client, "sra", "runs-of", wanted, _cached_runs, pick) | local


def _runinfo_runs(client: EutilsClient, uid: str, total: int) -> list[str]:
    """The runs of experiment `uid` from EFetch's runinfo CSV; fewer than `total` fails."""
    from elinkcli.errors import PermanentError
    from elinkcli.ids.runinfo import parse_runinfo

    params = [("db", "sra"), ("id", uid), ("rettype", "runinfo"), ("retmode", "text")]
    what = f"runs of sra experiment {uid} (EFetch runinfo)"
    try:
        runs = client.call(EFETCH, params, parse_runinfo, ids=[uid])
    except GaveUpError as exc:
        raise type(exc)(f"{what}: {exc}", [uid], exc.tries) from None
    except PermanentError as exc:
        raise PermanentError(f"{what}: {exc}") from None
    if len(runs) < total:
        raise GaveUpError(
            f"{what}: NCBI lists {len(runs)} of its {total} runs (ESummary's total_runs)",
            [uid],
            1,
        )
    return runs
