"""What the request layer is handed to keep answers in, as an interface: the client carries
it for the commands and closes it with itself, but neither makes nor reads it
(elinkcli.cache.store.LinkSetCache is the one made, by elinkcli.sources.connect)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from elinkcli.eutils.records import LinkSet


class AnswerStore(Protocol):
    """Answers kept per id under a request's signature."""

    def get_many(self, signature: str, ids: Iterable[str]) -> dict[str, list[LinkSet]]: ...

    def put_many(self, signature: str, answers: Mapping[str, Sequence[LinkSet]]) -> None: ...

    def get_values(
        self, signature: str, ids: Iterable[str], check: Callable[[Any], Any] = ...
    ) -> dict[str, Any]: ...

    def put_values(self, signature: str, values: Mapping[str, Any]) -> None: ...

    def close(self) -> None: ...
