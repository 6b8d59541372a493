"""The process entry point. A system that is not POSIX is refused, and `--version` is
answered, before anything heavy is imported."""

from __future__ import annotations

import os
import sys

# elinkcli locks files with fcntl, opens them with O_NOFOLLOW and checks owners with
# geteuid: POSIX only (docs/usage.md, Platforms).
NOT_POSIX = "elinkcli: error: elinkcli runs on POSIX systems (Linux, macOS), not {}"


def _platform_name() -> str:
    """The system's name as people say it (`Windows`), else Python's (`win32`)."""
    import platform

    return platform.system() or sys.platform


def main() -> None:
    if os.name != "posix":
        print(NOT_POSIX.format(_platform_name()), file=sys.stderr)
        raise SystemExit(1)
    if sys.argv[1:] == ["--version"]:
        from elinkcli import __version__

        print(f"elinkcli {__version__}")
        return
    from elinkcli.cli.app import main as run_app

    run_app()
