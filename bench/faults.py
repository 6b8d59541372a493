"""What a run costs against servers that misbehave: whole `elinkcli link` processes against
real loopback sockets (tests/support/fault_servers.py, tests/support/hostile.py), wall time, peak
memory and exit status.

    python bench/faults.py

Cases: a body that never ends (cut at the 256 MiB budget), a body that drips a byte every
0.5 s and a server that never answers (both with --timeout 5), a close-delimited drip
(`Connection: close`, HTTP/1.0), 3,000 ids against a silent server under --max-time 20, a
name with no DNS answer, a port where nothing listens; and the memory bombs of the hostile
tests, 8 or 16 at once (`--batch 1`): double gzip inflating to 1 GiB each, gzipped nesting
5,000,000 deep, a 400 MB answer of real shape as gzip, an endless chunked gzip of zeros.
"""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from common import elinkcli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import clean_env
from support.fault_servers import DrippingBody, EndlessBody, SilentServer, refused_port
from support.hostile import (
    HostileServer,
    Reply,
    big_answer,
    deep_nesting_bomb,
    double_gzip_bomb,
    echo,
    endless_gzip_zeros,
)

LINK = ("link", "-db", "gene", "-target", "protein", "-q", "--format", "tsv")
# Runs the command and prints its peak RSS (KiB), so each case is measured on its own.
MEASURE = (
    "import resource, subprocess, sys; "
    "p = subprocess.run(sys.argv[1:], capture_output=True); "
    "sys.stdout.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) + '\\n'); "
    "sys.stdout.write(str(p.returncode) + '\\n'); "
    "sys.stdout.write(p.stderr.decode('utf-8', 'replace'))"
)


def case(name: str, server, args: tuple[str, ...], base_url: str | None = None) -> None:
    with server if server is not None else nullcontext() as s:
        url = base_url or s.base_url
        env = clean_env({"ELINKCLI_BASE_URL": url, "ELINKCLI_BACKOFF_BASE": None})
        began = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, elinkcli(), *LINK, *args],
            capture_output=True,
            env=env,
            text=True,
            check=False,
        ).stdout
        took = time.monotonic() - began
    rss, code, *err = out.splitlines()
    last = (err[-1] if err else "")[:150]
    print(f"| {name} | {took:.1f} s | {int(rss) / 1024:.0f} MB | {code} | {last} |")


def hostile(reply: Reply) -> HostileServer:
    return HostileServer(lambda r: reply if r.endpoint == "elink.fcgi" else echo(r))


def main() -> None:
    ids = ",".join(str(1000 + i) for i in range(3000))
    print("| case | wall | peak RSS | exit | last stderr line |")
    print("|---|---|---|---|---|")
    case("endless body (default 256 MiB budget)", EndlessBody(), ("--id", "672"))
    case("endless chunked body", EndlessBody(chunked=True), ("--id", "672"))
    case("a byte every 0.5 s, --timeout 5", DrippingBody(0.5), ("--timeout", "5", "--id", "672"))
    case("never answers, --timeout 5", SilentServer(), ("--timeout", "5", "--id", "672"))
    many = ("--max-time", "20", "--id", ids)
    case("3,000 ids, never answers, --max-time 20", SilentServer(), many)
    case("no DNS answer", None, ("--id", "672"), "http://elinkcli-bench.invalid/eutils/")
    case("connection refused", None, ("--id", "672"), f"http://127.0.0.1:{refused_port()}/eutils/")
    drip = Reply(body=b"<eLinkResult>" + b" " * 100, framing="close", drip=(1, 1.0))
    case("Connection: close, a byte a second, --timeout 2", hostile(drip), ("--timeout", "2",
         "--deadline", "10", "--id", "672"))  # fmt: skip
    old = Reply(body=b"<eLinkResult>" + b" " * 100, version="HTTP/1.0", framing="close",
                drip=(1, 1.0))  # fmt: skip
    case("HTTP/1.0, a byte a second, --timeout 2", hostile(old), ("--timeout", "2",
         "--deadline", "10", "--id", "672"))  # fmt: skip
    sixteen = ("--batch", "1", "--id", ",".join(str(n) for n in range(1, 17)))
    bomb = Reply(body=double_gzip_bomb(), headers=[("Content-Encoding", "gzip, gzip")])
    case("16 double-gzip answers of 1 GiB (8 in flight)", hostile(bomb), sixteen)
    deep = Reply(body=deep_nesting_bomb(), headers=[("Content-Encoding", "gzip")])
    case("16 gzipped answers nested 5,000,000 deep", hostile(deep), sixteen)
    big = Reply(body=big_answer(), headers=[("Content-Encoding", "gzip")])
    case("a 400 MB answer of real shape, as gzip", hostile(big), ("--id", "672"))
    endless = Reply(
        stream=endless_gzip_zeros, framing="chunked", headers=[("Content-Encoding", "gzip")]
    )
    case("an endless chunked gzip of zeros", hostile(endless), ("--id", "672"))


if __name__ == "__main__":
    main()
