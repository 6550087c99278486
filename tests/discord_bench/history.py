"""What the stand-in Discord (server.py) keeps of a channel's past: message ids that tell
when a message was sent, ``GET /channels/{id}/messages`` pages, the nonces Discord
remembers for a while, and message posts held where a crash would leave them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.discord_bench.server import FakeDiscord

# Discord's epoch (2015-01-01) in unix milliseconds: a snowflake's top bits count from it.
DISCORD_EPOCH_MS = 1_420_070_400_000
# Discord's default and highest page size for a channel's messages.
DEFAULT_PAGE = 50
MAX_PAGE = 100

_sequence = itertools.count()


def message_snowflake(at: datetime) -> int:
    """A message id as Discord makes one: the moment it was sent, then a counter, so that
    ``after``/``before`` a moment's snowflake finds what was sent after or before it."""
    milliseconds = int(at.timestamp() * 1000) - DISCORD_EPOCH_MS
    return (milliseconds << 22) | (next(_sequence) & 0x3FFFFF)


def history_page(
    messages: list[dict[str, Any]], query: Mapping[str, str], can_read: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of a channel's messages as Discord answers it, newest first, or a problem.

    ``after``: the ``limit`` messages just after that id; ``before`` (or neither): the
    ``limit`` messages just before it. A reader without Read Message History gets no
    messages, not a refusal."""
    given = [name for name in ("around", "before", "after") if name in query]
    if len(given) > 1:
        return [], "only one of around, before and after may be given"
    if given == ["around"]:
        return [], "around: the bench does not serve it"
    try:
        limit = int(query.get("limit", DEFAULT_PAGE))
        bound = int(query[given[0]]) if given else None
    except ValueError:
        return [], "limit, before and after must be integers"
    if not 1 <= limit <= MAX_PAGE:
        return [], f"limit: must be between 1 and {MAX_PAGE}"
    if not can_read:
        return [], None
    ordered = sorted(messages, key=lambda m: int(m["id"]))
    if given == ["after"]:
        assert bound is not None
        page = [m for m in ordered if int(m["id"]) > bound][:limit]
    else:
        page = [m for m in ordered if bound is None or int(m["id"]) < bound][-limit:]
    return page[::-1], None


async def get_messages(
    world: FakeDiscord, request: web.Request, parts: list[str], body: Any
) -> web.Response:
    """``GET /channels/{id}/messages``, from what the stand-in recorded in the channel."""
    # Imported here: server.py mounts this endpoint, so it imports this module first.
    from tests.discord_bench.server import READ_MESSAGE_HISTORY, VIEW_CHANNEL, _json

    channel = world._channel_or_error(request, int(parts[1]), body, VIEW_CHANNEL)
    if isinstance(channel, web.Response):
        return channel
    can_read = channel.bot_permissions & READ_MESSAGE_HISTORY != 0
    page, problem = history_page(world.messages[channel.id], request.query, can_read)
    if problem is not None:
        return world._error(request, body, 400, 50035, [problem])
    return _json(page)


@dataclass
class Nonces:
    """``nonce`` with ``enforce_nonce``: a repeat within ``window`` seconds of the first
    gets the first message back and makes none. Discord says only "the past few
    minutes"; a test sets it short to show the bot does not lean on it."""

    window: float = 300.0
    seen: dict[tuple[int, str], tuple[datetime, dict[str, Any]]] = field(default_factory=dict)

    def repeat(
        self, channel_id: int, body: Mapping[str, Any], now: datetime
    ) -> dict[str, Any] | None:
        nonce = body.get("nonce")
        if nonce is None or not body.get("enforce_nonce"):
            return None
        kept = self.seen.get((channel_id, str(nonce)))
        if kept is None or (now - kept[0]).total_seconds() > self.window:
            return None
        return kept[1]

    def remember(
        self, channel_id: int, body: Mapping[str, Any], message: dict[str, Any], now: datetime
    ) -> None:
        if body.get("nonce") is not None:
            self.seen[(channel_id, str(body["nonce"]))] = (now, message)


@dataclass
class Hold:
    """The next message post to a channel (or, with ``method`` "PATCH", edit of a message
    there), stopped: before Discord keeps it (``kept`` False: it never arrives) or after
    (the answer never leaves). With ``prefix``, the next request of that method whose path
    starts so, stopped before it arrives. ``reached`` is set when the request gets there;
    it stays there until released."""

    channel_id: int
    kept: bool
    method: str = "POST"
    prefix: str | None = None
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Holds:
    waiting: list[Hold] = field(default_factory=list)
    taken: list[Hold] = field(default_factory=list)

    def add(self, channel_id: int, *, kept: bool, method: str = "POST") -> Hold:
        hold = Hold(channel_id, kept, method)
        self.waiting.append(hold)
        return hold

    def add_request(self, method: str, prefix: str) -> Hold:
        """Stop the next ``method`` request to a path starting with ``prefix`` (such as
        ``/interactions/``: an answer to an interaction) before it arrives."""
        hold = Hold(0, False, method, prefix)
        self.waiting.append(hold)
        return hold

    async def stop_at(self, channel_id: int, *, kept: bool, method: str = "POST") -> bool:
        """Hold the post here if a hold is waiting for it; True once it is released."""
        wanted = (channel_id, kept, method, None)
        hold = next(
            (h for h in self.waiting if (h.channel_id, h.kept, h.method, h.prefix) == wanted), None
        )
        return await self._stop(hold)

    async def stop_request(self, method: str, path: str) -> bool:
        """Hold a request a prefix hold waits for; True once it is released."""
        hold = next(
            (
                h
                for h in self.waiting
                if h.prefix is not None and h.method == method and path.startswith(h.prefix)
            ),
            None,
        )
        return await self._stop(hold)

    async def _stop(self, hold: Hold | None) -> bool:
        if hold is None:
            return False
        self.waiting.remove(hold)
        self.taken.append(hold)
        hold.reached.set()
        await hold.released.wait()
        return True

    def release(self) -> None:
        for hold in self.taken:
            hold.released.set()
