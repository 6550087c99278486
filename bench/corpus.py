"""A plainly synthetic library for the benchmarks: never shipped, never shown as a story.

N stories over T themes (with aliases and content notes) as a JSON Lines data file, then
S servers that own stories of their own, and C channels whose no-repeat memory is half
way through a round.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from bot.notes import NOTE_LABELS
from bot.records import NewStory
from bot.storage.sqlite.database import Database
from bot.storage.sqlite.library import LibraryStore

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
    with (folder / "stories.jsonl").open("w", encoding="utf-8") as out:
        for n in range(stories):
            picked = rng.sample(range(themes), k=min(themes, rng.choice((1, 1, 2))))
            # Every theme gets stories even in a small corpus.
            picked[0] = n % themes
            entry = {
                "key": f"syn-{n:07d}",
                "title": f"Synthetic story {n}",
                "text": f"[synthetic {n}] " + " ".join(rng.choices(WORDS, k=18)),
                "themes": [theme_slug(t) for t in dict.fromkeys(picked)],
                "notes": rng.sample(NOTES, k=1) if n % 5 == 0 else [],
                "credit": "Synthetic benchmark corpus",
                "date": "2026",
                "teller": "",
            }
            out.write(json.dumps(entry) + "\n")
    return folder


async def pool_extent(db: Database, theme_id: int, guild_id: int) -> int:
    """How many ordinals one pool has handed out: a round in progress spans them."""
    row = await db.fetchone(
        "SELECT next_ordinal FROM pool_sizes WHERE guild_id = ? AND theme_id = ?",
        (guild_id, theme_id),
    )
    return int(row[0]) if row else 0


async def seed_servers(
    db: Database,
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
    store = LibraryStore(db)
    guilds = [1_700_000_000_000_000_000 + n for n in range(servers)]
    async with db.transaction():
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
        pairs = []
        for n in range(channels):
            guild = guilds[n % len(guilds)]
            channel = 1_800_000_000_000_000_000 + n
            pairs.append((guild, channel))
            for theme in (0, rng.choice(theme_ids)):
                size = await pool_extent(db, theme, 0)
                total = size + await pool_extent(db, theme, guild)
                await db.conn.execute(
                    "INSERT OR REPLACE INTO rounds (channel_id, theme_id, seed, size, "
                    "bundled_size, position) VALUES (?, ?, ?, ?, ?, ?)",
                    (channel, theme, rng.getrandbits(62), total, size, total // 2),
                )
    return guilds, pairs
