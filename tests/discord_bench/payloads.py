"""Interaction payloads shaped like the ones Discord sends on the gateway."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from tests.discord_bench.server import (
    APPLICATION_ID,
    BOT_DEFAULT_PERMISSIONS,
    MANAGE_GUILD,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    snowflake,
)

GUILD_ID = 1300000000000000001
OTHER_GUILD_ID = 1300000000000000002
CHANNEL_ID = 1300000000000000011
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY


@dataclass(frozen=True)
class User:
    id: int
    name: str = "member"
    permissions: int = MEMBER_PERMISSIONS
    roles: tuple[int, ...] = ()

    def user_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name.title(),
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
        }


MEMBER = User(1400000000000000001, "member")
OTHER_MEMBER = User(1400000000000000002, "another")
ADMIN = User(1400000000000000003, "admin", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)


@dataclass(frozen=True)
class ChannelRef:
    id: int
    name: str = "stories"
    type: int = 0


@dataclass(frozen=True)
class RoleRef:
    id: int
    name: str = "moderators"


@dataclass
class Where:
    guild_id: int | None = GUILD_ID
    channel_id: int = CHANNEL_ID
    app_permissions: int = BOT_DEFAULT_PERMISSIONS
    extra: dict[str, Any] = field(default_factory=dict)


def _option(
    name: str, value: Any, focused: bool, resolved: dict[str, Any], guild_id: int | None
) -> dict[str, Any]:
    option: dict[str, Any] = {"name": name}
    if isinstance(value, ChannelRef):
        option.update(type=7, value=str(value.id))
        resolved.setdefault("channels", {})[str(value.id)] = {
            "id": str(value.id),
            "name": value.name,
            "type": value.type,
            "permissions": str(MEMBER_PERMISSIONS),
            "guild_id": str(guild_id),
        }
    elif isinstance(value, RoleRef):
        option.update(type=8, value=str(value.id))
        resolved.setdefault("roles", {})[str(value.id)] = {
            "id": str(value.id),
            "name": value.name,
            "color": 0,
            "hoist": False,
            "position": 1,
            "permissions": "0",
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
    elif isinstance(value, bool):
        option.update(type=5, value=value)
    elif isinstance(value, int):
        option.update(type=4, value=value)
    else:
        option.update(type=3, value=str(value))
    if focused:
        option["focused"] = True
    return option


def base(kind: int, user: User, where: Where) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(snowflake()),
        "application_id": str(APPLICATION_ID),
        "type": kind,
        "token": "bench-" + secrets.token_urlsafe(24),
        "version": 1,
        "locale": "en-GB",
        "entitlements": [],
        "attachment_size_limit": 8 * 1024 * 1024,
        "app_permissions": str(where.app_permissions),
        "channel_id": str(where.channel_id),
    }
    if where.guild_id is not None:
        payload.update(
            guild_id=str(where.guild_id),
            guild_locale="en-GB",
            context=0,
            authorizing_integration_owners={"0": str(where.guild_id)},
            channel={
                "id": str(where.channel_id),
                "type": 0,
                "guild_id": str(where.guild_id),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            },
            member={
                "user": user.user_json(),
                "roles": [str(r) for r in user.roles],
                "joined_at": "2024-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
                "permissions": str(user.permissions),
            },
        )
    else:
        payload.update(
            user=user.user_json(),
            context=1,
            authorizing_integration_owners={"1": str(user.id)},
            channel={"id": str(where.channel_id), "type": 1, "recipients": [user.user_json()]},
        )
    payload.update(where.extra)
    return payload


def command(
    path: str,
    options: dict[str, Any],
    user: User,
    where: Where,
    *,
    focused: str | None = None,
) -> dict[str, Any]:
    """``path`` is the command as typed: "story" or "daily set"."""
    names = path.split()
    resolved: dict[str, Any] = {}
    leaf = [
        _option(name, value, name == focused, resolved, where.guild_id)
        for name, value in options.items()
        if value is not None
    ]
    for depth, name in reversed(list(enumerate(names[1:], start=1))):
        leaf = [{"name": name, "type": 1 if depth == len(names) - 1 else 2, "options": leaf}]
    data: dict[str, Any] = {"id": str(snowflake()), "name": names[0], "type": 1, "options": leaf}
    if resolved:
        data["resolved"] = resolved
    payload = base(4 if focused else 2, user, where)
    payload["data"] = data
    return payload


def component(
    message: dict[str, Any],
    custom_id: str,
    user: User,
    where: Where,
    *,
    component_type: int = 2,
    values: list[str] | None = None,
) -> dict[str, Any]:
    payload = base(3, user, where)
    payload["message"] = message
    payload["data"] = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        payload["data"]["values"] = values
    return payload


def modal_submit(
    modal: dict[str, Any], values: dict[str, Any], user: User, where: Where
) -> dict[str, Any]:
    """Fill a modal the bot sent: ``values`` maps a component's custom_id to what was typed
    (text), chosen (a list of values for selects and checkbox groups) or ticked (a bool)."""
    components = []
    for top in modal["components"]:
        if top.get("type") == 18:  # Label
            inner = top["component"]
            components.append(
                {"type": 18, "id": top.get("id", 0), "component": _answer(inner, values)}
            )
        elif top.get("type") == 1:
            components.append(
                {"type": 1, "components": [_answer(c, values) for c in top["components"]]}
            )
        else:
            components.append({"type": top["type"], "id": top.get("id", 0)})
    payload = base(5, user, where)
    payload["data"] = {"custom_id": modal["custom_id"], "components": components}
    return payload


def _answer(component: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    custom_id = component["custom_id"]
    given = values.get(custom_id)
    kind = component["type"]
    answer: dict[str, Any] = {"type": kind, "custom_id": custom_id, "id": component.get("id", 0)}
    if kind == 4:
        answer["value"] = "" if given is None else str(given)
    elif kind == 23:  # Checkbox
        answer["value"] = bool(given)
    elif kind == 21:  # RadioGroup: one value, or null when nothing was chosen
        answer["value"] = None if given is None else str(given)
    else:
        answer["values"] = list(given or [])
    return answer
