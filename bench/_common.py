"""Shared helpers for the benchmarks: machine details and appending to results.md."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# bench/distributed.py bears the name of Dask's package: this folder goes last on the path,
# so that `import distributed` (here and in Dask's worker processes) finds Dask's.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]

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


def replicate_corpus(corpus: Path, target: Path, count: int) -> None:
    """``count`` article files: the corpus' .txt files, copied under new ids as needed."""
    files = sorted(corpus.rglob("*.txt"))
    target.mkdir(parents=True)
    for index in range(count):
        source = files[index % len(files)]
        copy = index // len(files)
        name = source.stem if copy == 0 else f"{source.stem}-r{copy}"
        shutil.copyfile(source, target / f"{name}.txt")


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def _memory(pid: int) -> tuple[int, int, int]:
    """(PSS summed over the tree, largest RSS of one process, RSS of ``pid``), in kB."""
    pss = largest = own = 0
    for member in _tree(pid):
        try:
            fields = dict(
                line.split(":", 1)
                for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()[1:]
            )
        except (OSError, ValueError):
            continue
        pss += int(fields["Pss"].split()[0])
        rss = int(fields["Rss"].split()[0])
        largest = max(largest, rss)
        own = rss if member == pid else own
    return pss, largest, own


def measured_run(command: list[str]) -> dict:
    """Run ``command``; its wall time and the peaks of its process tree's memory: the sum
    of PSS (pages shared by forked workers counted once), the largest process's RSS and
    the command's own RSS."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_pss = peak_rss = peak_own = 0
    while process.poll() is None:
        pss, rss, own = _memory(process.pid)
        peak_pss, peak_rss, peak_own = max(peak_pss, pss), max(peak_rss, rss), max(peak_own, own)
        time.sleep(0.2)
    elapsed = time.perf_counter() - start
    if process.returncode:
        sys.exit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    return {"seconds": elapsed, "pss_kib": peak_pss, "rss_kib": peak_rss, "own_kib": peak_own}
