"""Text from outside (servers, files, the user's input) made safe to show a person: control,
format (bidi) and line-breaking characters escaped visibly, length bounded, and every
secret elinkcli was given (the API key) masked. The one way such text reaches a person."""

from __future__ import annotations

import re
import threading

# Every character of Unicode categories Cc (C0, DEL, C1 with NEL), Cf (bidi embeddings,
# overrides and isolates, zero-width characters, BOM, tags...), Zl and Zp (U+2028/U+2029)
# and Cs (lone surrogates, from undecodable bytes). tests/unit/core/test_inert.py checks the class
# against unicodedata.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f\ud800-\udfff]"
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

# A line on stderr, or an error element, is cut after this many characters.
LINE_LIMIT = 2000
# A value quoted inside a message (an error text of NCBI's, a body, a token) is cut here.
QUOTE_LIMIT = 300
# A secret cut short at either end of a text still shows at most this many characters.
_PARTIAL = 5
MASK = "***"

_secrets: dict[str, re.Pattern[str]] = {}
_lock = threading.Lock()


# NCBI's API keys are 36 characters; a shorter "secret" (a test's `k`) is not masked, or
# every `k` of every message would be.
SECRET_MIN = 8


def keep_secret(secret: str | None) -> None:
    """Mask `secret` (any case) wherever text reaches a person from now on."""
    if not secret or len(secret) < SECRET_MIN or secret in _secrets:
        return
    with _lock:
        _secrets[secret] = re.compile(re.escape(secret), re.IGNORECASE)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape(text: str) -> str:
    """Control, format and line-breaking characters as visible escapes (`\\x1b`,
    `\\u202e`, `\\n`). Idempotent: the escapes are printable ASCII."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, the last an ellipsis when some were dropped."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def redact(text: str) -> str:
    """Every secret masked, also one cut short at either end of the text."""
    for secret, pattern in list(_secrets.items()):
        if pattern.search(text):
            text = pattern.sub(MASK, text)
        text = _mask_ends(text, secret)
    return text


_ELLIPSIS = ("…", "...")


def _mask_ends(text: str, secret: str) -> str:
    lowered, low_secret = text.lower(), secret.lower()
    tail = next((e for e in _ELLIPSIS if lowered.endswith(e)), "")
    body = lowered[: len(lowered) - len(tail)]
    for size in range(len(secret) - 1, _PARTIAL, -1):
        if body.endswith(low_secret[:size]):
            return text[: len(body) - size] + MASK + tail
    for size in range(len(secret) - 1, _PARTIAL, -1):
        if lowered.startswith(low_secret[-size:]):
            return MASK + text[size:]
    return text


def inert(text: str, limit: int | None = None) -> str:
    """Outside text as a person may see it: escaped, secrets masked, cut at `limit`."""
    text = escape(redact(text))
    return cut(text, limit) if limit is not None else text


def shows_as_is(text: str) -> bool:
    """Whether inert(text) is `text` itself, told quickly (a writer's loop asks it once a
    row): nothing to escape and no piece of a secret long enough to be masked. It may say
    False of a text inert leaves alone (non-ASCII text with a secret kept), never True of
    one it changes."""
    if not (text.isascii() and text.isprintable()) and _UNSAFE.search(text):
        return False
    if not _secrets:
        return True
    if not text.isascii():  # case folding beyond ASCII (`ſ` matches `s`): let inert decide
        return False
    lowered = text.lower()
    for secret in list(_secrets):
        low = secret.lower()
        if not secret.isascii():
            return False
        # redact() masks the whole secret, or at least _PARTIAL + 1 of its first or last
        # characters at an end of the text: each holds one of these two pieces.
        if low[: _PARTIAL + 1] in lowered or low[-(_PARTIAL + 1) :] in lowered:
            return False
    return True


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A value from outside, to go inside a message: inert and short."""
    return inert(str(value), limit)


def line(text: str) -> str:
    """A whole line for stderr (or an error element): inert and at most LINE_LIMIT long."""
    return inert(text, LINE_LIMIT)


def size_text(n: float | None) -> str:
    """A size in bytes for people, in decimal units: `812 B`, `3.4 MB`, `28.0 GB`; `?`
    for None."""
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")
