"""What in a member's text could identify someone or is spam: pure functions, no I/O.

The checks report; they never change the text. A member sees the findings and decides, and
moderators see them on the card, because only a person can tell a hospital's switchboard
number (fine) from a patient's own (not fine).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

EMAIL = "email"
PHONE = "phone"
LINK = "link"
INVITE = "invite"
USER_MENTION = "user-mention"
ROLE_MENTION = "role-mention"
MASS_MENTION = "mass-mention"
DIGITS = "digits"

KIND_LABELS: dict[str, str] = {
    EMAIL: "an e-mail address",
    PHONE: "a phone number",
    LINK: "a link",
    INVITE: "a Discord invite",
    USER_MENTION: "a mention of a member",
    ROLE_MENTION: "a mention of a role",
    MASS_MENTION: "@everyone or @here",
    DIGITS: "a long number (a record, card or ID number?)",
}

# The order matters: an invite is also a link, and a phone number is also a run of digits;
# the first check to claim a span of text keeps it.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (EMAIL, re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    (
        INVITE,
        re.compile(
            r"(?:https?://)?(?:www\.)?(?:discord(?:app)?\.com/invite|discord\.gg)/[\w-]+",
            re.IGNORECASE,
        ),
    ),
    (
        LINK,
        re.compile(
            r"(?:https?://|www\.)\S+"
            r"|\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\."
            r"(?:com|org|net|io|gg|co|uk|info|biz|me|ly|app|dev|xyz|health|nhs)\b(?:/\S*)?",
            re.IGNORECASE,
        ),
    ),
    (USER_MENTION, re.compile(r"<@!?\d{15,21}>")),
    (ROLE_MENTION, re.compile(r"<@&\d{15,21}>")),
    (MASS_MENTION, re.compile(r"@(?:everyone|here)\b")),
    (
        PHONE,
        # Not part of a word or a decimal, but a sentence may end right after it.
        re.compile(r"(?<![\w.])\+?\(?\d[\d ().-]{7,}\d(?!\w|\.\d)"),
    ),
    (DIGITS, re.compile(r"\d{6,}")),
)

# Phone numbers have 9 to 15 digits (E.164 allows 15; shorter runs read as years or doses).
PHONE_DIGITS = range(9, 16)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EXCERPT_LIMIT = 60


# Drawn as nothing though Unicode files them as letters or symbols: the Hangul fillers and
# the blank Braille cell are the usual way to post a message that looks empty.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Format and control characters (zero-width spaces, joiners, direction marks, tags) take up
# no room on screen; combining marks sit on the letter before them and are one character
# with it to a reader; unassigned code points have no glyph at all.
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Cs", "Me", "Mn"})


def _unseen(ch: str) -> bool:
    return ch in _BLANK_LOOKING or unicodedata.category(ch) in _UNSEEN_CATEGORIES


def as_seen(text: str) -> str:
    """The text with what a reader cannot see taken out, spacing kept.

    A zero-width space inside ``jo\u200b@nhs.net`` shows an address but breaks the pattern
    for one, so the checks read this instead. Composed first (NFC), so an accent typed as
    a combining mark stays on its letter rather than being dropped with the stray marks.
    """
    composed = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in composed if ch.isspace() or not _unseen(ch))


def visible_length(text: str) -> int:
    """How many characters a reader sees: what is invisible is not counted, and a run of
    spaces or line breaks counts as one space, none at either end."""
    count = 0
    gap = False
    for ch in text:
        if ch.isspace():
            gap = True
        elif _unseen(ch):
            continue
        else:
            if gap and count:
                count += 1
            gap = False
            count += 1
    return count


# Discord's markup that only message content and embed descriptions and field values draw
# as names: everywhere else (embed titles, authors, footers, field names, autocomplete
# choices) and in a DM, where a server's members, roles and channels are unknown, a reader
# would see the raw code.
_MARKUP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<@!?\d{15,21}>"), "@member"),
    (re.compile(r"<@&\d{15,21}>"), "@role"),
    (re.compile(r"<#\d{15,21}>"), "#channel"),
    (re.compile(r"</([\w -]{1,32}):\d{15,21}>"), r"/\1"),
    (re.compile(r"<a?:(\w{2,32}):\d{15,21}>"), r":\1:"),
)
_TIMESTAMP = re.compile(r"<t:(-?\d{1,13})(?::[tTdDfFRsS])?>")


def _timestamp(match: re.Match[str]) -> str:
    try:
        moment = datetime.fromtimestamp(int(match.group(1)), UTC)
    except (OverflowError, OSError, ValueError):
        return match.group()
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def plain_text(text: str) -> str:
    """``text`` for a place where Discord draws no mentions: each mention, channel link,
    command, custom emoji or timestamp code becomes the words a reader would expect."""
    for pattern, words in _MARKUP:
        text = pattern.sub(words, text)
    return _TIMESTAMP.sub(_timestamp, text)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    excerpt: str
    start: int

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def _is_phone(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    return digits in PHONE_DIGITS and not _ISO_DATE.match(candidate.strip())


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_LIMIT else text[: EXCERPT_LIMIT - 1] + "…"


def find_all(text: str) -> list[Finding]:
    """Every finding in ``text`` as a reader sees it (:func:`as_seen`), in reading order;
    each span reported once, its start counted in the text as seen."""
    text = as_seen(text)
    claimed: list[tuple[int, int]] = []
    found: list[Finding] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in claimed)

    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            value = match.group().rstrip(".,;:!?)")
            end = start + len(value)
            if kind == PHONE and not _is_phone(value):
                continue
            if not free(start, end):
                continue
            claimed.append((start, end))
            found.append(Finding(kind, _excerpt(value), start))
    found.sort(key=lambda f: f.start)
    return found


def kinds(findings: list[Finding]) -> list[str]:
    """The distinct kinds found, in a stable order."""
    order = list(KIND_LABELS)
    return sorted({f.kind for f in findings}, key=order.index)


def summary_lines(findings: list[Finding], limit: int = 10) -> list[str]:
    """One line per finding for a member or moderator to read; excerpts shown as code."""
    lines = []
    for finding in findings[:limit]:
        shown = finding.excerpt.replace("`", "'")
        lines.append(f"{finding.label}: `{shown}`")
    if len(findings) > limit:
        lines.append(f"and {len(findings) - limit} more")
    return lines


def encode(findings: list[Finding]) -> str:
    """Findings as one line per finding (kind TAB start TAB excerpt), for storage."""
    return "\n".join(
        f"{f.kind}\t{f.start}\t{f.excerpt.replace(chr(10), ' ').replace(chr(9), ' ')}"
        for f in findings
    )


def decode(stored: str) -> list[Finding]:
    found = []
    for line in stored.splitlines():
        kind, start, excerpt = line.split("\t", 2)
        found.append(Finding(kind, excerpt, int(start)))
    return found
