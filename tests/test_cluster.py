"""``nianbao batch --engine dask``: a real scheduler and worker processes on 127.0.0.1 (issue 13).

The scheduler and the workers are separate processes (``dask scheduler``, ``dask worker``),
killed with SIGKILL where a test says so; every run is compared with the local batch
document by document (same ids, statuses, cells and checks).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("distributed")

from eval.synthetic import generate_corpus  # noqa: E402
from extractor.batch import BatchOptions, run_batch  # noqa: E402
from extractor.batch.cluster import committed, merge, run_engine  # noqa: E402
from extractor.batch.errors import BatchError  # noqa: E402
from extractor.config import Config  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # the client resolves the stub too
    sys.path.insert(0, str(TESTS))
PARSER = Config(backend="parser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes, on 127.0.0.1."""

    def __init__(self, tmp: Path, workers: int = 2, allowed_failures: int = 1):
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(REPO), os.environ.get("PYTHONPATH", "")]),
                    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(allowed_failures)}
        self.tmp = tmp
        self.scheduler = self._spawn(["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--dashboard-address", ":0"], "scheduler")
        self._wait_port()
        self.workers = [self._worker(i) for i in range(workers)]
        time.sleep(3)

    def _spawn(self, args, name):
        log = open(self.tmp / f"{name}.log", "wb")
        return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]], env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, cwd=str(self.tmp))

    def _worker(self, i):
        return self._spawn(["worker", self.address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                            "--name", f"w{i}", "--local-directory", str(self.tmp / f"w{i}")], f"worker{i}")

    def _wait_port(self):
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("the scheduler did not start")

    def worker_pids(self) -> list[int]:
        """The processes that run tasks (a nanny forks one per worker)."""
        out = []
        for w in self.workers:
            kids = subprocess.run(["pgrep", "-P", str(w.pid)], capture_output=True, text=True).stdout.split()
            out += [int(k) for k in kids] or [w.pid]
        return out

    def close(self):
        for p in [*self.workers, self.scheduler]:
            if p.poll() is None:
                p.kill()
        for p in [*self.workers, self.scheduler]:
            p.wait(timeout=20)


def _snapshot(db: Path):
    con = duckdb.connect(str(db), read_only=True)
    try:
        reports = sorted(con.execute("SELECT id, status, template, agency_id FROM reports").fetchall(), key=str)
        cells = sorted(con.execute("SELECT report_id, key, value, raw, flags FROM cells").fetchall(), key=str)
        checks = sorted(con.execute("SELECT report_id, rule, status FROM checks").fetchall(), key=str)
        return reports, cells, checks
    finally:
        con.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("cluster")
    src = base / "docs"
    generate_corpus(60, 4242, src, formats=["txt", "html"])
    for p in src.glob("*.json"):
        p.unlink()  # goldens: not documents
    for p in sorted((REPO / "goldens").glob("*.txt")):
        shutil.copy(p, src / p.name)
    local = base / "local"
    run_batch([str(src)], BatchOptions(out=local, workers=2, progress=False), PARSER)
    return base, src, _snapshot(local / "nianbao.duckdb")


def test_a_local_cluster_gives_what_the_local_batch_gives(corpus, tmp_path):
    _, src, want = corpus
    s = run_engine([str(src)], BatchOptions(out=tmp_path / "out", workers=2), PARSER, chunk_docs=16)
    assert s["documents"]["processed"] == len(want[0])
    assert _snapshot(tmp_path / "out" / "nianbao.duckdb") == want
    again = run_engine([str(src)], BatchOptions(out=tmp_path / "out", workers=1), PARSER, chunk_docs=16)
    assert again["documents"]["skipped_done"] == len(want[0]) and again["documents"]["processed"] == 0


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(corpus, tmp_path):
    _, src, want = corpus
    cluster = Cluster(tmp_path, workers=2, allowed_failures=3)
    try:
        import threading

        def kill_one():
            time.sleep(4)
            os.kill(cluster.worker_pids()[0], signal.SIGKILL)

        threading.Thread(target=kill_one, daemon=True).start()
        s = run_engine([str(src)], BatchOptions(out=tmp_path / "out"), PARSER, extract="cluster_stub:slow_extract",
                       scheduler=cluster.address, chunk_docs=4)
    finally:
        cluster.close()
    assert s["documents"]["processed"] >= len(want[0])  # a retried chunk may be counted twice, never written twice
    got = _snapshot(tmp_path / "out" / "nianbao.duckdb")
    assert got == want
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(want[0])


def test_a_document_that_kills_workers_twice_is_an_error_and_the_run_goes_on(corpus, tmp_path):
    _, src, want = corpus
    docs = tmp_path / "docs"
    shutil.copytree(src, docs)
    (docs / "zz-poison.txt").write_text("KILL-THE-WORKER 某县人民政府2020年政府信息公开工作年度报告\n", encoding="utf-8")
    cluster = Cluster(tmp_path, workers=2, allowed_failures=1)
    try:
        s = run_engine([str(docs)], BatchOptions(out=tmp_path / "out"), PARSER, extract="cluster_stub:killer_extract",
                       scheduler=cluster.address, chunk_docs=8)
    finally:
        cluster.close()
    assert s["documents"]["killed_workers"] == 1
    con = duckdb.connect(str(tmp_path / "out" / "nianbao.duckdb"), read_only=True)
    (status, reason), = con.execute("SELECT status, reason FROM reports WHERE source LIKE '%zz-poison.txt'").fetchall()
    assert status == "error" and "worker died twice" in reason
    assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == len(want[0]) + 1


def test_the_scheduler_gone_stops_the_run_with_one_line_and_it_resumes(corpus, tmp_path):
    _, src, want = corpus
    cluster = Cluster(tmp_path, workers=1)
    try:
        import threading

        threading.Thread(target=lambda: (time.sleep(5), cluster.scheduler.kill()), daemon=True).start()
        with pytest.raises(BatchError) as e:
            run_engine([str(src)], BatchOptions(out=tmp_path / "out"), PARSER, extract="cluster_stub:slow_extract",
                       scheduler=cluster.address, chunk_docs=2)
        assert "scheduler went away" in str(e.value) and "\n" not in str(e.value)
    finally:
        cluster.close()
    kept = len(committed(str(tmp_path / "out")))
    assert kept >= 1  # what was written before is kept
    s = run_engine([str(src)], BatchOptions(out=tmp_path / "out", workers=2), PARSER, chunk_docs=16)
    assert s["documents"]["skipped_done"] >= 2 * kept - 2
    assert _snapshot(tmp_path / "out" / "nianbao.duckdb") == want


def test_inputs_and_outputs_through_the_memory_filesystem(corpus, tmp_path):
    """fsspec URLs both ways (in-process workers: the memory filesystem is per process)."""
    import fsspec
    from distributed import Client, LocalCluster

    _, src, want = corpus
    mem = fsspec.filesystem("memory")
    for p in sorted(src.iterdir())[:12]:
        mem.pipe(f"/in/{p.name}", p.read_bytes())
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as lc, Client(lc):
        s = run_engine(["memory://in"], BatchOptions(out="memory://out"), PARSER, scheduler=lc.scheduler_address, chunk_docs=5,
                       db_dir=tmp_path / "db0")
    assert (tmp_path / "db0" / "nianbao.duckdb").exists() and not (Path.cwd() / "nianbao-merged").exists()
    assert s["documents"]["processed"] == 12
    assert mem.exists("/out/parts") and len(committed("memory://out")) == 3
    m = merge("memory://out", db_dir=tmp_path / "db")
    con = duckdb.connect(str(tmp_path / "db" / "nianbao.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == 12 == m["reports"]


def test_options_the_engine_does_not_honour_are_refused_in_one_line(tmp_path):
    from click.testing import CliRunner

    from extractor.batch import batch_command

    res = CliRunner().invoke(batch_command, [str(REPO / "goldens"), "--out", str(tmp_path / "o"), "--engine", "dask", "--parquet"])
    assert res.exit_code != 0 and "--parquet: not on --engine dask" in res.output
    assert not (tmp_path / "o").exists()
