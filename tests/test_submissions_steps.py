"""Steps the submission tests share (no tests here): moderation on, the form, the cards."""

from __future__ import annotations

from typing import Any

from tests.discord_bench.harness import Bench, Reply
from tests.discord_bench.payloads import (
    ADMIN,
    GUILD_ID,
    MEMBER,
    ChannelRef,
    RoleRef,
    User,
    Where,
)

MOD_CHANNEL = 1300000000000000021
NEW_MOD_CHANNEL = 1300000000000000022
MOD_ROLE = 1300000000000000031
# A moderator by role only: no Manage Server.
MODERATOR = User(1400000000000000004, "moderator", roles=(MOD_ROLE,))
SECOND_MODERATOR = User(1400000000000000005, "second", roles=(MOD_ROLE,))

STORIES = [
    "On my first night shift in the neonatal unit a tiny girl born at twenty-five weeks "
    "curled her whole hand around my finger. Her parents sat beside her for four months. "
    "Last spring they came back to visit, and she ran down the corridor to show us her "
    "new shoes.",
    "An old farmer on the surgical ward refused every meal until a porter noticed he only "
    "trusted food he had grown himself. The porter brought tomatoes from his allotment the "
    "next morning, and the farmer ate, laughed and went home a week later.",
    "During a long winter in intensive care, a respiratory therapist learned a patient's "
    "favourite songs from his daughter and hummed them at every visit. When he woke after "
    "three weeks, the first thing he did was hum the chorus back to her.",
    "A student midwife stayed past the end of her shift because the mother was frightened "
    "and alone. She held one hand for nine hours, and the baby was named after her, which "
    "she only found out when a card arrived at the ward at Christmas.",
    "Our hospice cook learned that a dying man missed his mother's lemon cake. She found "
    "the recipe through his sister, baked it that afternoon, and the whole family shared it "
    "at his bedside while telling stories about summers by the sea.",
    "A paramedic crew came back to the emergency department a year after a cardiac arrest "
    "call, because the survivor had invited them to his wedding. He asked them to stand at "
    "the front, and the bride thanked them in her speech with tears in her eyes.",
]


def theme_value(bench: Bench, slug: str | None) -> str:
    if slug is None:
        return "0"
    theme = bench.services.library.catalogue.by_slug(slug)
    assert theme is not None
    return str(theme.id)


async def turn_on(
    bench: Bench, channel: int = MOD_CHANNEL, *, role: int | None = MOD_ROLE, add: bool = True
) -> Reply:
    """A server admin chooses the moderator channel (created on the bench first, and known
    to the bot from the gateway, so it can check its permissions there)."""
    if add and channel not in bench.discord.channels:
        bench.discord.add_channel(channel, GUILD_ID, name="mod-queue")
    bench.join_guild()
    options: dict[str, Any] = {"channel": ChannelRef(channel, "mod-queue")}
    if role is not None:
        options["role"] = RoleRef(role)
    return await bench.slash("settings moderation", user=ADMIN, **options)


def form_values(
    bench: Bench,
    text: str,
    *,
    theme: str | None = "nicu",
    notes: tuple[str, ...] = (),
    anonymous: bool = False,
    consent: bool = True,
) -> dict[str, Any]:
    return {
        "story": text,
        "theme": [theme_value(bench, theme)],
        "credit": "anonymous" if anonymous else "name",
        "notes": list(notes),
        "consent": consent,
    }


async def submit(
    bench: Bench,
    text: str = STORIES[0],
    *,
    user: User = MEMBER,
    where: Where | None = None,
    **form: Any,
) -> Reply:
    """/submit, then fill and send the form; returns the answer to the form."""
    opened = await bench.slash("submit", user=user, where=where)
    assert opened.type == 9, f"expected the form, got: {opened.content}"
    return await bench.submit(opened, form_values(bench, text, **form), user=user, where=where)


def cards(bench: Bench, channel: int = MOD_CHANNEL) -> list[dict[str, Any]]:
    return [
        m
        for m in bench.channel_messages(channel)
        if m["embeds"] and m["embeds"][0].get("title", "").startswith("Submission #")
    ]


def card_of(bench: Bench, submission_id: int, channel: int = MOD_CHANNEL) -> dict[str, Any]:
    found = [
        m
        for m in cards(bench, channel)
        if m["embeds"][0]["title"].startswith(f"Submission #{submission_id} ")
    ]
    assert len(found) == 1, f"expected one card for #{submission_id}, found {len(found)}"
    return found[0]


def field(message: dict[str, Any], name: str) -> str:
    for item in message["embeds"][0].get("fields") or []:
        if item["name"] == name:
            return item["value"]
    raise AssertionError(f"no field {name!r} on {message['embeds'][0].get('title')}")


def dms(bench: Bench, user: User = MEMBER) -> list[dict[str, Any]]:
    channel = bench.discord.dm_channels.get(user.id)
    return bench.channel_messages(channel) if channel else []


async def served_titles(bench: Bench, theme: str, draws: int, where: Where | None = None) -> list:
    """Titles /story gives for ``theme`` over ``draws`` asks in one channel."""
    titles = []
    for _ in range(draws):
        reply = await bench.slash("story", theme=theme, where=where)
        titles.append(reply.embeds[0]["title"] if reply.embeds else reply.content)
    return titles


def prefilled(modal: Reply) -> dict[str, dict[str, Any]]:
    """The components of a modal the bot sent, by custom_id, with what they hold."""
    return {c["component"]["custom_id"]: c["component"] for c in modal.data["components"]}


async def approve(
    bench: Bench,
    submission_id: int,
    *,
    user: User = MODERATOR,
    title: str | None = None,
    theme: str | None = None,
    channel: int = MOD_CHANNEL,
) -> Reply:
    """Press Approve on a card and send its form: the proposed title unless ``title``, and
    ``theme`` if the form asks for one (a "Not sure" submission)."""
    modal = await bench.press(
        card_of(bench, submission_id, channel), f"bs:mod:approve:{submission_id}", user=user
    )
    if modal.type != 9:
        return modal
    asked = prefilled(modal)
    values: dict[str, Any] = {"title": asked["title"].get("value") if title is None else title}
    if "theme" in asked:
        values["theme"] = [theme_value(bench, theme)] if theme else []
    return await bench.submit(modal, values, user=user)
