"""How a member's words find a theme: ThemeCatalogue.resolve and search on the bundled themes."""

from __future__ import annotations

import pytest

from bot.bundle import parse_themes
from bot.errors import UnknownTheme
from bot.settings import DEFAULT_DATA_DIR
from bot.themes import Theme, ThemeCatalogue


@pytest.fixture(scope="module")
def catalogue() -> ThemeCatalogue:
    entries, problems = parse_themes(DEFAULT_DATA_DIR / "themes.json")
    assert problems == []
    return ThemeCatalogue(
        Theme(n, t.slug, t.title, t.emoji, t.colour, t.description, t.aliases)
        for n, t in enumerate(entries, start=1)
    )


@pytest.mark.parametrize(
    "query",
    ["nicu", "NICU", "Nicu", "neonatal intensive care", "NEONATAL INTENSIVE CARE", "Preemie"],
)
def test_slug_title_and_alias_resolve_in_any_case(catalogue: ThemeCatalogue, query: str):
    assert catalogue.resolve(query).slug == "nicu"


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("néonatal", "nicu"),
        ("PRÉEMIE", "nicu"),
        ("nicu!", "nicu"),
        ("  surgery?  ", "surgery"),
        ("end of life", "end-of-life"),
        ("End—of—life", "end-of-life"),
        ("rare disease", "rare-disease"),
        ("A&E", "emergency"),
        ("A & E", "emergency"),
        ("ob/gyn", "pregnancy"),
        ("thank-you", "gratitude"),
    ],
)
def test_accents_punctuation_and_spacing_are_ignored(
    catalogue: ThemeCatalogue, query: str, slug: str
):
    assert catalogue.resolve(query).slug == slug


@pytest.mark.parametrize(("query", "slug"), [("emerg", "emergency"), ("onco", "cancer")])
def test_a_prefix_that_fits_one_theme_resolves(catalogue: ThemeCatalogue, query: str, slug: str):
    assert catalogue.resolve(query).slug == slug


@pytest.mark.parametrize(
    ("query", "slug"),
    [("nicuu", "nicu"), ("Neonatal ICU", "nicu"), ("emergancy", "emergency"), ("grif", "loss")],
)
def test_near_misses_resolve(catalogue: ThemeCatalogue, query: str, slug: str):
    assert catalogue.resolve(query).slug == slug


def test_an_ambiguous_word_names_the_closest_themes(catalogue: ThemeCatalogue):
    with pytest.raises(UnknownTheme) as caught:
        catalogue.resolve("care")
    assert 1 <= len(caught.value.suggestions) <= 3
    assert "critical-care" in caught.value.suggestions
    assert caught.value.message.startswith("I don't know a theme called “care”. Did you mean ")
    assert "`critical-care`" in caught.value.message


@pytest.mark.parametrize("query", ["c", "ca"])
def test_an_unknown_word_gets_at_most_three_real_suggestions(catalogue: ThemeCatalogue, query: str):
    with pytest.raises(UnknownTheme) as caught:
        catalogue.resolve(query)
    slugs = {t.slug for t in catalogue}
    assert 1 <= len(caught.value.suggestions) <= 3
    assert set(caught.value.suggestions) <= slugs
    for slug in caught.value.suggestions:
        assert f"`{slug}`" in caught.value.message


@pytest.mark.parametrize("query", ["xyz", "zzzzqqq"])
def test_a_word_close_to_no_theme_gets_no_suggestions(catalogue: ThemeCatalogue, query: str):
    with pytest.raises(UnknownTheme) as caught:
        catalogue.resolve(query)
    assert caught.value.suggestions == []
    assert "`/themes`" in caught.value.message


@pytest.mark.parametrize(
    ("query", "suggested"),
    [
        ("dentistry", []),
        ("milestones", ["disability"]),  # a word of its description
        ("hoping", ["pregnancy", "rare-disease"]),  # "Hoping, expecting…", "…and hope"
        ("babies", ["nicu"]),  # "special care baby unit"
        ("lonely people alone", ["end-of-life"]),
    ],
)
def test_suggestions_come_from_words_of_titles_aliases_and_descriptions(
    catalogue: ThemeCatalogue, query: str, suggested: list[str]
):
    with pytest.raises(UnknownTheme) as caught:
        catalogue.resolve(query)
    assert caught.value.suggestions == suggested
    assert caught.value.message.endswith("`/themes` lists them all.")


def test_an_empty_query_is_not_a_theme(catalogue: ThemeCatalogue):
    with pytest.raises(UnknownTheme):
        catalogue.resolve("   ")


def test_search_puts_the_best_match_first(catalogue: ThemeCatalogue):
    assert catalogue.search("neo")[0].slug == "nicu"
    assert catalogue.search("emergancy")[0].slug == "emergency"
    assert catalogue.search("CANCER")[0].slug == "cancer"


def test_search_returns_at_most_limit(catalogue: ThemeCatalogue):
    assert len(catalogue.search("c", limit=2)) == 2
    assert len(catalogue.search("", limit=3)) == 3
    assert catalogue.search("c", limit=2) == catalogue.search("c")[:2]


def test_an_empty_query_lists_every_theme_by_title(catalogue: ThemeCatalogue):
    titles = [t.title for t in catalogue.search("")]
    assert titles == sorted((t.title for t in catalogue), key=str.casefold)
    assert titles[:3] == ["Animal care", "Cancer care", "Children and families"]
    assert len(catalogue.search("  ")) == len(catalogue)
    assert list(catalogue) == catalogue.search("")


@pytest.mark.parametrize(
    ("typed", "offered"),
    [
        ("grief", ["Grief and loss"]),
        ("thank", ["Thank-yous"]),
        ("a&e", ["Emergency and resuscitation"]),
        ("gri", ["Grief and loss"]),
        ("emerga", ["Emergency and resuscitation"]),  # a near miss while still typing
        ("intensive c", ["Critical care", "Neonatal intensive care"]),  # prefix, then word
        ("loss", ["Grief and loss"]),  # a word of the title
        # What matches as typed is offered alone, without guesses at a typo: "end" is not
        # taken for "emergency", nor "ped" (paediatrics) for it either.
        ("end", ["Comfort at the end"]),
        ("ped", ["Children and families"]),
    ],
)
def test_search_offers_only_themes_a_name_of_which_matches(
    catalogue: ThemeCatalogue, typed: str, offered: list[str]
):
    assert [t.title for t in catalogue.search(typed)] == offered


def test_search_puts_prefixes_before_words_before_near_misses(catalogue: ThemeCatalogue):
    # "ca" starts "cancer" and "cardiac arrest" (an alias); "care" is only a word of others.
    found = [t.slug for t in catalogue.search("ca")]
    assert found[:2] == ["cancer", "emergency"]
    assert {"animals", "critical-care"} <= set(found[2:])


def test_search_finds_nothing_for_nonsense(catalogue: ThemeCatalogue):
    assert catalogue.search("qqqqqqqqqq") == []


def test_a_slug_names_its_own_theme_even_when_another_name_reads_the_same():
    # Autocomplete sends the slug; "night-shift" must not fall to a theme whose alias,
    # once punctuation is ignored, reads "night shift" too.
    early = Theme(1, "a-nights", "Nights", "🌙", 0, "Late hours.", ("night shift",))
    named = Theme(2, "night-shift", "On nights", "🌃", 0, "The night shift.", ())
    catalogue = ThemeCatalogue([early, named])
    assert catalogue.resolve("night-shift") is named
    assert catalogue.resolve("night shift") is early
