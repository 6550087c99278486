"""Errors of the storage layer that start-up shows to whoever runs the bot."""

from __future__ import annotations


class StorageUnavailable(Exception):
    """The database cannot be used; ``message`` is one sentence naming the setting and fix.

    It never carries a password: whoever runs the bot may paste it into a chat for help.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
