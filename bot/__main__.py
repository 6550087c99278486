"""`python -m bot` runs the bot; `story [theme]`, `themes`, `check` and `copy-database`
help at a terminal."""

from __future__ import annotations

import argparse
import os
import sys

from dotenv import find_dotenv, load_dotenv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Bedside Stories: short, true, uplifting stories from healthcare.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="connect to Discord and serve (the default)")
    story = sub.add_parser("story", help="print a story in the terminal, no token needed")
    story.add_argument("theme", nargs="*", help="a theme such as nicu; empty for any")
    sub.add_parser("themes", help="list the themes, their slugs and how many stories each has")
    sub.add_parser("check", help="check the settings and the bundled data")
    copy = sub.add_parser(
        "copy-database",
        help="copy the SQLite database into an empty PostgreSQL database",
        description=(
            "Copy every table of the SQLite database the settings name (DATABASE_PATH) into "
            "an empty PostgreSQL database, and check the row counts table by table. A "
            "target that holds any row is refused, and a copy that fails leaves it empty."
        ),
    )
    copy.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the PostgreSQL database to copy into, e.g. postgresql://user:password@host/db",
    )
    args = parser.parse_args(argv)

    # .env fills in what the environment does not already set. It is looked for from the
    # working folder up, not from where the package is installed, so a deployment's .env
    # is found and a repository's .env never leaks into a run started elsewhere.
    load_dotenv(find_dotenv(usecwd=True), override=False)
    env = dict(os.environ)

    if args.command == "story":
        from bot.cli import run_story

        return run_story(env, " ".join(args.theme) or None)
    if args.command == "themes":
        from bot.cli import run_themes

        return run_themes(env)
    if args.command == "copy-database":
        from bot.cli import run_copy_database

        return run_copy_database(env, args.to)
    if args.command == "check":
        from bot.cli import run_check

        return run_check(env)
    from bot.startup import run

    return run(env)


if __name__ == "__main__":
    sys.exit(main())
