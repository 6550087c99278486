"""The content-note picker that `/settings notes` and `/preferences` share."""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.notes import NOTE_LABELS, describe, known


def notes_said(notes: Iterable[str], none: str = "None") -> str:
    """Notes as a line of a message: "Death, violence", or ``none``."""
    said = describe(known(notes))
    return said[:1].upper() + said[1:] if said else none


def notes_select(
    custom_id: str, chosen: Iterable[str], placeholder: str
) -> discord.ui.Select[discord.ui.View]:
    """Every note of the catalogue, those ``chosen`` ticked; none ticked is an answer too."""
    ticked = set(chosen)
    return discord.ui.Select(
        custom_id=custom_id,
        placeholder=placeholder,
        min_values=0,
        max_values=len(NOTE_LABELS),
        options=[
            discord.SelectOption(label=label.capitalize(), value=key, default=key in ticked)
            for key, label in NOTE_LABELS.items()
        ],
    )
