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
# Ctrl-C is what the test sends to stop it; a shell that started the suite in the
# background has it ignored, and a child inherits that, so the bot is given it back.
START = """
import signal, sys, discord.http
signal.signal(signal.SIGINT, signal.default_int_handler)
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
    process.wait(timeout=30)
    # The reader alone reads standard error, to its end, so no line is lost between two.
    reader.join(timeout=30)
    assert process.stdout is not None
    return process.stdout.read() + "".join(lines)


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
    # The bot has no voice: discord.py's warning about voice libraries is not shown.
    assert "PyNaCl" not in text and "davey" not in text


def test_debug_logs_show_the_bot_and_not_every_database_statement(tmp_path: Path):
    process = start_offline(tmp_path, "http://127.0.0.1:9/api/v10", LOG_LEVEL="DEBUG")
    text = until_tries(process, 1)
    assert "Discord cannot be reached on try 1" in text
    assert "aiosqlite" not in text
    assert not re.search(r"DEBUG +discord\.", text)


LOGGING = """
import logging, sys
from bot.startup import configure_logging
configure_logging(sys.argv[1])
logging.getLogger("bot.example").debug("the bot's own debug line")
logging.getLogger("cogs.example").debug("a cog's own debug line")
logging.getLogger("aiosqlite").debug("executing a statement")
logging.getLogger("discord.gateway").debug("a gateway frame")
logging.getLogger("discord.client").warning("PyNaCl is not installed, voice will NOT be supported")
logging.getLogger("discord.client").warning("davey is not installed, voice will NOT be supported")
logging.getLogger("discord.client").warning("some other warning worth seeing")
logging.getLogger("discord.client").info("an ordinary line")
"""


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING"])
def test_logging_keeps_libraries_quiet_and_drops_only_the_voice_warning(level: str):
    result = subprocess.run(
        [sys.executable, "-c", LOGGING, level],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout == ""
    shown = [line.split(": ", 1)[1] for line in result.stderr.splitlines()]
    expected = {
        "DEBUG": [
            "the bot's own debug line",
            "a cog's own debug line",
            "some other warning worth seeing",
            "an ordinary line",
        ],
        "INFO": ["some other warning worth seeing", "an ordinary line"],
        "WARNING": ["some other warning worth seeing"],
    }
    assert shown == expected[level]
