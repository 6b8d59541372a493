"""Values from outside (answers, the cache, documents on stdin) checked where they enter:
ids, names and numbers must have their documented ASCII form, free text is made inert.
A value that is not what its field allows raises ResponseValueError naming the field."""

from __future__ import annotations

import re
from collections.abc import Iterable

from elinkcli.errors import ResponseValueError
from elinkcli.inert import cut, escape, quote

# A UID: ASCII digits (the highest NCBI hands out has 10).
_UID = re.compile(r"[0-9]{1,20}")
# An id an answer may name: a UID, NCBI's "unknown" marker -1, or an accession-shaped
# token (letters, digits, `_` and `.`; PDB ids start with a digit).
_TOKEN = re.compile(r"-1|[A-Za-z0-9][A-Za-z0-9_.]{0,63}")
# Database and link names (`pubmed_pubmed_citedin`; acheck's `LinkOut`, `ExternalLink`).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{0,99}")
# NCBI's WebEnv: `MCID_…`, `NCID_1_…`, `0-g5Po62X-…@03F16D1B94400731_0005SID`.
_WEBENV = re.compile(r"[A-Za-z0-9_@.\-]{1,500}")
_COUNT = re.compile(r"[0-9]{1,15}")
# Free text (a provider's name, a menu, a URL) is cut here.
TEXT_LIMIT = 4000


def _bad(field: str, value: object) -> ResponseValueError:
    return ResponseValueError(f"{field} is not what it may be: {quote(repr(value), 80)}")


def uid(value: str, field: str = "a linked id") -> str:
    if _UID.fullmatch(value) is None:
        raise _bad(field, value)
    return value


def uids(values: Iterable[str], field: str = "a linked id") -> tuple[str, ...]:
    """All UIDs, checked in one pass over their joined text."""
    found = tuple(values)
    if found and re.fullmatch(r"[0-9]{1,20}(?:\n[0-9]{1,20})*", "\n".join(found)) is None:
        raise _bad(field, next(v for v in found if _UID.fullmatch(v) is None))
    return found


def token(value: str, field: str = "an id") -> str:
    if _TOKEN.fullmatch(value) is None:
        raise _bad(field, value)
    return value


def tokens(values: Iterable[str], field: str = "an id") -> tuple[str, ...]:
    return tuple(token(v, field) for v in values)


def name(value: str, field: str = "a name", *, empty: bool = True) -> str:
    """A database or link name (empty when `empty` allows and the answer has none)."""
    if (value == "" and empty) or _NAME.fullmatch(value) is not None:
        return value
    raise _bad(field, value)


def _optional(value: str | None, form: re.Pattern[str], field: str) -> str | None:
    """A field an answer may leave out or empty, else of its form."""
    if value and form.fullmatch(value) is None:
        raise _bad(field, value)
    return value


def webenv(value: str | None) -> str | None:
    return _optional(value, _WEBENV, "WebEnv")


def query_key(value: str | None) -> str | None:
    return _optional(value, _COUNT, "QueryKey")


def count(value: str, field: str = "Count") -> int:
    if _COUNT.fullmatch(value) is None:
        raise _bad(field, value)
    return int(value)


def number(value: object, field: str) -> int:
    """A JSON number or a string of ASCII digits, as an int (no bool, float or sign)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**15:
        return value
    if isinstance(value, str) and _COUNT.fullmatch(value):
        return int(value)
    raise _bad(field, value)


def text(value: str, limit: int = TEXT_LIMIT) -> str:
    """Free text from an answer: its control and format characters escaped, cut short."""
    return cut(escape(value), limit)
