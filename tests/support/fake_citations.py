"""A small citation server on 127.0.0.1 that answers as NIH iCite and Europe PMC do.

Where the shapes come from (every value served is invented; only the shapes are real):

* NIH iCite, API docs at https://icite.od.nih.gov/api: `GET /api/pubs?pmids=1,2,3&fl=...`
  takes up to 1000 comma-separated PMIDs in `pmids` (the iCite support page says 200; this
  fake enforces 1000 and answers more with HTTP 400), `fl` a comma-separated field list, and
  answers `{"meta": ..., "links": ..., "data": [records]}` with one record per PMID it knows,
  PMIDs it does not know simply absent. The legacy field names `cited_by` and `references`
  hold integer lists of PMIDs, and `pmid` is an integer too.
* Europe PMC RESTful API (https://europepmc.org/RestfulWebService):
  `GET /webservices/rest/{source}/{id}/citations` and `.../references`, paged by `page`
  (from 1) and `pageSize` (default 25, at most 1000), with `format=json`. Answers carry
  `hitCount` (every entry of every source, not only MED), and the entries in
  `citationList.citation[]` or `referenceList.reference[]`, each with `id` and `source`
  (MED for PubMed, PPR for preprints, AGR for the Alliance of Genome Resources...); a
  reference Europe PMC could not match has no `id` and no `source` at all.

Invented here: the citation graph (see `cited_by`/`references`), which PMIDs each service
knows, titles, years and counts, the error bodies, and that Europe PMC's default format
(XML) is not served (no `format=json` -> 400).

Run it alone: python tests/support/fake_citations.py [--port 8766]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ICITE_PREFIX = "/icite/api/"
EUROPEPMC_PREFIX = "/europepmc/webservices/rest/"
ICITE_MAX_PMIDS = 1000
EUROPEPMC_MAX_PAGE_SIZE = 1000
EUROPEPMC_DEFAULT_PAGE_SIZE = 25
EUROPEPMC_VERSION = "6.9"
# Every field an iCite record has here, in the order it is written; `fl` picks among them.
ICITE_FIELDS = (
    "pmid",
    "year",
    "title",
    "authors",
    "journal",
    "is_research_article",
    "relative_citation_ratio",
    "citation_count",
    "cited_by_clin",
    "cited_by",
    "references",
    "doi",
)
FAULTS = frozenset({"429", "500", "503", "garbage", "html"})

Headers = dict[str, str]
Answer = tuple[int, Headers, bytes]

_JSON = "application/json"
_EPMC_JSON = "application/json;charset=UTF-8"
_HTML = "text/html; charset=utf-8"


# --- the citation graph: the oracle tests compare against ----------------------------------


def _number(pmid: str | int) -> int | None:
    """A PMID as an int, or None when it is not a positive decimal number."""
    text = str(pmid).strip()
    if not text.isascii() or not text.isdigit() or int(text) <= 0:
        return None
    return int(text)


def cited_by(pmid: str | int) -> list[str]:
    """Every PMID citing pmid p: p*10 + k for k < p % 7 (0 to 6 citers)."""
    p = _number(pmid)
    return [] if p is None else [str(p * 10 + k) for k in range(p % 7)]


def references(pmid: str | int) -> list[str]:
    """Every PMID pmid p cites: p + 1000 + 3k for k < p % 5 (0 to 4 references)."""
    p = _number(pmid)
    return [] if p is None else [str(p + 1000 + 3 * k) for k in range(p % 5)]


def known(pmid: str | int) -> bool:
    """Whether iCite has a record for pmid: a positive number not ending in 9."""
    return _number(pmid) is not None and not str(pmid).strip().endswith("9")


def europepmc_known(pmid: str | int) -> bool:
    """Whether Europe PMC has MED/pmid: a positive number not ending in 99.

    So PMIDs ending in 9 (but not 99) are in Europe PMC and absent from iCite.
    """
    return _number(pmid) is not None and not str(pmid).strip().endswith("99")


def pub_year(pmid: str | int) -> int:
    p = _number(pmid) or 0
    return 1980 + p % 45


def icite_cited_by(pmid: str | int) -> list[str]:
    """The PMIDs iCite lists in `cited_by`: all of them (none for a PMID it does not know)."""
    return cited_by(pmid) if known(pmid) else []


def icite_references(pmid: str | int) -> list[str]:
    """The PMIDs iCite lists in `references`: all of them."""
    return references(pmid) if known(pmid) else []


def pmc_cited_by(pmid: str | int) -> list[str]:
    """What PMC's ELink (pubmed_pubmed_citedin) would say: every other citer, cited_by[::2].

    Not served here (ELink is fake_eutils' job); a helper for tests that compare sources.
    """
    return cited_by(pmid)[::2]


@dataclass(frozen=True)
class Entry:
    """One Europe PMC citation or reference: source and id are None for an unmatched one."""

    source: str | None
    id: str | None
    title: str


def europepmc_cited_by(pmid: str | int) -> list[Entry]:
    """The citations Europe PMC lists, in order: cited_by minus every third (index % 3 == 2),
    then one preprint (source PPR, id PPR{p})."""
    if not europepmc_known(pmid):
        return []
    p = _number(pmid)
    med = [c for i, c in enumerate(cited_by(pmid)) if i % 3 != 2]
    return [Entry("MED", c, _title(c)) for c in med] + [
        Entry("PPR", f"PPR{p}", f"Invented preprint citing {p}")
    ]


def europepmc_references(pmid: str | int) -> list[Entry]:
    """The references Europe PMC lists, in order: every reference, then one it could not
    match (no id, no source, only a title), then one from source AGR."""
    if not europepmc_known(pmid):
        return []
    p = _number(pmid)
    assert p is not None
    return [
        *(Entry("MED", r, _title(r)) for r in references(pmid)),
        Entry(None, None, f"An unmatched reference of {p}"),
        Entry("AGR", f"AGR:AGR-Reference-{p:010d}", f"Invented AGR record cited by {p}"),
    ]


def med_ids(entries: list[Entry]) -> list[str]:
    """The PubMed ids among Europe PMC entries, in order."""
    return [e.id for e in entries if e.source == "MED" and e.id is not None]


def _title(pmid: str | int) -> str:
    return f"Invented article {pmid}"


# --- the log ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request the fake answered. service is "icite", "europepmc", or "other" (a path
    under neither prefix); params are the query's (last value wins); time is
    time.monotonic(); fault is what was injected instead of the real answer ("429", "500",
    "503", "garbage", "html"), or None."""

    service: str
    path: str
    params: dict[str, str]
    time: float
    fault: str | None = None


# --- the server ------------------------------------------------------------------------------


class FakeCitations:
    """iCite and Europe PMC on one ephemeral port.

    Knobs, all changeable while it runs:
      faults: consumed in order, one per request to either service ("429", "500", "503",
        "garbage", "html").
      fail_service: "icite" or "europepmc" answers every request to that service with 503.
      rate_limit: {service: N}; past N requests to that service within the last 1.0 s, a
        request answers 429 (requests turned away by the limit do not count against it).
    They apply in that order, fail_service first, before the method (POST -> 405) or the path
    is looked at; a request turned away by one consumes no fault. Paths under neither
    service's prefix answer 404 and are logged as service "other", untouched by faults.
    """

    def __init__(self) -> None:
        self.log: list[Request] = []
        self.faults: list[str] = []
        self.fail_service: str | None = None
        self.rate_limit: dict[str, int] = {}
        # The window rate_limit counts in (the services' would be 1 s).
        self.rate_window = 1.0
        self.port = 0
        self.icite_url = ""
        self.europepmc_url = ""
        # When requests the rate limit let through arrived, per service.
        self._admitted: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # The oracle, also as methods so tests can ask the fake they hold.
    cited_by = staticmethod(cited_by)
    references = staticmethod(references)
    known = staticmethod(known)
    europepmc_known = staticmethod(europepmc_known)
    icite_cited_by = staticmethod(icite_cited_by)
    icite_references = staticmethod(icite_references)
    europepmc_cited_by = staticmethod(europepmc_cited_by)
    europepmc_references = staticmethod(europepmc_references)
    pmc_cited_by = staticmethod(pmc_cited_by)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeCitations:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", port), handler)
        self.port = self._server.server_address[1]
        self.icite_url = f"http://127.0.0.1:{self.port}{ICITE_PREFIX}"
        self.europepmc_url = f"http://127.0.0.1:{self.port}{EUROPEPMC_PREFIX}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeCitations:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests_to(self, service: str) -> list[Request]:
        with self._lock:
            return [r for r in self.log if r.service == service]

    # --- one request -------------------------------------------------------------------------

    def handle(self, method: str, target: str) -> Answer:
        """Log a request, apply fail_service, rate_limit and faults, else answer it."""
        split = urlsplit(target)
        path = split.path
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        if path.startswith(ICITE_PREFIX):
            service = "icite"
        elif path.startswith(EUROPEPMC_PREFIX):
            service = "europepmc"
        else:
            service = "other"
        now = time.monotonic()
        with self._lock:
            fault: str | None = None
            if service != "other":
                if self.fail_service == service:
                    fault = "503"
                elif not self._admit(service, now):
                    fault = "429"
                elif self.faults:
                    fault = self.faults.pop(0)
            self.log.append(Request(service, path, params, now, fault))
        if fault is not None:
            return _fault(fault)
        if method != "GET":
            return _json(405, {"error": f"method {method} not allowed"}, Allow="GET")
        if service == "icite":
            return self._icite(path, params, target)
        if service == "europepmc":
            return self._europepmc(path, params)
        return _json(404, {"error": f"no such path: {path}"})

    def _admit(self, service: str, now: float) -> bool:
        """Whether the rate limit lets a request to service through (lock held)."""
        limit = self.rate_limit.get(service)
        if limit is None:
            return True
        window = [t for t in self._admitted.get(service, []) if now - t < self.rate_window]
        if len(window) >= limit:
            self._admitted[service] = window
            return False
        self._admitted[service] = [*window, now]
        return True

    # --- iCite -------------------------------------------------------------------------------

    def icite_record(self, pmid: int, fields: tuple[str, ...] = ICITE_FIELDS) -> dict[str, Any]:
        """The iCite record of a known pmid, restricted to fields."""
        citers = icite_cited_by(pmid)
        full: dict[str, Any] = {
            "pmid": pmid,
            "year": pub_year(pmid),
            "title": _title(pmid),
            "authors": "Ada Author, Ben Author",
            "journal": "J Invented",
            "is_research_article": True,
            "relative_citation_ratio": round(len(citers) / 3, 2),
            "citation_count": len(citers),
            "cited_by_clin": [],
            "cited_by": [int(c) for c in citers],
            "references": [int(r) for r in icite_references(pmid)],
            "doi": f"10.5555/invented.{pmid}",
        }
        return {f: full[f] for f in fields if f in full}

    def _icite(self, path: str, params: dict[str, str], target: str) -> Answer:
        if path.rstrip("/") != ICITE_PREFIX + "pubs":
            return _json(404, {"error": f"no such endpoint: {path}"})
        if "pmids" not in params:
            return _json(400, {"error": "pmids required"})
        tokens = [t.strip() for t in params["pmids"].split(",") if t.strip()]
        if len(tokens) > ICITE_MAX_PMIDS:
            return _json(400, {"error": "too many pmids"})
        fl = params.get("fl")
        fields = ICITE_FIELDS
        if fl is not None:
            wanted = {f.strip() for f in fl.split(",")}
            fields = tuple(f for f in ICITE_FIELDS if f in wanted)
        pmids = sorted({n for t in tokens if (n := _number(t)) is not None and known(t)})
        return _json(
            200,
            {
                "meta": {"pmids": params["pmids"], "fl": fl},
                "links": {"self": f"http://127.0.0.1:{self.port}{target}"},
                "data": [self.icite_record(p, fields) for p in pmids],
            },
        )

    # --- Europe PMC --------------------------------------------------------------------------

    def _europepmc(self, path: str, params: dict[str, str]) -> Answer:
        parts = path[len(EUROPEPMC_PREFIX) :].strip("/").split("/")
        if len(parts) != 3 or parts[2] not in ("citations", "references"):
            return _epmc_error(404, f"no such endpoint: {path}")
        source, ident, kind = parts
        if params.get("format") != "json":
            return _epmc_error(400, "format must be json (XML, the default, is not served here)")
        try:
            page = int(params.get("page", "1"))
            page_size = int(params.get("pageSize", str(EUROPEPMC_DEFAULT_PAGE_SIZE)))
        except ValueError:
            return _epmc_error(400, "page and pageSize must be integers")
        if page_size > EUROPEPMC_MAX_PAGE_SIZE:
            return _epmc_error(400, f"pageSize must be at most {EUROPEPMC_MAX_PAGE_SIZE}")
        if page < 1 or page_size < 1:
            return _epmc_error(400, "page and pageSize must be at least 1")
        known_here = source.upper() == "MED"
        if kind == "citations":
            entries = europepmc_cited_by(ident) if known_here else []
            shaped = [_epmc_citation(e) for e in entries]
            list_key, item_key = "citationList", "citation"
        else:
            entries = europepmc_references(ident) if known_here else []
            shaped = [_epmc_reference(e) for e in entries]
            list_key, item_key = "referenceList", "reference"
        start = (page - 1) * page_size
        return _json(
            200,
            {
                "version": EUROPEPMC_VERSION,
                "hitCount": len(shaped),
                "request": {"id": ident, "source": source, "page": page, "pageSize": page_size},
                list_key: {item_key: shaped[start : start + page_size]},
            },
            content_type=_EPMC_JSON,
        )


def _epmc_citation(e: Entry) -> dict[str, Any]:
    return {
        "id": e.id,
        "source": e.source,
        "citationType": "preprint" if e.source == "PPR" else "journal article",
        "title": e.title,
        "authorString": "Author A, Author B.",
        "journalAbbreviation": "" if e.source == "PPR" else "J Invented",
        "pubYear": pub_year(e.id or 0) if e.source == "MED" else 2024,
        "citedByCount": len(europepmc_cited_by(e.id or "")) if e.source == "MED" else 0,
    }


def _epmc_reference(e: Entry) -> dict[str, Any]:
    if e.id is None:
        return {"title": e.title, "match": "N"}
    return {
        "id": e.id,
        "source": e.source,
        "citationType": "JOURNAL ARTICLE",
        "title": e.title,
        "authorString": "Author A, Author B.",
        "journalAbbreviation": "J Invented",
        "pubYear": pub_year(e.id) if e.source == "MED" else 2015,
        "match": "Y",
    }


# --- answers ---------------------------------------------------------------------------------


def _json(status: int, body: object, content_type: str = _JSON, **headers: str) -> Answer:
    return status, {"Content-Type": content_type, **headers}, json.dumps(body).encode()


def _epmc_error(status: int, message: str) -> Answer:
    return _json(status, {"errCode": status, "errMsg": message}, content_type=_EPMC_JSON)


def _html(status: int, title: str) -> Answer:
    page = f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
    page += f"<body><h1>{title}</h1><p>Please try again later.</p></body></html>\n"
    return status, {"Content-Type": _HTML}, page.encode()


def _fault(fault: str) -> Answer:
    if fault == "429":
        return _json(429, {"error": "rate limit"}, **{"Retry-After": "0"})
    if fault == "500":
        return _html(500, "500 Internal Server Error")
    if fault == "503":
        return _html(503, "503 Service Unavailable")
    if fault == "garbage":
        return 200, {"Content-Type": _JSON}, b'{"data": ['
    if fault == "html":
        return _html(200, "Maintenance")
    return _json(500, {"error": f"unknown fault {fault!r}; known: {sorted(FAULTS)}"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of a burst of new connections, and
    # the kernel retries them a second later.
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    fake: FakeCitations
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle and delayed ACKs
    # hold each kept-alive answer back by about 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # drained, so the kept-alive connection stays in step
        status, headers, body = self.fake.handle(self.command, self.path)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_DELETE = _serve


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    fake = FakeCitations().start(args.port)
    print(f"icite_url={fake.icite_url}", flush=True)
    print(f"europepmc_url={fake.europepmc_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
