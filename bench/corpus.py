"""A plainly synthetic library for the benchmarks: never shipped, never shown as a story.

N stories over T themes (with aliases and content notes) as a JSON Lines data file, then
S servers that own stories of their own, and C channels whose no-repeat memory is half
way through a round.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import ModuleType

from bot.notes import NOTE_LABELS
from bot.records import NewStory
from bot.stores import Storage

WORDS = [
    "synthetic",
    "benchmark",
    "filler",
    "text",
    "that",
    "stands",
    "in",
    "for",
    "a",
    "story",
    "and",
    "is",
    "not",
    "one",
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
]
NOTES = list(NOTE_LABELS)


def theme_slug(n: int) -> str:
    return f"synthetic-{n:03d}"


# Stories as long as the bundled ones: most about 300 characters, some up to 2,000. Their
# words come from a vocabulary as large as a real one, drawn unevenly as real words are, so
# the near-duplicate index holds what it would hold for real stories: a short text of
# twenty words from a vocabulary of twenty-six shares its word triples with thousands.
VOCABULARY = 6000
SYLLABLES = [c + v for c in "bdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def _vocabulary(rng: random.Random) -> list[str]:
    words = {"".join(rng.choices(SYLLABLES, k=rng.choice((1, 2, 2, 3)))) for _ in range(9000)}
    chosen = sorted(words)[:VOCABULARY]
    rng.shuffle(chosen)
    return chosen


def _length(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.88:
        return rng.randint(150, 350)
    if roll < 0.98:
        return rng.randint(350, 900)
    return rng.randint(900, 2000)


def story_text(rng: random.Random, n: int, vocabulary: list[str]) -> str:
    """About as long as a bundled story; words weighted 1/rank, as in real text."""
    target = _length(rng)
    words: list[str] = [f"[synthetic {n}]"]
    size = len(words[0])
    while size < target:
        # 1/rank weights without a table: the rank is exp(uniform) over the vocabulary.
        word = vocabulary[int(len(vocabulary) ** rng.random()) - 1]
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def write_corpus(folder: Path, stories: int, themes: int, seed: int = 7) -> Path:
    """Write themes.json and stories.jsonl for ``stories`` synthetic stories."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    theme_list = [
        {
            "slug": theme_slug(n),
            "title": f"Synthetic theme {n}",
            "emoji": "🧪",
            "colour": f"#{rng.randrange(0x1000000):06X}",
            "description": f"Benchmark theme number {n}; synthetic, not a real theme.",
            "aliases": [f"syn{n}", f"bench theme {n}"],
        }
        for n in range(themes)
    ]
    (folder / "themes.json").write_text(json.dumps(theme_list), encoding="utf-8")
    vocabulary = _vocabulary(rng)
    with (folder / "stories.jsonl").open("w", encoding="utf-8") as out:
        for n in range(stories):
            picked = rng.sample(range(themes), k=min(themes, rng.choice((1, 1, 2))))
            # Every theme gets stories even in a small corpus.
            picked[0] = n % themes
            entry = {
                "key": f"syn-{n:07d}",
                "title": f"Synthetic story {n}",
                "text": story_text(rng, n, vocabulary),
                "themes": [theme_slug(t) for t in dict.fromkeys(picked)],
                "notes": rng.sample(NOTES, k=1) if n % 5 == 0 else [],
                "credit": "Synthetic benchmark corpus",
                "date": "2026",
                "teller": "",
            }
            out.write(json.dumps(entry) + "\n")
    return folder


async def seed_servers(
    storage: Storage,
    servers: int,
    stories_per_server: int,
    channels: int,
    theme_ids: list[int],
    seed: int = 11,
) -> tuple[list[int], list[tuple[int, int]]]:
    """Give servers their own stories and channels a round in progress.

    Returns the guild ids and (guild_id, channel_id) pairs the serving benchmark draws from.
    """
    rng = random.Random(seed)
    store = storage.library
    seeding = seeding_for(storage)
    db = store.db  # type: ignore[attr-defined]
    guilds = [1_700_000_000_000_000_000 + n for n in range(servers)]
    async with store.atomic():
        for guild in guilds:
            own = [
                NewStory(
                    title=f"Synthetic server story {guild}-{k}",
                    body=f"[synthetic server story {k}] " + " ".join(rng.choices(WORDS, k=18)),
                    notes="",
                    credit="a member of this server",
                    source_date="2026-01-01",
                    teller="",
                    digest=f"{guild}-{k}",
                    themes=(rng.choice(theme_ids),),
                )
                for k in range(stories_per_server)
            ]
            await store.write_stories(guild, "2026-01-01T00:00:00+00:00", own, [])
            await store.recount_pools(guild)
    bundled = await seeding.pool_extents(db, 0)
    extents: dict[int, dict[int, int]] = {}
    pairs, rounds = [], []
    for n in range(channels):
        guild = guilds[n % len(guilds)]
        channel = 1_800_000_000_000_000_000 + n
        pairs.append((guild, channel))
        if guild not in extents:
            extents[guild] = await seeding.pool_extents(db, guild)
        for theme in (0, rng.choice(theme_ids)):
            size = bundled.get(theme, 0)
            total = size + extents[guild].get(theme, 0)
            rounds.append((channel, theme, rng.getrandbits(62), total, size, total // 2))
    await seeding.put_rounds(db, rounds)
    return guilds, pairs


def seeding_for(storage: Storage) -> ModuleType:
    """The engine's bench-support module (bot.storage.<engine>.seeding)."""
    if storage.engine == "postgresql":
        from bot.storage.postgres import seeding

        return seeding
    from bot.storage.sqlite import seeding as sqlite_seeding

    return sqlite_seeding
