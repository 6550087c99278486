"""Discord's limits, checked where Discord checks them (shared/DISCORD_LIMITS.md).

Each check returns a list of "path: problem" strings; the fake server turns a non-empty
list into Discord's own 400 answer, so the bot sees what it would see in production.
"""

from __future__ import annotations

import re
from typing import Any

EPHEMERAL = 1 << 6
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15
# The message Discord gives with each error code the bench answers.
ERROR_MESSAGES = {
    10003: "Unknown Channel",
    10004: "Unknown Guild",
    10007: "Unknown Member",
    10008: "Unknown Message",
    10062: "Unknown interaction",
    10015: "Unknown Webhook",
    40060: "Interaction has already been acknowledged.",
    50006: "Cannot send an empty message",
    50007: "Cannot send messages to this user",
    50001: "Missing Access",
    50013: "Missing Permissions",
    50035: "Invalid Form Body",
}

COMMAND_NAME_RE = re.compile(r"^[-_\w]{1,32}$")

# Component types (Discord API).
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
SECTION, TEXT_DISPLAY, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER = (
    9,
    10,
    11,
    12,
    13,
    14,
    17,
)
LABEL = 18
RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 21, 22, 23
SELECT_TYPES = {3, 5, 6, 7, 8}


def _length(errors: list[str], path: str, value: Any, high: int, low: int = 0) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        errors.append(f"{path}: must be a string")
    elif not low <= len(value) <= high:
        errors.append(f"{path}: must be between {low} and {high} in length (is {len(value)})")


def embed_problems(embeds: list[dict[str, Any]]) -> list[str]:
    errors: list[str] = []
    if len(embeds) > 10:
        errors.append(f"embeds: at most 10 embeds (has {len(embeds)})")
    total = 0
    for i, embed in enumerate(embeds):
        path = f"embeds.{i}"
        for key, high in (("title", 256), ("description", 4096)):
            _length(errors, f"{path}.{key}", embed.get(key), high)
            total += len(embed.get(key) or "")
        footer = embed.get("footer") or {}
        _length(errors, f"{path}.footer.text", footer.get("text"), 2048)
        total += len(footer.get("text") or "")
        author = embed.get("author") or {}
        _length(errors, f"{path}.author.name", author.get("name"), 256)
        total += len(author.get("name") or "")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.append(f"{path}.fields: at most 25 fields (has {len(fields)})")
        for j, field in enumerate(fields):
            _length(errors, f"{path}.fields.{j}.name", field.get("name"), 256, 1)
            _length(errors, f"{path}.fields.{j}.value", field.get("value"), 1024, 1)
            total += len(field.get("name") or "") + len(field.get("value") or "")
        if "color" in embed and embed["color"] is not None and not 0 <= embed["color"] <= 0xFFFFFF:
            errors.append(f"{path}.color: must be between 0 and 16777215")
    if total > 6000:
        errors.append(f"embeds: all embeds together must be 6000 or fewer characters (are {total})")
    return errors


def _custom_id(errors: list[str], path: str, component: dict[str, Any], seen: set[str]) -> None:
    custom_id = component.get("custom_id")
    if custom_id is None:
        errors.append(f"{path}.custom_id: is required")
        return
    _length(errors, f"{path}.custom_id", custom_id, 100, 1)
    if custom_id in seen:
        errors.append(f"{path}.custom_id: must be unique within the message ({custom_id!r})")
    seen.add(custom_id)


def _button(errors: list[str], path: str, button: dict[str, Any], seen: set[str]) -> None:
    _length(errors, f"{path}.label", button.get("label"), 80)
    if button.get("style") == 5:
        if not button.get("url"):
            errors.append(f"{path}.url: a link button needs a url")
    elif button.get("style") != 6:
        _custom_id(errors, f"{path}", button, seen)
    if not button.get("label") and not button.get("emoji"):
        errors.append(f"{path}: a button needs a label or an emoji")


def _select(errors: list[str], path: str, select: dict[str, Any], seen: set[str]) -> None:
    _custom_id(errors, path, select, seen)
    _length(errors, f"{path}.placeholder", select.get("placeholder"), 150)
    options = select.get("options") or []
    if select.get("type") == STRING_SELECT and not 1 <= len(options) <= 25:
        errors.append(f"{path}.options: must hold 1 to 25 options (has {len(options)})")
    for k, option in enumerate(options):
        _length(errors, f"{path}.options.{k}.label", option.get("label"), 100, 1)
        _length(errors, f"{path}.options.{k}.value", option.get("value"), 100, 1)
        _length(errors, f"{path}.options.{k}.description", option.get("description"), 100)


def _count_components(components: list[dict[str, Any]]) -> int:
    count = 0
    for component in components:
        count += 1
        count += _count_components(component.get("components") or [])
        if component.get("accessory"):
            count += 1
        if component.get("component"):
            count += 1
    return count


def component_problems(components: list[dict[str, Any]], flags: int) -> list[str]:
    errors: list[str] = []
    seen: set[str] = set()
    if flags & IS_COMPONENTS_V2:
        if _count_components(components) > 40:
            errors.append("components: at most 40 components in a message")
        _walk_v2(errors, "components", components, seen)
        return errors
    if len(components) > 5:
        errors.append(f"components: at most 5 action rows (has {len(components)})")
    for i, row in enumerate(components):
        path = f"components.{i}"
        if row.get("type") != ACTION_ROW:
            errors.append(f"{path}.type: top-level components must be action rows")
            continue
        children = row.get("components") or []
        buttons = [c for c in children if c.get("type") == BUTTON]
        selects = [c for c in children if c.get("type") in SELECT_TYPES]
        if not children:
            errors.append(f"{path}.components: an action row cannot be empty")
        if len(buttons) > 5:
            errors.append(f"{path}.components: at most 5 buttons in a row")
        if selects and (len(selects) > 1 or buttons):
            errors.append(f"{path}.components: a select takes a whole row")
        for j, child in enumerate(children):
            if child.get("type") == BUTTON:
                _button(errors, f"{path}.components.{j}", child, seen)
            elif child.get("type") in SELECT_TYPES:
                _select(errors, f"{path}.components.{j}", child, seen)
            else:
                errors.append(f"{path}.components.{j}.type: not allowed in a message row")
    return errors


def _walk_v2(
    errors: list[str], path: str, components: list[dict[str, Any]], seen: set[str]
) -> None:
    for i, component in enumerate(components):
        here = f"{path}.{i}"
        kind = component.get("type")
        if kind == BUTTON:
            _button(errors, here, component, seen)
        elif kind in SELECT_TYPES:
            _select(errors, here, component, seen)
        elif kind == TEXT_DISPLAY:
            _length(errors, f"{here}.content", component.get("content"), 4000, 1)
        _walk_v2(errors, f"{here}.components", component.get("components") or [], seen)
        if component.get("accessory"):
            _walk_v2(errors, f"{here}.accessory", [component["accessory"]], seen)


def allowed_mentions_problems(allowed: dict[str, Any] | None) -> list[str]:
    if allowed is None:
        return []
    errors = []
    parse = allowed.get("parse", [])
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            errors.append(f"allowed_mentions: parse:[{kind}] and {kind} are mutually exclusive")
    return errors


def message_problems(data: dict[str, Any], *, edit: bool = False) -> tuple[int, list[str]]:
    """(Discord error code, problems) for a message body; (0, []) when Discord accepts it."""
    errors: list[str] = []
    flags = int(data.get("flags") or 0)
    content = data.get("content")
    embeds = data.get("embeds") or []
    components = data.get("components") or []
    if flags & IS_COMPONENTS_V2 and (content or embeds):
        errors.append("content/embeds: cannot be used with the IS_COMPONENTS_V2 flag")
    _length(errors, "content", content, 2000)
    errors += embed_problems(embeds)
    errors += component_problems(components, flags)
    errors += allowed_mentions_problems(data.get("allowed_mentions"))
    if errors:
        return 50035, errors
    if not edit and not content and not embeds and not components and not data.get("attachments"):
        return 50006, ["Cannot send an empty message"]
    return 0, []


def autocomplete_problems(data: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    choices = data.get("choices")
    if not isinstance(choices, list):
        return ["data.choices: is required"]
    if len(choices) > 25:
        errors.append(f"data.choices: at most 25 choices (has {len(choices)})")
    for i, choice in enumerate(choices):
        _length(errors, f"data.choices.{i}.name", choice.get("name"), 100, 1)
        value = choice.get("value")
        if isinstance(value, str):
            _length(errors, f"data.choices.{i}.value", value, 100, 1)
    return errors


def modal_problems(data: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    _length(errors, "data.title", data.get("title"), 45, 1)
    _length(errors, "data.custom_id", data.get("custom_id"), 100, 1)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        errors.append(f"data.components: a modal holds 1 to 5 components (has {len(components)})")
    seen: set[str] = set()
    for i, top in enumerate(components):
        path = f"data.components.{i}"
        inner = [top.get("component")] if top.get("type") == LABEL else top.get("components") or []
        if top.get("type") == LABEL:
            _length(errors, f"{path}.label", top.get("label"), 45, 1)
            _length(errors, f"{path}.description", top.get("description"), 100)
        elif top.get("type") == ACTION_ROW:
            errors.append(f"{path}: text inputs belong inside a Label (action rows are deprecated)")
        elif top.get("type") != TEXT_DISPLAY:
            errors.append(f"{path}.type: {top.get('type')} is not allowed at the top of a modal")
        for j, child in enumerate(c for c in inner if c):
            here = f"{path}.component" if top.get("type") == LABEL else f"{path}.components.{j}"
            _custom_id(errors, here, child, seen)
            if child.get("type") == TEXT_INPUT:
                max_length = child.get("max_length")
                if max_length is not None and not 1 <= max_length <= 4000:
                    errors.append(f"{here}.max_length: must be between 1 and 4000")
                _length(errors, f"{here}.placeholder", child.get("placeholder"), 100)
                _length(errors, f"{here}.value", child.get("value"), 4000)
            elif child.get("type") in SELECT_TYPES:
                _select(errors, here, child, set())
            elif child.get("type") in (RADIO_GROUP, CHECKBOX_GROUP):
                _choice_group(errors, here, child)
    return errors


def _choice_group(errors: list[str], path: str, group: dict[str, Any]) -> None:
    """Radio groups hold 2-10 options, checkbox groups 1-10; a checkbox group that may be
    left empty (min_values 0) must say required: false."""
    options = group.get("options") or []
    low = 2 if group.get("type") == RADIO_GROUP else 1
    if not low <= len(options) <= 10:
        errors.append(f"{path}.options: must hold {low} to 10 options (has {len(options)})")
    for k, option in enumerate(options):
        _length(errors, f"{path}.options.{k}.label", option.get("label"), 100, 1)
        _length(errors, f"{path}.options.{k}.value", option.get("value"), 100, 1)
        _length(errors, f"{path}.options.{k}.description", option.get("description"), 100)
    empty_allowed = group.get("type") == CHECKBOX_GROUP and group.get("min_values") == 0
    if empty_allowed and group.get("required", True):
        errors.append(f"{path}.required: must be false when min_values is 0")


def command_problems(commands: list[dict[str, Any]]) -> list[str]:
    errors: list[str] = []
    for i, command in enumerate(commands):
        path = f"{i}"
        name = command.get("name", "")
        if command.get("type", 1) == 1:
            if not COMMAND_NAME_RE.match(name) or name != name.lower():
                errors.append(f"{path}.name: {name!r} is not a valid slash command name")
            _length(errors, f"{path}.description", command.get("description"), 100, 1)
        errors += _option_problems(f"{path}.options", command.get("options") or [])
        import json

        size = len(json.dumps(command))
        if size > 8000:
            errors.append(f"{path}: a command may hold at most 8000 characters ({size})")
    names = [c.get("name") for c in commands]
    if len(names) != len(set(names)):
        errors.append("commands: names must be unique")
    return errors


def _option_problems(path: str, options: list[dict[str, Any]]) -> list[str]:
    errors: list[str] = []
    if len(options) > 25:
        errors.append(f"{path}: at most 25 options")
    required_done = False
    for i, option in enumerate(options):
        here = f"{path}.{i}"
        name = option.get("name", "")
        if not COMMAND_NAME_RE.match(name) or name != name.lower():
            errors.append(f"{here}.name: {name!r} is not a valid option name")
        _length(errors, f"{here}.description", option.get("description"), 100, 1)
        choices = option.get("choices") or []
        if len(choices) > 25:
            errors.append(f"{here}.choices: at most 25 choices")
        if choices and option.get("autocomplete"):
            errors.append(f"{here}: autocomplete and choices exclude each other")
        if option.get("type") in (1, 2):
            errors += _option_problems(f"{here}.options", option.get("options") or [])
            continue
        if option.get("required"):
            if required_done:
                errors.append(f"{here}: required options must come before optional ones")
        else:
            required_done = True
    return errors


MENTION_RE = re.compile(r"<@(?P<kind>[!&]?)(?P<id>\d{15,21})>|@(?P<mass>everyone|here)")


def pings(data: dict[str, Any]) -> set[str]:
    """Who Discord would notify for this message, given its allowed_mentions.

    Embeds never ping; message content and Components V2 text displays do.
    """
    texts = [data.get("content") or ""]

    def collect(components: list[dict[str, Any]]) -> None:
        for component in components:
            if component.get("type") == TEXT_DISPLAY:
                texts.append(component.get("content") or "")
            collect(component.get("components") or [])

    collect(data.get("components") or [])
    allowed = data.get("allowed_mentions")
    parse = {"everyone", "users", "roles"} if allowed is None else set(allowed.get("parse", []))
    users = set() if allowed is None else {str(u) for u in allowed.get("users", [])}
    roles = set() if allowed is None else {str(r) for r in allowed.get("roles", [])}
    found: set[str] = set()
    for text in texts:
        for match in MENTION_RE.finditer(text):
            if match["mass"]:
                if "everyone" in parse:
                    found.add(f"@{match['mass']}")
            elif match["kind"] == "&":
                if "roles" in parse or match["id"] in roles:
                    found.add(f"role:{match['id']}")
            elif "users" in parse or match["id"] in users:
                found.add(f"user:{match['id']}")
    return found
