"""`python -m bot` with Discord out of reach: one sentence a try, back-off, no traceback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.discord_bench.harness import FAKE_TOKEN
from tests.test_command_line import SETTING_NAMES

# The test points discord.py at an address where Discord is not, as the bench points it
# at the stand-in; the bot itself is started as `python -m bot` starts it.
START = """
import sys, discord.http
discord.http.Route.BASE = sys.argv[1]
from bot.__main__ import main
sys.exit(main([]))
"""
TRY_RE = re.compile(
    r"WARNING bot\.startup: Discord cannot be reached on try (\d+) \((.+)\); "
    r"trying again in (\d+) s\.$"
)


def start_offline(tmp_path: Path, base_url: str, **settings: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(
        DISCORD_TOKEN=FAKE_TOKEN,
        DATABASE_PATH=str(tmp_path / "offline.sqlite3"),
        PYTHONIOENCODING="utf-8",
        **settings,
    )
    return subprocess.Popen(
        [sys.executable, "-c", START, base_url],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def until_tries(process: subprocess.Popen[str], tries: int, timeout: float = 30) -> str:
    """Everything the bot printed until its ``tries``-th failed try, then Ctrl-C."""
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if sum(bool(TRY_RE.search(x.rstrip())) for x in lines) >= tries:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    began = time.monotonic()
    while not seen.is_set() and process.poll() is None and time.monotonic() - began < timeout:
        seen.wait(0.1)
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=30)
    reader.join(timeout=5)
    return stdout + "".join(lines)


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:9/api/v10", "https://discord.invalid/api/v10"],
    ids=["closed-port", "no-such-host"],
)
def test_discord_out_of_reach_is_retried_with_back_off(tmp_path: Path, base_url: str):
    process = start_offline(tmp_path, base_url)
    text = until_tries(process, 3)
    assert process.returncode == 0, text
    assert "Traceback" not in text
    assert FAKE_TOKEN not in text
    for part in FAKE_TOKEN.split("."):
        assert part not in text
    tries = [m for line in text.splitlines() if (m := TRY_RE.search(line))]
    assert [int(m[1]) for m in tries[:3]] == [1, 2, 3]
    assert [int(m[3]) for m in tries[:3]] == [1, 2, 4]
    assert "stopped by keyboard interrupt" in text
