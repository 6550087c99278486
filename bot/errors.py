"""Domain errors: each carries the one kind sentence a member sees."""

from __future__ import annotations


class DomainError(Exception):
    """An expected refusal. ``message`` is shown to the member as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownTheme(DomainError):
    def __init__(self, query: str, suggestions: list[str]) -> None:
        self.query = query
        self.suggestions = suggestions
        shown = query.strip()[:60] or "that"
        if suggestions:
            names = ", ".join(f"`{s}`" for s in suggestions)
            text = f"I don't know a theme called “{shown}”. Did you mean {names}?"
        else:
            text = f"I don't know a theme called “{shown}”. Try `/themes` to see them all."
        super().__init__(text)


class NoStories(DomainError):
    def __init__(self, theme_title: str | None) -> None:
        where = f"about {theme_title}" if theme_title else "here"
        super().__init__(f"There are no stories {where} yet. Try `/themes` for the others.")
