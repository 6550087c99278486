"""Content notes: the fixed catalogue a story's notes come from, and which of them hide one."""

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
# What a server hides until it says otherwise: the notes a reader should choose to open.
# A lighter note (cancer, say) is still shown before its story, which is shown with it.
DEFAULT_HIDDEN: frozenset[str] = frozenset({"death", "pregnancy-loss", "suicide", "violence"})


def describe(notes: Iterable[str]) -> str:
    """``["death", "violence"]`` -> ``"death, violence"``; unknown keys read as themselves."""
    return ", ".join(NOTE_LABELS.get(note, note) for note in notes)


def known(notes: Iterable[str]) -> tuple[str, ...]:
    """The catalogue's notes among ``notes``, in the catalogue's order, each once."""
    chosen = set(notes)
    return tuple(note for note in NOTE_LABELS if note in chosen)


def hides(notes: Iterable[str], hidden: frozenset[str]) -> bool:
    """Whether a story with ``notes`` goes behind a spoiler where ``hidden`` is the list."""
    return not hidden.isdisjoint(notes)


def encode(notes: Iterable[str]) -> str:
    return ",".join(notes)


def decode(stored: str) -> tuple[str, ...]:
    return tuple(part for part in stored.split(",") if part)
