"""A stand-in for Discord's REST API on 127.0.0.1, for discord.py's real HTTP client.

It keeps what Discord keeps (channels, messages, interactions, commands), answers the way
Discord answers, and rejects what Discord rejects (see limits.py) with Discord's codes.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.discord_bench import limits
from tests.discord_bench.history import Holds, Nonces, get_messages, message_snowflake

APPLICATION_ID = 1100000000000000001
BOT_USER_ID = APPLICATION_ID
INTERACTION_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60

# Permission bits used by the bench (Discord API).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
BOT_DEFAULT_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY

_snowflakes = itertools.count(1200000000000000000)


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly Discord's header: discord.py decodes JSON only for "application/json".
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def snowflake() -> int:
    return next(_snowflakes)


def bot_user() -> dict[str, Any]:
    return {
        "id": str(BOT_USER_ID),
        "username": "Bedside Stories",
        "discriminator": "0",
        "global_name": "Bedside Stories",
        "avatar": None,
        "bot": True,
        "flags": 0,
        "verified": True,
        "mfa_enabled": False,
    }


@dataclass
class Rejection:
    method: str
    path: str
    status: int
    code: int
    errors: list[str]
    body: Any

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} ({self.code}): {'; '.join(self.errors)}"


@dataclass
class Request:
    method: str
    path: str
    body: Any
    query: dict[str, str]
    # The sender's User-Agent: with several bot processes on one stand-in (fleet.py),
    # each adds its own name, so a test can tell which process sent what.
    agent: str = ""


@dataclass
class Channel:
    id: int
    guild_id: int | None
    name: str = "general"
    type: int = 0
    # Permissions the bot has in the channel; tests take them away.
    bot_permissions: int = BOT_DEFAULT_PERMISSIONS
    dm_user: int | None = None
    # The overwrites Discord gives for the channel; None: the one guilds.py derives from
    # ``bot_permissions``. A test that sets them keeps them agreeing with ``bot_permissions``,
    # which is what the stand-in enforces.
    overwrites: list[dict[str, Any]] | None = None


@dataclass
class InteractionState:
    id: int
    token: str
    channel_id: int | None
    created: float
    responded: asyncio.Future[dict[str, Any]]
    response: dict[str, Any] | None = None
    original: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    # The message whose component was used, for UPDATE_MESSAGE (type 7) answers.
    source_message_id: str | None = None
    # When the first answer arrived (time.perf_counter), for the benchmark's latencies.
    answered_at: float | None = None


class FakeDiscord:
    """The REST half of Discord. ``base_url`` goes into discord.py's ``Route.BASE``."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        # When messages are sent: a test's clock, so message ids and times follow it.
        self.clock = clock or (lambda: datetime.now(UTC))
        self.nonces = Nonces()
        self.holds = Holds()
        # Tests read every request and message afterwards. A benchmark reads none, and in
        # its process the records would be the stand-in's memory and garbage collector's
        # work counted as the bot's, so it turns this off and forgets what was answered.
        self.record = True
        self.requests: list[Request] = []
        self.rejections: list[Rejection] = []
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, list[dict[str, Any]]] = {}
        self.interactions: dict[int, InteractionState] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.command_puts: dict[str, int] = {}
        self.closed_dms: set[int] = set()
        # A server's roles beyond @everyone and the bot's own (guilds.py): with
        # ``bot_member`` and ``Channel.overwrites``, how a test gives or takes permissions.
        self.roles: dict[int, list[dict[str, Any]]] = {}
        # What the bot's member in a server has beyond its own role: more ``roles``, a
        # ``communication_disabled_until``.
        self.bot_member: dict[int, dict[str, Any]] = {}
        # A server's owner, where a test makes it the bot (guilds.py has one otherwise).
        self.owners: dict[int, int] = {}
        self.dm_channels: dict[int, int] = {}
        self.failures: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        # What /gateway/bot answers; a FakeGateway (gateway.py) fills these in.
        self.gateway_url = "wss://gateway.invalid/"
        self.server_count: Callable[[], int] = lambda: 1
        # Discord gives large bots 16 or more; with 1 every identify would wait 5 s.
        self.max_concurrency = 16
        # While set and not yet set free, channel posts past ``hold_after`` wait for it:
        # a test can stop a process with its sends arrived but not yet answered.
        self.hold: asyncio.Event | None = None
        self.hold_after = 0
        self.held = 0

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/api/v10"

    async def stop(self) -> None:
        self.holds.release()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- the world a test sets up ---------------------------------------------------------

    def add_channel(self, channel_id: int, guild_id: int | None, **kwargs: Any) -> Channel:
        channel = Channel(channel_id, guild_id, **kwargs)
        self.channels[channel_id] = channel
        self.messages.setdefault(channel_id, [])
        return channel

    def delete_channel(self, channel_id: int) -> None:
        self.channels.pop(channel_id, None)

    def fail_next(self, method: str, path_prefix: str, status: int, code: int = 0) -> None:
        """Make the next matching request fail, like a passing outage would."""
        self.failures.setdefault((method, path_prefix), []).append((status, code))

    def register_interaction(
        self,
        interaction_id: int,
        token: str,
        channel_id: int | None,
        source_message_id: str | None = None,
    ) -> InteractionState:
        state = InteractionState(
            interaction_id,
            token,
            channel_id,
            time.monotonic(),
            asyncio.get_running_loop().create_future(),
            source_message_id=source_message_id,
        )
        self.interactions[interaction_id] = state
        return state

    def forget(self, state: InteractionState) -> None:
        """Drop an answered interaction (see ``record``): no follow-up will come."""
        self.interactions.pop(state.id, None)

    # -- answers --------------------------------------------------------------------------

    def _error(
        self, request: web.Request, body: Any, status: int, code: int, errors: list[str]
    ) -> web.Response:
        self.rejections.append(Rejection(request.method, request.path, status, code, errors, body))
        message = limits.ERROR_MESSAGES.get(code, "Error")
        if errors:
            message = f"{message}: {'; '.join(errors)}"
        return _json({"code": code, "message": message}, status=status)

    def _message(
        self, channel_id: int | None, body: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        sent = self.clock()
        message = {
            "id": str(message_snowflake(sent)),
            "channel_id": str(channel_id or 0),
            "author": bot_user(),
            "content": body.get("content") or "",
            "timestamp": sent.isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags") or 0),
            "allowed_mentions": body.get("allowed_mentions"),
            "pings": sorted(limits.pings(body)),
        }
        message.update(extra)
        return message

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "multipart/form-data":
                body = {"multipart": True}
            elif raw:
                body = json.loads(raw)
        if self.record:
            self.requests.append(
                Request(
                    request.method,
                    path,
                    body,
                    dict(request.query),
                    request.headers.get("User-Agent", ""),
                )
            )
        for (method, prefix), queue in list(self.failures.items()):
            if method == request.method and path.startswith(prefix) and queue:
                status, code = queue.pop(0)
                return self._error(request, body, status, code, ["injected failure"])
        if self.holds.waiting and await self.holds.stop_request(request.method, path):
            return web.Response(status=503)  # the bot that sent it is gone by now
        parts = path.strip("/").split("/")
        handler = self._route(request.method, parts)
        if handler is None:
            return self._error(request, body, 404, 0, [f"the bench has no route for {path}"])
        return await handler(request, parts, body)

    def _route(self, method: str, parts: list[str]) -> Any:
        # access.py builds its payloads with guilds.py, which needs this module's names.
        from tests.discord_bench import access

        table = {
            ("GET", "users/@me"): self._get_me,
            ("GET", "oauth2/applications/@me"): self._get_app,
            ("GET", "gateway/bot"): self._get_gateway_bot,
            ("POST", "interactions/*/*/callback"): self._callback,
            ("POST", "webhooks/*/*"): self._followup,
            ("PATCH", "webhooks/*/*/messages/*"): self._edit_webhook_message,
            ("GET", "webhooks/*/*/messages/*"): self._get_webhook_message,
            ("DELETE", "webhooks/*/*/messages/*"): self._delete_webhook_message,
            ("PUT", "applications/*/commands"): self._put_commands,
            ("PUT", "applications/*/guilds/*/commands"): self._put_commands,
            ("GET", "applications/*/commands"): self._get_commands,
            ("GET", "applications/*/guilds/*/commands"): self._get_commands,
            ("GET", "channels/*"): functools.partial(access.get_channel, self),
            ("GET", "guilds/*/roles"): functools.partial(access.get_roles, self),
            ("GET", "guilds/*/members/*"): functools.partial(access.get_member, self),
            ("POST", "channels/*/messages"): self._post_message,
            ("GET", "channels/*/messages"): functools.partial(get_messages, self),
            ("PATCH", "channels/*/messages/*"): self._edit_message,
            ("DELETE", "channels/*/messages/*"): self._delete_message,
            ("GET", "channels/*/messages/*"): self._get_message,
            ("POST", "users/@me/channels"): self._open_dm,
        }
        for (m, pattern), handler in table.items():
            wanted = pattern.split("/")
            if (
                m == method
                and len(wanted) == len(parts)
                and all(w == "*" or w == p for w, p in zip(wanted, parts, strict=True))
            ):
                return handler
        return None

    async def _get_me(self, request: web.Request, parts: list[str], body: Any) -> web.Response:
        return _json(bot_user())

    async def _get_app(self, request: web.Request, parts: list[str], body: Any) -> web.Response:
        return _json(
            {
                "id": str(APPLICATION_ID),
                "name": "Bedside Stories",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": {**bot_user(), "id": "1100000000000000099", "bot": False},
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "interactions_endpoint_url": None,
            }
        )

    async def _get_gateway_bot(
        self, request: web.Request, parts: list[str], body: Any
    ) -> web.Response:
        # Discord recommends about one shard per 1,000 servers.
        return _json(
            {
                "url": self.gateway_url,
                "shards": max(1, -(-self.server_count() // 1000)),
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14_400_000,
                    "max_concurrency": self.max_concurrency,
                },
            }
        )

    async def _put_commands(
        self, request: web.Request, parts: list[str], body: Any
    ) -> web.Response:
        scope = "global" if len(parts) == 3 else f"guild:{parts[3]}"
        problems = limits.command_problems(body or [])
        if problems:
            return self._error(request, body, 400, 50035, problems)
        self.command_puts[scope] = self.command_puts.get(scope, 0) + 1
        stored = [
            {
                **command,
                "id": str(snowflake()),
                "application_id": str(APPLICATION_ID),
                "version": "1",
            }
            for command in body
        ]
        self.commands[scope] = stored
        return _json(stored)

    async def _get_commands(
        self, request: web.Request, parts: list[str], body: Any
    ) -> web.Response:
        scope = "global" if len(parts) == 3 else f"guild:{parts[3]}"
        return _json(self.commands.get(scope, []))

    # -- interactions ---------------------------------------------------------------------

    async def _callback(self, request: web.Request, parts: list[str], body: Any) -> web.Response:
        interaction_id, token = int(parts[1]), parts[2]
        state = self.interactions.get(interaction_id)
        if state is None or state.token != token:
            return self._error(request, body, 404, 10062, ["no such interaction"])
        if time.monotonic() - state.created > INTERACTION_DEADLINE:
            return self._error(request, body, 404, 10062, ["answered after 3 seconds"])
        if state.response is not None:
            return self._error(request, body, 400, 40060, [])
        kind = body.get("type")
        data = body.get("data") or {}
        problems: list[str] = []
        code = 50035
        if kind in (4, 7):
            code, problems = limits.message_problems(data, edit=kind == 7)
        elif kind == 8:
            problems = limits.autocomplete_problems(data)
        elif kind == 9:
            problems = limits.modal_problems(data)
        elif kind not in (5, 6):
            problems = [f"type: unknown callback type {kind}"]
        if problems:
            return self._error(request, body, 400, code, problems)
        state.response = body
        state.answered_at = time.perf_counter()
        answer: dict[str, Any] = {
            "interaction": {"id": str(interaction_id), "type": 2},
        }
        if kind in (4, 5):
            state.original = self._message(state.channel_id, data, interaction_id=interaction_id)
            state.original["deferred"] = kind == 5
            if (
                self.record
                and state.channel_id is not None
                and not int(data.get("flags") or 0) & limits.EPHEMERAL
            ):
                self.messages.setdefault(state.channel_id, []).append(state.original)
            answer["interaction"].update(
                response_message_id=state.original["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(int(data.get("flags") or 0) & limits.EPHEMERAL),
            )
            answer["resource"] = {"type": kind, "message": state.original}
        elif kind == 7:
            target = self._any_message(state.source_message_id)
            if target is None:
                state.response = None
                return self._error(request, body, 404, 10008, ["the message to update is gone"])
            self._apply_edit(target, data)
            state.original = target
            answer["resource"] = {"type": kind, "message": target}
        if not state.responded.done():
            state.responded.set_result(body)
        return _json(answer)

    def _any_message(self, message_id: str | None) -> dict[str, Any] | None:
        """A message anywhere: in a channel, or an ephemeral answer only its reader sees."""
        if message_id is None:
            return None
        for messages in self.messages.values():
            for message in messages:
                if message["id"] == message_id:
                    return message
        for state in self.interactions.values():
            for message in (state.original, *state.followups):
                if message is not None and message["id"] == message_id:
                    return message
        return None

    @staticmethod
    def _apply_edit(message: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key]
        message["edited_timestamp"] = datetime.now(UTC).isoformat()
        message["pings"] = sorted(limits.pings({**message, **body}))

    def _token_state(self, token: str) -> InteractionState | None:
        for state in self.interactions.values():
            if state.token == token:
                return state
        return None

    async def _followup(self, request: web.Request, parts: list[str], body: Any) -> web.Response:
        state = self._token_state(parts[2])
        if state is None or time.monotonic() - state.created > TOKEN_LIFETIME:
            return self._error(request, body, 404, 10015, ["unknown or expired token"])
        if state.response is None:
            return self._error(request, body, 400, 10062, ["follow-up before the first response"])
        code, problems = limits.message_problems(body or {})
        if problems:
            return self._error(request, body, 400, code, problems)
        message = self._message(state.channel_id, body)
        state.followups.append(message)
        if state.channel_id is not None and not (int(body.get("flags") or 0) & limits.EPHEMERAL):
            self.messages.setdefault(state.channel_id, []).append(message)
        return _json(message)

    async def _edit_webhook_message(
        self, request: web.Request, parts: list[str], body: Any
    ) -> web.Response:
        state = self._token_state(parts[2])
        if state is None or state.original is None:
            return self._error(request, body, 404, 10008, ["no original response"])
        code, problems = limits.message_problems(body or {}, edit=True)
        if problems:
            return self._error(request, body, 400, code, problems)
        target = (
            state.original
            if parts[4] == "@original"
            else next((m for m in state.followups if m["id"] == parts[4]), None)
        )
        if target is None:
            return self._error(request, body, 404, 10008, [])
        self._apply_edit(target, body)
        target["deferred"] = False
        return _json(target)

    async def _get_webhook_message(
        self, request: web.Request, parts: list[str], body: Any
    ) -> web.Response:
        state = self._token_state(parts[2])
        if state is None or state.original is None:
            return self._error(request, body, 404, 10008, [])
        return _json(state.original)

    async def _delete_webhook_message(
        self, request: web.Request, parts: list[str], body: Any
    ) -> web.Response:
        state = self._token_state(parts[2])
        if state is None or state.original is None:
            return self._error(request, body, 404, 10008, [])
        for messages in self.messages.values():
            if state.original in messages:
                messages.remove(state.original)
        return web.Response(status=204)

    # -- channels and messages ------------------------------------------------------------

    def _channel_json(self, channel: Channel) -> dict[str, Any]:
        data: dict[str, Any] = {"id": str(channel.id), "type": channel.type, "name": channel.name}
        if channel.guild_id is not None:
            data.update(
                guild_id=str(channel.guild_id), position=0, permission_overwrites=[], nsfw=False
            )
        if channel.dm_user is not None:
            data["recipients"] = [
                {
                    "id": str(channel.dm_user),
                    "username": "member",
                    "discriminator": "0",
                    "avatar": None,
                }
            ]
        return data

    def _channel_or_error(
        self, request: web.Request, channel_id: int, body: Any, needs: int
    ) -> Channel | web.Response:
        channel = self.channels.get(channel_id)
        if channel is None:
            return self._error(request, body, 404, 10003, [])
        if channel.dm_user is not None and channel.dm_user in self.closed_dms:
            return self._error(request, body, 403, 50007, [])
        if channel.bot_permissions & VIEW_CHANNEL == 0:
            return self._error(request, body, 403, 50001 if needs == VIEW_CHANNEL else 50013, [])
        if channel.bot_permissions & needs != needs:
            return self._error(request, body, 403, 50013, [])
        return channel

    async def _post_message(
        self, request: web.Request, parts: list[str], body: Any
    ) -> web.Response:
        needs = VIEW_CHANNEL | SEND_MESSAGES
        if body and body.get("embeds"):
            needs |= EMBED_LINKS
        channel = self._channel_or_error(request, int(parts[1]), body, needs)
        if isinstance(channel, web.Response):
            return channel
        code, problems = limits.message_problems(body or {})
        if problems:
            return self._error(request, body, 400, code, problems)
        repeat = self.nonces.repeat(channel.id, body, self.clock())
        if repeat is not None:
            return _json(repeat)
        if await self.holds.stop_at(channel.id, kept=False):
            return web.Response(status=503)  # the bot that sent it is gone by now
        extra = {"guild_id": str(channel.guild_id)} if channel.guild_id else {}
        message = self._message(channel.id, body, **extra)
        self.messages[channel.id].append(message)
        self.nonces.remember(channel.id, body, message, self.clock())
        await self.holds.stop_at(channel.id, kept=True)
        await self._held()
        return _json(message)

    async def _held(self) -> None:
        # Discord has the message once the request arrived, answered or not.
        if self.hold is None or self.hold.is_set():
            return
        if self.hold_after > 0:
            self.hold_after -= 1
            return
        self.held += 1
        await self.hold.wait()

    def _find_message(self, channel_id: int, message_id: str) -> dict[str, Any] | None:
        return next((m for m in self.messages.get(channel_id, []) if m["id"] == message_id), None)

    async def _edit_message(
        self, request: web.Request, parts: list[str], body: Any
    ) -> web.Response:
        channel = self._channel_or_error(request, int(parts[1]), body, VIEW_CHANNEL)
        if isinstance(channel, web.Response):
            return channel
        message = self._find_message(channel.id, parts[3])
        if message is None:
            return self._error(request, body, 404, 10008, [])
        code, problems = limits.message_problems(body or {}, edit=True)
        if problems:
            return self._error(request, body, 400, code, problems)
        if await self.holds.stop_at(channel.id, kept=False, method="PATCH"):
            return web.Response(status=503)
        self._apply_edit(message, body)
        return _json(message)

    async def _get_message(self, request: web.Request, parts: list[str], body: Any) -> web.Response:
        channel = self._channel_or_error(request, int(parts[1]), body, VIEW_CHANNEL)
        if isinstance(channel, web.Response):
            return channel
        message = self._find_message(channel.id, parts[3])
        if message is None:
            return self._error(request, body, 404, 10008, [])
        return _json(message)

    async def _delete_message(
        self, request: web.Request, parts: list[str], body: Any
    ) -> web.Response:
        channel = self._channel_or_error(request, int(parts[1]), body, VIEW_CHANNEL)
        if isinstance(channel, web.Response):
            return channel
        message = self._find_message(channel.id, parts[3])
        if message is None:
            return self._error(request, body, 404, 10008, [])
        self.messages[channel.id].remove(message)
        return web.Response(status=204)

    def dm_channel(self, user_id: int) -> int:
        """The id of the bot's DM channel with a user, made on first use (tests hold posts
        to it by that id)."""
        channel_id = self.dm_channels.get(user_id)
        if channel_id is None:
            channel_id = snowflake()
            self.dm_channels[user_id] = channel_id
            self.add_channel(channel_id, None, type=1, name="", dm_user=user_id)
        return channel_id

    async def _open_dm(self, request: web.Request, parts: list[str], body: Any) -> web.Response:
        channel_id = self.dm_channel(int(body["recipient_id"]))
        return _json(self._channel_json(self.channels[channel_id]))
