"""Where the tests and the repository are, for tests at any depth of tests/; what a
directory holds."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


def files_bytes(directory: Path) -> bytes:
    """Every file under `directory`, in path order, as one byte string (to look for a secret)."""
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())
