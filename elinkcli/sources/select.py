"""Which source answers a request: the one place a command's request meets a source of
links. Each chooser in CHOOSERS may take the request (and return its source) or leave it
(None); ELink over HTTP answers every request no chooser took.

Adding a source of links (NCBI's bulk link files in a local table, another service) is one
module beside this one with a class that has LinkSource's two members and a chooser that
says which requests it can answer, named here in CHOOSERS: no command changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from elinkcli.catalog import OWN_DATABASES, OWN_LINKNAMES
from elinkcli.sources.elink import ElinkSource, all_errors

if TYPE_CHECKING:
    from elinkcli.config import Settings
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.eutils.records import ELinkResult
    from elinkcli.sources.base import LinkRequest, LinkSource

Chooser = Callable[["EutilsClient", "LinkRequest"], "LinkSource | None"]


def _tables(client: EutilsClient, request: LinkRequest) -> LinkSource | None:
    """NCBI's bulk link files in local tables (elinkcli.sources.tables), imported only
    when links_from, a loaded table or one of elinkcli's own link names calls for them."""
    name = request.asks if request.cmd == "acheck" else request.linkname
    own = (name is not None and name in OWN_LINKNAMES) or request.db in OWN_DATABASES
    if not own and not tables_may_answer(client.settings):
        return None
    from elinkcli.sources.tables import choose

    return choose(client, request)


def tables_may_answer(settings: Settings) -> bool:
    """Whether local tables may answer links (links_from tables or auto), decided without
    importing them when the answer is no: `elink`, no tables directory, or (links_from not
    set) no table record in it."""
    if settings.links_from == "elink" or settings.tables_dir is None:
        return False
    if settings.links_from is None:
        try:
            with os.scandir(settings.tables_dir) as entries:
                if not any(e.name.endswith(".json") for e in entries):
                    return False
        except OSError:
            return False
    from elinkcli.sources.tables import links_from

    return links_from(settings) != "elink"


# The sources asked before ELink, in order.
CHOOSERS: tuple[Chooser, ...] = (_tables,)


def source_for(
    client: EutilsClient,
    request: LinkRequest,
    errors: Callable[[ELinkResult], Sequence[str]] = all_errors,
    choosers: Sequence[Chooser] | None = None,
) -> LinkSource:
    """The source that answers `request`: the first chooser's that takes it, else ELink
    (`errors`: which of ELink's errors fail a whole request; --union answers are not cached)."""
    for choose in CHOOSERS if choosers is None else choosers:
        found = choose(client, request)
        if found is not None:
            return found
    return ElinkSource(client, request.params, errors, cached=not request.union)
