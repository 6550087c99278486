"""Small pieces of wording shared by everything the bot says."""

from __future__ import annotations


def counted(number: int, one: str, many: str | None = None) -> str:
    """``counted(1, "story", "stories")`` is "1 story"; 2 is "2 stories"."""
    return f"{number:,} {one if number == 1 else (many or one + 's')}"
