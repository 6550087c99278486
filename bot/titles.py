"""A story's title: proposed from its text, or given by a moderator; always plain text.

A title is shown where Discord draws no mentions (an embed's title, a DM, an autocomplete
choice), so it never holds a mention code, and it reads as a title, never as a sentence
cut off in the middle.
"""

from __future__ import annotations

import re

from bot.textcheck import plain_text

# A proposed title is at most this long and this many words at least; a moderator's may be
# longer (the approval form's box holds TITLE_MAX).
TITLE_LIMIT = 60
TITLE_MIN_WORDS = 3
TITLE_MAX = 120
UNTITLED = "A story from a member"
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s")
_CLAUSE_END = re.compile(r"[,;:]\s|\s[-–—]\s|[–—]")


def _as_title(words: str) -> str | None:
    words = words.strip(" \"'“”‘’()-–—").rstrip(".…")
    if len(words) > TITLE_LIMIT or len(words.split()) < TITLE_MIN_WORDS:
        return None
    return words[:1].upper() + words[1:]


def propose_title(body: str) -> str:
    """A title proposed from the story, for the moderator to confirm or change on approval.

    The first sentence when it is short enough to read as a title, else that sentence's
    opening clause ("On my first night shift on the children's ward"), never a sentence cut
    off in the middle; when neither will do, a plain title the moderator is asked to change.
    Mention codes become words, since a title is shown where Discord draws no mentions.
    """
    text = " ".join(plain_text(body).split())
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    for candidate in (sentence, _CLAUSE_END.split(sentence, maxsplit=1)[0]):
        title = _as_title(candidate)
        if title is not None:
            return title
    return UNTITLED


def clean_title(title: str, body: str) -> str:
    """A title a moderator gave, on one line and readable anywhere; proposed if empty."""
    given = " ".join(plain_text(title).split())[:TITLE_MAX]
    return given or propose_title(body)
