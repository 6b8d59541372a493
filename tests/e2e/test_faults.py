"""The fault suite: every command against the fake server on a bad day.

For link, check, discover -id, linkout and chain: a clean run; the same run with a seeded
mix of faults (429 with Retry-After 0, 500, 502, 503, truncated bodies, HTML pages,
<ERROR> bodies, dropped connections, answers slower than --timeout) gives byte-identical
output; and a run where one chosen batch fails on every try exits 4 naming exactly that
batch's ids, with every other row of the clean run present exactly once.

Faults are tied to batches through their first id (`Faults.by_id`), so which batch gets
which fault does not depend on the order concurrent requests reach the server. Runs use
an API key: starts 0.11 s apart keep the suite quick (pacing is tested elsewhere).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
from conftest import run_elinkcli
from support.fake_eutils import FakeEutils, Faults, elink_requests
from support.fakes import chunks

pytestmark = pytest.mark.e2e

KINDS = ["429", "500", "502", "503", "truncated", "html", "error", "drop", "slow"]
# What one batch gets when it must fail on every try (6 tries; more queued is harmless).
ALWAYS = ["503", "500", "html", "truncated", "error", "drop"] * 2
BATCH = 2
KEY = {"NCBI_API_KEY": "fault-suite-key"}


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]
    ids: tuple[str, ...]
    # The batches the run sends, from the fake's oracle: [[ids of batch 0], ...].
    batches: Callable[[FakeEutils], list[list[str]]]
    # The tsv column holding the id a failed batch's rows carry.
    id_column: int = 1
    # The batch that fails on every try in the partial-failure test.
    doomed: int = 1

    def argv(self) -> list[str]:
        return [
            *self.args,
            "--batch",
            str(BATCH),
            "--timeout",
            "1",
            "--format",
            "tsv",
            "--id",
            ",".join(self.ids),
        ]


def _per_id(ids: Sequence[str]) -> Callable[[FakeEutils], list[list[str]]]:
    return lambda fake: chunks(ids, BATCH)


def _chain_batches(ids: Sequence[str]) -> Callable[[FakeEutils], list[list[str]]]:
    """Hop 1 sends the gene ids; hop 2 the distinct proteins they link to, in order."""

    def batches(fake: FakeEutils) -> list[list[str]]:
        proteins = dict.fromkeys(
            t
            for uid in ids
            for _name, _db, targets in fake.links("gene", uid, "protein", "gene_protein_refseq")
            for t in targets
        )
        return chunks(ids, BATCH) + chunks(list(proteins), BATCH)

    return batches


LINK_IDS = tuple(str(n) for n in range(4101, 4109))
CHECK_IDS = tuple(str(n) for n in range(4201, 4209))
DISCOVER_IDS = tuple(str(n) for n in range(4301, 4309))
LINKOUT_IDS = tuple(str(n) for n in range(4401, 4409))
CHAIN_IDS = tuple(str(n) for n in range(4501, 4505))

COMMANDS = [
    Command("link", ("link", "-db", "gene", "-target", "protein"), LINK_IDS, _per_id(LINK_IDS)),
    Command("check", ("check", "-db", "pubmed", "-cmd", "ncheck"), CHECK_IDS, _per_id(CHECK_IDS)),
    Command("discover", ("discover", "-db", "gene"), DISCOVER_IDS, _per_id(DISCOVER_IDS)),
    Command("linkout", ("linkout", "-db", "pubmed"), LINKOUT_IDS, _per_id(LINKOUT_IDS)),
    Command(
        "chain",
        ("chain", "-db", "gene", "protein:gene_protein_refseq", "structure"),
        CHAIN_IDS,
        _chain_batches(CHAIN_IDS),
        doomed=3,  # the second batch of hop 2 (protein -> structure)
    ),
]


def error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("elinkcli: error: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def fault_plan(batches: Sequence[Sequence[str]], seed: int) -> dict[str, list[str]]:
    """Every fault kind once, dealt over the batches in a seeded order: {first id: faults}.
    No batch gets more than 3 (it is answered on a later try, well within 6)."""
    kinds = KINDS[:]
    random.Random(seed).shuffle(kinds)
    plan: dict[str, list[str]] = {b[0]: [] for b in batches}
    keys = list(plan)
    for n, kind in enumerate(kinds):
        plan[keys[n % len(keys)]].append(kind)
    assert max(len(v) for v in plan.values()) <= 3
    return plan


@pytest.fixture(params=COMMANDS, ids=[c.name for c in COMMANDS])
def command(request) -> Command:
    return request.param


_CLEAN: dict[str, str] = {}


@pytest.fixture
def clean(fake: FakeEutils, command: Command) -> str:
    """The command's output on a good day (its own fresh cache, like every run here),
    made once per command: the fake answers the same every time."""
    if command.name not in _CLEAN:
        proc = run_elinkcli(*command.argv(), base_url=fake.base_url, env=KEY)
        assert proc.returncode == 0, proc
        lines = proc.stdout.splitlines()
        assert len(lines) > 1 + len(command.ids) // 2, proc.stdout  # a header and real rows
        sent = sorted(r.values("id") for r in elink_requests(fake))
        assert sent == sorted(command.batches(fake))  # the oracle knows the batches
        fake.log.clear()
        _CLEAN[command.name] = proc.stdout
    return _CLEAN[command.name]


@pytest.mark.parametrize("seed", [20240611])
def test_a_mix_of_faults_gives_the_clean_output(fake, command, clean, seed):
    batches = command.batches(fake)
    plan = fault_plan(batches, seed)
    fake.faults = Faults(by_id={k: v[:] for k, v in plan.items()}, retry_after="0")
    proc = run_elinkcli(*command.argv(), base_url=fake.base_url, env=KEY)

    assert proc.returncode == 0, proc
    assert "Traceback" not in proc.stderr
    assert proc.stdout == clean
    requests = elink_requests(fake)
    faults = sorted(r.fault for r in requests if r.fault)
    assert faults == sorted(KINDS)  # every fault was served...
    assert all(not queue for queue in fake.faults.by_id.values())
    assert len(requests) == len(batches) + len(KINDS)  # ...and cost exactly one retry
    # Each batch was answered cleanly exactly once, all of its ids each time.
    answered = sorted(r.values("id") for r in requests if not r.fault)
    assert answered == sorted(batches)
    print(f"{command.name}: {len(requests)} requests for {len(batches)} batches, faults {plan}")


def test_a_batch_that_always_fails_is_named_and_the_rest_is_complete(fake, command, clean):
    batches = command.batches(fake)
    doomed = batches[command.doomed]
    fake.faults = Faults(by_id={doomed[0]: ALWAYS[:]})
    proc = run_elinkcli(*command.argv(), base_url=fake.base_url, env=KEY)

    assert proc.returncode == 4, proc
    line = error_line(proc.stderr)
    assert line.rsplit("failed ids: ", 1)[1].split(",") == doomed
    header, *rows = clean.splitlines(keepends=True)
    kept = [r for r in rows if r.split("\t")[command.id_column].strip() not in doomed]
    assert len(kept) < len(rows)  # the doomed ids did have rows
    assert proc.stdout == header + "".join(kept)
    tries = [r for r in elink_requests(fake) if r.values("id") == doomed]
    assert len(tries) == 6
    assert all(r.fault for r in tries)
    others = sorted(r.values("id") for r in elink_requests(fake) if r.values("id") != doomed)
    assert others == sorted(b for b in batches if b != doomed)  # each asked once
