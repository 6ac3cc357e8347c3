"""Kill `kg build` with SIGKILL at spread-out moments and show the store survives every time.

A base store is built from the first papers of the example corpus; then, for each delay, a copy of
it is extended with the whole corpus by ``python -m kg.cli build`` in a subprocess that is killed
after that many seconds. Each row says where the kill landed (before/inside the write transaction,
or after the build finished) and whether the store is intact and holds the previous or the
complete content — never anything in between.

Example:
    python scripts/crash_demo.py --kills 8 --base 40
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "examples" / "hf-papers-policy.txt"


def build(inputs: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "kg.cli", "build", str(inputs), "--store", str(db),
            "--backend", "sqlite", "--quiet"]


def timeline(cmd: list[str], db: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``cmd`` to the end, watching ``db``'s rollback journal.

    Returns:
        Seconds from the start to the transaction's start, to its commit, and to the exit.
    """
    journal = db.with_name(db.name + "-journal")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    seen: list[float] = []
    while proc.poll() is None:
        if journal.exists():
            seen.append(time.monotonic() - start)
        time.sleep(0.002)
    if proc.returncode != 0 or not seen:
        raise SystemExit(f"the reference build failed or never wrote: {proc.returncode}")
    return seen[0], seen[-1], time.monotonic() - start


def content(db: Path) -> tuple[str, list[str]]:
    """(integrity_check result, sorted dump without the related-index blob)."""
    conn = sqlite3.connect(db)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = sorted(line for line in conn.iterdump() if "'related_index'" not in line)
    finally:
        conn.close()
    return check, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=8, help="How many killed builds.")
    parser.add_argument("--base", type=int, default=40, help="Papers in the base store.")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KG_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        lines = CORPUS.read_text(encoding="utf-8").splitlines()
        # The HF dump: a 2-line header, then title and abstract lines alternating.
        small = tmp / "small.txt"
        small.write_text("\n".join(lines[: 2 + 2 * args.base]) + "\n", encoding="utf-8")
        base, full = tmp / "base.db", tmp / "full.db"
        subprocess.run(build(small, base), env=env, check=True, stdout=subprocess.DEVNULL)
        shutil.copy2(base, full)
        tx_start, tx_end, duration = timeline(build(CORPUS, full), full, env)
        previous, complete = content(base)[1], content(full)[1]
        print(f"uninterrupted extension: {duration:.2f} s wall, write transaction from "
              f"{tx_start:.2f} s to {tx_end:.2f} s; killing around it")
        print(f"{'kill at':>8}  {'phase':<22} {'integrity':<10} content")
        bad = 0
        for i in range(args.kills):
            # One kill well before the transaction, the others spread across it and its end.
            delay = tx_start * 0.5 if i == 0 else (
                tx_start + (tx_end - tx_start) * 1.1 * (i - 0.5) / (args.kills - 1))
            db = tmp / f"kill{i}.db"
            shutil.copy2(base, db)
            journal = db.with_name(db.name + "-journal")
            proc = subprocess.Popen(build(CORPUS, db), env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(delay)
            in_tx = journal.exists()
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            check, rows = content(db)
            state = "previous" if rows == previous else "complete" if rows == complete else "MIXED"
            phase = ("finished first" if proc.returncode == 0 else
                     "inside the transaction" if in_tx else
                     "after the commit" if state == "complete" else "before the transaction")
            bad += check != "ok" or state == "MIXED"
            print(f"{delay:7.2f}s  {phase:<22} {check:<10} {state}")
        print("every kill left an intact store" if not bad else f"{bad} broken stores")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
