"""Live story counts per server and theme, held in memory for autocomplete and /themes.

Autocomplete shows how many stories each theme holds on every keystroke, from any of
thousands of servers; a trip to the database for each one was the whole of its extra cost
over a fixed answer. Counts are per pool (a server's own stories of a theme), not per
story, so holding them costs about 16 bytes a pool: a few MB for 20,000 servers.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Awaitable, Callable, Sequence

from bot.records import BUNDLED
from bot.storage.background import Background

# Read a page at a time in key order: all at once, a million-story library's 120,000 pools
# cost 26 MB of rows for an instant, and the serving process's peak is its budget.
PAGE = 5000

# (after guild, after theme, how many) -> rows of (guild, theme, live), in key order.
ReadPage = Callable[[int, int, int], Awaitable[Sequence[Sequence[int]]]]
# guild -> rows of (theme, live) of that guild's pools with a live story.
ReadGuild = Callable[[int], Awaitable[Sequence[Sequence[int]]]]
# guild (None: every guild) -> rows of (guild, theme, live stories hidden there).
ReadHidden = Callable[[int | None], Awaitable[Sequence[Sequence[int]]]]


class PoolCounts:
    def __init__(
        self,
        read_page: ReadPage,
        read_guild: ReadGuild,
        *,
        read_hidden: ReadHidden | None = None,
        page: int = PAGE,
    ) -> None:
        self._read_page = read_page
        self._read_guild = read_guild
        self._read_hidden = read_hidden
        self._page = page
        self._bundled: dict[int, int] = {}
        # guild -> [theme, live, theme, live, ...]: an array is a tenth of a dict's size.
        self._own: dict[int, array[int]] = {}
        # guild -> theme -> live stories hidden there (by a report): few, so plain dicts.
        self._hidden: dict[int, dict[int, int]] = {}
        self._background = Background("story counts")

    async def load(self) -> None:
        """Read every pool's count (at start-up, then now and then in the background)."""
        started = time.monotonic()
        bundled: dict[int, int] = {}
        own: dict[int, array[int]] = {}
        after = (-1, -1)
        while True:
            rows = await self._read_page(*after, self._page)
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
        hidden = await self._hidden_in(None)
        self._bundled, self._own, self._hidden = bundled, own, hidden
        self._background.loaded_from(started)

    async def refresh(self, guild_id: int) -> None:
        """Read one server's counts again after the library changed there."""
        rows = await self._read_guild(guild_id)
        if guild_id == BUNDLED:
            self._bundled = dict(rows)  # type: ignore[arg-type]
        elif rows:
            self._own[guild_id] = array("q", [value for row in rows for value in row])
        else:
            self._own.pop(guild_id, None)
        if guild_id != BUNDLED:
            self._hidden.pop(guild_id, None)
            self._hidden.update(await self._hidden_in(guild_id))

    async def _hidden_in(self, guild_id: int | None) -> dict[int, dict[int, int]]:
        hidden: dict[int, dict[int, int]] = {}
        if self._read_hidden is not None:
            for guild, theme_id, live in await self._read_hidden(guild_id):
                hidden.setdefault(guild, {})[theme_id] = live
        return hidden

    async def for_guild(self, guild_id: int) -> dict[int, int]:
        """Stories a member of ``guild_id`` can be served, per theme (0: any theme)."""
        if not self._background.loaded:
            await self.load()
        self._background.reload_when_due(self.load)
        counts = dict(self._bundled)
        own = self._own.get(guild_id) if guild_id != BUNDLED else None
        if own:
            for i in range(0, len(own), 2):
                counts[own[i]] = counts.get(own[i], 0) + own[i + 1]
        for theme_id, live in self._hidden.get(guild_id, {}).items():
            counts[theme_id] = max(0, counts.get(theme_id, 0) - live)
        return counts

    def heard(self, guild_id: int) -> None:
        """Another process said ``guild_id``'s counts changed: read them again, in the
        background (the listener that calls this must not wait)."""
        self._background.run(
            self.refresh(guild_id), f"guild {guild_id}: could not reload the story counts"
        )

    async def close(self) -> None:
        await self._background.close()
