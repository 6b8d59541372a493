"""The fake server's model (support.fake_eutils.FakeEutils) answering in-process through
requests-mock, and a client for it with a fake clock: for library tests that need the
model's ESearch, ESummary or ELink without a server."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from elinkcli.cache.store import LinkSetCache
from elinkcli.config import Settings
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.pacing import StartPacer
from support.fake_eutils import FakeEutils
from support.fakes import FakeClock

BASE = "https://eutils.test/entrez/eutils/"


class Model:
    """requests-mock callback answering from a FakeEutils model; requests logged."""

    def __init__(self, fake: FakeEutils, endpoint: str) -> None:
        self.fake, self.endpoint, self.log = fake, endpoint, []

    def __call__(self, request: Any, context: Any) -> str:
        params = parse_qsl(request.body, keep_blank_values=True)
        self.log.append(params)
        return self.fake.answer("/entrez/eutils/" + self.endpoint, params)[2].decode()


def serve(requests_mock: Any, fake: FakeEutils, endpoints: Iterable[str]) -> dict[str, Model]:
    """The model answering POSTs to these endpoints under BASE: {endpoint: its Model}."""
    models = {e: Model(fake, e) for e in endpoints}
    for endpoint, model in models.items():
        requests_mock.post(BASE + endpoint, text=model)
    return models


def make_client(tmp_path: Any, mode: str = "use") -> EutilsClient:
    """A client of BASE: fake clock, two tries, a cache in `tmp_path` (mode "off": none)."""
    clock = FakeClock()
    settings = Settings(base_url=BASE, max_tries=2, backoff_base=0.01, cache_mode=mode)
    return EutilsClient(
        settings,
        clock=clock,
        rng=random.Random(1),
        pacer=StartPacer(settings.start_interval, clock),
        cache=LinkSetCache(tmp_path, 3600) if mode != "off" else None,
    )
