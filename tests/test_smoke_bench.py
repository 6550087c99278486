from tests.discord_bench.harness import Bench


async def test_story_nicu(bench: Bench):
    reply = await bench.slash("story", theme="nicu")
    assert "Neonatal" in reply.text
