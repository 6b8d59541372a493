"""ELink over HTTP as a source of links: one request per batch, one `id=` per UID."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from elinkcli.cache.codec import request_signature
from elinkcli.constants import ELINK
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.params import Params
from elinkcli.eutils.records import ELinkResult
from elinkcli.eutils.retry import error_text_is_transient

# NCBI's answer for an id it does not know, in place of the id.
NO_ID = frozenset({"0", "-1", ""})


def request_errors(result: ELinkResult) -> list[str]:
    """Errors that fail the whole request: top-level ones, transient ones anywhere, and those
    of a LinkSet that echoes no single source id (no id to pin them on: NCBI answers "Wrong
    DB name" in a LinkSet with no IdList). The others reject their own id."""
    return list(result.errors) + [
        e
        for ls in result.linksets
        for e in ls.errors
        if error_text_is_transient(e) or len([i for i in ls.ids if i not in NO_ID]) != 1
    ]


def all_errors(result: ELinkResult) -> Sequence[str]:
    """Any error anywhere fails the request (--union: one LinkSet for every id; and the
    commands whose answers are per-id entries, not LinkSets)."""
    return result.all_errors()


@dataclass(frozen=True)
class ElinkSource:
    """ELink asked with `params(uids)` (with no UIDs, it names the request in the cache);
    `errors` picks the errors that fail a request (the others reject their own id)."""

    client: EutilsClient
    params: Callable[[list[str]], Params]
    errors: Callable[[ELinkResult], Sequence[str]] = all_errors
    cached: bool = True

    @property
    def signature(self) -> str | None:
        if not self.cached:
            return None
        return request_signature(self.client.settings.base_url, ELINK, self.params([]))

    def answer(self, uids: list[str]) -> ELinkResult:
        # The XML stack only when ELink is asked: a run answered from the cache never is.
        from elinkcli.eutils.elink_parser import parse_elink, parse_elink_accessions

        params = self.params(uids)
        parse = parse_elink_accessions if ("idtype", "acc") in list(params) else parse_elink
        return self.client.call(ELINK, params, parse, self.errors, ids=uids)
