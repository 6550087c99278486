"""Steps the report and thanks tests share (no tests here): a small library, cards, reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.discord_bench.harness import Bench, Reply
from tests.discord_bench.payloads import MEMBER, User, Where
from tests.library_data import story, theme, write_library

NICU = ["a", "b", "c"]
CALM = ["d", "e", "f", "g", "h", "i"]


def small_library(tmp_path: Path) -> Path:
    """Three NICU stories (one round is three draws) and six calm ones."""
    return write_library(
        tmp_path / "data",
        [theme("nicu"), theme("calm")],
        [story(k, "nicu") for k in NICU] + [story(k, "calm") for k in CALM],
    )


def story_id_of(reply: Reply) -> int:
    helped = [c for c in reply.custom_ids if c.startswith("bs:story:helped:")]
    assert helped, f"not a story card: {reply.custom_ids}"
    return int(helped[0].rsplit(":", 1)[1])


async def card_of_story(
    bench: Bench, theme_slug: str, title: str, where: Where | None = None
) -> Reply:
    """Ask for stories of a theme until the one called ``title`` comes (a round at most)."""
    for _ in range(10):
        reply = await bench.slash("story", theme=theme_slug, where=where)
        if reply.embeds and reply.embeds[0]["title"] == title:
            return reply
    raise AssertionError(f"{title!r} never came")


async def report(
    bench: Bench,
    card: Reply,
    reason: str = "in-story",
    detail: str = "",
    *,
    user: User = MEMBER,
    where: Where | None = None,
) -> Reply:
    """Press Report on a story card and send the form."""
    story_id = story_id_of(card)
    opened = await bench.press(card.message, f"bs:story:report:{story_id}", user=user, where=where)
    assert opened.type == 9, f"expected the report form, got: {opened.content}"
    return await bench.submit(opened, {"reason": reason, "detail": detail}, user=user, where=where)


def report_cards(bench: Bench, channel: int) -> list[dict[str, Any]]:
    return [
        m
        for m in bench.channel_messages(channel)
        if m["embeds"] and m["embeds"][0].get("title", "").startswith("Report #")
    ]


def count_of(choices: list[dict[str, Any]], slug_title: str) -> str:
    [name] = [c["name"] for c in choices if slug_title in c["name"]]
    return name.rsplit(" · ", 1)[1]
