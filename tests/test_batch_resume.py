"""Resume is right after an upgrade: "done" means done by this code and these prompts.

The recorded version is ``extractor.version.pipeline_version()``: the release
plus a hash over the package's ``.py`` files and the prompt files. A code
change is simulated for real: the package and prompts are copied to a temp
tree, one byte is changed, and the batch runs from that copy in a subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from extractor import version
from extractor.batch import BatchOptions, batch_command, run_batch
from extractor.models import Result

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # workers import the stub as test_batch:stub_extract
    sys.path.insert(0, str(TESTS))
STUB = "test_batch:stub_extract"
N = 6


def _corpus(tmp_path: Path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    for i in range(N):
        (d / f"doc{i}.txt").write_text(f"机关{i}{2019 + i % 3}年政府信息公开工作年度报告\n\n正文{i}\n", encoding="utf-8")
    return d


def _rows(out: Path, sql: str):
    con = duckdb.connect(str(out / "nianbao.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _lines(out: Path) -> list[dict]:
    return [json.loads(l) for l in (out / "results.jsonl").read_bytes().splitlines()]


def _assert_each_once(out: Path, want_version: str) -> None:
    """Every document once in the DB and once in results.jsonl, all by ``want_version``."""
    assert _rows(out, "SELECT pipeline_version, count(*), count(DISTINCT id) FROM reports GROUP BY 1") == [(want_version, N, N)]
    assert _rows(out, "SELECT count(*), count(DISTINCT report_id) FROM checks") == [(N, N)]
    lines = _lines(out)
    assert len(lines) == N and len({l["id"] for l in lines}) == N
    assert {l["pipeline_version"] for l in lines} == {want_version}
    # each report row points at the end of its own line
    size = 0
    ends = {}
    for raw in (out / "results.jsonl").read_bytes().splitlines(keepends=True):
        size += len(raw)
        ends[json.loads(raw)["id"]] = size
    assert dict(_rows(out, "SELECT id, results_end FROM reports")) == ends
    assert not (out / "results.jsonl.compact").exists()


def _copy_tree(dst: Path) -> Path:
    """The package and its prompts, as an install elsewhere would have them."""
    shutil.copytree(REPO / "extractor", dst / "extractor", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "prompts", dst / "prompts")
    return dst


def _batch_from(tree: Path, inputs: Path, out: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree), str(TESTS)])
    env.pop("NIANBAO_PROMPTS_DIR", None)
    cmd = [sys.executable, "-m", "extractor.batch", str(inputs), "--out", str(out), "--workers", "2", "--no-progress", "--extract", STUB]
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads((out / "summary.json").read_text())


def test_the_version_is_a_hash_of_the_code_and_prompts(tmp_path):
    v = version.pipeline_version()
    assert v == version.pipeline_version()  # computed once per process
    release, _, digest = v.partition("+")
    assert release == version.RELEASE and len(digest) == 12
    assert Result(id="x", source="x").pipeline_version == v
    tree = _copy_tree(tmp_path / "tree")
    same = version.code_hash(tree / "extractor", tree / "prompts")
    assert same == version.code_hash(REPO / "extractor", REPO / "prompts")
    (tree / "extractor" / "template.py").write_bytes((tree / "extractor" / "template.py").read_bytes() + b"#")
    assert version.code_hash(tree / "extractor", tree / "prompts") != same
    prompt = next((tree / "prompts").glob("*.md"))
    tree2 = _copy_tree(tmp_path / "tree2")
    (tree2 / "prompts" / prompt.name).write_text(prompt.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert version.code_hash(tree2 / "extractor", tree2 / "prompts") != same


def test_a_rerun_without_change_extracts_nothing(tmp_path):
    d, out = _corpus(tmp_path), tmp_path / "out"
    s1 = run_batch([str(d)], BatchOptions(out=out, workers=2, progress=False), extract=STUB)
    assert s1["documents"]["processed"] == N and s1["pipeline_version"] == version.pipeline_version()
    s2 = run_batch([str(d)], BatchOptions(out=out, workers=2, progress=False), extract=STUB)
    assert s2["documents"]["processed"] == 0 and s2["documents"]["skipped_done"] == N
    _assert_each_once(out, version.pipeline_version())


def test_after_a_code_change_everything_is_extracted_again_once(tmp_path):
    d, out = _corpus(tmp_path), tmp_path / "out"
    s1 = run_batch([str(d)], BatchOptions(out=out, workers=2, progress=False), extract=STUB)
    assert s1["documents"]["processed"] == N
    old = version.pipeline_version()

    tree = _copy_tree(tmp_path / "upgraded")
    rows_py = tree / "extractor" / "checks.py"
    rows_py.write_bytes(rows_py.read_bytes() + b"\n# one more byte\n")  # the "upgrade"
    new = f"{version.RELEASE}+{version.code_hash(tree / 'extractor', tree / 'prompts')}"
    assert new != old

    s2 = _batch_from(tree, d, out)
    assert s2["pipeline_version"] == new
    assert s2["documents"]["processed"] == N and s2["documents"]["skipped_done"] == 0
    _assert_each_once(out, new)

    s3 = _batch_from(tree, d, out)  # and the upgraded code now resumes as usual
    assert s3["documents"]["processed"] == 0 and s3["documents"]["skipped_done"] == N
    _assert_each_once(out, new)

    s4 = run_batch([str(d)], BatchOptions(out=out, workers=0, progress=False), extract=STUB)  # back to this code
    assert s4["documents"]["processed"] == N
    _assert_each_once(out, old)


def test_reprocess_extracts_everything_again(tmp_path):
    d, out = _corpus(tmp_path), tmp_path / "out"
    run_batch([str(d)], BatchOptions(out=out, workers=2, progress=False), extract=STUB)
    r = CliRunner().invoke(batch_command, [str(d), "--out", str(out), "--workers", "2", "--no-progress", "--extract", STUB, "--reprocess"])
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text())
    assert s["documents"]["processed"] == N and s["documents"]["skipped_done"] == 0
    assert any("compacted results.jsonl" in n for n in s["notes"])
    _assert_each_once(out, version.pipeline_version())


@pytest.mark.parametrize("crash_after", ["commit", "tmp_written"])
def test_an_interrupted_compaction_is_finished_or_undone(tmp_path, monkeypatch, crash_after):
    from extractor.batch import outputs

    d, out = _corpus(tmp_path), tmp_path / "out"
    run_batch([str(d)], BatchOptions(out=out, workers=0, progress=False), extract=STUB)
    log = out / "results.jsonl"

    class Crash(BaseException):
        pass

    if crash_after == "commit":
        real_replace = os.replace

        def replace(src, dst):  # the process dies between the commit and the rename
            if str(src).endswith(".compact"):
                raise Crash
            return real_replace(src, dst)

        monkeypatch.setattr(outputs.os, "replace", replace)
    else:
        real_fsync = os.fsync

        def fsync(fd):  # the process dies right after the compacted copy is written
            real_fsync(fd)
            if os.path.realpath(f"/proc/self/fd/{fd}").endswith(".compact"):
                raise Crash

        monkeypatch.setattr(outputs.os, "fsync", fsync)
    with pytest.raises(Crash):
        run_batch([str(d)], BatchOptions(out=out, workers=0, progress=False, reprocess=True), extract=STUB)
    monkeypatch.undo()
    assert (out / "results.jsonl.compact").exists()
    assert len(log.read_bytes().splitlines()) == 2 * N  # the old log, superseded lines included
    s = run_batch([str(d)], BatchOptions(out=out, workers=0, progress=False), extract=STUB)
    assert s["documents"]["processed"] == 0
    _assert_each_once(out, version.pipeline_version())
