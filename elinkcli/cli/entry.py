"""The process entry point. `--version` is answered before anything heavy is imported."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from elinkcli import __version__

        print(f"elinkcli {__version__}")
        return
    from elinkcli.cli.app import main as run_app

    run_app()
