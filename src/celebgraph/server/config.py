"""How to run the SPARQL server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServerConfig:
    """How to run the SPARQL server.

    ``port`` 0 picks a free port (read it from ``server.server_address``). ``timeout`` is the
    limit of one query or update in seconds (and of its wait for a worker); ``max_memory_mb``
    the most resident memory a worker may reach while it answers one (it is killed above:
    503); ``max_rows`` the most SELECT solutions (or CONSTRUCT/DESCRIBE triples) one
    response carries. ``update_token``, when set, enables SPARQL Update for requests with
    ``Authorization: Bearer <update_token>``. ``graph_page`` is the HTML file served at
    ``/graph``. ``workers`` query processes run side by side (one when updates are enabled).
    ``SERVICE`` and remote ``LOAD`` are refused unless ``allow_federation``; even then
    loopback, private and link-local addresses only for hosts in ``allow_hosts``.
    ``server_names`` are the names (``Host`` headers) the server answers to besides loopback
    names and addresses (when bound to loopback) or its own address (else; no check at all
    when bound elsewhere without names).
    ``idle_timeout`` closes keep-alive connections idle that long; ``backlog`` is the
    listen queue.
    """

    store: Path
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 30.0
    max_rows: int = 10_000
    update_token: str | None = None
    graph_page: Path | None = None
    workers: int = 2
    quiet: bool = False
    max_memory_mb: int = 2048
    allow_federation: bool = False
    allow_hosts: tuple[str, ...] = ()
    server_names: tuple[str, ...] = ()
    idle_timeout: float = 5.0
    backlog: int = 2048

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        if self.max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.update_token is not None and not self.update_token.strip():
            raise ValueError("update_token must not be empty")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        if self.max_memory_mb < 64:
            raise ValueError("max_memory_mb must be at least 64")
        if self.idle_timeout <= 0:
            raise ValueError("idle_timeout must be a positive number of seconds")
