"""Time one export of a store in a fresh process: wall, CPU, peak RSS, file size.

Usage:
    python scripts/bench_export.py STORE FORMAT OUT [--batch]

FORMAT is graphml, json or neo4j-csv. ``--batch`` loads the whole graph first
(``SQLiteStore.batch()``), as the CLI did before exports streamed from the store. Prints one
JSON line. Run from the repository root (``PYTHONPATH=.``) to measure this checkout.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    store_path, fmt, out = argv[0], argv[1], Path(argv[2])
    as_batch = "--batch" in argv[3:]
    wall, cpu = time.perf_counter(), time.process_time()
    from kg.export import WRITERS
    from kg.neo4j_csv import write_neo4j_csv
    from kg.store.sqlite import SQLiteStore

    writers = {**WRITERS, "neo4j-csv": write_neo4j_csv}
    with SQLiteStore(store_path) as store:
        source = store.batch() if as_batch else store
        writers[fmt](source, out)
    size = sum(p.stat().st_size for p in out.iterdir()) if out.is_dir() else out.stat().st_size
    print(json.dumps({
        "store": store_path, "format": fmt, "batch": as_batch,
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "bytes": size,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
