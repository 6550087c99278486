"""The theme catalogue and how a member's words find a theme."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import UnknownTheme

# A near miss must be this close (difflib ratio) to resolve on its own; "nicuu" -> "nicu".
RESOLVE_CUTOFF = 0.8
SUGGEST_CUTOFF = 0.5
CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Theme:
    id: int
    slug: str
    title: str
    emoji: str
    colour: int
    description: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ThemeMatch:
    theme: Theme
    score: float


def normalise(text: str) -> str:
    """Case, accents, punctuation and spacing do not change what a member meant."""
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w&]+", " ", text)
    # "A & E" and "A&E" are the same words, however the ampersand is spaced.
    text = re.sub(r"\s*&\s*", "&", text)
    return " ".join(text.split())


class ThemeCatalogue:
    """Every theme, held in memory: there are tens to hundreds, never millions."""

    def __init__(self, themes: Iterable[Theme]) -> None:
        self._themes = sorted(themes, key=lambda t: t.slug)
        self._by_id = {t.id: t for t in self._themes}
        # A slug is what autocomplete sends, so it is looked up as sent, before any
        # normalising, and no other theme's name can take it.
        self._by_slug = {t.slug: t for t in self._themes}
        self._names: dict[str, Theme] = {}
        for theme in self._themes:
            for name in (theme.slug, theme.title, *theme.aliases):
                self._names.setdefault(normalise(name), theme)
            self._names.setdefault(normalise(theme.slug.replace("-", " ")), theme)
        # Autocomplete asks the same prefixes again and again; the catalogue never changes
        # (a new import builds a new one), so answers can be kept.
        self._cache: dict[str, list[ThemeMatch]] = {}
        self._found: dict[tuple[str, int], list[Theme]] = {}

    def __iter__(self):  # noqa: ANN204 - an iterator of Theme
        return iter(self._themes)

    def __len__(self) -> int:
        return len(self._themes)

    def get(self, theme_id: int) -> Theme | None:
        return self._by_id.get(theme_id)

    def by_slug(self, slug: str) -> Theme | None:
        return self._by_slug.get(slug)

    def _scored(self, query: str) -> list[ThemeMatch]:
        wanted = normalise(query)
        cached = self._cache.get(wanted)
        if cached is not None:
            return cached
        best: dict[int, float] = {}
        # difflib keeps what it learns about its second sequence, so the query goes there.
        matcher = difflib.SequenceMatcher(None, "", wanted)
        for name, theme in self._names.items():
            if name == wanted:
                score = 2.0
            elif name.startswith(wanted):
                score = 1.5 + len(wanted) / (len(name) * 10)
            elif wanted in name.split() or (len(wanted) >= 3 and wanted in name):
                score = 1.2
            else:
                matcher.set_seq1(name)
                # The quick bounds rule most names out before the costly ratio.
                score = matcher.quick_ratio()
                if score >= SUGGEST_CUTOFF:
                    score = matcher.ratio()
                else:
                    score /= 2
            if score > best.get(theme.id, -1.0):
                best[theme.id] = score
        matches = [ThemeMatch(self._by_id[i], s) for i, s in best.items()]
        matches.sort(key=lambda m: (-m.score, m.theme.slug))
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[wanted] = matches
        return matches

    def search(self, query: str, limit: int = 25) -> list[Theme]:
        """Themes for autocomplete, best match first; an empty query lists them all."""
        # Kept as typed: every keystroke asks, and normalising and filtering a few hundred
        # scored names cost more than the rest of an autocomplete answer (measured).
        found = self._found.get((query, limit))
        if found is None:
            if not normalise(query):
                found = self._themes[:limit]
            else:
                found = [m.theme for m in self._scored(query) if m.score >= SUGGEST_CUTOFF][:limit]
            if len(self._found) >= CACHE_SIZE:
                self._found.clear()
            self._found[(query, limit)] = found
        return list(found)

    def resolve(self, query: str) -> Theme:
        """The theme a member meant, or :class:`UnknownTheme` naming the closest ones.

        An exact name wins; then a prefix that fits one theme only; then a near miss
        that is clearly closer to one theme than to any other.
        """
        exact = self._by_slug.get(query)
        if exact is not None:
            return exact
        wanted = normalise(query)
        exact = self._names.get(wanted)
        if exact is not None:
            return exact
        matches = self._scored(query)
        if wanted and matches:
            top = matches[0]
            if top.score >= 2.0:
                return top.theme
            prefixed = [m for m in matches if m.score >= 1.5]
            if len(prefixed) == 1 and len(wanted) >= 2:
                return prefixed[0].theme
            runner_up = matches[1].score if len(matches) > 1 else 0.0
            if not prefixed and RESOLVE_CUTOFF <= top.score < 1.2 and top.score > runner_up:
                return top.theme
        close = [m.theme.slug for m in matches if m.score >= SUGGEST_CUTOFF][:3]
        if not close:
            close = [m.theme.slug for m in matches[:3]]
        raise UnknownTheme(query, close)
