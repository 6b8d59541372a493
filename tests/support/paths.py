"""Where the tests and the repository are, for tests at any depth of tests/."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
