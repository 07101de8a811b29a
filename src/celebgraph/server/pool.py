"""The bounded pool of query workers, and the fair queue in front of it.

Requests wait for a worker in a queue per client address, served round robin. A client
whose query was stopped at a limit or ran over half the time limit counts as heavy for
:data:`HEAVY_FOR` seconds and holds at most ``size - 1`` workers meanwhile: one client
looping slow queries gets its turn like everyone else, but one worker stays for the rest,
while quick clients may use every worker.

Each worker has a dispatch thread of its own that takes the next job from the queue as
soon as the last one is answered, without waiting for the event loop (which only hands
jobs in and gets replies back), and waits on the worker's pipe with the time limit and
memory bound. A worker that went past either is killed and replaced before its thread
takes the next job.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celebgraph.errors import StoreError
from celebgraph.server.worker import (
    QueryMemoryError,
    QueryTimeoutError,
    Worker,
    WorkerCrashedError,
    context,
)

#: How long (seconds) a client counts as heavy after a query over half the time limit.
HEAVY_FOR = 60.0


class PoolBusyError(Exception):
    """No worker became free within the time limit."""


@dataclass(eq=False)
class _Ticket:
    """One job waiting for (or run by) a worker; its reply goes to ``future``."""

    client: str
    job: dict[str, Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[tuple] = field(repr=False)
    started: bool = False


class FairQueue:
    """Tickets handed to dispatch threads one client after another (thread-safe)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._cond = threading.Condition()
        self._running: Counter[str] = Counter()
        self._waiting: OrderedDict[str, deque[_Ticket]] = OrderedDict()
        self._heavy_until: dict[str, float] = {}
        self._closed = False

    def _may_take(self, client: str) -> bool:
        """Whether the client may hold one more worker (heavy clients leave one free)."""
        if self._heavy_until.get(client, 0.0) < time.monotonic():
            self._heavy_until.pop(client, None)
            return True
        return self._running[client] < max(1, self.size - 1)

    def put(self, ticket: _Ticket) -> None:
        with self._cond:
            self._waiting.setdefault(ticket.client, deque()).append(ticket)
            self._cond.notify()

    def withdraw(self, ticket: _Ticket) -> bool:
        """Take a ticket out that waited too long; False when a worker already runs it."""
        with self._cond:
            if ticket.started:
                return False
            queue = self._waiting.get(ticket.client)
            if queue is not None:
                with contextlib.suppress(ValueError):
                    queue.remove(ticket)
                if not queue:
                    del self._waiting[ticket.client]
            return True

    def get(self) -> _Ticket | None:
        """The next ticket in turn (blocking); None once the queue is closed."""
        with self._cond:
            while not self._closed:
                for client in list(self._waiting):
                    if not self._may_take(client):
                        continue
                    queue = self._waiting.pop(client)
                    ticket = queue.popleft()
                    if queue:
                        self._waiting[client] = queue  # to the back of the turn
                    ticket.started = True
                    self._running[client] += 1
                    return ticket
                # Nobody may take one now; heavy marks expire, so look again now and then.
                self._cond.wait(1.0)
            return None

    def done(self, client: str, heavy: bool) -> None:
        with self._cond:
            if heavy:
                self._heavy_until[client] = time.monotonic() + HEAVY_FOR
            self._running[client] -= 1
            if self._running[client] <= 0:
                del self._running[client]
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def _settle(future: asyncio.Future[tuple], reply: tuple | None, error: BaseException | None):
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(reply)


class WorkerPool:
    """``size`` workers behind a :class:`FairQueue`; jobs are run with :meth:`run`."""

    def __init__(
        self, path: Path, writable: bool, size: int, timeout: float, max_memory: int
    ) -> None:
        """``timeout``: seconds a job may run (and wait for a worker); ``max_memory``:
        bytes of resident memory a worker may reach meanwhile."""
        self.ctx = context()
        self.path = str(path)
        self.writable = writable
        self.size = size
        self.timeout = timeout
        self.max_memory = max_memory
        self.queue = FairQueue(size)
        self._workers: list[Worker | None] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        # Start them all now: a store that cannot be opened fails here, not on a request.
        # One at a time: a read-write worker holds the lock the next one would wait for.
        try:
            for _ in range(size):
                self._workers.append(Worker(self.ctx, self.path, writable))
        except BaseException:
            self.close()
            raise
        for i in range(size):
            thread = threading.Thread(
                target=self._dispatch, args=(i,), daemon=True, name=f"celebgraph-dispatch-{i}"
            )
            thread.start()
            self._threads.append(thread)

    async def run(self, client: str, job: dict[str, Any]) -> tuple:
        """The reply to ``job``, fairly queued; raises PoolBusyError (no worker within the
        time limit), QueryTimeoutError, QueryMemoryError, WorkerCrashedError or StoreError."""
        loop = asyncio.get_running_loop()
        ticket = _Ticket(client, job, loop, loop.create_future())
        self.queue.put(ticket)
        try:
            return await asyncio.wait_for(asyncio.shield(ticket.future), self.timeout)
        except TimeoutError:
            if self.queue.withdraw(ticket):
                raise PoolBusyError from None
        except asyncio.CancelledError:
            self.queue.withdraw(ticket)  # nobody waits for it any more
            raise
        return await ticket.future  # running: the worker's own time limit bounds it

    def _dispatch(self, slot: int) -> None:
        while (ticket := self.queue.get()) is not None:
            started, heavy = time.monotonic(), True
            reply: tuple | None = None
            error: BaseException | None = None
            worker = self._workers[slot]
            try:
                if worker is None:  # a replacement could not start: try again (or say why)
                    worker = self._workers[slot] = Worker(self.ctx, self.path, self.writable)
                reply = worker.run(ticket.job, self.timeout, self.max_memory)
                heavy = time.monotonic() - started > self.timeout / 2
            except (QueryTimeoutError, QueryMemoryError, WorkerCrashedError, StoreError) as exc:
                error = exc
            except Exception as exc:
                error = WorkerCrashedError(str(exc))
            with contextlib.suppress(RuntimeError):  # the loop is gone: shutting down
                ticket.loop.call_soon_threadsafe(_settle, ticket.future, reply, error)
            if error is not None and worker is not None:
                worker.kill()  # dead (and its lock released) before the replacement opens
                self._workers[slot] = None
                if not self._closed:
                    with contextlib.suppress(Exception):  # else the next job starts one
                        self._workers[slot] = Worker(self.ctx, self.path, self.writable)
            self.queue.done(ticket.client, heavy)
        worker = self._workers[slot]
        if worker is not None:
            worker.stop()

    def close(self) -> None:
        self._closed = True
        self.queue.close()
        for thread in self._threads:
            thread.join(3)
        for worker in self._workers:
            if worker is not None:
                worker.kill()
