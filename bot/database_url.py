"""Which database the settings name: DATABASE_PATH (a SQLite file) or DATABASE_URL.

Nothing here echoes a URL back as it was given: a PostgreSQL URL may carry a password,
and a malformed one may carry it anywhere. Sentences name the variable and the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

DEFAULT_DATABASE = "bedside-stories.sqlite3"
SQLITE_FORMS = "sqlite:///relative/path.sqlite3 or sqlite:////absolute/path.sqlite3"
POSTGRES_FORM = "postgresql://user:password@host:5432/dbname"
# A scheme looks like this; anything else before "://" is not repeated, in case it is not one.
SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]{0,30}$")
HIDDEN = "***"


@dataclass(frozen=True, slots=True)
class DatabaseChoice:
    """The SQLite file or the PostgreSQL URL; or, when the settings are wrong, the problem."""

    path: Path | None
    url: str | None
    # The variable to name when this database cannot be used.
    setting: str
    problem: str | None = None
    names: tuple[str, ...] = ()


# libpq's keyword form ("host=db password=x"), which asyncpg accepts too.
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def _refused(sentence: str, *names: str) -> DatabaseChoice:
    return DatabaseChoice(Path(DEFAULT_DATABASE), None, names[0], sentence, names)


def choose_database(path: str, url: str) -> DatabaseChoice:
    """The database from the raw values of DATABASE_PATH and DATABASE_URL ('' when unset)."""
    if path and url:
        return _refused(
            "DATABASE_PATH and DATABASE_URL are both set; keep one of them (DATABASE_URL for "
            "PostgreSQL, either for SQLite) and remove the other.",
            "DATABASE_PATH",
            "DATABASE_URL",
        )
    if not url:
        return DatabaseChoice(Path(path or DEFAULT_DATABASE), None, "DATABASE_PATH")
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator or not SCHEME_RE.match(scheme):
        return _refused(
            f"DATABASE_URL is not a database URL; write it as {SQLITE_FORMS}, or as "
            f"{POSTGRES_FORM}.",
            "DATABASE_URL",
        )
    if scheme == "sqlite":
        return _sqlite(rest)
    if scheme in ("postgresql", "postgres"):
        return _postgresql(url)
    return _refused(
        f"DATABASE_URL starts with {scheme}://, which this bot cannot store in; use "
        f"{SQLITE_FORMS}, or {POSTGRES_FORM}.",
        "DATABASE_URL",
    )


def _sqlite(rest: str) -> DatabaseChoice:
    # sqlite:///a/b is the relative path a/b and sqlite:////a/b the absolute /a/b: the
    # third slash only ends the (empty) host part, as in SQLAlchemy's URLs.
    if not rest.startswith("/"):
        return _refused(
            f"DATABASE_URL for SQLite needs three slashes before a relative path or four "
            f"before an absolute one: {SQLITE_FORMS}.",
            "DATABASE_URL",
        )
    if "?" in rest or "#" in rest:
        return _refused(
            f"DATABASE_URL for SQLite takes no options after the path; write it as {SQLITE_FORMS}.",
            "DATABASE_URL",
        )
    name = unquote(rest[1:])
    if not name.strip("/"):
        return _refused(
            f"DATABASE_URL names no SQLite file; write it as {SQLITE_FORMS}.", "DATABASE_URL"
        )
    if name == ":memory:":
        return _refused(
            "DATABASE_URL names an in-memory SQLite database, which would forget every round "
            f"and schedule when the bot stops; name a file instead, as in {SQLITE_FORMS}.",
            "DATABASE_URL",
        )
    return DatabaseChoice(Path(name), None, "DATABASE_URL")


def _postgresql(url: str) -> DatabaseChoice:
    # A password holding @, :, / or # ends the part it belongs to early, which shows up
    # as a wrong host, port or database: every refusal says how to write it.
    encode = "percent-encode any @, :, /, ? or # in the user name or password"
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - it is a property that checks the port
    except ValueError:
        return _refused(
            f"DATABASE_URL has a port that is not a number from 1 to 65535; write it as "
            f"{POSTGRES_FORM} and {encode}.",
            "DATABASE_URL",
        )
    options = dict(parse_qsl(parts.query))
    if not parts.hostname and not options.get("host"):
        return _refused(
            f"DATABASE_URL names no PostgreSQL host; write it as {POSTGRES_FORM} and {encode}.",
            "DATABASE_URL",
        )
    database = parts.path.removeprefix("/")
    if not database or "/" in database or parts.fragment:
        return _refused(
            f"DATABASE_URL names no single database after the host; write it as "
            f"{POSTGRES_FORM} and {encode}.",
            "DATABASE_URL",
        )
    # One spelling for the code that connects: asyncpg and libpq take both.
    return DatabaseChoice(None, "postgresql://" + url.split("://", 1)[1], "DATABASE_URL")


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, safe to log or show.

    A password can sit in three places: ``user:password@``, ``?password=``, or a keyword
    string; all three are hidden. What cannot be parsed is not shown at all.
    """
    if "://" not in url:
        return _KEYWORD_PASSWORD.sub(rf"\g<1>{HIDDEN}", url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<a URL that cannot be read>"
    netloc = parts.netloc
    # rpartition: a password may itself contain "@" if it was not percent-encoded.
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{HIDDEN}@{hosts}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key.lower() == "password" for key, _ in pairs):
            shown = [(k, HIDDEN if k.lower() == "password" else v) for k, v in pairs]
            query = urlencode(shown, safe="/*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
