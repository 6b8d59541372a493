"""Atomic output with its journal (elinkcli.output.files.AtomicOutput): the file appears
only on commit; an interrupted run leaves a .part and a journal that --resume cuts back to
the last finished batch, or refuses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from elinkcli.errors import UsageError
from elinkcli.output.files import JOURNAL_MAGIC, AtomicOutput


def test_commit_renames_the_part_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "out.tsv"
    path.write_text("yesterday\n")
    out = AtomicOutput(path, "fp")
    out.stream.write("a\n")
    out.batch_done(0, 1)
    out.stream.write("b\n")
    assert path.read_text() == "yesterday\n"  # untouched until the end
    out.commit()
    assert path.read_text() == "a\nb\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]


def test_abort_before_any_batch_leaves_nothing_and_the_old_file_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "out.tsv"
    path.write_text("yesterday\n")
    out = AtomicOutput(path, "fp")
    out.stream.write("half a row")
    out.abort()
    assert path.read_text() == "yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]
    fresh = tmp_path / "new.tsv"
    AtomicOutput(fresh, "fp").abort()
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]


def test_abort_after_a_batch_keeps_part_and_journal(tmp_path: Path) -> None:
    path = tmp_path / "out.tsv"
    path.write_text("yesterday\n")
    out = AtomicOutput(path, "fp")
    out.stream.write("h\nrow1\n")
    out.batch_done(0, 1)
    out.stream.write("row2 of a batch cut short\n")
    out.abort()
    assert path.read_text() == "yesterday\n"
    journal = (tmp_path / "out.tsv.journal").read_text().splitlines()
    assert journal == [f"{JOURNAL_MAGIC} fp", "batch 0 7 1"]
    assert (tmp_path / "out.tsv.part").read_text().startswith("h\nrow1\n")


def _interrupted(tmp_path: Path, fingerprint: str = "fp") -> Path:
    """A run that finished batches 0 and 1 and was cut in batch 2."""
    path = tmp_path / "out.tsv"
    out = AtomicOutput(path, fingerprint)
    out.stream.write("header\n0a\n0b\n")
    out.batch_done(0, 2)
    out.stream.write("1a\n")
    out.batch_done(1, 3)
    out.stream.write("2a\n2")
    out.stream.flush()
    out.abort()
    return path


def test_resume_cuts_back_to_the_last_finished_batch(tmp_path: Path) -> None:
    path = _interrupted(tmp_path)
    assert (tmp_path / "out.tsv.part").read_text() == "header\n0a\n0b\n1a\n2a\n2"
    out = AtomicOutput(path, "fp", resume=True)
    assert out.resumed
    assert out.done == {0, 1}
    assert out.rows == 3
    assert (tmp_path / "out.tsv.part").read_text() == "header\n0a\n0b\n1a\n"
    out.stream.write("2a\n2b\n")
    out.batch_done(2, 5)
    out.commit()
    assert path.read_text() == "header\n0a\n0b\n1a\n2a\n2b\n"
    assert not (tmp_path / "out.tsv.journal").exists()
    assert not (tmp_path / "out.tsv.part").exists()


@pytest.mark.parametrize(
    "torn",
    ["batch 2 1", "batch 2 18 ", "batch", "batch 2 x 4", "bat", "batch 2 18 4 9"],
)
def test_a_torn_last_journal_line_is_ignored(tmp_path: Path, torn: str) -> None:
    path = _interrupted(tmp_path)
    journal = tmp_path / "out.tsv.journal"
    with journal.open("a") as fh:
        fh.write(torn)  # the crash came while this line was written
    out = AtomicOutput(path, "fp", resume=True)
    assert out.done == {0, 1}
    assert out.rows == 3
    assert (tmp_path / "out.tsv.part").read_text() == "header\n0a\n0b\n1a\n"
    out.abort()


def test_a_journal_of_another_run_is_refused(tmp_path: Path) -> None:
    path = _interrupted(tmp_path, "fingerprint-of-run-a")
    before = (tmp_path / "out.tsv.part").read_bytes()
    with pytest.raises(UsageError, match="belongs to another run"):
        AtomicOutput(path, "fingerprint-of-run-b", resume=True)
    # Nothing was cut or overwritten by the refusal.
    assert (tmp_path / "out.tsv.part").read_bytes() == before
    assert (
        (tmp_path / "out.tsv.journal")
        .read_text()
        .startswith(f"{JOURNAL_MAGIC} fingerprint-of-run-a\n")
    )


def test_resume_without_a_journal_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nothing to resume"):
        AtomicOutput(tmp_path / "out.tsv", "fp", resume=True)
    assert list(tmp_path.iterdir()) == []


def test_resume_with_a_part_shorter_than_the_journal_is_refused(tmp_path: Path) -> None:
    path = _interrupted(tmp_path)
    (tmp_path / "out.tsv.part").write_text("head")
    with pytest.raises(UsageError, match="shorter than its journal"):
        AtomicOutput(path, "fp", resume=True)


def test_resume_of_a_journal_without_batches_starts_again(tmp_path: Path) -> None:
    path = tmp_path / "out.tsv"
    out = AtomicOutput(path, "fp")
    out.stream.write("header\npartial")  # killed before its first batch was done
    out.stream.flush()
    out._unlock()  # as the kernel does when the process dies
    out2 = AtomicOutput(path, "fp", resume=True)
    assert not out2.resumed
    assert out2.done == set()
    assert (tmp_path / "out.tsv.part").read_text() == ""
    out2.stream.write("header\nrow\n")
    out2.commit()
    out.stream.close()
    assert path.read_text() == "header\nrow\n"


def test_an_unwritable_place_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot write"):
        AtomicOutput(tmp_path / "no-such-dir" / "out.tsv", "fp")
