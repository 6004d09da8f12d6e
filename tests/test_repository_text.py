"""The repository's text speaks of the product: what the code does and why, never how its
work was organised, and it names no path outside the repository.

Every file tracked by git is checked, README.md and docs/ included; only this file, which
lists the words, is exempt.
"""

from __future__ import annotations

import re
import subprocess

from helpers import ROOT

EXEMPT = ("tests/test_repository_text.py",)  # this file lists the words

STOP, SESSION, ISSUE = "st" + "op", "ses" + "sion", "is" + "sue"

PATTERNS = {
    # a period of work ("this" or "earlier" before "stop", "stop" and a number)
    "work period": re.compile(
        r"\b(this|last|earlier|previous|prior|next|later|former|current|every|each)\s+stop(s|'s)?\b"
        r"|\bstop\s+\d+\b",
        re.IGNORECASE,
    ),
    # the word for a period of work at a desk (an attribute such as requests.Session is code)
    SESSION: re.compile(r"(?<![.\w])" + SESSION + r"s?\b", re.IGNORECASE),
    "issue number": re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE),
    "path outside the repository": re.compile(
        r"(?<![\w/])(\.\./)+shared\b|/work/(shared|main)\b|\bDESIGN\.md\b"
    ),
}


def _tracked_text_files() -> list[str]:
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout.split("\0")
    return [name for name in names if name and not name.startswith(EXEMPT)]


def _findings(name: str, text: str) -> list[str]:
    return [
        f"{name}:{number}: {what}: {line.strip()[:120]}"
        for number, line in enumerate(text.splitlines(), 1)
        for what, pattern in PATTERNS.items()
        if pattern.search(line)
    ]


def test_no_tracked_file_speaks_of_the_work_or_points_outside_the_repository():
    found = []
    for name in _tracked_text_files():
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary
            continue
        found += _findings(name, data.decode("utf-8", errors="replace"))
    assert not found, "\n".join(found)


def test_the_patterns_catch_what_they_should_and_leave_code_alone():
    caught = [
        # assembled here, so that this file does not itself say what it forbids
        "# measured in this " + STOP,
        "Answers of earlier " + STOP + "s unchanged",
        "this " + STOP + "'s models",
        "see ../shared/reference/abroad-re/dev_set_real50.json",
        "(see DESIGN.md)",
        "the previous " + SESSION + " left it",
        "bentoml " + ISSUE + " #5540",
    ]
    left = [
        "stop sequences: an answer ends before the first stop",
        "starts, stops = ptr[ents], ptr[ents + 1]",
        "subprocess.Popen(command, start_new_session=True)",
        "client = requests.Session()",
        "backward stops there",
        "https://github.com/bentoml/BentoML/issues/5540",
    ]
    assert all(_findings("x", line) for line in caught), [
        line for line in caught if not _findings("x", line)
    ]
    assert not any(_findings("x", line) for line in left), [
        line for line in left if _findings("x", line)
    ]
