"""Extraction workers that end with their parent, and signals that stop an ingest cleanly.

An extraction worker holds a spaCy pipeline (about 180 MB): it must not outlive the ingest
that started it, however that ends. On Linux the kernel kills a worker the moment its
parent dies, even by SIGKILL (``prctl(PR_SET_PDEATHSIG)``); elsewhere a thread of the
worker watches for its parent to go. Ctrl-C reaches every process of the terminal's group:
workers ignore it and leave stopping to their parent, which stores what is extracted.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from types import FrameType
from typing import TypeVar

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

_T = TypeVar("_T")

#: Articles per extraction task (a worker's unit of work).
BATCH = 8


def batched(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """Lists of ``size`` items (the last may be shorter), read lazily: the unit of work of
    an extraction worker.

    >>> list(batched("abcde", 2))
    [['a', 'b'], ['c', 'd'], ['e']]
    """
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def become_worker(parent: int) -> None:
    """Set up a worker process of ``parent`` (its pid): it ends when the parent does, and
    leaves SIGINT and SIGTERM to it (a forked worker inherits the parent's handlers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if not _killed_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent ended before the lines above took effect
        os._exit(1)


def _killed_with_parent() -> bool:
    """Ask the kernel to kill this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:  # an orphan is adopted by another process
        time.sleep(0.5)
    os._exit(1)


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """End a pool now: its workers are killed rather than waited for (``shutdown`` would let
    each finish the batch it holds), the work not started is cancelled."""
    # The executor's own table of its processes (ProcessPoolExecutor.kill_workers() reads it
    # too, from Python 3.14 on).
    for process in list((pool._processes or {}).values()):
        with contextlib.suppress(OSError):  # it may have ended already
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


class StopSignals:
    """For a ``with`` block: the signals given stop it by KeyboardInterrupt, except while
    :meth:`shielded` code (writing to the store) runs, which the first signal lets finish;
    a second signal interrupts whatever runs.

    Only a signal that still has its default handler is taken over (an ignored SIGINT, as
    under ``nohup``, stays ignored; an application's own handler stays in charge), and only
    in the main thread, the one Python runs handlers in. :attr:`signum` is the signal that
    stopped the block, None if none did.
    """

    def __init__(self, signals: Collection[int]) -> None:
        self.signals = signals
        self.signum: int | None = None
        self._shielding = False
        self._deferred = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in self.signals:
                if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
                    self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.signum is None
        self.signum = signum
        if self._shielding and first:
            self._deferred = True
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def shielded(self) -> Iterator[None]:
        """Code that a first signal lets finish; it is stopped right after."""
        self._shielding = True
        try:
            yield
        finally:
            self._shielding = False
        if self._deferred:
            self._deferred = False
            raise KeyboardInterrupt
