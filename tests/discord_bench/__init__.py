"""The test bench: the real discord.py client against a stand-in Discord (see harness.py).

- ``server.FakeDiscord``: Discord's REST API on 127.0.0.1, enforcing Discord's limits.
- ``payloads``: interaction payloads shaped like Discord's gateway events.
- ``harness.Bench``: starts the real bot against both; ``slash``, ``autocomplete``,
  ``press``, ``submit`` send interactions and return what Discord received.
"""
