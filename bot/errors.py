"""Domain errors: each carries the one kind sentence a member sees."""

from __future__ import annotations


class DomainError(Exception):
    """An expected refusal. ``message`` is shown to the member as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownTheme(DomainError):
    def __init__(self, query: str, suggestions: list[str], titles: list[str] | None = None) -> None:
        self.query = query
        self.suggestions = suggestions
        self.titles = titles or suggestions
        super().__init__(self.sentence())

    def sentence(self, themes_command: str = "`/themes`") -> str:
        """What to tell the member, pointing to ``themes_command`` for the whole list."""
        shown = self.query.strip()[:60] or "that"
        pointer = f"{themes_command} lists them all."
        if not self.suggestions:
            return f"I don't know a theme called “{shown}”, and none is close to it. {pointer}"
        named = [
            f"{title} (`{slug}`)" for title, slug in zip(self.titles, self.suggestions, strict=True)
        ]
        if len(named) > 1:
            named[-2:] = [f"{named[-2]} or {named[-1]}"]
        return f"I don't know a theme called “{shown}”. Did you mean {', '.join(named)}? {pointer}"


class NoStories(DomainError):
    def __init__(self, theme_title: str | None) -> None:
        where = f"about {theme_title}" if theme_title else "here"
        super().__init__(f"There are no stories {where} yet. Try `/themes` for the others.")
