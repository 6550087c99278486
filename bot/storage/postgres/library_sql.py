"""The library's PostgreSQL statements, apart from the store that runs them.

Named here so the query-plan test can ask PostgreSQL's planner about each serving one.
"""

from __future__ import annotations

from typing import Any

from bot.storage.postgres.draws import READ_SQL, TAKE_SQL

_STORY_COLUMNS = (
    "s.id, s.guild_id, s.title, s.body, s.notes, s.credit, s.source_date, s.teller, "
    "(SELECT st.theme_id FROM story_themes st WHERE st.story_id = s.id "
    " ORDER BY st.position LIMIT 1) AS primary_theme"
)
STORY_SQL = f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.id = $1"
COUNTS_PAGE_SQL = (
    "SELECT guild_id, theme_id, live FROM pool_sizes WHERE (guild_id, theme_id) > ($1, $2) "
    "ORDER BY guild_id, theme_id LIMIT $3"
)
GUILD_COUNTS_SQL = "SELECT theme_id, live FROM pool_sizes WHERE guild_id = $1 AND live > 0"
# Live stories hidden in a server (by a report), per pool theme: counted out of its counts.
_HIDDEN_COUNTS = (
    "SELECT h.guild_id, pm.theme_id, COUNT(*) FROM hidden_stories h "
    "JOIN stories s ON s.id = h.story_id AND s.active = 1 "
    "JOIN pool_members pm ON pm.story_id = h.story_id "
)
HIDDEN_COUNTS_SQL = _HIDDEN_COUNTS + "WHERE h.guild_id = $1 GROUP BY h.guild_id, pm.theme_id"
ALL_HIDDEN_COUNTS_SQL = _HIDDEN_COUNTS + "GROUP BY h.guild_id, pm.theme_id"
# One pass over the server's members, grouped, not a count per pool: at a million bundled
# stories the count per pool ran past the statement timeout on a busy host, and failed the
# import. The LEFT JOIN gives a pool that lost every member a count of 0.
RECOUNT_SQL = (
    "UPDATE pool_sizes SET live = COALESCE(c.live, 0) FROM pool_sizes p LEFT JOIN ("
    "SELECT pm.theme_id, COUNT(*) FILTER (WHERE s.active = 1) AS live FROM pool_members pm "
    "JOIN stories s ON s.id = pm.story_id WHERE pm.guild_id = $1 GROUP BY pm.theme_id) c "
    "ON c.theme_id = p.theme_id WHERE p.guild_id = $1 AND pool_sizes.guild_id = $1 "
    "AND pool_sizes.theme_id = p.theme_id"
)
# What /story, "Another story", /themes and autocomplete run, for the query-plan test.
SERVING_QUERIES: dict[str, tuple[str, tuple[Any, ...]]] = {
    "guild_counts": (GUILD_COUNTS_SQL, (1,)),
    "hidden_counts": (HIDDEN_COUNTS_SQL, (1,)),
    "take": (TAKE_SQL, ([1, 2], [1, 1], [1, 2], [1, 1])),
    "read_slots": (READ_SQL, ([0, 1], [1, 1], [0, 1], [1, 2], [1, 1])),
    "story": (STORY_SQL, (1,)),
}
