"""CPU load for timing tests: separate processes that spin until killed.

    with cpu_burners() as burn:
        assert busy()
        ...  # the code under test now competes for every core

Each burner is ``sys.executable -c "...while True: pass"``; a watchdog thread in it exits
if its parent goes away, so a killed test run leaves no spinning orphans behind.

Run as a script, it keeps a machine busy while the suite runs beside it (docs/testing.md):

    python tests/support/burners.py --cpus 4

spins 4 burners until Ctrl-C or SIGTERM, then kills and reaps them.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["BURN_CODE", "Burners", "busy", "cpu_burners"]

# The watchdog sleeps between checks, so it costs the spinning loop next to nothing.
BURN_CODE = (
    "import os, threading, time\n"
    "def _watch(parent=os.getppid()):\n"
    "    while os.getppid() == parent:\n"
    "        time.sleep(0.5)\n"
    "    os._exit(0)\n"
    "threading.Thread(target=_watch, daemon=True).start()\n"
    "while True: pass\n"
)

_lock = threading.Lock()
_running: list[Burners] = []


class Burners:
    """The burner processes of one `cpu_burners` block."""

    def __init__(self, procs: list[subprocess.Popen[bytes]]) -> None:
        self.procs = procs

    @property
    def pids(self) -> list[int]:
        """The burners' process ids."""
        return [p.pid for p in self.procs]

    def busy(self) -> bool:
        """True while every burner is still running."""
        return bool(self.procs) and all(p.poll() is None for p in self.procs)

    def kill(self) -> None:
        """SIGKILL every burner and reap it (idempotent)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            proc.wait()


def busy() -> bool:
    """True while the burners of some open `cpu_burners` block are running."""
    with _lock:
        return any(b.busy() for b in _running)


def default_count() -> int:
    """Twice the cores, at least 2."""
    return max(2, (os.cpu_count() or 1) * 2)


@contextmanager
def cpu_burners(n: int | None = None) -> Iterator[Burners]:
    """Run `n` CPU-spinning processes (default: twice the cores, at least 2) for the block.

    They are killed with SIGKILL and reaped on leaving the block, exception or not.
    """
    count = default_count() if n is None else n
    if count < 0:
        raise ValueError(f"cannot start {count} burners")
    burners = Burners([])
    try:
        for _ in range(count):
            burners.procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", BURN_CODE],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    close_fds=True,
                )
            )
        with _lock:
            _running.append(burners)
        yield burners
    finally:
        with _lock:
            if burners in _running:
                _running.remove(burners)
        burners.kill()


def main(argv: list[str] | None = None) -> int:
    """``python tests/support/burners.py --cpus N``: spin N burners until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(
        description="Spin CPU-burning processes until Ctrl-C or SIGTERM, to run the tests beside."
    )
    parser.add_argument(
        "--cpus",
        type=int,
        default=default_count(),
        help="how many burner processes (default: twice the cores, at least 2)",
    )
    args = parser.parse_args(argv)
    if args.cpus < 1:
        parser.error(f"--cpus must be at least 1, not {args.cpus}")
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with cpu_burners(args.cpus) as burn:
        print(
            f"burners: {args.cpus} running (pids {' '.join(map(str, burn.pids))}); "
            f"Ctrl-C or kill {os.getpid()} to stop",
            flush=True,
        )
        while not stop.wait(0.5):
            if not burn.busy():
                print("burners: one exited, stopping the rest", file=sys.stderr, flush=True)
                break
    print("burners: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
