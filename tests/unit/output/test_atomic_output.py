"""Atomic output with its journal (elinkcli.output.files.AtomicOutput): the file appears
only on commit; an interrupted run leaves a .part and a journal that --resume cuts back to
the last finished batch, or refuses.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from elinkcli.errors import UsageError
from elinkcli.output.files import JOURNAL_MAGIC, AtomicOutput, OutputComplete


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


def test_resume_without_a_journal_or_a_file_starts_afresh(tmp_path: Path) -> None:
    out = AtomicOutput(tmp_path / "out.tsv", "fp", resume=True)
    assert not out.resumed and out.done == set() and out.tally == {}
    out.stream.write("header\nrow\n")
    out.commit()
    assert (tmp_path / "out.tsv").read_text() == "header\nrow\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]


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


# --- the counts the journal keeps --------------------------------------------------------


def test_the_journal_keeps_the_counts_and_a_resume_reads_the_last_finished_batchs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "out.tsv"
    out = AtomicOutput(path, "fp")
    out.stream.write("h\nrow1\n")
    out.batch_done(0, 1, {"ids": 2, "with": 1, "links": 1, "links.icite": 1})
    out.stream.write("row2\n")
    out.batch_done(1, 2, {"ids": 4, "with": 2, "links": 2, "links.icite": 2})
    out.abort()
    lines = (tmp_path / "out.tsv.journal").read_text().splitlines()
    assert lines[1:] == [
        "batch 0 7 1 ids=2 with=1 links=1 links.icite=1",
        "batch 1 12 2 ids=4 with=2 links=2 links.icite=2",
    ]
    resumed = AtomicOutput(path, "fp", resume=True)
    assert resumed.done == {0, 1} and resumed.rows == 2
    assert resumed.tally == {"ids": 4, "with": 2, "links": 2, "links.icite": 2}
    resumed.abort()


@pytest.mark.parametrize(
    "torn", ["batch 2 12 3 ids=", "batch 2 12 3 ids=6 Links=1", "batch 2 12 3 x"]
)
def test_a_torn_line_of_counts_is_ignored_with_its_batch(tmp_path: Path, torn: str) -> None:
    path = tmp_path / "out.tsv"
    out = AtomicOutput(path, "fp")
    out.stream.write("h\nrow1\n")
    out.batch_done(0, 1, {"ids": 2})
    out.abort()
    with (tmp_path / "out.tsv.journal").open("a") as fh:
        fh.write(torn + "\n")
    resumed = AtomicOutput(path, "fp", resume=True)
    assert resumed.done == {0} and resumed.tally == {"ids": 2}
    resumed.abort()


def test_an_old_journal_without_counts_resumes_with_none(tmp_path: Path) -> None:
    path = _interrupted(tmp_path)
    resumed = AtomicOutput(path, "fp", resume=True)
    assert resumed.done == {0, 1} and resumed.tally == {}
    resumed.abort()


# --- --resume of a FILE that is already there -----------------------------------------------

SHAPE = '["link_command", [["batch", 2], ["db", "gene"]]]'


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state directory of the test's own (where finished outputs are recorded)."""
    directory = tmp_path / "state"
    monkeypatch.setenv("ELINKCLI_STATE_DIR", str(directory))
    return directory


def _completed(path: Path, fingerprint: str = "fp", shape: str | None = SHAPE) -> bytes:
    out = AtomicOutput(path, fingerprint, shape=shape)
    out.stream.write("header\nrow\n")
    out.batch_done(0, 1)
    out.commit()
    return path.read_bytes()


def test_resume_of_a_file_this_command_completed_leaves_it_as_it_is(
    tmp_path: Path, state: Path
) -> None:
    path = tmp_path / "out.tsv"
    written = _completed(path)
    stat_before = path.stat()
    with pytest.raises(OutputComplete, match=r"out\.tsv is complete: nothing to resume"):
        AtomicOutput(path, "fp", resume=True, shape=SHAPE)
    assert path.read_bytes() == written
    assert path.stat().st_mtime_ns == stat_before.st_mtime_ns
    assert path.stat().st_ino == stat_before.st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv", "state"]
    # The lock was let go: a run without --resume writes it again.
    again = AtomicOutput(path, "fp", shape=SHAPE)
    again.stream.write("new\n")
    again.commit()
    assert path.read_text() == "new\n"


def test_resume_of_a_file_another_command_line_wrote_is_refused(
    tmp_path: Path, state: Path
) -> None:
    path = tmp_path / "out.tsv"
    written = _completed(path, "fp-a", '["link_command", [["batch", 3], ["db", "gene"]]]')
    with pytest.raises(UsageError, match=r"nothing to resume: .*--batch \(was 3, now 2\)"):
        AtomicOutput(path, "fp-b", resume=True, shape=SHAPE)
    with pytest.raises(UsageError, match="other ids"):  # the same options
        AtomicOutput(
            path, "fp-b", resume=True, shape='["link_command", [["batch", 3], ["db", "gene"]]]'
        )
    assert path.read_bytes() == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv", "state"]


def test_resume_of_a_file_changed_since_or_without_a_record_is_refused(
    tmp_path: Path, state: Path
) -> None:
    path = tmp_path / "out.tsv"
    _completed(path)
    path.write_text("edited by hand\n")
    with pytest.raises(UsageError, match="has changed since"):
        AtomicOutput(path, "fp", resume=True, shape=SHAPE)
    other = tmp_path / "other.tsv"
    other.write_text("not ours\n")
    with pytest.raises(UsageError, match="no record that this command line wrote"):
        AtomicOutput(other, "fp", resume=True, shape=SHAPE)
    assert other.read_text() == "not ours\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.tsv", "out.tsv", "state"]


def test_an_output_without_a_shape_is_not_recorded(tmp_path: Path, state: Path) -> None:
    _completed(tmp_path / "out.xml", shape=None)  # `linkout convert -o`: never resumed
    assert not (state / "finished").exists()


def test_only_the_newest_records_are_kept(
    tmp_path: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import elinkcli.output.files as files

    monkeypatch.setattr(files, "FINISHED_KEPT", 3)
    for n in range(5):
        _completed(tmp_path / f"out{n}.tsv")
    assert len(list((state / "finished").glob("*.json"))) == 3
    with pytest.raises(OutputComplete):  # the newest is still known
        AtomicOutput(tmp_path / "out4.tsv", "fp", resume=True, shape=SHAPE)


# --- the modes of the files it makes ----------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o077], ids=["umask-022", "umask-077"])
def test_every_file_is_made_0666_less_the_umask(tmp_path: Path, state: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        path = tmp_path / "out.tsv"
        out = AtomicOutput(path, "fp", shape=SHAPE)
        out.stream.write("h\n")
        out.batch_done(0, 1)
        made = [tmp_path / "out.tsv.part", tmp_path / "out.tsv.journal"]
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in made}
        out.commit()
        modes[path.name] = stat.S_IMODE(path.stat().st_mode)
        for record in (state / "finished").glob("*.json"):
            modes["record"] = stat.S_IMODE(record.stat().st_mode)
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    assert modes == {
        "out.tsv.part": expected,
        "out.tsv.journal": expected,
        "out.tsv": expected,
        "record": expected,
    }


def test_a_ctrl_c_just_after_the_journal_line_leaves_done_agreeing_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SIGINT of a busy machine, made exact: KeyboardInterrupt as the journal's fsync
    returns, the line already on disk."""
    path = tmp_path / "out.tsv"
    out = AtomicOutput(path, "fp")
    out.stream.write("header\n0a\n0b\n")
    out.batch_done(0, 2)
    out.stream.write("1a\n")
    real_fsync = os.fsync

    def fsync_then_ctrl_c(fd: int) -> None:
        real_fsync(fd)
        if fd == out._lock_fd:  # the journal's
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", fsync_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        out.batch_done(1, 3)
    monkeypatch.undo()
    journal = (tmp_path / "out.tsv.journal").read_text().splitlines()
    kept = {int(line.split()[1]) for line in journal[1:]}
    try:
        assert kept == {0, 1}  # the line is on disk: a --resume skips batch 1
        assert out.done == kept  # what the interrupted line counts
    finally:
        out.abort()
