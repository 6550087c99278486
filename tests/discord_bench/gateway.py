"""A stand-in for Discord's gateway on 127.0.0.1, for discord.py's real shards.

It speaks the gateway protocol as discord.py 2.7 uses it (``discord/gateway.py``,
``discord/shard.py``), over aiohttp websockets:

- a connection gets HELLO (``heartbeat_interval``); HEARTBEAT is answered with
  HEARTBEAT_ACK;
- IDENTIFY (with ``shard: [id, count]``) gets READY (``session_id``,
  ``resume_gateway_url``, the shard's servers as unavailable) and then one GUILD_CREATE
  per server *of that shard*, ``(guild_id >> 22) % count == id``, as Discord routes them;
- RESUME (``session_id``, ``seq``) replays what the session missed, then RESUMED; an
  unknown session gets INVALID_SESSION (``d: false``);
- a shard that would hold more than 2,500 servers is closed with 4011 (Sharding
  required), a bad token with 4004, a shard id outside its count with 4010.

discord.py asks for ``compress=zlib-stream``; the stand-in honours it as Discord does
(one zlib stream per connection, each message ending in a sync flush), and speaks plain
text frames when a client asks for no compression (discord.py accepts both).

Tests drive it with :meth:`FakeGateway.deliver` (an event routed to the shard of its
server), :meth:`FakeGateway.drop` (a connection lost) and :meth:`FakeGateway.synced`
(the client has handled everything sent so far: it answers a HEARTBEAT request with the
last sequence number it processed, after processing what came before).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sharding import shard_of
from tests.discord_bench.guilds import guild_create
from tests.discord_bench.server import APPLICATION_ID, FakeDiscord, bot_user

HEARTBEAT_INTERVAL_MS = 41_250
MAX_GUILDS_PER_SHARD = 2500
# Close codes (Discord's gateway documentation).
AUTHENTICATION_FAILED = 4004
INVALID_SHARD = 4010
SHARDING_REQUIRED = 4011
# Closed by the stand-in to play a lost connection; discord.py resumes after it.
DROPPED = 4000


class Connection:
    """One websocket, and the zlib stream it asked for."""

    def __init__(self, socket: web.WebSocketResponse, compress: str | None) -> None:
        self.socket = socket
        self.zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self.session: Session | None = None
        # HEARTBEAT requests waiting for the client's answer: (sequence wanted, future).
        self.waiting: list[tuple[int, asyncio.Future[None]]] = []

    async def send(self, message: dict[str, Any]) -> None:
        raw = json.dumps(message).encode()
        if self.zlib is None:
            await self.socket.send_str(raw.decode())
        else:
            await self.socket.send_bytes(
                self.zlib.compress(raw) + self.zlib.flush(zlib.Z_SYNC_FLUSH)
            )


@dataclass
class Session:
    id: str
    shard_id: int
    shard_count: int
    guild_ids: list[int]
    seq: int = 0
    # Every dispatch of the session, for RESUME to replay what a dropped socket missed.
    sent: list[dict[str, Any]] = field(default_factory=list)
    connection: Connection | None = None
    resumes: int = 0
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    def attach(self, connection: Connection | None) -> None:
        self.connection = connection
        if connection is None:
            self.connected.clear()
        else:
            connection.session = self
            self.connected.set()


class FakeGateway:
    def __init__(
        self,
        world: FakeDiscord,
        token: str,
        guild_payload: Callable[[int], dict[str, Any]] | None = None,
    ) -> None:
        self.world = world
        self._token = token
        # A server's GUILD_CREATE: by default FakeDiscord's channels of it (guilds.py); the
        # benchmark brings its own, realistic and made without searching every channel.
        self.guild_payload = guild_payload or (lambda guild_id: guild_create(world, guild_id))
        # Every dispatch is kept for RESUME; a benchmark with 20,000 servers keeps none,
        # or the stand-in's memory would grow with every event it sends.
        self.replay = True
        self.guild_ids: list[int] = []
        self.sessions: dict[str, Session] = {}
        # (shard id, close code) of every connection the stand-in closed.
        self.closes: list[tuple[int | None, int]] = []
        # The ``shard`` of every IDENTIFY, in order, and the query of every connection.
        self.identified: list[tuple[int, int]] = []
        self.queries: list[dict[str, str]] = []
        self._runner: web.AppRunner | None = None
        self._ready: dict[int, asyncio.Event] = {}
        self.url = ""

    @property
    def resume_url(self) -> str:
        return self.url + "resume"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._connect)
        app.router.add_get("/resume", self._connect)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/"
        self.world.gateway_url = self.url
        self.world.server_count = lambda: len(self.guild_ids)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add_guilds(self, guild_ids: list[int]) -> None:
        """Servers the bot is in; each is sent to its shard when that shard identifies."""
        self.guild_ids += guild_ids

    # -- what tests do --------------------------------------------------------------------

    def session_of(self, shard_id: int) -> Session:
        live = [s for s in self.sessions.values() if s.shard_id == shard_id]
        assert live, f"shard {shard_id} never identified"
        return live[-1]

    def expect_identify(self, shard_ids: list[int]) -> None:
        """Shards about to connect afresh (a process started again): :meth:`ready` waits
        for their new sessions, not the ones a stopped process left behind."""
        for shard_id in shard_ids:
            self._ready.pop(shard_id, None)

    async def ready(self, shard_id: int) -> Session:
        """The shard's session, once it has identified and handled its GUILD_CREATEs."""
        await self._ready.setdefault(shard_id, asyncio.Event()).wait()
        session = self.session_of(shard_id)
        await self.synced(session)
        return session

    def shard_for(self, data: dict[str, Any]) -> int:
        """The shard Discord sends an event about ``data`` to (DMs go to shard 0)."""
        count = next(iter(self.sessions.values())).shard_count
        guild_id = data.get("guild_id")
        return shard_of(int(guild_id), count) if guild_id else 0

    async def deliver(
        self, event: str, data: dict[str, Any], via: Session | None = None
    ) -> Session:
        """Send ``event`` to the shard of its server, as Discord does: on the newest
        session of that shard, or on ``via`` (one of two processes holding it)."""
        session = via or self.session_of(self.shard_for(data))
        await self._dispatch(session, event, data)
        return session

    async def drop(self, shard_id: int) -> Session:
        """Lose the shard's connection, keeping its session for a RESUME."""
        session = self.session_of(shard_id)
        connection = session.connection
        session.attach(None)
        assert connection is not None, f"shard {shard_id} is not connected"
        self.closes.append((shard_id, DROPPED))
        await connection.socket.close(code=DROPPED)
        return session

    async def synced(self, session: Session) -> None:
        """Wait until the client has processed every event of ``session`` sent so far."""
        await session.connected.wait()  # a dropped shard comes back first
        connection = session.connection
        assert connection is not None
        future = asyncio.get_running_loop().create_future()
        connection.waiting.append((session.seq, future))
        await connection.send({"op": 1, "d": None, "s": None, "t": None})
        await future

    # -- the protocol ---------------------------------------------------------------------

    async def _connect(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.queries.append(dict(request.query))
        connection = Connection(socket, request.query.get("compress"))
        await connection.send(
            {"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None}
        )
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            op, data = payload.get("op"), payload.get("d")
            if op == 1:
                await self._heartbeat(connection, data)
            elif op == 2:
                await self._identify(connection, data)
            elif op == 6:
                await self._resume(connection, data)
        session = connection.session
        if session is not None and session.connection is connection:
            session.attach(None)
        return socket

    async def _heartbeat(self, connection: Connection, seq: int | None) -> None:
        await connection.send({"op": 11, "d": None, "s": None, "t": None})
        for wanted, future in list(connection.waiting):
            if (seq or 0) >= wanted and not future.done():
                future.set_result(None)
                connection.waiting.remove((wanted, future))

    async def _close(self, connection: Connection, shard_id: int | None, code: int) -> None:
        self.closes.append((shard_id, code))
        await connection.socket.close(code=code)

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        shard_id, count = data.get("shard") or (0, 1)
        if data.get("token") != self._token:
            await self._close(connection, shard_id, AUTHENTICATION_FAILED)
            return
        if not 0 <= shard_id < count:
            await self._close(connection, shard_id, INVALID_SHARD)
            return
        self.identified.append((shard_id, count))
        guilds = [g for g in self.guild_ids if shard_of(g, count) == shard_id]
        if len(guilds) > MAX_GUILDS_PER_SHARD:
            await self._close(connection, shard_id, SHARDING_REQUIRED)
            return
        session = Session(secrets.token_hex(16), shard_id, count, guilds)
        session.attach(connection)
        self.sessions[session.id] = session
        await self._dispatch(
            session,
            "READY",
            {
                "v": 10,
                "user": bot_user(),
                "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
                "session_id": session.id,
                "resume_gateway_url": self.resume_url,
                "shard": [shard_id, count],
                "application": {"id": str(APPLICATION_ID), "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for guild_id in guilds:
            await self._dispatch(session, "GUILD_CREATE", self.guild_payload(guild_id))
        self._ready.setdefault(shard_id, asyncio.Event()).set()

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id") or "")
        if session is None or data.get("token") != self._token:
            await connection.send({"op": 9, "d": False, "s": None, "t": None})
            return
        session.attach(connection)
        session.resumes += 1
        for missed in session.sent:
            if missed["s"] > (data.get("seq") or 0):
                await connection.send(missed)
        await self._dispatch(session, "RESUMED", {})

    async def _dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        message = {"op": 0, "t": event, "s": session.seq, "d": data}
        if self.replay:
            session.sent.append(message)
        if session.connection is not None:
            await session.connection.send(message)
