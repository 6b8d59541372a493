"""Why an id got no links, where it can be known (`link --why`): the local table that
answered holds none for it; ELink's `acheck` says the record has no link of that name
today (and which names it has); or ESummary knows no such record. EDirect says only
"UNEXPECTED EMPTY LINK RESULT".

Asked after the run, only for the ids kept in the ledger's list of ids without links (its
first KEEP), in batches, paced and cached like every request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from elinkcli.errors import NCBIError
from elinkcli.ids.tokens import batches

if TYPE_CHECKING:
    from elinkcli.commands.ledger import Ledger
    from elinkcli.eutils.client import EutilsClient

# Link names shown for a record that has others.
SHOWN_NAMES = 5


def explain(
    client: EutilsClient,
    ledger: Ledger,
    db: str,
    linkname: str | None,
    uid_of: Callable[[str], str],
    batch: int = 100,
) -> dict[str, str]:
    """{token: why it has no links} for the ids without links the ledger kept; the ones
    that cannot be told (a request failed) are left out."""
    tokens = [t for t in ledger.ids_without_links if t]
    what = linkname or "such"
    why: dict[str, str] = {}
    asked: list[str] = []
    for token in tokens:
        origin = ledger.empty_in_table.get(token)
        if origin is not None:
            why[token] = f"table {origin} holds no {what} link for it"
        else:
            asked.append(token)
    if not asked:
        return why
    names = _link_names(client, db, [uid_of(t) for t in asked], batch)
    unknown: list[str] = []
    for token in asked:
        has = names.get(uid_of(token))
        if has is None:
            continue
        others = [n for n in has if n != linkname]
        if others:
            shown = ", ".join(others[:SHOWN_NAMES]) + (", ..." if len(others) > SHOWN_NAMES else "")
            why[token] = f"the record has no {what} link today (ELink acheck); it has {shown}"
        else:
            unknown.append(token)
    known = _records(client, db, [uid_of(t) for t in unknown])
    for token in unknown:
        uid = uid_of(token)
        if known is None or uid in known:
            why[token] = "the record has no links at all today (ELink acheck)"
        else:
            why[token] = f"names no {db} record (ESummary)"
    return why


def _link_names(
    client: EutilsClient, db: str, uids: Sequence[str], batch: int
) -> dict[str, list[str]]:
    """{uid: the link names ELink's acheck lists for it}; a failed batch's ids are absent."""
    from elinkcli.commands.batching import run_batches
    from elinkcli.commands.ledger import Ledger
    from elinkcli.sources.base import LinkRequest
    from elinkcli.sources.elink import ElinkSource

    request = LinkRequest(dbfrom=db, cmd="acheck")
    source = ElinkSource(client, request.params)
    out: dict[str, list[str]] = {}
    for _, result in run_batches(client, list(dict.fromkeys(uids)), batch, source, Ledger()):
        for ls in result.linksets:
            for entry in ls.id_link_sets:
                # ELink's link names are db_db[_kind]; LinkOut shows as "ExternalLink".
                names = [i.linkname for i in entry.linkinfos if "_" in (i.linkname or "")]
                out[entry.id] = list(dict.fromkeys(names))
    return out


def _records(client: EutilsClient, db: str, uids: Sequence[str]) -> set[str] | None:
    """The UIDs ESummary has a record of; None when it could not be asked."""
    from elinkcli.ids.resolve import SUMMARY_BATCH, summaries

    found: set[str] = set()
    try:
        for part in batches(list(dict.fromkeys(uids)), SUMMARY_BATCH):
            found.update(d.uid for d in summaries(client, db, part).docsums)
    except NCBIError:
        return None
    return found
