"""Finding an engine's numbered migration files, shared by the SQLite and PostgreSQL engines."""

from __future__ import annotations

from importlib import resources
from typing import NamedTuple


class Migration(NamedTuple):
    """One bundled migration file: ``NNNN_what.sql`` gives version NNNN."""

    version: int
    name: str
    sql: str


def bundled_migrations(package: str) -> list[Migration]:
    """Every ``*.sql`` in ``package``'s ``migrations`` folder, oldest first.

    Read through importlib.resources so an installed wheel finds them as a checkout does.
    """
    found: list[Migration] = []
    folder = resources.files(package).joinpath("migrations")
    for entry in folder.iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        version = int(name.split("_", 1)[0])
        found.append(Migration(version, name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        # Two files with one number would each think the other is applied.
        raise RuntimeError(f"two migrations in {package} share a version number")
    return found
