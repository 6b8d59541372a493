"""`check`: does each record have neighbors (ncheck), LinkOut links (lcheck), or a given
link name (acheck)? One row per input id, never dropped."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from elinkcli.commands.batching import BatchHooks, check_batch, per_id_elink
from elinkcli.commands.ledger import Ledger
from elinkcli.config import Settings
from elinkcli.constants import DEFAULT_BATCH
from elinkcli.errors import UsageError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.records import ELinkResult
from elinkcli.ids.tokens import normalize_db, uids_in
from elinkcli.models import FieldRow
from elinkcli.sources.base import LinkRequest

if TYPE_CHECKING:
    from elinkcli.ids.resolve import IdTable

CHECK_CMDS = {"ncheck": "HasNeighbor", "lcheck": "HasLinkOut"}


@dataclass(frozen=True, slots=True)
class CheckRow(FieldRow):
    source_db: str
    source_id: str
    check: str
    # "Y" or "N"; "" when NCBI did not answer for this id.
    value: str
    # NCBI's UID for source_id (the token as given).
    source_uid: str


CHECK_COLUMNS = CheckRow.columns()


def check(
    ids: Sequence[str],
    *,
    db: str,
    cmd: str | None = None,
    name: str | None = None,
    batch: int = DEFAULT_BATCH,
    client: EutilsClient | None = None,
    settings: Settings | None = None,
    stats: Ledger | None = None,
    hooks: BatchHooks | None = None,
    table: IdTable | None = None,
) -> Iterator[CheckRow]:
    """A CheckRow per input id, in input order. Exactly one of `cmd` (ncheck, lcheck) or
    `name` (a link name, asked with acheck)."""
    if (cmd is None) == (name is None):
        raise UsageError("check needs exactly one of --cmd ncheck, --cmd lcheck or --name")
    if cmd is not None and cmd not in CHECK_CMDS:
        raise UsageError(f"unknown --cmd {cmd!r} for check (choose ncheck or lcheck)")
    check_batch(batch)
    return _check_rows(
        list(ids),
        normalize_db(db),
        cmd,
        name,
        batch,
        client,
        settings,
        stats if stats is not None else Ledger(),
        hooks,
        table,
    )


def _check_rows(
    ids: list[str],
    dbfrom: str,
    cmd: str | None,
    name: str | None,
    batch: int,
    client: EutilsClient | None,
    settings: Settings | None,
    stats: Ledger,
    hooks: BatchHooks | None,
    table: IdTable | None,
) -> Iterator[CheckRow]:
    label = cmd or name or ""
    uids_of = uids_in(table)
    stats.ids_in += len(ids)

    request = LinkRequest(dbfrom=dbfrom, cmd=cmd or "acheck", asks=name)
    run = per_id_elink(
        ids, batch, request, client=client, settings=settings, stats=stats, hooks=hooks, table=table
    )
    for chunk, result in run:
        answers = _answers(result, cmd, name)
        for source_id in chunk:
            uids = uids_of(source_id)
            values = [answers.get((source_id, u), answers.get((source_id, None))) for u in uids]
            if all(v is None for v in values):
                stats.ids_not_echoed.append(source_id)
            else:
                if "Y" in values:
                    stats.ids_with_links.append(source_id)
                else:
                    stats.ids_without_links.append(source_id)
                if len(uids) > 1:  # a token standing for several records: each must be answered
                    missing = (u for u, v in zip(uids, values, strict=True) if v is None)
                    stats.members_missing(source_id, missing)
            for u, value in zip(uids, values, strict=True):
                yield CheckRow(dbfrom, source_id, label, value or "", u)


def _answers(
    result: ELinkResult, cmd: str | None, name: str | None
) -> dict[tuple[str, str | None], str]:
    """{(echoed id, the UID it was asked as, when renamed): "Y" | "N"} from one answer."""
    answers: dict[tuple[str, str | None], str] = {}
    for ls in result.linksets:
        if cmd is not None:
            attr = CHECK_CMDS[cmd]
            for item in ls.id_checks:
                answers[item.id, ls.uid] = "Y" if item.get(attr) == "Y" else "N"
        else:
            for entry in ls.id_link_sets:
                has = any(li.linkname == name for li in entry.linkinfos)
                answers[entry.id, ls.uid] = "Y" if has else "N"
    return answers
