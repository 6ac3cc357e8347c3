"""Make a large benchmark store by replicating a built store's graph N times (ids renamed).

A 100k-paper ``kg build`` is too slow to repeat while tuning the exporters, so the export
benchmark copies a 10k store's papers and edges ``--times`` times: copy ``k`` renames every
paper id ``paper:x`` to ``paper:x~k`` (in ``papers`` and in edge endpoints), keeps the concept
nodes shared (as a larger corpus mostly re-uses concepts), and skips extractions (exports do not
read them). Figures measured on such a store must say so.

Usage:
    python scripts/replicate_store.py SOURCE.db TARGET.db --times 10
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from kg.store.sqlite import SQLiteStore


def replicate(source: Path, target: Path, times: int) -> dict[str, int]:
    """Write ``target`` holding ``times`` renamed copies of ``source``'s papers and edges."""
    if target.exists():
        target.unlink()
    SQLiteStore(target).close()  # the schema, exactly as kg creates it
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    conn.execute("BEGIN")
    conn.execute("INSERT INTO entities SELECT * FROM src.entities")
    rename = "CASE WHEN {c} IN (SELECT id FROM src.papers) THEN {c} || '~' || ? ELSE {c} END"
    for k in range(times):
        suffix = str(k)
        conn.execute(
            "INSERT INTO papers SELECT id || '~' || ?, title, abstract, url, arxiv_id, authors,"
            " published, source, links, content_hash FROM src.papers", (suffix,))
        conn.execute(
            f"INSERT INTO edges SELECT {rename.format(c='source')}, {rename.format(c='target')},"
            " type, weight, count, evidence, shared FROM src.edges", (suffix, suffix))
    conn.execute("COMMIT")
    counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
              for table in ("papers", "entities", "edges")}
    conn.close()
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--times", type=int, default=10)
    args = parser.parse_args(argv)
    print(replicate(args.source, args.target, args.times))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
