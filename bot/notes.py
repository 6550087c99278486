"""Content notes: the fixed catalogue a story's notes come from."""

from __future__ import annotations

from collections.abc import Iterable

NOTE_LABELS: dict[str, str] = {
    "death": "death",
    "pregnancy-loss": "pregnancy loss",
    "violence": "violence",
    "child-illness": "serious illness of a child",
    "serious-injury": "serious injury",
    "cancer": "cancer",
    "suicide": "suicide",
}


def describe(notes: Iterable[str]) -> str:
    """``["death", "violence"]`` -> ``"death, violence"``; unknown keys read as themselves."""
    return ", ".join(NOTE_LABELS.get(note, note) for note in notes)


def encode(notes: Iterable[str]) -> str:
    return ",".join(notes)


def decode(stored: str) -> tuple[str, ...]:
    return tuple(part for part in stored.split(",") if part)
