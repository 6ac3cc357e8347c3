"""Crash safety: ``kg build`` killed with SIGKILL at any point leaves the previous store intact.

Each attempt copies a small built store, starts ``python -m kg.cli build big.jsonl`` on it in a
subprocess and SIGKILLs it when a phase is reached (store opened; write transaction started, i.e.
the rollback journal exists; database file itself overwritten while the journal is still there).
Wherever the kill lands, the store must open, pass ``PRAGMA integrity_check`` and hold exactly the
previous content; a re-run must then complete the build.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from typer.testing import CliRunner

from kg import pipeline
from kg.cli import app
from kg.readers import read_papers
from kg.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CORPUS = ROOT / "examples" / "hf-papers-policy.txt"

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

N_SMALL = 20
N_BIG = 600  # enough for a write transaction of several MB (SQLite spills its 2 MB cache)
ATTEMPT_TIMEOUT = 240.0


def write_corpus(path: Path, n: int, prefix: str, seed: int, sentences: int = 4) -> list[str]:
    """JSONL of ``n`` synthetic papers recombining sentences of the example corpus.

    Returns:
        The paper ids (as kg stores them).
    """
    papers = read_papers([EXAMPLE_CORPUS]).papers
    pool = sorted({s for p in papers for s in re.split(r"(?<=[.!?])\s+", p.abstract) if s})
    titles = [p.title for p in papers]
    rng = random.Random(seed)
    ids = []
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            record = {
                "id": f"{prefix}-{i:05d}",
                "title": f"{rng.choice(titles)} ({prefix} {i})",  # unique: readers dedup titles
                "abstract": " ".join(rng.sample(pool, sentences)),
            }
            fh.write(json.dumps(record) + "\n")
            ids.append(f"paper:{record['id']}")
    return ids


def kg_command(*args: str | Path) -> list[str]:
    """``kg ARGS`` run as a module with this interpreter (the embedded backend, no bars)."""
    return [sys.executable, "-m", "kg.cli", *map(str, args)]


def build_args(inputs: Path, db: Path) -> list[str]:
    """Arguments of ``kg build`` on the embedded backend, without progress bars."""
    return ["build", str(inputs), "--store", str(db), "--backend", "sqlite", "--quiet"]


def build_command(inputs: Path, db: Path) -> list[str]:
    return kg_command(*build_args(inputs, db))


def run_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KG_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def dump(db: Path) -> list[str]:
    """Every table's schema and rows as SQL (opening rolls a hot journal back first)."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def paper_ids(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM papers")}
    finally:
        conn.close()


def comparable(lines: list[str]) -> list[str]:
    """A dump in row-order-independent form, without the related-index blob (a zip archive
    that carries its write time, so two identical builds store different bytes)."""
    return sorted(line for line in lines
                  if not line.startswith("INSERT INTO \"meta\" VALUES('related_index'"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def journal(db: Path) -> Path:
    return db.with_name(db.name + "-journal")


def opened_by(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (Linux /proc; False where unavailable)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    target = str(path.resolve())
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                return True
        except OSError:
            continue
    return False


def file_state(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@dataclass
class Attempt:
    phase: str
    killed: bool  # SIGKILL arrived while the build was still running
    journal_at_kill: bool
    hot_journal_after: bool
    seconds: float


def kill_when(cmd: list[str], db: Path, phase: str, reached: Callable[[int], bool]) -> Attempt:
    """Run ``cmd``; SIGKILL it as soon as ``reached(pid)`` holds (or let it finish)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=run_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    journal_at_kill = False
    try:
        while proc.poll() is None:
            if time.monotonic() - start > ATTEMPT_TIMEOUT:
                pytest.fail(f"kg build did not reach phase {phase!r} in {ATTEMPT_TIMEOUT} s")
            if reached(proc.pid):
                journal_at_kill = journal(db).exists()
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    killed = proc.returncode == -signal.SIGKILL
    assert killed or proc.returncode == 0, stderr.decode(errors="replace")
    return Attempt(phase, killed, journal_at_kill and killed, journal(db).exists(),
                   round(time.monotonic() - start, 2))


def after_first_commit(db: Path) -> Callable[[int], bool]:
    """A predicate true once the journal of ``db`` has appeared and disappeared again."""
    seen = False

    def reached(pid: int) -> bool:
        nonlocal seen
        exists = journal(db).exists()
        seen = seen or exists
        return seen and not exists

    return reached


def test_crash_sigkill_keeps_previous_store_and_rerun_completes(tmp_path: Path) -> None:
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    small_ids = write_corpus(small, N_SMALL, "small", seed=1)
    big_ids = write_corpus(big, N_BIG, "big", seed=2)
    base = tmp_path / "base.db"
    with SQLiteStore(base) as store:  # in-process: the killed builds below are the subprocesses
        pipeline.build([small], store)
    assert integrity(base) == "ok"
    before_dump, before_digest = dump(base), digest(base)
    assert paper_ids(base) == set(small_ids)

    initial = file_state(base)
    phases: dict[str, Callable[[Path], Callable[[int], bool]]] = {
        # Reading and extracting: the store is open, nothing has been written yet.
        "store-open": lambda db: lambda pid: opened_by(pid, db),
        # The write transaction has begun: SQLite created the rollback journal.
        "transaction": lambda db: lambda pid: journal(db).exists(),
        # Pages of the database file itself were overwritten (cache spill or commit) while the
        # journal is still there: only the journal can restore the previous content.
        "db-overwritten": lambda db: lambda pid: journal(db).exists()
        and file_state(db) != initial,
        # The first commit is done (the journal came and went): from here on the store must
        # hold the complete new content; a build committing in steps fails here.
        "after-commit": after_first_commit,
    }
    attempts, dumps, stores = [], [], []
    for phase, predicate in phases.items():
        db = tmp_path / f"{phase}.db"
        shutil.copy2(base, db)
        stores.append(db)
        attempt = kill_when(build_command(big, db), db, phase, predicate(db))
        attempts.append(attempt)
        assert integrity(db) == "ok", attempt
        dumps.append(dump(db))
        if attempt.killed and phase != "after-commit":
            assert dumps[-1] == before_dump, attempt
            assert digest(db) == before_digest, attempt  # byte for byte: the rollback is exact

    # The kills really interrupted a running build inside its write transaction.
    in_transaction = [a for a in attempts if a.killed and a.journal_at_kill]
    assert in_transaction, attempts
    assert all(a.hot_journal_after for a in in_transaction), attempts

    # A re-run completes an interrupted build ...
    db = tmp_path / "transaction.db"
    rerun = CliRunner().invoke(app, [*build_args(big, db), "--json"])
    assert rerun.exit_code == 0, rerun.output
    report = json.loads(rerun.stdout)
    if attempts[1].killed:
        assert (report["read"], report["added"], report["unchanged"]) == (N_BIG, N_BIG, 0)
    assert integrity(db) == "ok"
    assert paper_ids(db) == set(small_ids) | set(big_ids)
    # ... and every attempt left either the previous or exactly this complete content.
    complete = comparable(dump(db))
    for attempt, content, db_ in zip(attempts, dumps, stores):
        if attempt.phase == "after-commit" or not attempt.killed:
            assert comparable(content) == complete, attempt
            with SQLiteStore(db_) as store:  # the fitted related-paper index is there and loads
                assert pipeline.load_related_index(store).neighbours(big_ids[0], k=3)
    conn = sqlite3.connect(db)
    try:
        extracted = {row[0] for row in conn.execute("SELECT paper_id FROM extractions")}
        sources = {row[0] for row in conn.execute("SELECT DISTINCT source FROM edges")}
        dangling = conn.execute(
            "SELECT count(*) FROM edges WHERE target NOT IN (SELECT id FROM entities)"
            " AND target NOT IN (SELECT id FROM papers)"
        ).fetchone()[0]
    finally:
        conn.close()
    assert extracted == set(small_ids) | set(big_ids)
    assert sources & set(big_ids) and sources & set(small_ids)  # the graph covers both
    assert dangling == 0
