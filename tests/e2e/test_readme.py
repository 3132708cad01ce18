"""Every shell example of README.md and docs/quickstart.md runs against a live server and
prints what the document says it prints (issue 29).

A runnable example is a ```console block: `$ ` starts a command, `> ` continues it, and
every other line is the expected output kept beside it. Each expected line must appear in
the block's output, in order; `...` in an expected line stands for anything on that line.
So an example that prints `null` fails as surely as one that exits non-zero. A block that
must not run here (it starts the server, or is a benchmark) is marked just above with
`<!-- readme-test: skip (<reason>) -->`; nothing else is skipped.

The server is a real uvicorn process on a free port (`localhost:8000` in a command is
replaced by its address), with a copy of the registry and the local credential in a
`.env` of a scratch project folder, as `make run` leaves it on first run.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backend.core.config import PROJECT_ROOT
from tests.utils.processes import api_server, models_root

DOCUMENTS = ("README.md", "docs/quickstart.md")
SHELL_LANGS = {"bash", "sh", "shell", "console", "zsh"}
SKIP = re.compile(r"<!--\s*readme-test:\s*skip\s*\((?P<reason>[^)]*)\)\s*-->")
SKIP_REASONS = ("serve", "bench", "docker")  # a skip must say which of these it is
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
LINKED = ("examples", ".venv", "configs")  # what the commands read from the project


@dataclass
class Block:
    document: str
    line: int
    lang: str
    skip: str | None
    commands: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


def read_blocks(document: str) -> list[Block]:
    """The shell blocks of a Markdown file, with their skip marks and expected output."""
    lines = (PROJECT_ROOT / document).read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if not opened or not opened["lang"]:
            i += 1
            continue
        previous = next((s for s in reversed(lines[:i]) if s.strip()), "")
        mark = SKIP.search(previous)
        block = Block(document, i + 1, opened["lang"], mark["reason"] if mark else None)
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            text = lines[i]
            if text.startswith("$ "):
                block.commands.append(text[2:])
            elif text.startswith("> ") and block.commands:
                block.commands[-1] += "\n" + text[2:]
            elif text.strip():
                block.expected.append(text)
            i += 1
        i += 1
        if block.lang in SHELL_LANGS:
            blocks.append(block)
    return blocks


ALL_BLOCKS = [block for document in DOCUMENTS for block in read_blocks(document)]
RUNNABLE = [block for block in ALL_BLOCKS if block.skip is None]


def matches(expected: list[str], output: str) -> str | None:
    """None when every expected line's fragments appear in order, else the first missing."""
    position = 0
    for line in expected:
        for fragment in (f.strip() for f in line.split("...")):
            if not fragment:
                continue
            found = output.find(fragment, position)
            if found < 0:
                return fragment
            position = found + len(fragment)
    return None


def test_every_shell_block_is_a_checked_console_block_or_marked() -> None:
    assert RUNNABLE, "no runnable examples found"
    for block in ALL_BLOCKS:
        if block.skip is not None:
            assert block.skip.startswith(SKIP_REASONS), f"{block.where}: skip ({block.skip})"
            continue
        assert block.lang == "console", (
            f"{block.where}: write it as a ```console block ($ command, then its output)")
        assert block.commands and block.expected, (
            f"{block.where}: a runnable block needs a command and its expected output")


def test_readme_is_short_and_its_sample_files_are_shipped() -> None:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    used = set(re.findall(r"examples/[\w.-]+", text))
    assert {"examples/logs.csv", "examples/app.log", "examples/events.csv",
            "examples/tickets.xes.gz", "examples/tasks.json"} <= used
    for path in used:
        assert (PROJECT_ROOT / path).is_file(), path


def test_matching_needs_every_fragment_in_order() -> None:
    assert matches(['{"label":"User Action",...}'], '{"label":"User Action","tier":"x"}') is None
    assert matches(['{"label":...}'], "null") == '{"label":'
    assert matches(["b", "a"], "a b") == "a"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """(server address, scratch project folder, environment) for the examples."""
    tmp = tmp_path_factory.mktemp("readme")
    token = secrets.token_urlsafe(32)
    project = tmp / "project"
    project.mkdir()
    for name in LINKED:
        (project / name).symlink_to(PROJECT_ROOT / name)
    (project / ".env").write_text(f"API_TOKEN={token}\n", encoding="utf-8")
    root = models_root(tmp)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIFT_", "API_TOKEN"))}
    env |= {"MODELS_ROOT": str(root), "HF_HUB_OFFLINE": "1", "API_TOKEN": token,
            "TOKENIZERS_PARALLELISM": "false"}
    with api_server(tmp, root, env={"API_TOKEN": token, "RATE_LIMIT": "off"}) as url:
        yield url.removeprefix("http://"), project, env


@pytest.mark.slow
@pytest.mark.parametrize("block", RUNNABLE, ids=[b.where for b in RUNNABLE])
def test_example_prints_what_the_document_says(
        block: Block, live: tuple[str, Path, dict[str, str]]) -> None:
    address, project, env = live
    script = "set -e\n" + "\n".join(block.commands).replace("localhost:8000", address)
    run = subprocess.run(["bash", "-c", script], cwd=project, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, f"{block.where} exited {run.returncode}:\n{run.stderr[-2000:]}"
    missing = matches(block.expected, run.stdout)
    assert missing is None, (f"{block.where}: expected {missing!r} in the output:\n"
                             f"{run.stdout[-3000:]}\n{run.stderr[-1000:]}")
