"""Shared fixtures: a fake E-utilities server, and a runner for the installed `elinkcli`."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

# fake_eutils.py sits beside this file; make it importable however pytest imports tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The build tooling (tools/build_catalog.py) is tested as a module too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

from support import record
from support.fake_eutils import FakeEutils
from support.fakes import FakeClock

record.install()

# A shell starts a background job (`pytest &`, a CI runner's `cmd &`) with SIGINT ignored,
# and an ignored signal stays ignored across exec: every elinkcli the tests start would
# shrug off the Ctrl-C they send. Test processes and their children take it as a terminal
# would deliver it.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The package's byte code, written once before the tests start elinkcli a thousand
    times: with PYTHONDONTWRITEBYTECODE set (as in this project's CI), an editable install
    is compiled afresh by every process, 55 ms of CPU each."""
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller did it
        return
    import compileall

    import elinkcli

    compileall.compile_dir(Path(elinkcli.__file__).parent, quiet=1)
    if session.config.pluginmanager.getplugin("dsession") is not None:  # xdist workers to come
        _rewrite_test_modules_once(session.config)


def _rewrite_test_modules_once(config: pytest.Config) -> None:
    """pytest's rewritten test modules, written once for the xdist workers to read.

    Every worker collects every test module it is given. With PYTHONDONTWRITEBYTECODE set,
    pytest keeps no rewritten byte code, so each worker rewrites the asserts of all of them
    again (3.5 s of CPU each for the whole suite; 1.4 s with the cache). The controller
    writes that cache here, as pytest does when byte code may be written, before the workers
    start. It uses pytest internals: if they change, nothing is written and the workers
    rewrite as before."""
    import fnmatch

    try:
        from _pytest.assertion import rewrite

        if config.getoption("assertmode") != "rewrite":
            return
        state = config.stash[rewrite.assertstate_key]
        patterns = [*config.getini("python_files"), "conftest.py"]
        roots = {Path(arg.split("::")[0]).resolve() for arg in config.args}
        for root in roots:
            files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
            for path in files:
                if not any(fnmatch.fnmatch(path.name, p) for p in patterns):
                    continue
                pyc = rewrite.get_cache_dir(path) / (path.name[:-3] + rewrite.PYC_TAIL)
                if rewrite._read_pyc(path, pyc) is not None:
                    continue
                pyc.parent.mkdir(exist_ok=True)
                source_hash, code = rewrite._rewrite_test(path, config)
                rewrite._write_pyc(state, code, source_hash, pyc)
    except Exception:  # pytest's internals moved, or a read-only tree: the workers do it
        return


# Hypothesis's profile for the other Pythons' runs in .ci/run (--hypothesis-profile=subset):
# at most SUBSET_EXAMPLES examples per property test, its own max_examples included. The
# whole suite runs them all.
SUBSET_PROFILE = "subset"
SUBSET_EXAMPLES = 50


def _subset(config: pytest.Config) -> bool:
    return bool(config.getoption("--hypothesis-profile", None) == SUBSET_PROFILE)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """The subset profile, registered (when asked for) before Hypothesis's plugin loads it."""
    if _subset(config):
        from hypothesis import settings

        settings.register_profile(SUBSET_PROFILE, max_examples=SUBSET_EXAMPLES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With the subset profile, a test's own max_examples is capped too: Hypothesis keeps a
    test's settings on its function, where its pytest plugin reads (and amends) them."""
    if not _subset(config):
        return
    from hypothesis import settings

    for item in items:
        function: Any = getattr(item, "obj", None)
        function = getattr(function, "__func__", function)
        own = getattr(function, "_hypothesis_internal_use_settings", None)
        if isinstance(own, settings) and own.max_examples > SUBSET_EXAMPLES:
            function._hypothesis_internal_use_settings = settings(own, max_examples=SUBSET_EXAMPLES)


# What the user's shell may set that would change where elinkcli goes or what it sends.
IDENTITY_ENV = (
    "NCBI_API_KEY",
    "NCBI_EMAIL",
    "EMAIL",
    "ELINKCLI_BASE_URL",
    "ELINKCLI_CACHE_DIR",
    "ELINKCLI_CONFIG",
    "ELINKCLI_STATE_DIR",
    "ELINKCLI_MAX_TIME",
    "ELINKCLI_TABLES_DIR",
    "ELINKCLI_TABLES_URL",
    "ELINKCLI_LINKS_FROM",
)
# The fake servers read an arrival time once their own thread gets the CPU, on the same
# machine as the clients (and the rest of the suite): a reading can come late by a few
# hundred ms, which makes the gap after it look short. NCBI reads arrivals on its own
# machines. So rate tests count a breach as limit+1 starts within 1 s less this allowance;
# the pacing's own margin (200 ms) is measured at a real 1 s by bench/pacing.py.
ARRIVAL_JITTER = 0.35
TSV_HEADER = (
    "source_db",
    "source_id",
    "linkname",
    "target_db",
    "target_id",
    "score",
    "source_uid",
    "target_acc",
)
# `elinkcli linkout`'s columns as the feature's issue names them: an oracle of the spec
# written out here, deliberately not elinkcli.commands.linkout.LINKOUT_COLUMNS.
LINKOUT_HEADER = (
    "source_db",
    "source_id",
    "url",
    "provider",
    "provider_abbr",
    "provider_id",
    "category",
    "subject_types",
    "attributes",
    "label",
    "icon_url",
    "source_uid",
)
NCBI_SITE = "https://www.ncbi.nlm.nih.gov"

Row = tuple[str, ...]
Runner = Callable[..., subprocess.CompletedProcess]


def elinkcli_command() -> list[str]:
    """The installed console script beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "elinkcli"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("elinkcli")
    if found is None:
        pytest.fail("the elinkcli command is not installed (pip install -e .)")
    return [found]


# Each run gets a cache directory of its own (so no run answers from another's cache) and
# no config file, unless a test says otherwise.
_STATE_ROOT = Path(tempfile.mkdtemp(prefix="elinkcli-tests-"))
atexit.register(shutil.rmtree, _STATE_ROOT, True)
# In-process runs (resolve()) pace through a state dir of this test process, not the user's.
os.environ["ELINKCLI_STATE_DIR"] = tempfile.mkdtemp(prefix="state-", dir=_STATE_ROOT)
# No test sees the user's loaded tables (NCBI's bulk files): an empty tables directory.
os.environ["ELINKCLI_TABLES_DIR"] = tempfile.mkdtemp(prefix="tables-", dir=_STATE_ROOT)


def fresh_cache_dir() -> str:
    return tempfile.mkdtemp(prefix="cache-", dir=_STATE_ROOT)


def clean_env(extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """os.environ without the identity variables, with fast retries, an empty cache of its
    own and no config file, then `extra`. A None value in `extra` removes that variable.
    """
    env = {k: v for k, v in os.environ.items() if k not in IDENTITY_ENV}
    env["ELINKCLI_BACKOFF_BASE"] = "0.01"
    env["ELINKCLI_CACHE_DIR"] = fresh_cache_dir()
    # Pacing state of its own: parallel tests do not share one rate limit.
    env["ELINKCLI_STATE_DIR"] = env["ELINKCLI_CACHE_DIR"]
    env["ELINKCLI_TABLES_DIR"] = os.path.join(env["ELINKCLI_CACHE_DIR"], "tables")
    env["ELINKCLI_CONFIG"] = os.devnull  # no config file
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_elinkcli(
    *args: str,
    base_url: str | None = None,
    stdin: bytes | None = None,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 60,
    command: Sequence[str] | None = None,
) -> subprocess.CompletedProcess:
    """Run elinkcli `args` (base URL through ELINKCLI_BASE_URL); stdout/stderr as text.

    stdin is empty unless given (never the terminal). Text is decoded strictly from UTF-8,
    so equal stdout strings mean byte-identical output.
    """
    extra: dict[str, str | None] = {}
    if base_url is not None:
        extra["ELINKCLI_BASE_URL"] = base_url
    extra.update(env or {})
    argv = [*(command or elinkcli_command()), *args]
    proc = subprocess.run(
        argv,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=clean_env(extra),
        timeout=timeout,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8"),
        proc.stderr.decode("utf-8", "replace"),
    )


def absolute(icon: str | None) -> str:
    """An icon URL as a browser on NCBI's site would resolve it."""
    if not icon:
        return ""
    if icon.startswith("//"):
        return "https:" + icon
    if icon.startswith("/"):
        return NCBI_SITE + icon
    assert icon.startswith(("http://", "https://")), icon
    return icon


def listed_ids_file(line: str) -> list[str]:
    """The ids of the file an error line names as holding them all (`...; all N in PATH`)."""
    path = Path(line.rsplit(" in ", 1)[1])
    assert path.stat().st_mode & 0o777 == 0o600
    return path.read_text("utf-8").split()


def assert_clean_error(proc: subprocess.CompletedProcess, status: int) -> str:
    """Exit `status`, no traceback, and stderr is exactly one `elinkcli: error: ...` line
    (after any `elinkcli: warning: ...` lines); returns it."""
    assert proc.returncode == status, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [
        line
        for line in proc.stderr.strip().splitlines()
        if not line.startswith("elinkcli: warning: ")
    ]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("elinkcli: error: "), proc.stderr
    return lines[0]


def journal_batches(journal: Path) -> set[int]:
    """The batch numbers an -o run's journal records as finished (none without a journal):
    its whole `batch INDEX OFFSET ROWS [NAME=COUNT...]` lines."""
    try:
        lines = journal.read_text().split("\n")[:-1]  # not a line still being written
    except FileNotFoundError:
        return set()
    rows = [line.split() for line in lines[1:]]
    return {
        int(r[1]) for r in rows if len(r) >= 4 and r[0] == "batch" and all("=" in c for c in r[4:])
    }


def parse_tsv(text: str, header: bool = True, full: bool = False) -> list[Row]:
    """`link` tsv output as a list of tuples; the header line is checked and left out.

    Unless `full`, each row's source_uid is checked to be its source_id read as a UID
    (leading zeros dropped; empty with --union) and target_acc to be empty, and the rows
    come back as their first six cells (the columns before accessions existed)."""
    lines = text.splitlines()
    if header:
        assert lines, "no output at all, not even the header line"
        assert tuple(lines[0].split("\t")) == TSV_HEADER, lines[0]
        lines = lines[1:]
    rows = [tuple(line.split("\t")) for line in lines]
    if full:
        return rows
    for row in rows:
        assert len(row) == len(TSV_HEADER), row
        source, uid, acc = row[1], row[6], row[7]
        assert uid == (source.lstrip("0") or "0" if source else ""), row
        assert acc == "", row
    return [row[:6] for row in rows]


@pytest.fixture
def clock() -> FakeClock:
    """A fresh FakeClock (a test module may define its own `clock` to override it)."""
    return FakeClock()


@pytest.fixture
def fake() -> Iterator[FakeEutils]:
    """A started fake E-utilities server (no faults), stopped after the test."""
    server = FakeEutils().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def run(fake: FakeEutils) -> Runner:
    """run(*args, stdin=None, env=None, timeout=60) -> CompletedProcess, against `fake`.

    The server's URL goes in ELINKCLI_BASE_URL; env={"ELINKCLI_BASE_URL": ...} overrides
    it (None drops it). Set `fake.faults` before calling to inject faults.
    """

    def _run(
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 60,
        command: Sequence[str] | None = None,
    ) -> subprocess.CompletedProcess:
        return run_elinkcli(
            *args, base_url=fake.base_url, stdin=stdin, env=env, timeout=timeout, command=command
        )

    return _run


def on_a_terminal(
    argv: Sequence[str], env: Mapping[str, str], stream: str = "stderr", timeout: float = 60
) -> tuple[int, str]:
    """Run argv with `stream` ("stdout" or "stderr") on a pseudo-terminal, the other into a
    pipe; (exit status, what the terminal showed)."""
    import pty
    import select
    import time

    master, slave = pty.openpty()
    # The other stream goes to a file: a pipe nobody reads would fill and block the child.
    other = tempfile.TemporaryFile()  # noqa: SIM115  (closed below, after the child)
    where = {"stdout": other, "stderr": other, stream: slave}
    proc = subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=where["stdout"], stderr=where["stderr"],
        env=dict(env),
    )  # fmt: skip
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(master)
    other.close()
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")
