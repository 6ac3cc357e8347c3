"""Concurrency: several ``kg`` processes on one store never break it.

Two ``kg build`` processes of overlapping inputs on one store end with all papers of both and the
same graph a single build of both inputs gives (the second writer waits for the first thanks to
``BEGIN IMMEDIATE`` and the busy timeout, then refreshes the graph over everything stored), or a
build fails with a clear one-line "busy" message — never a broken store.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import cli, pipeline
from kg.models import GraphBatch
from kg.readers import read_papers
from kg.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CORPUS = ROOT / "examples" / "hf-papers-policy.txt"
TIMEOUT = 300.0


def write_corpus(path: Path, indices: range, seed: int = 3) -> list[str]:
    """JSONL of synthetic papers ``indices`` (the same index gives the same paper in any file).

    Returns:
        The paper ids (as kg stores them).
    """
    papers = read_papers([EXAMPLE_CORPUS]).papers
    pool = sorted({s for p in papers for s in re.split(r"(?<=[.!?])\s+", p.abstract) if s})
    titles = [p.title for p in papers]
    ids = []
    with path.open("w", encoding="utf-8") as fh:
        for i in indices:
            rng = random.Random(seed * 1_000_003 + i)
            record = {
                "id": f"p-{i:05d}", "title": f"{rng.choice(titles)} ({i})",
                "abstract": " ".join(rng.sample(pool, 4)),
            }
            fh.write(json.dumps(record) + "\n")
            ids.append(f"paper:{record['id']}")
    return ids


def run_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KG_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def kg_process(*args: str | Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kg.cli", *map(str, args)], env=run_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def proc_state(pid: int) -> str | None:
    """The scheduler state letter of ``pid`` (R running, S sleeping...), None without /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def wait_until_blocked(procs: list[subprocess.Popen[bytes]], quiet_for: float = 0.5) -> None:
    """Wait until every process sleeps continuously for ``quiet_for`` seconds.

    kg's work (imports, reading, extraction) is CPU-bound and never sleeps that long; a build
    waiting on a locked store sleeps in SQLite's busy handler. Without /proc, wait a fixed time.
    """
    start = time.monotonic()
    sleeping_since: float | None = None
    while time.monotonic() - start < TIMEOUT:
        for proc in procs:
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"build ended while the store was locked: {proc.returncode} "
                            f"{err.decode(errors='replace')}")
        states = [proc_state(p.pid) for p in procs]
        if None in states:
            time.sleep(20.0)
            return
        now = time.monotonic()
        if all(s == "S" for s in states):
            sleeping_since = sleeping_since or now
            if now - sleeping_since >= quiet_for:
                return
        else:
            sleeping_since = None
        time.sleep(0.005)
    pytest.fail("the builds never reached the locked write transaction")


def without_sources(batch: GraphBatch) -> GraphBatch:
    # Paper.source records the file:line a paper was read from; with the same paper in two
    # inputs it names whichever build wrote last, which is the only legitimate difference.
    papers = tuple(p.model_copy(update={"source": None}) for p in batch.papers)
    return batch.model_copy(update={"papers": papers})


def test_concurrency_two_builds_race_and_both_land(tmp_path: Path) -> None:
    """Both builds decide what is new before either commits (forced), then both commit."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    ids_a = write_corpus(a, range(0, 160))
    ids_b = write_corpus(b, range(80, 240))  # 80 papers in both inputs
    db = tmp_path / "kg.db"
    SQLiteStore(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a third writer: both builds must queue behind it
    procs = [
        kg_process("build", path, "--store", db, "--backend", "sqlite", "--quiet", "--json")
        for path in (a, b)
    ]
    try:
        wait_until_blocked(procs)
        holder.execute("ROLLBACK")
        results = [p.communicate(timeout=TIMEOUT) for p in procs]
    finally:
        holder.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    codes = [p.returncode for p in procs]
    errors = [err.decode(errors="replace") for _, err in results]
    assert integrity(db) == "ok"
    assert codes == [0, 0], errors
    reports = [json.loads(out) for out, _ in results]
    # Each build computed its new papers while the other had not committed: the race happened.
    assert [r["added"] for r in reports] == [160, 160], reports
    with SQLiteStore(db) as store:
        raced = store.batch()
        assert set(store.extractions()) == set(ids_a) | set(ids_b)
        stats = pipeline.graph_counts(store)
    assert {p.id for p in raced.papers} == set(ids_a) | set(ids_b)
    # The graph equals a single build of both inputs: the second writer's refresh saw everything.
    with SQLiteStore(tmp_path / "reference.db") as ref:
        pipeline.build([a, b], ref)
        expected = ref.batch()
    assert without_sources(raced) == without_sources(expected)
    assert reports[-1]["counts"] == stats or reports[0]["counts"] == stats


def test_concurrency_simultaneous_opens_of_a_new_store(tmp_path: Path) -> None:
    """Processes creating the same store at once: all succeed, one schema, intact file."""
    db = tmp_path / "new.db"
    procs = [kg_process("stats", "--store", db, "--json") for _ in range(4)]
    results = [p.communicate(timeout=TIMEOUT) for p in procs]
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err.decode(errors="replace")
        assert json.loads(out)["counts"]["papers"] == 0
    assert integrity(db) == "ok"
    conn = sqlite3.connect(db)
    try:
        tables = sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master "
                                                     "WHERE type = 'table'"))
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    finally:
        conn.close()
    assert tables == ["edges", "entities", "extractions", "meta", "papers"]
    assert version == [("1",)]


@pytest.fixture
def built_store(tmp_path: Path) -> tuple[Path, Path]:
    """A store built from 30 papers, and a file of 5 papers it does not hold yet."""
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    write_corpus(old, range(30))
    write_corpus(new, range(30, 35))
    db = tmp_path / "kg.db"
    with SQLiteStore(db) as store:
        pipeline.build([old], store)
    return db, new


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's store gives up waiting for a lock after 0.2 s instead of a minute."""
    monkeypatch.setattr(cli, "_open_store", lambda path: SQLiteStore(path, timeout=0.2))


def _dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_concurrency_busy_store_fails_with_one_clear_line(
    built_store: tuple[Path, Path], short_timeout: None
) -> None:
    """Another process is writing (RESERVED lock): a build gives up with the busy message."""
    db, new = built_store
    before = _dump(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('other-writer', 1)")
    try:
        result = CliRunner().invoke(cli.app, ["build", str(new), "--store", str(db), "-q",
                                              "--backend", "sqlite"])
        stats = CliRunner().invoke(cli.app, ["stats", "--store", str(db), "--json"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert result.output == (
        f"error: {db}: the store is busy (database is locked) — another kg process is "
        "writing; retry\n"
    )
    # Readers are not blocked by a writer that has not started to overwrite the file.
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout)["counts"]["papers"] == 30
    assert integrity(db) == "ok"
    assert _dump(db) == before


def test_concurrency_exclusively_locked_store_fails_with_one_line(
    built_store: tuple[Path, Path], short_timeout: None
) -> None:
    """A writer committing (or spilling a large transaction) holds an EXCLUSIVE lock: every
    command fails with one line naming the store and the lock, no traceback, nothing changed."""
    db, new = built_store
    before = _dump(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        results = [
            CliRunner().invoke(cli.app, args)
            for args in (["build", str(new), "--store", str(db), "-q", "--backend", "sqlite"],
                         ["stats", "--store", str(db)],
                         ["export", "json", str(db.with_suffix(".json")), "--store", str(db)])
        ]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    for result in results:
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"error: {db}: ")
        assert "database is locked" in result.output
        assert result.output.count("\n") == 1, result.output
    assert not db.with_suffix(".json").exists()
    assert integrity(db) == "ok"
    assert _dump(db) == before
