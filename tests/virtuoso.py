"""A throwaway Virtuoso server on loopback, for the remote-store tests and benchmarks.

:func:`start` writes a minimal ``virtuoso.ini`` into a fresh temporary folder (database
files there, the SQL and HTTP ports on free loopback ports, nothing else listening), runs
``virtuoso-t +foreground`` from Debian's ``virtuoso-opensource``, waits until ``/sparql``
answers, sets a random ``dba`` password with ``isql-vt`` and returns a :class:`Virtuoso`
whose :attr:`~Virtuoso.url` is a celebgraph store spec (``http://dba:PASS@127.0.0.1:PORT/
sparql-auth``, Digest authentication). :meth:`Virtuoso.stop` kills it and removes the
folder. ``python tests/virtuoso.py`` starts one and prints its URL until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SERVER = "virtuoso-t"
ISQL = "isql-vt"
START_TIMEOUT = 60.0

INI = """\
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {dir}/virtuoso-temp.db
TransactionFile    = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort           = 127.0.0.1:{sql_port}
DisableUnixSocket    = 1
DisableTcpSocket     = 0
MaxClientConnections = 10
CheckpointInterval   = 60
O_DIRECT             = 0
CaseMode             = 2
MaxStaticCursorRows  = 5000
AllowOSCalls         = 0
DirsAllowed          = ., {dir}
ThreadCleanupInterval = 0
ThreadThreshold      = 10
ResourcesCleanupInterval = 0
NumberOfBuffers      = 20000
MaxDirtyBuffers      = 15000
MaxQueryMem          = 1G

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {dir}
MaxClientConnections = 10
ServerThreads        = 10
MaxKeepAlives        = 10
KeepAliveTimeout     = 10
Charset              = UTF-8
EnabledDavVSP        = 0
HTTPProxyEnabled     = 0

[SPARQL]
ResultSetMaxRows           = 10000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 60
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available() -> bool:
    return shutil.which(SERVER) is not None and shutil.which(ISQL) is not None


def install() -> bool:
    """``apt-get install virtuoso-opensource`` when the server is missing; True if it is there."""
    if available():
        return True
    if shutil.which("apt-get") is None:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "virtuoso-opensource"],
    ):
        try:
            subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return available()


@dataclass
class Virtuoso:
    directory: Path
    process: subprocess.Popen
    http_port: int
    sql_port: int
    password: str

    @property
    def endpoint(self) -> str:
        """The authenticated SPARQL endpoint, without credentials."""
        return f"http://127.0.0.1:{self.http_port}/sparql-auth"

    @property
    def url(self) -> str:
        """A celebgraph store spec with the credentials in it."""
        return f"http://dba:{self.password}@127.0.0.1:{self.http_port}/sparql-auth"

    @property
    def public_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    def isql(self, statement: str) -> str:
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", "dba", self.password, f"exec={statement}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql {statement!r} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def clear(self) -> None:
        """Drop every celebgraph graph (between tests)."""
        graphs = self.isql(
            "SPARQL SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o }"
            " FILTER(STRSTARTS(STR(?g), 'https://w3id.org/celebgraph')) };"
        )
        for line in graphs.splitlines():
            line = line.strip()
            if line.startswith("https://w3id.org/celebgraph"):
                self.isql(f"SPARQL DROP SILENT GRAPH <{line}>;")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        shutil.rmtree(self.directory, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(timeout: float = START_TIMEOUT) -> Virtuoso:
    """Start a fresh Virtuoso on loopback; raise RuntimeError if it does not come up."""
    directory = Path(tempfile.mkdtemp(prefix="celebgraph-virtuoso-"))
    http_port, sql_port = free_port(), free_port()
    while sql_port == http_port:
        sql_port = free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(dir=directory, sql_port=sql_port, http_port=http_port))
    log = (directory / "stdout.log").open("wb")
    process = subprocess.Popen(
        [SERVER, "+foreground", "+configfile", str(ini)],
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    server = Virtuoso(directory, process, http_port, sql_port, "dba")
    try:
        deadline = time.monotonic() + timeout
        while not _answers(server.public_endpoint):
            if process.poll() is not None or time.monotonic() > deadline:
                text = (directory / "stdout.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"Virtuoso did not start: {text}")
            time.sleep(0.2)
        password = secrets.token_hex(12)
        server.isql(f"user_set_password('dba', '{password}')")
        server.password = password
    except BaseException:
        server.stop()
        raise
    return server


if __name__ == "__main__":
    running = start()
    print(running.url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        running.process.wait()
    running.stop()
