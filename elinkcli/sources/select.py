"""Which source answers a request: the one place a command's request meets a source of
links. Each chooser in CHOOSERS may take the request (and return its source) or leave it
(None); ELink over HTTP answers every request no chooser took.

Adding a source of links (NCBI's bulk link files in a local table, another service) is one
module beside this one with a class that has LinkSource's two members and a chooser that
says which requests it can answer, named here in CHOOSERS: no command changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from elinkcli.sources.elink import ElinkSource, all_errors

if TYPE_CHECKING:
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.eutils.records import ELinkResult
    from elinkcli.sources.base import LinkRequest, LinkSource

Chooser = Callable[["EutilsClient", "LinkRequest"], "LinkSource | None"]


def _tables(client: EutilsClient, request: LinkRequest) -> LinkSource | None:
    """NCBI's bulk link files in local tables (elinkcli.sources.tables), imported only
    when links_from or a loaded table calls for them."""
    settings = client.settings
    if settings.links_from == "elink" or settings.tables_dir is None:
        from elinkcli.tables.catalog import OWN_DATABASES, own_link

        name = request.asks if request.cmd == "acheck" else request.linkname
        own = name is not None and own_link(name) is not None
        if not own and request.db not in OWN_DATABASES:
            return None
    from elinkcli.sources.tables import choose

    return choose(client, request)


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
