"""Whether another process is serving the same SQLite file on this machine.

Every serving process holds a shared lock on ``<file>.serving`` while it runs; one that
finds the lock already held knows it is not alone. The operating system drops a lock
when its process ends, however it ends, so nothing stale is left behind to clear.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def sentence(path: Path) -> str:
    return (
        f"Another bot process is already serving {path}: SQLite serves several processes "
        "on one machine at most, one writer at a time, so for shards on several machines "
        "set DATABASE_URL to a PostgreSQL database (see Moving to PostgreSQL in the README)."
    )


@contextmanager
def serving(path: Path) -> Iterator[bool]:
    """Mark this process as serving ``path`` while the block runs; yields True when
    another process was already serving it."""
    with path.with_name(path.name + ".serving").open("a+b") as marker:
        try:
            # Nobody else holds it, if an exclusive lock can be had at once.
            fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
            others = False
        except BlockingIOError:
            others = True
        # Shared from here: the next process to start sees this one, and can itself join.
        fcntl.flock(marker, fcntl.LOCK_SH)
        try:
            yield others
        finally:
            fcntl.flock(marker, fcntl.LOCK_UN)
