"""Live story counts per server and theme, held in memory for autocomplete and /themes.

Autocomplete shows how many stories each theme holds on every keystroke, from any of
thousands of servers; a trip to the database for each one was the whole of its extra cost
over a fixed answer. Counts are per pool (a server's own stories of a theme), not per
story, so holding them costs about 16 bytes a pool: a few MB for 20,000 servers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from array import array

from bot.storage.sqlite.database import Database

log = logging.getLogger(__name__)

BUNDLED = 0
# Writes in this process update the counts at once. A second process sharing the file (a
# second bot, a moderator's approval there) is seen at the next reload, in the background.
RELOAD_AFTER = 600.0

# Read a page at a time in key order: all at once, a million-story library's 120,000 pools
# cost 26 MB of rows for an instant, and the serving process's peak is its budget.
COUNTS_PAGE_SQL = (
    "SELECT guild_id, theme_id, live FROM pool_sizes WHERE (guild_id, theme_id) > (?, ?) "
    "ORDER BY guild_id, theme_id LIMIT ?"
)
PAGE = 5000
GUILD_COUNTS_SQL = "SELECT theme_id, live FROM pool_sizes WHERE guild_id = ? AND live > 0"


class PoolCounts:
    def __init__(self, db: Database, *, page: int = PAGE) -> None:
        self.db = db
        self._page = page
        self._bundled: dict[int, int] = {}
        # guild -> [theme, live, theme, live, ...]: an array is a tenth of a dict's size.
        self._own: dict[int, array[int]] = {}
        self._loaded_at: float | None = None
        self._reload: asyncio.Task[None] | None = None

    async def load(self) -> None:
        """Read every pool's count (at start-up, then now and then in the background)."""
        bundled: dict[int, int] = {}
        own: dict[int, array[int]] = {}
        after = (-1, -1)
        while True:
            rows = await self.db.fetchall(COUNTS_PAGE_SQL, (*after, self._page))
            for guild_id, theme_id, live in rows:
                if not live:
                    continue
                if guild_id == BUNDLED:
                    bundled[theme_id] = live
                else:
                    own.setdefault(guild_id, array("q")).extend((theme_id, live))
            if len(rows) < self._page:
                break
            after = (rows[-1][0], rows[-1][1])
        self._bundled, self._own = bundled, own
        self._loaded_at = time.monotonic()

    async def refresh(self, guild_id: int) -> None:
        """Read one server's counts again after the library changed there."""
        rows = await self.db.fetchall(GUILD_COUNTS_SQL, (guild_id,))
        if guild_id == BUNDLED:
            self._bundled = dict(rows)
        elif rows:
            self._own[guild_id] = array("q", [value for row in rows for value in row])
        else:
            self._own.pop(guild_id, None)

    async def for_guild(self, guild_id: int) -> dict[int, int]:
        """Stories a member of ``guild_id`` can be served, per theme (0: any theme)."""
        if self._loaded_at is None:
            await self.load()
        elif time.monotonic() - (self._loaded_at or 0.0) > RELOAD_AFTER:
            self._reload_in_background()
        counts = dict(self._bundled)
        own = self._own.get(guild_id) if guild_id != BUNDLED else None
        if own:
            for i in range(0, len(own), 2):
                counts[own[i]] = counts.get(own[i], 0) + own[i + 1]
        return counts

    def _reload_in_background(self) -> None:
        if self._reload is not None and not self._reload.done():
            return
        self._loaded_at = time.monotonic()  # one reload at a time, even if it fails
        self._reload = asyncio.create_task(self._reload_quietly(), name="story-counts")

    async def _reload_quietly(self) -> None:
        try:
            await self.load()
        except Exception:
            log.exception("could not reload the story counts; keeping the ones held")
