"""The texts of the warnings a run gives after (or beside) its rows, written once for the
command line and for elinkcli.api: each function gives the lines to say, none when all is
well."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import urlsplit

from elinkcli.commands.ledger import Ledger

SHOWN = 50


def _shown(ids: Sequence[str]) -> str:
    return ",".join(ids[:SHOWN]) + (",..." if len(ids) > SHOWN else "")


def clear_key(base_url: str, api_key: str | None) -> Iterator[str]:
    """A key sent over plain http to another machine can be read on the way."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if api_key and parts.scheme == "http" and not is_loopback(host):
        yield f"the API key goes to {host} over plain http: use an https base URL"


def is_loopback(host: str) -> bool:
    """Is `host` (a URL's hostname, IPv6 without its brackets) this machine for certain:
    `localhost`, or an address literal of the loopback network (IPv4-mapped IPv6 too)?
    Any other name may resolve anywhere (`127.attacker.example`)."""
    if not host.isascii():
        return False
    if host.lower().removesuffix(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def not_echoed(stats: Ledger) -> Iterator[str]:
    """Ids NCBI gave no answer for."""
    if stats.ids_not_echoed:
        n = len(stats.ids_not_echoed)
        yield f"NCBI did not answer for {n} id(s): {_shown(stats.ids_not_echoed)}"
    if stats.members_not_echoed:
        n = len(stats.members_not_echoed)
        yield (
            f"NCBI did not answer for {n} record(s) of a study, sample or submission: "
            f"{_shown(stats.members_not_echoed)} (the token's rows are those of its other records)"
        )


def unexpected(stats: Ledger) -> Iterator[str]:
    """Ids an answer named that no request asked for: their answers were dropped."""
    if stats.ids_unexpected:
        n = len(stats.ids_unexpected)
        yield (
            f"NCBI's answers named {n} id(s) never asked for: {_shown(stats.ids_unexpected)} "
            "(their links are not written)"
        )


def capped(stats: Ledger) -> Iterator[str]:
    """Link lists as long as their link name's cap: probably cut off."""
    for source_id, linkname, count in stats.capped:
        yield f"{source_id}: {count} links in {linkname}, its cap: probably cut off by NCBI"


def unknown_pmids(unknown: Mapping[str, Sequence[str]]) -> Iterator[str]:
    """PMIDs a citation service does not know, by service."""
    for service, pmids in unknown.items():
        yield f"{service} does not know {len(pmids)} PMID(s): {_shown(pmids)}"
