"""elinkcli run as a person runs it: stdout and stderr on one pseudo-terminal of a given
width (COLUMNS unset), read back as the lines the terminal got."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from collections.abc import Mapping

from conftest import clean_env, elinkcli_command

from support.fake_eutils import FakeEutils


def on_terminal(
    fake: FakeEutils, args: list[str], columns: int, env: Mapping[str, str] | None = None
) -> tuple[int, list[str]]:
    """Run elinkcli with stdout and stderr on one pty `columns` wide; (exit status, the
    lines the terminal got)."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    run_env = clean_env(
        {
            "ELINKCLI_BASE_URL": fake.base_url,
            "COLUMNS": None,
            "LINES": None,
            "NO_COLOR": None,
            "FORCE_COLOR": None,
            "TERM": "xterm-256color",
            **(env or {}),
        }
    )
    proc = subprocess.Popen(
        [*elinkcli_command(), *args],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env=run_env,
    )
    os.close(terminal)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            if not select.select([controller], [], [], 0.2)[0]:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(controller, 65536)
            except OSError:  # EIO: the child and its stdout and stderr are gone
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=30)
    finally:
        os.close(controller)
    text = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    return code, text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
