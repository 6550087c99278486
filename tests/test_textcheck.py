"""The text checks: what could identify someone or is spam, and what is just a story."""

from __future__ import annotations

import pytest

from bot import textcheck
from bot.textcheck import find_all


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.excerpt) for f in find_all(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jo.bloggs+ward@nhs.net today", [("email", "jo.bloggs+ward@nhs.net")]),
        ("call +44 20 7946 0958 please", [("phone", "+44 20 7946 0958")]),
        ("ring (555) 123-4567.", [("phone", "(555) 123-4567")]),
        ("mobile 07700 900123", [("phone", "07700 900123")]),
        (
            "see https://example.org/story?id=4, thanks",
            [("link", "https://example.org/story?id=4")],
        ),
        ("at www.hospice.co.uk.", [("link", "www.hospice.co.uk")]),
        ("on gofundme.com/f/baby", [("link", "gofundme.com/f/baby")]),
        ("join discord.gg/abc123", [("invite", "discord.gg/abc123")]),
        ("https://discord.com/invite/xyz", [("invite", "https://discord.com/invite/xyz")]),
        ("thanks <@140000000000000001>", [("user-mention", "<@140000000000000001>")]),
        ("thanks <@!140000000000000001>", [("user-mention", "<@!140000000000000001>")]),
        ("dear <@&130000000000000031>", [("role-mention", "<@&130000000000000031>")]),
        ("@everyone and @here", [("mass-mention", "@everyone"), ("mass-mention", "@here")]),
        ("hospital number 12345678", [("digits", "12345678")]),
    ],
)
def test_each_kind_is_found(text: str, expected: list[tuple[str, str]]):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "She was born on 2018-05-02 at 3.2 kg.",
        "He had 10.5 mg at 03:30 and again in 2019.",
        "Room 12, bed 4, for 120 days, e.g. the whole winter.",
        "It cost £1,000,000 and she said it was worth it.",
        "An email@ address? No, just an at sign.",
        "The U.K. team at St. Mary's.",
    ],
)
def test_an_ordinary_story_has_no_findings(text: str):
    assert found(text) == []


def test_a_span_is_reported_once_by_its_most_specific_kind():
    # An invite is also a link, and a phone number is also a run of digits.
    assert found("discord.gg/abc and 020 7946 0958123") == [
        ("invite", "discord.gg/abc"),
        ("phone", "020 7946 0958123"),
    ]


def test_findings_read_in_order_and_round_trip_through_storage():
    text = "@here mail a@b.org or call 020 7946 0958; MRN 99887766"
    findings = find_all(text)
    assert [f.kind for f in findings] == ["mass-mention", "email", "phone", "digits"]
    assert textcheck.decode(textcheck.encode(findings)) == findings
    assert textcheck.kinds(findings) == ["email", "phone", "mass-mention", "digits"]


def test_summary_lines_are_safe_to_show():
    [line] = textcheck.summary_lines(find_all("see `www.x.com`"))
    assert line == "a link: `www.x.com'`"
    many = find_all(" ".join(f"a{i}@b.org" for i in range(12)))
    lines = textcheck.summary_lines(many, limit=10)
    assert len(lines) == 11 and lines[-1] == "and 2 more"


def test_long_excerpts_are_shortened():
    [finding] = find_all("https://example.org/" + "a" * 200)
    assert len(finding.excerpt) == textcheck.EXCERPT_LIMIT
    assert finding.excerpt.endswith("…")


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        ("A nurse held my hand.", 21),
        ("  A nurse\n\n\n held   my hand.  ", 21),  # a run of spaces reads as one
        ("\u200b" * 90, 0),  # zero-width spaces
        ("\u3164\u2800\u115f\u200d\ufeff\u2060\u00ad" * 20, 0),  # fillers, blank Braille, joiners
        ("H\u200be\u200bl\u200bl\u200bo", 5),
        ("cafe\u0301", 4),  # the accent sits on the e
        ("\u202eevil\u202c", 4),  # direction overrides take no room
        ("❤️ thank you", 11),  # the emoji's variation selector is not a second character
    ],
)
def test_visible_length_counts_what_a_reader_sees(text: str, seen: int):
    assert textcheck.visible_length(text) == seen
