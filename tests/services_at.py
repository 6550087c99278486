"""Open the real services on a real SQLite file in a test's folder, without Discord."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.services import Services
from bot.settings import DEFAULT_DATA_DIR, Settings, load_settings
from bot.storage.sqlite.database import Database


def settings_at(tmp_path: Path, data_dir: Path = DEFAULT_DATA_DIR) -> Settings:
    return load_settings(
        {"DATABASE_PATH": str(tmp_path / "library.sqlite3"), "DATA_DIR": str(data_dir)},
        require_token=False,
    )


def copy_bundled_data(folder: Path) -> Path:
    """A copy of ``data/`` a test may edit, as a maintainer would edit the real one."""
    shutil.copytree(DEFAULT_DATA_DIR, folder)
    return folder


def sqlite_db(services: Services) -> Database:
    """The SQLite engine's own connection, for tests of what only that engine does."""
    db = getattr(services.storage.library, "db", None)
    assert isinstance(db, Database), "this test is about the SQLite engine"
    return db
