"""SQLite serves several processes on one machine at most: a process started with
SHARD_IDS on a SQLite file another process is already serving says so in one sentence."""

from __future__ import annotations

import signal
import subprocess
import threading
from pathlib import Path

from bot.storage.sqlite.sharing import sentence
from tests.test_start_offline import TRY_RE, start_offline

# Discord is out of reach, so each bot opens the database and then waits to log in:
# serving the file, as far as the database knows, for as long as the test needs.
NOWHERE = "http://127.0.0.1:9/api/v10"


class Running:
    """A bot process whose standard error is read as it comes."""

    def __init__(self, tmp_path: Path, **settings: str) -> None:
        self.process = start_offline(tmp_path, NOWHERE, SHARD_COUNT="2", **settings)
        self.lines: list[str] = []
        self.waiting = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))
            if TRY_RE.search(line.rstrip()):
                self.waiting.set()

    def until_serving(self) -> None:
        """Until the bot has opened the database and is trying Discord."""
        assert self.waiting.wait(60), "\n".join(self.lines)

    def stop(self) -> list[str]:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        self.reader.join(timeout=30)
        return self.lines


def test_a_second_process_on_the_same_file_is_told_in_one_sentence(tmp_path: Path):
    path = tmp_path / "offline.sqlite3"
    first = Running(tmp_path, SHARD_IDS="0")
    try:
        first.until_serving()
        second = Running(tmp_path, SHARD_IDS="1")
        try:
            second.until_serving()
        finally:
            told = second.stop()
    finally:
        alone = first.stop()
    said = [line for line in told if "Another bot process" in line]
    assert len(said) == 1 and said[0].endswith(f"bot.startup: {sentence(path)}"), told
    # The first was alone when it started, and was not told anything.
    assert not [line for line in alone if "Another bot process" in line], alone


def test_a_process_after_the_other_stopped_is_not_told(tmp_path: Path):
    first = Running(tmp_path, SHARD_IDS="0")
    first.until_serving()
    first.stop()
    second = Running(tmp_path, SHARD_IDS="1")
    second.until_serving()
    assert not [line for line in second.stop() if "Another bot process" in line]
