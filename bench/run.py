"""Run every benchmark and write BENCHMARKS.md: ``python -m bench.run`` (5 to 6 minutes).

Each measurement runs in a fresh process so start-up, import and memory are whole-process
numbers; serving is measured against a baseline handler in the same process (bench/serve.py),
in three processes per size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
THEMES = 200
# size -> (servers, channels with memory); the largest is the target shape.
SHAPES = {1_000: (20, 50), 100_000: (2_000, 5_000), 1_000_000: (20_000, 50_000)}
STORIES_PER_SERVER = 5
# Serving processes per size. One process's ratios move by several hundredths from run
# to run on a shared host (the baseline alone between 1,700 and 2,900 a second), and a
# p99 can be one garbage collection that happened to fall on one side; the median of
# three runs stands for the size, and the report shows all three.
SERVE_RUNS = 3


def run_json(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def _import(db: Path, data: Path) -> dict:
    from bot.library import Library
    from bot.settings import load_settings
    from bot.storage.sqlite.database import open_database
    from bot.storage.sqlite.library import LibraryStore

    settings = load_settings({"DATABASE_PATH": str(db), "DATA_DIR": str(data)}, require_token=False)
    async with open_database(settings.database_path) as database:
        library = Library(LibraryStore(database), lambda: datetime.now(UTC))
        started = time.perf_counter()
        report = await library.import_bundle(settings.data_dir)
        took = time.perf_counter() - started
    return {
        "seconds": took,
        "added": report.added,
        "skipped": report.skipped,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def _seed(db: Path, servers: int, channels: int) -> tuple[dict, list[tuple[int, int]]]:
    from bench.corpus import seed_servers
    from bot.storage.sqlite.database import open_database
    from bot.storage.sqlite.library import LibraryStore

    async with open_database(db) as database:
        themes = [t.id for t in await LibraryStore(database).themes()]
        started = time.perf_counter()
        _, pairs = await seed_servers(database, servers, STORIES_PER_SERVER, channels, themes)
    return {"seconds": time.perf_counter() - started}, pairs


def measure(size: int) -> dict:
    from bench.corpus import write_corpus

    servers, channels = SHAPES[size]
    folder = WORK / str(size)
    data = folder / "data"
    db = folder / "bench.sqlite3"
    pairs = folder / "pairs.json"
    for stale in folder.glob("bench.sqlite3*"):
        stale.unlink()
    started = time.perf_counter()
    if not (data / "stories.jsonl").exists():
        write_corpus(data, size, THEMES)
    print(f"[{size}] corpus ready in {time.perf_counter() - started:.1f}s", flush=True)
    first = run_json("bench.run", "--import", str(db), str(data))
    again = run_json("bench.run", "--import", str(db), str(data))
    print(f"[{size}] import {first['seconds']:.1f}s, again {again['seconds']:.2f}s", flush=True)
    seed = run_json("bench.run", "--seed", str(db), str(servers), str(channels), str(pairs))
    print(f"[{size}] {servers} servers, {channels} channels seeded in {seed['seconds']:.1f}s")
    serves = []
    for n in range(SERVE_RUNS):
        serves.append(run_json("bench.serve", str(db), str(data), str(pairs)))
        print(f"[{size}] serving, run {n + 1}: {json.dumps(serves[-1])}", flush=True)
    return {
        "size": size,
        "servers": servers,
        "channels": channels,
        "import": first,
        "reimport": again,
        "serves": serves,
        "serve": median_run(serves),
    }


# Targets that are limits, not ratios, hold for every run: the worst run is reported.
WORST_OF_RUNS = ("startup_s", "peak_mb")


def median_run(serves: list[dict]) -> dict:
    """Each figure's median over the serving runs (the worst, for a limit). Only the first
    run's first start comes after the import; the others show an ordinary start."""
    out = {key: median([s[key] for s in serves]) for key in serves[0]}
    for key in WORST_OF_RUNS:
        out[key] = max(s[key] for s in serves)
    out["first_start_s"] = serves[0]["first_start_s"]
    later = serves[1:] or serves
    out["process_to_ready_s"] = median([s["process_to_ready_s"] for s in later])
    return out


# (target, numerator, denominator, bound, whether the ratio must be at least the bound)
RATIOS = (
    ("/story p99 ≤ 1.5 × baseline p99", "story_p99_ms", "base_p99_ms", 1.5, False),
    (
        "/story throughput ≥ 0.8 × baseline (100 in flight)",
        "story_per_s",
        "base_per_s",
        0.8,
        True,
    ),
    ("autocomplete p99 ≤ 1.5 × baseline p99", "ac_p99_ms", "ac_base_p99_ms", 1.5, False),
)


def verdicts(row: dict) -> list[tuple[str, str, bool]]:
    """Each target: what was measured and whether it was met. A ratio is the median of the
    runs' own ratios (each run's two sides measured side by side), and all are shown."""
    s = row["serve"]
    found = []
    for name, top, bottom, bound, at_least in RATIOS:
        ratios = [run[top] / run[bottom] for run in row["serves"]]
        middle = median(ratios)
        ok = middle >= bound if at_least else middle <= bound
        runs = ", ".join(f"{r:.3f}" for r in ratios)
        found.append((name, f"{middle:.3f}× (runs: {runs})", ok))
    return [
        *found,
        (
            "start-up, library imported, to ready < 2 s",
            f"{s['startup_s']:.2f} s",
            s["startup_s"] < 2,
        ),
        (
            "import of the data file < 60 s",
            f"{row['import']['seconds']:.1f} s",
            row["import"]["seconds"] < 60,
        ),
        (
            "import again, unchanged < 5 s",
            f"{row['reimport']['seconds']:.2f} s",
            row["reimport"]["seconds"] < 5,
        ),
        (
            "peak memory of the serving process < 150 MB",
            f"{s['peak_mb']:.0f} MB",
            s["peak_mb"] < 150,
        ),
    ]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def write_block(path: Path, block: str, start: str, end: str) -> None:
    """Put ``block`` (which begins with ``start`` and ends with ``end``) in place of the
    one between those markers in ``path``, or after what is there; other blocks stay."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in old and end in old:
        head, rest = old.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def write_report(rows: list[dict], took: float) -> None:
    from bench.serve import PER_ROUND, ROUNDS

    path = ROOT / "BENCHMARKS.md"
    marker_start, marker_end = "<!-- library:start -->", "<!-- library:end -->"
    lines = [
        marker_start,
        "## Library and `/story` at every size",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d} on {machine()}, with `python -m bench.run` "
        f"({took / 60:.1f} minutes in all). {THEMES} themes; each server owns "
        f"{STORIES_PER_SERVER} stories of its own; every channel with memory is half way "
        "through a round. Latency is from the interaction payload entering discord.py to the "
        "answer reaching the stand-in Discord (which runs in the same process and, unlike in "
        "the tests, keeps no record of what it answered), with 100 interactions in flight; "
        "the baseline is "
        "a command on the same tree answering through the same path with a story card built "
        "from one fixed story (the same embed and button as /story), so the ratios measure "
        f"what the library adds. Each path is measured in {ROUNDS} rounds of {PER_ROUND} "
        "interactions, the paths taking turns, once start-up's background read of the draw "
        f"tables is done; a rate is the median round's. Each size is served by {SERVE_RUNS} "
        "processes in turn: the table shows each figure's median over them (start-up and "
        "peak memory: the worst run's), and a target's ratio is the median of the runs' own "
        "ratios, all of which are listed. "
        "Start-up is a start with the library already imported and indexed; the first start "
        "after an import also builds the submissions' near-duplicate sketches, once, and is "
        "shown apart. Process to ready is from the interpreter's start, imports included, "
        "to ready after an ordinary start (the runs after the first).",
        "",
        "| stories | servers | channels | /story p50 / p99 / max ms | baseline p50 / p99 / max ms "
        "| /story per s | baseline per s | autocomplete p99 ms | its baseline p99 ms "
        "| import s | import again s | start-up s | first start after import s "
        "| process to ready s | peak MB |",
        "|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        s = row["serve"]
        lines.append(
            f"| {row['size']:,} | {row['servers']:,} | {row['channels']:,} "
            f"| {s['story_p50_ms']:.1f} / {s['story_p99_ms']:.1f} / {s['story_max_ms']:.1f} "
            f"| {s['base_p50_ms']:.1f} / {s['base_p99_ms']:.1f} / {s['base_max_ms']:.1f} "
            f"| {s['story_per_s']:.0f} | {s['base_per_s']:.0f} "
            f"| {s['ac_p99_ms']:.1f} | {s['ac_base_p99_ms']:.1f} "
            f"| {row['import']['seconds']:.1f} | {row['reimport']['seconds']:.2f} "
            f"| {s['startup_s']:.2f} | {s['first_start_s']:.2f} "
            f"| {s['process_to_ready_s']:.2f} | {s['peak_mb']:.0f} |"
        )
    largest = max(rows, key=lambda r: r["size"])
    lines += [
        "",
        f"Targets, at the largest size run ({largest['size']:,} stories):",
        "",
        "| target | measured | met |",
        "|---|---:|:---:|",
    ]
    for name, value, ok in verdicts(largest):
        lines.append(f"| {name} | {value} | {'yes' if ok else '**no**'} |")
    busy = ", ".join(
        f"{row['size']:,}: {row['serve'].get('story_loop_busy', float('nan')):.0%}" for row in rows
    )
    lines += [
        "",
        "How busy the event loop's thread was while serving /story, by library size (CPU "
        f"time over wall time; the baseline keeps it about 100% busy): {busy}. The rest of "
        "the time it waited for a batch of draws in SQLite, and so for any page the host "
        "had dropped from its cache.",
        "",
        marker_end,
    ]
    write_block(path, "\n".join(lines), marker_start, marker_end)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--import", dest="import_args", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--seed", dest="seed_args", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_args:
        db, data = (Path(a) for a in args.import_args)
        print(json.dumps(asyncio.run(_import(db, data))))
        return
    if args.seed_args:
        db, servers, channels, pairs_file = args.seed_args
        result, pairs = asyncio.run(_seed(Path(db), int(servers), int(channels)))
        Path(pairs_file).write_text(json.dumps(pairs))
        print(json.dumps(result))
        return
    started = time.perf_counter()
    rows = [measure(int(size)) for size in args.sizes.split(",")]
    write_report(rows, time.perf_counter() - started)
    for name, value, ok in verdicts(max(rows, key=lambda r: r["size"])):
        print(f"{'ok  ' if ok else 'MISS'} {name}: {value}")


if __name__ == "__main__":
    main()
