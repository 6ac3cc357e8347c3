"""Time the related-paper stages of a graph refresh on a copy of a built store.

``kg build`` refreshes the whole graph after extraction (canonicalize, related index, related
links, write index); this runs that refresh alone on a copy of a store, so the related stages
can be timed (and their output compared) without extracting again:

    python benchmarks/related_stages.py benchmarks/out/store-10000.db --workers 2 \\
        --dump /tmp/edges-new.tsv

Per stage it prints the wall time, this process's CPU time and its child processes' CPU time
(the related index's worker processes), then the peak resident memory of the process tree
(sampled every 50 ms, PSS every second: this process and its children; the sampler runs in
this process, so its CPU column includes it), as the sum of RSS (a page that forked
children share with this process counts once in each) and as the sum of PSS (a page shared by
k processes counts 1/k in each: the physical memory the tree holds). ``--dump`` writes every edge (source,
target, weight, count, shared; sorted) and, next to it (``.index``), the stored related index,
so two versions of the code can be compared with ``cmp``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

from run import process_tree, pss_kb, rss_kb  # this folder's benchmark script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", help="a store built by `kg build` (it is copied, not changed)")
    parser.add_argument("--workers", type=int, default=1, help="as `kg build --workers`")
    parser.add_argument("--dump", help="write the edges (and the index, to DUMP.index) here")
    args = parser.parse_args()

    from kg import pipeline
    from kg.store.sqlite import SQLiteStore

    marks: list[tuple[str, float, float, float]] = []
    peak = {"bytes": 0, "stage": "start", "pss": 0, "pss_stage": "start"}

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def progress(stage: str, done: int, total: int) -> None:
        if not marks or marks[-1][0] != stage:
            marks.append((stage, time.perf_counter(), time.process_time(), children_cpu()))

    def sample() -> None:
        me = os.getpid()
        rounds = 0
        while True:
            rounds += 1
            tree = process_tree(me)
            stage = marks[-1][0] if marks else "start"
            total = sum(rss_kb(p) for p in tree) * 1024
            if total > peak["bytes"]:
                peak["bytes"], peak["stage"] = total, stage
            # PSS walks every page table of the tree (~7 ms per GB): once a second
            pss = sum(pss_kb(p) for p in tree) * 1024 if rounds % 20 == 1 else 0
            if pss > peak["pss"]:
                peak["pss"], peak["pss_stage"] = pss, stage
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "store.db"
        shutil.copyfile(args.store, work)
        with SQLiteStore(work) as store:
            with store.transaction():
                pipeline.refresh_graph(store, progress=progress, workers=args.workers)
            progress("end", 0, 0)
            if args.dump:
                with open(args.dump, "w", encoding="utf-8") as fh:
                    for row in store.conn.execute(
                            "SELECT source, target, weight, count, shared FROM edges "
                            "ORDER BY source, type, target"):
                        fh.write("\t".join(map(str, row)) + "\n")
                blob = store.get_meta(pipeline.RELATED_INDEX_KEY)
                Path(f"{args.dump}.index").write_bytes(
                    blob if isinstance(blob, bytes) else blob.encode())
    print(f"{'stage':14s} {'wall s':>8s} {'CPU s':>8s} {'children CPU s':>15s}")
    for (stage, w0, c0, k0), (_, w1, c1, k1) in zip(marks, marks[1:]):
        print(f"{stage:14s} {w1 - w0:8.1f} {c1 - c0:8.1f} {k1 - k0:15.1f}")
    print(f"peak memory of the process tree: {peak['bytes'] / 2**20:,.0f} MiB "
          f"(in stage {peak['stage']}) as the sum of RSS, {peak['pss'] / 2**20:,.0f} MiB "
          f"(in stage {peak['pss_stage']}) as the sum of PSS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
