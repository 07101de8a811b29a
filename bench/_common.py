"""Shared helpers for the benchmarks: machine details and appending to results.md."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return done.stdout.strip()


def _commit() -> str:
    """The commit the benchmark runs from, read when it starts (a long run outlives it)."""
    commit = _git("rev-parse", "--short", "HEAD") or "?"
    status = _git("status", "--porcelain").splitlines()
    changed = [line for line in status if not line.endswith("bench/results.md")]
    return f"{commit} with uncommitted changes" if changed else commit


COMMIT = _commit()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = cpu
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {COMMIT}, {model}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )


def record(title: str, lines: list[str]) -> None:
    """Print the figures and append them, with the machine, to bench/results.md."""
    text = "\n".join([f"## {title}", "", f"_{machine()}_", "", *lines, ""])
    print(text)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(text + "\n")
