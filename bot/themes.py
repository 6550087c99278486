"""The theme catalogue and how a member's words find a theme."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.errors import UnknownTheme

# How a name matches what was typed, best first. Only an exact name, a prefix that fits one
# theme, or a near miss clearly closer to one theme than any other resolves on its own.
EXACT, PREFIX, WORD, NEAR = 3, 2, 1, 0
# A near miss must be this close (difflib ratio); "nicuu" -> "nicu", "grif" -> "grief",
# but not "grief" -> "grateful" (0.62) or "thank" -> "theatre" (0.5).
NEAR_CUTOFF = 0.8
CACHE_SIZE = 4096
SUGGESTIONS = 3
# Words too common in descriptions to say what a theme is about.
_COMMON_WORDS = frozenset(
    (  # noqa: SIM905 - a line of words reads better than a column of forty
        "a an and are as at be by do for from give has have in into is it its of on or our "
        "own people patient patients so that the their them they this to us way we who why "
        "with years"
    ).split()
)


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
    tier: int
    # Within a tier: how much of the matched name the text covers (for a near miss, how
    # alike the two are).
    closeness: float
    # Whether the name matched is the theme's own (slug or title) rather than an alias.
    own_name: bool
    # The theme's place in the catalogue's title order, the last tie-break.
    rank: int

    @property
    def order(self) -> tuple[int, float, bool, int]:
        return (-self.tier, -self.closeness, not self.own_name, self.rank)


@dataclass(frozen=True, slots=True)
class _Scored:
    """A search's matches, best first; ``complete`` unless near misses were left out
    because enough themes matched as typed."""

    matches: list[ThemeMatch]
    complete: bool


@dataclass(frozen=True, slots=True)
class _Name:
    """One name a theme answers to, normalised, with where its words start."""

    text: str
    theme: Theme
    own: bool
    word_starts: tuple[int, ...]


def _without_marks(run: re.Match[str]) -> str:
    return "".join(ch for ch in run.group() if not unicodedata.combining(ch))


# Only the runs of characters outside ASCII can hold a combining mark: the near-duplicate
# sketches normalise every story of the library, and testing every character was half of
# what sketching a million stories cost.
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")
_NOT_WORD = re.compile(r"[^\w&]+")
_AMPERSAND = re.compile(r"\s*&\s*")


def normalise(text: str) -> str:
    """Case, accents, punctuation and spacing do not change what a member meant."""
    text = unicodedata.normalize("NFKD", text).casefold()
    if not text.isascii():
        text = _NOT_ASCII.sub(_without_marks, text)
    text = _NOT_WORD.sub(" ", text)
    # "A & E" and "A&E" are the same words, however the ampersand is spaced.
    if "&" in text:
        text = _AMPERSAND.sub("&", text)
    return " ".join(text.split())


class ThemeCatalogue:
    """Every theme, held in memory: there are tens to hundreds, never millions."""

    def __init__(self, themes: Iterable[Theme]) -> None:
        # Members read titles, not slugs: every list of themes is in title order.
        self._themes = sorted(themes, key=lambda t: (normalise(t.title), t.slug))
        self._rank = {t.id: n for n, t in enumerate(self._themes)}
        self._by_id = {t.id: t for t in self._themes}
        # A slug is what autocomplete sends, so it is looked up as sent, before any
        # normalising, and no other theme's name can take it.
        self._by_slug = {t.slug: t for t in self._themes}
        self._names: dict[str, Theme] = {}
        self._entries: list[_Name] = []
        for theme in self._themes:
            named = [(theme.slug, True), (theme.slug.replace("-", " "), True)]
            named += [(theme.title, True), *((alias, False) for alias in theme.aliases)]
            seen: set[str] = set()
            for name, own in named:
                text = normalise(name)
                if not text or text in seen:
                    continue
                seen.add(text)
                self._names.setdefault(text, theme)
                starts = (0, *(m.end() for m in re.finditer(r" ", text)))
                self._entries.append(_Name(text, theme, own, starts))
        # Autocomplete asks the same prefixes again and again; the catalogue never changes
        # (a new import builds a new one), so answers can be kept.
        self._cache: dict[str, _Scored] = {}
        self._found: dict[tuple[str, int], list[Theme]] = {}
        self._vocabulary: dict[int, set[str]] | None = None

    def __iter__(self) -> Iterator[Theme]:
        return iter(self._themes)

    def __len__(self) -> int:
        return len(self._themes)

    def get(self, theme_id: int) -> Theme | None:
        return self._by_id.get(theme_id)

    def by_slug(self, slug: str) -> Theme | None:
        return self._by_slug.get(slug)

    def _scored(self, query: str, enough: int) -> list[ThemeMatch]:
        """Themes a name of which matches ``query``, best first, once each: all of them,
        or at least the best ``enough``.

        A near miss ranks below every name that matches as typed, and comparing spellings
        is what a search costs (a few hundred difflib comparisons, milliseconds of the
        event loop on which every other member waits). So when ``enough`` themes match as
        typed, as they do for the start of a name that several share, none is compared.
        """
        wanted = normalise(query)
        cached = self._cache.get(wanted)
        if cached is not None and (cached.complete or len(cached.matches) >= enough):
            return cached.matches
        best: dict[int, ThemeMatch] = {}
        for entry in self._entries if wanted else ():
            match = self._plain_match(entry, wanted)
            held = best.get(entry.theme.id)
            if match is not None and (held is None or match.order < held.order):
                best[entry.theme.id] = match
        complete = len(best) < enough
        if complete:
            # difflib keeps what it learns about its second sequence, so the query goes there.
            matcher = difflib.SequenceMatcher(None, "", wanted)
            plain = set(best)
            for entry in self._entries if wanted else ():
                if entry.theme.id in plain:
                    continue
                match = self._near_match(entry, wanted, matcher)
                held = best.get(entry.theme.id)
                if match is not None and (held is None or match.order < held.order):
                    best[entry.theme.id] = match
        matches = sorted(best.values(), key=lambda m: m.order)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[wanted] = _Scored(matches, complete)
        return matches

    def _plain_match(self, entry: _Name, wanted: str) -> ThemeMatch | None:
        """The name is what was typed, starts with it, or has a word that does."""
        name = entry.text
        if name == wanted:
            tier, closeness = EXACT, 1.0
        elif name.startswith(wanted):
            tier, closeness = PREFIX, len(wanted) / len(name)
        else:
            at = next((i for i in entry.word_starts[1:] if name.startswith(wanted, i)), None)
            if at is None:
                return None
            tier, closeness = WORD, len(wanted) / (len(name) - at)
        return ThemeMatch(entry.theme, tier, closeness, entry.own, self._rank[entry.theme.id])

    def _near_match(
        self, entry: _Name, wanted: str, matcher: difflib.SequenceMatcher[str]
    ) -> ThemeMatch | None:
        closeness = _nearness(matcher, wanted, entry)
        if closeness < NEAR_CUTOFF:
            return None
        return ThemeMatch(entry.theme, NEAR, closeness, entry.own, self._rank[entry.theme.id])

    def search(self, query: str, limit: int = 25) -> list[Theme]:
        """Themes for autocomplete, best match first; an empty query lists them all by title.

        A name that starts with the text comes first, then one with a word that does. Near
        misses ("emergancy") are offered when no name matches as typed: the text is a typo
        then, and guesses at one would only crowd out a member's own words otherwise.
        """
        # Kept as typed: every keystroke asks, and normalising and filtering a few hundred
        # scored names cost more than the rest of an autocomplete answer (measured).
        found = self._found.get((query, limit))
        if found is None:
            if not normalise(query):
                found = self._themes[:limit]
            else:
                found = [m.theme for m in self._scored(query, 1)][:limit]
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
        matches = self._scored(query, SUGGESTIONS)
        if wanted and matches:
            prefixed = [m for m in matches if m.tier == PREFIX]
            if len(prefixed) == 1 and len(wanted) >= 2:
                return prefixed[0].theme
            top = matches[0]
            runner_up = matches[1].closeness if len(matches) > 1 else 0.0
            if top.tier == NEAR and top.closeness > runner_up:
                return top.theme
        close = [m.theme for m in matches[:SUGGESTIONS]]
        if len(close) < SUGGESTIONS:
            close += [t for t in self.related(query) if t not in close]
        close = close[:SUGGESTIONS]
        raise UnknownTheme(query, [t.slug for t in close], [t.title for t in close])

    def related(self, query: str) -> list[Theme]:
        """Themes whose title, aliases or description use a word of ``query`` (in any
        form: "babies" finds "baby", "hoping" finds "hope"), most words shared first.

        Only for suggestions after a miss, which is rare, so it is not kept."""
        wanted = {_stem(w) for w in normalise(query).split() if w not in _COMMON_WORDS}
        wanted.discard("")
        if self._vocabulary is None:
            self._vocabulary = {
                t.id: {
                    _stem(w)
                    for text in (t.title, t.description, *t.aliases)
                    for w in normalise(text).split()
                    if w not in _COMMON_WORDS
                }
                for t in self._themes
            }
        shared = {
            theme_id: sum(1 for w in wanted if any(_akin(w, v) for v in words))
            for theme_id, words in self._vocabulary.items()
        }
        ranked = sorted(
            (i for i, n in shared.items() if n), key=lambda i: (-shared[i], self._rank[i])
        )
        return [self._by_id[i] for i in ranked]


def _stem(word: str) -> str:
    """A word without its commonest English endings, so its forms meet."""
    for ending, instead in (
        ("ies", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("e", ""),
    ):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)] + instead
    return word


def _akin(a: str, b: str) -> bool:
    """The same stem, or long stems that differ only at the end ("surgeon", "surgery")."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if shorter < 5:
        return False
    shared = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), shorter)
    return shared >= max(5, shorter - 2)


def _nearness(matcher: difflib.SequenceMatcher[str], wanted: str, entry: _Name) -> float:
    """How alike ``wanted`` is to the name, or to the start of it or of one of its words
    (so "emerga", half typed, is near "emergency")."""
    best = 0.0
    for start in entry.word_starts:
        whole = entry.text[start:]
        for candidate in {whole, whole[: len(wanted)]}:
            matcher.set_seq1(candidate)
            # The quick upper bounds rule most names out before the costly ratio.
            floor = max(best, NEAR_CUTOFF)
            if matcher.real_quick_ratio() >= floor and matcher.quick_ratio() >= floor:
                best = max(best, matcher.ratio())
    return best
