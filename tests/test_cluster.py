"""Extraction on a real Dask cluster (a LocalCluster of two worker processes) stores exactly
what a local ingest of the same files stores: byte for byte in the embedded store, the same
dataset on Virtuoso, and still after a worker is killed mid-ingest."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

import celebgraph
from celebgraph.errors import CelebgraphError
from celebgraph.extraction.relations import bundled_model_path
from conftest import SCRIPT, clear_remote, export_bytes

# Short articles written for this test. A person named two ways ("Zoë Marlowe", later
# "Zoe Marlowe") is one node that keeps the label of the first article stored, so the order
# in which the cluster's results are written shows in the export.
PEOPLE = [
    ("Zoë Marlowe", "Tomás Reyes"),
    ("Renée Zellweger", "Kenny Chesney"),
    ("Penélope Cruz", "Javier Bardem"),
    ("Chloë Sevigny", "Mário Lopes"),
    ("Beyoncé Knowles", "Jay-Z"),
]
SENTENCES = [
    "{a} married {b} in a small ceremony in Paris.",
    "{a} and {b} have split after two years together, sources say.",
    "A spokesperson for {a} denied that she is dating {b}.",
    "{a} praised {b} in an interview on Sunday.",
    "{a} sued {b} over the unpaid fees.",
    "{a} apologized to {b} after the awards show.",
]


def _article(i: int) -> str:
    a, b = PEOPLE[i % len(PEOPLE)]
    if i >= len(PEOPLE):  # later articles drop the accents
        a, b = (unicodedata.normalize("NFKD", n).encode("ascii", "ignore").decode() for n in (a, b))
    body = " ".join(s.format(a=a, b=b) for s in SENTENCES[i % 3 : i % 3 + 3])
    return f"Story {i} about {a}\n\n{body}\n"


@pytest.fixture(scope="module")
def articles(tmp_path_factory, seed_path) -> list[Path]:
    """The bundled example, 40 short articles and one file that is not an article."""
    folder = tmp_path_factory.mktemp("articles")
    for i in range(40):
        (folder / f"story-{i:02d}.txt").write_text(_article(i), encoding="utf-8")
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    return [seed_path, folder]


@pytest.fixture(scope="module")
def local(tmp_path_factory, articles) -> tuple[celebgraph.IngestReport, bytes]:
    """A local ingest of the same files: what the cluster must reproduce."""
    store = tmp_path_factory.mktemp("local") / "store"
    report = celebgraph.ingest(articles, store=store, jobs=1)
    assert report.articles == 41 and report.failed == 1, report.errors
    return report, export_bytes(store)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed", reason="celebgraph[dask] is not installed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _same_report(a: celebgraph.IngestReport, b: celebgraph.IngestReport) -> None:
    assert (a.articles, a.triples, a.claims, a.persons, a.errors, a.skipped) == (
        b.articles,
        b.triples,
        b.claims,
        b.persons,
        b.errors,
        b.skipped,
    )


def test_cluster_ingest_stores_what_a_local_one_does(tmp_path, articles, local, client):
    report = celebgraph.ingest(articles, store=tmp_path / "store", cluster=client)
    _same_report(report, local[0])
    assert export_bytes(tmp_path / "store") == local[1]


def test_cli_cluster_from_the_environment(tmp_path, articles, local, client):
    """``CELEBGRAPH_CLUSTER`` names the scheduler; the summary and errors are a local
    ingest's."""
    env = {**os.environ, "CELEBGRAPH_CLUSTER": client.scheduler.address}
    run = subprocess.run(
        [SCRIPT, "ingest", *map(str, articles), "--store", str(tmp_path / "store"), "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 2, run.stderr  # some input failed: the broken file
    assert run.stdout.startswith("41 articles, ")
    assert run.stderr.count("\n") == 1 and "broken.json" in run.stderr
    assert export_bytes(tmp_path / "store") == local[1]


def test_a_killed_worker_costs_nothing(tmp_path, articles, local, client, monkeypatch):
    """A worker killed while it extracts: Dask runs its task again on a new worker and
    every article is still stored once."""
    monkeypatch.setenv("CELEBGRAPH_WRITE_INTERVAL", "0")  # write (and call back) per article
    killed: list[int] = []

    def kill_a_busy_worker(_: object) -> None:
        if killed:
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.05)

    report = celebgraph.ingest(
        articles, store=tmp_path / "store", cluster=client, on_article=kill_a_busy_worker
    )
    assert killed, "no worker was busy to kill"
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)
    _same_report(report, local[0])
    assert export_bytes(tmp_path / "store") == local[1]


def test_a_model_of_ones_own_is_sent_to_the_workers(tmp_path, articles, local, client):
    """``--model DIR`` on a cluster: the workers extract with that model (its files are
    sent to them) and the store gets what a local ingest with it stores."""
    model = tmp_path / "my-model"
    shutil.copytree(bundled_model_path(), model)
    meta = json.loads((model / "model.json").read_text(encoding="utf-8"))
    meta["threshold"] = 0.01  # a model that proposes far more claims than the bundled one
    (model / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    expected = celebgraph.ingest(articles, store=tmp_path / "local", jobs=1, model=model)
    report = celebgraph.ingest(articles, store=tmp_path / "store", cluster=client, model=model)
    _same_report(report, expected)
    assert export_bytes(tmp_path / "store") == export_bytes(tmp_path / "local")
    assert export_bytes(tmp_path / "store") != local[1]


def test_cluster_ingest_into_virtuoso(articles, client, virtuoso_server, same_dataset):
    url = virtuoso_server.url
    clear_remote(url)
    expected = celebgraph.ingest(articles, store=url, jobs=1)
    want = export_bytes(url)
    clear_remote(url)
    report = celebgraph.ingest(articles, store=url, cluster=client)
    _same_report(report, expected)
    assert same_dataset(export_bytes(url), want)


def test_cluster_and_jobs_exclude_each_other(tmp_path, seed_path):
    with pytest.raises(CelebgraphError, match="jobs is for local extraction"):
        celebgraph.ingest([seed_path], store=tmp_path / "store", jobs=2, cluster="local:2")


@pytest.mark.parametrize("spec", ["local:0", "local:two"])
def test_bad_local_cluster_is_one_clear_error(tmp_path, seed_path, spec):
    with pytest.raises(CelebgraphError, match="local:N with N a number of workers"):
        celebgraph.ingest([seed_path], store=tmp_path / "store", cluster=spec)


def test_unreachable_scheduler_is_one_clear_error(tmp_path, seed_path):
    run = subprocess.run(
        [SCRIPT, "ingest", str(seed_path), "--store", str(tmp_path / "s"), "-q"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "CELEBGRAPH_CLUSTER": "tcp://127.0.0.1:9",
            "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s",
        },
        timeout=120,
    )
    assert run.returncode == 1
    assert run.stderr.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert run.stderr.count("\n") == 1


def test_without_dask_the_error_says_what_to_install(seed_path, tmp_path):
    """What a user without the optional extra sees (Dask hidden from this Python)."""
    code = (
        "import sys; sys.modules['distributed'] = None\n"
        "import celebgraph\n"
        "try:\n"
        f"    celebgraph.ingest([{str(seed_path)!r}], store={str(tmp_path / 's')!r},"
        " cluster='local:1')\n"
        "except celebgraph.CelebgraphError as exc:\n"
        "    print(exc)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.stdout == (
        "--cluster needs Dask distributed, which is not installed: pip install 'celebgraph[dask]'\n"
    ), run.stderr
