"""The one lock module (elinkcli.locks): shared locks together, an exclusive one alone,
taken at once or within a time, let go of when the file is closed; a read-only place still
has a lock to take."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from elinkcli.locks import LockFile, lock_within, try_lock


def test_shared_locks_go_together_and_keep_an_exclusive_one_out(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with LockFile(path) as a, LockFile(path) as b, LockFile(path) as c:
        assert a.take(shared=True) and b.take(shared=True)
        assert not c.take(), "two descriptors of one file exclude each other"
        assert not a.take(), "no upgrade while another holds it shared"
        b.close()
        assert a.take(), "the last shared holder may turn its lock exclusive"
        assert not c.take(shared=True)
    with LockFile(path) as again:
        assert again.take(), "closing let go of every lock"


def test_a_held_lock_is_waited_for_as_long_as_asked(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with LockFile(path) as holder, LockFile(path) as waiter:
        assert holder.take()
        began = time.monotonic()
        assert not waiter.take(0.2, poll=0.02)
        assert time.monotonic() - began >= 0.2
        assert waiter.fd is not None and not lock_within(waiter.fd, 0)
        holder.close()
        assert waiter.fd is not None and try_lock(waiter.fd)


def test_a_closed_lock_file_takes_nothing(tmp_path: Path) -> None:
    lock = LockFile(tmp_path / "x.lock")
    lock.close()
    lock.close()
    assert lock.fd is None and not lock.take()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only files")
def test_a_read_only_lock_file_is_opened_for_reading_when_allowed(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    path.write_text("")
    path.chmod(0o444)
    with pytest.raises(PermissionError):
        LockFile(path)
    with LockFile(path, read_only=True) as lock, LockFile(path, read_only=True) as other:
        assert lock.take(shared=True) and not other.take()


def test_a_symbolic_link_is_refused_when_not_followed(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("")
    (tmp_path / "x.lock").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError):
        LockFile(tmp_path / "x.lock", follow=False)
    with LockFile(tmp_path / "x.lock") as followed:
        assert followed.take()
