"""kg speed and scale benchmark: one table, every figure measured in this run on this machine.

    python benchmarks/run.py                       # 1k, 10k and 100k papers (writes results.md)
    python benchmarks/run.py --quick               # 1k only (writes benchmarks/out/results.md)
    python benchmarks/run.py --sizes 1000,10000 --workers 2
    python benchmarks/run.py --profile 10000       # pyinstrument profile of `kg build` on 10k

What is measured (see benchmarks/README.md for the details):

* extraction, in this process, on the same papers (title and abstract of each): spaCy's blank
  English tokenizer alone (the floor cost of reading the text), kg's extractor on one process and
  with ``--workers N`` (spaCy ``n_process``; start-up of the workers included), and YAKE keyphrase
  extraction (a peer a user might pick instead) on a sample;
* ``kg build`` of each corpus size in a fresh store, as a subprocess: wall time and peak memory;
* ``kg related``: the related-paper index loaded once, then 1,000 ``neighbours`` queries timed one
  by one (p50, p95), plus one cold ``kg related`` CLI call (interpreter start-up included); and
  for 200 of those papers, the share of the exact top 10 (``ranking``: the same scorer over every
  paper) that the neighbours hold, the quality the bounded candidates cost;
* ``kg export graphml`` of each store, as a subprocess: wall time and peak memory;
* growth from the smallest to the largest size: (ratio of the figures) / (ratio of the sizes);
  1.0 is linear growth;
* the Neo4j loader's throughput when ``NEO4J_URI`` is set (skipped with the reason otherwise).

Corpora come from ``benchmarks/generate.py`` (written to ``benchmarks/data/``, git-ignored);
stores, exports and logs go to ``benchmarks/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
OUT = HERE / "out"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import generate  # noqa: E402  (benchmarks/generate.py, next to this file)

DEFAULT_SIZES = (1000, 10_000, 100_000)
TARGET_PER_CORE = 3000.0


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- machine -------------------------------------------------------------------------------------
def machine_info() -> dict[str, str]:
    """nproc, CPU model, memory, versions and the kg commit the figures belong to."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        import spacy

        spacy_version = spacy.__version__
    except ImportError:  # pragma: no cover
        spacy_version = "not installed"
    try:
        import yake  # noqa: F401
        from importlib.metadata import version

        yake_version = version("yake")
    except Exception:
        yake_version = "not installed"
    commit = _git("rev-parse", "--short", "HEAD")
    if _git("status", "--porcelain", "--untracked-files=no", "--", "kg"):
        commit += " (kg/ has uncommitted changes)"
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                     else os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "spacy": spacy_version,
        "yake": yake_version,
        "kg commit": commit,
    }


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


# -- corpora -------------------------------------------------------------------------------------
def corpus(size: int, seed: int) -> Path:
    """The generated corpus of ``size`` papers (generated on first use)."""
    path = DATA / (f"corpus-{size}.jsonl" if seed == generate.DEFAULT_SEED
                   else f"corpus-{size}-seed{seed}.jsonl")
    if not path.exists():
        log(f"generating {path.relative_to(REPO)}")
        generate.main([str(size), "-o", str(path), "--seed", str(seed)])
    return path


# -- subprocesses with wall time and peak memory -------------------------------------------------
@dataclass
class Measured:
    """A finished subprocess: wall time, peak memory, exit status."""

    wall: float
    cpu: float                # user + system CPU seconds of the process and its children
    sampler_cpu: float        # CPU seconds the memory sampler (this process) spent meanwhile
    maxrss_mb: float          # largest single process of the tree (kernel's ru_maxrss)
    tree_peak_mb: float       # largest sampled sum of RSS over the process and its children
    tree_pss_mb: float        # largest sampled sum of PSS over the same processes
    returncode: int
    log: Path
    main_maxrss_mb: float | None = None  # the command's own process (kernel's ru_maxrss), if known

    @property
    def peak_mb(self) -> float:
        """Peak memory: the measured command's process (kernel's count) or the whole tree,
        whichever is more. The tree is summed as PSS: forked children share their parent's
        pages, which a sum of RSS counts once in every process, and which a forked child's
        ru_maxrss counts as its own (so the largest process's ru_maxrss is only used when the
        command's own is not known)."""
        own = self.maxrss_mb if self.main_maxrss_mb is None else self.main_maxrss_mb
        return max(own, self.tree_pss_mb)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure(self) -> str:
        lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if ln.strip()]
        return f"failed (exit {self.returncode}: {lines[-1][:120] if lines else 'no output'})"


def rss_kb(pid: int) -> int:
    """Resident set size of a process in kB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return 0


def pss_kb(pid: int) -> int:
    """Proportional set size in kB: a page shared by k processes counts 1/k in each (forked
    children share their parent's pages, which RSS counts once per process)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _children(pid: int) -> list[int] | None:
    """Child processes of ``pid`` from ``/proc/PID/task/*/children`` (None where the kernel has
    no such file): a few small reads instead of one per process on the machine."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    out: list[int] = []
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(c) for c in fh.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended
            return None
        except (OSError, ValueError):
            continue
    return out


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (root first)."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        children = _children(pid)
        if children is None:
            return _process_tree_scan(root)
        out.append(pid)
        todo.extend(children)
    return out


def _process_tree_scan(root: int) -> list[int]:
    """:func:`process_tree` from the parent of every process in ``/proc`` (kernels without
    ``children`` files)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, ()))
    return out


# The kernel's ru_maxrss of a process counts its life before exec too: a child forked from this
# (large) benchmark process would report at least our own RSS. So a small launcher is started
# first; it forks the measured command from its own small image, waits for it and writes the
# command's true ru_maxrss (and its children's, the largest) to a file.
_LAUNCHER = """\
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_measured(cmd: Sequence[str], name: str, env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd``; wall time, kernel peak RSS (``wait4``) and a sampled peak of the process tree."""
    OUT.mkdir(parents=True, exist_ok=True)
    log_path = OUT / f"{name}.log"
    rss_path = OUT / f"{name}.maxrss"
    peak = [0, 0]  # sum of RSS, sum of PSS
    done = threading.Event()
    with log_path.open("wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(rss_path), *cmd],
                                stdout=fh, stderr=subprocess.STDOUT, cwd=REPO,
                                env={**os.environ, **(env or {})})

        def sample() -> None:
            # The sampler shares the machine with the build, so it must stay cheap: RSS every
            # 250 ms, PSS (which walks every page table of the tree: ~7 ms per GB here) every
            # second; a 100k build's memory changes over seconds, not milliseconds.
            rounds = 0
            while not done.is_set():
                # the launcher itself (the tree's root) is not part of the measured command
                tree = process_tree(proc.pid)[1:]
                peak[0] = max(peak[0], sum(rss_kb(p) for p in tree))
                if rounds % 4 == 0:
                    peak[1] = max(peak[1], sum(pss_kb(p) for p in tree))
                rounds += 1
                done.wait(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        cpu0 = time.process_time()
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        sampler_cpu = time.process_time() - cpu0
        proc.returncode = os.waitstatus_to_exitcode(status)
    try:
        maxrss_kb = int(rss_path.read_text())
    except (OSError, ValueError):
        maxrss_kb = 0
    rss_path.unlink(missing_ok=True)
    main_kb = [int(line.split()[1]) for line in log_path.read_text(errors="replace").splitlines()
               if line.startswith(MAXRSS_PREFIX)]
    return Measured(wall=wall, cpu=usage.ru_utime + usage.ru_stime, sampler_cpu=sampler_cpu,
                    maxrss_mb=maxrss_kb / 1024,
                    tree_peak_mb=peak[0] / 1024, tree_pss_mb=peak[1] / 1024,
                    returncode=proc.returncode, log=log_path,
                    main_maxrss_mb=main_kb[-1] / 1024 if main_kb else None)


def kg_cmd(*args: str) -> list[str]:
    """``kg ARGS`` with this interpreter (so the figures belong to this environment)."""
    return [sys.executable, "-m", "kg.cli", *args]


STAGE_PREFIX = "STAGE "
MAXRSS_PREFIX = "MAXRSS_SELF_KB "  # a child build's own peak RSS (not its children's)


def child_build(corpus_path: str, db: str, workers: int) -> int:
    """``kg build`` in this process (what the CLI's build does), logging each stage's span.

    Stages are the ones the library reports through its progress callback (read, extract,
    write papers, canonicalize, related index, related, write index); for each, the wall and
    CPU time from the build's start at its first and last report are printed on stdout as
    ``STAGE name wall0 wall1 cpu0 cpu1 workers``, then the whole build as ``total``. Time
    between two stages (imports, opening the store) belongs to none of them. ``workers`` is the
    CPU time of the worker processes reaped from the stage's start to the next stage's start
    (a stage's workers are reaped when its work ends, before the next stage reports).
    """
    from kg import pipeline
    from kg.store.sqlite import SQLiteStore

    wall0, cpu0 = time.perf_counter(), time.process_time()
    spans: dict[str, list[float]] = {}
    order: list[str] = []

    import resource

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    workers_at: dict[str, float] = {}  # the worker processes' CPU when each stage starts

    def progress(stage: str, done: int, total: int) -> None:
        now = [time.perf_counter() - wall0, time.process_time() - cpu0]
        if stage not in spans:
            spans[stage] = now + now
            order.append(stage)
            workers_at[stage] = children_cpu()
            # the process's peak RSS so far, when each stage starts (stderr: not parsed)
            print(f"peak RSS at start of {stage}: "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB",
                  file=sys.stderr, flush=True)
        spans[stage][2:] = now

    with SQLiteStore(db) as store:
        pipeline.build([corpus_path], store, workers=workers, progress=progress)
    end = [time.perf_counter() - wall0, time.process_time() - cpu0]
    print(f"peak RSS at the end: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f}"
          " MB", file=sys.stderr, flush=True)
    marks = [workers_at[stage] for stage in order] + [children_cpu()]
    for i, stage in enumerate(order):
        w0, c0, w1, c1 = spans[stage]
        print(f"{STAGE_PREFIX}{stage.replace(' ', '_')} {w0:.3f} {w1:.3f} {c0:.3f} {c1:.3f}"
              f" {marks[i + 1] - marks[i]:.3f}")
    print(f"{STAGE_PREFIX}total 0 {end[0]:.3f} 0 {end[1]:.3f} {marks[-1] - marks[0]:.3f}")
    print(f"{MAXRSS_PREFIX}{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
    return 0


def stage_times(log_path: Path) -> list[tuple[str, float, float, float]]:
    """(stage, wall seconds, CPU seconds of the main process, CPU seconds of its worker
    processes) from a child build's log."""
    out = []
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith(STAGE_PREFIX):
            name, w0, w1, c0, c1, workers = line[len(STAGE_PREFIX):].split()
            out.append((name.replace("_", " "), float(w1) - float(w0), float(c1) - float(c0),
                        float(workers)))
    return out


# -- extraction ----------------------------------------------------------------------------------
def _rate(n: int, fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Items per second of wall time and of this process's CPU time (medians of ``repeat`` runs).

    The CPU-time rate is the one to compare across runs on a busy machine: other processes
    stretch wall time but not the CPU time this process gets.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return n / statistics.median(walls), n / max(statistics.median(cpus), 1e-9)


def tokenizer_rate(texts: Sequence[str], repeat: int) -> tuple[float, float]:
    """Texts per second of spaCy's blank English tokenizer (wall, CPU time; :func:`_rate`),
    after a warm-up: the floor cost of reading the text, and the machine's speed probe."""
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    list(tokenizer.pipe(texts[:200]))
    return _rate(len(texts), lambda: [None for _ in tokenizer.pipe(texts, batch_size=1000)],
                 repeat)


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def parallel_probe(workers: int, n: int = 4_000_000, repeat: int = 3) -> float:
    """The machine's own speedup with ``workers`` processes: wall time of ``workers`` units of a
    pure-Python loop (no memory traffic, no I/O) in one process over the same units in
    ``workers`` forked processes (median of ``repeat``). On a virtual machine whose vCPUs share
    physical cores at times this moves between runs, and no program can beat it."""
    import multiprocessing

    ratios = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(workers):
            _spin(n)
        one = time.perf_counter() - start
        start = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.map(_spin, [n] * workers)
        ratios.append(one / (time.perf_counter() - start))
    return statistics.median(ratios)


def bench_extraction(papers: list, workers: int, repeat: int, yake_n: int) -> dict[str, float]:
    """Abstracts per second of the blank tokenizer, kg (1 and N processes) and YAKE."""
    from kg.extract import get_extractor

    n = len(papers)
    # kg reads each paper as one document, title and abstract separated by a blank line
    texts = [f"{p.title}\n\n{p.abstract}" for p in papers]
    res: dict[str, float] = {"n": n, "workers": workers, "repeat": repeat}

    log(f"extraction: blank tokenizer on {n} papers x{repeat}")
    res["blank"], res["blank_cpu"] = tokenizer_rate(texts, repeat)  # warm-up included, as below

    extractor = get_extractor(())
    list(extractor.extract_many(papers[:200]))  # pipeline construction and caches, not timed
    log(f"extraction: kg, 1 process, {n} papers x{repeat}")
    res["kg1"], res["kg1_cpu"] = _rate(
        n, lambda: list(extractor.extract_many(papers, workers=1)), repeat)
    if workers > 1:
        log(f"extraction: kg, --workers {workers}, {n} papers x{repeat}")
        res["machineN"] = parallel_probe(workers)
        res["kgN"], _ = _rate(
            n, lambda: list(extractor.extract_many(papers, workers=workers)), repeat)
        res["machineN_after"] = parallel_probe(workers)
    try:
        import yake
    except ImportError:
        log("YAKE not installed (pip install yake) — peer comparison skipped")
        return res
    sample = [f"{p.title}. {p.abstract}" for p in papers[:yake_n]]
    kw = yake.KeywordExtractor()  # its defaults: n=3, top=20, dedup 0.9
    kw.extract_keywords(sample[0])
    log(f"extraction: YAKE on {len(sample)} papers")
    res["yake"], res["yake_cpu"] = _rate(
        len(sample), lambda: [kw.extract_keywords(t) for t in sample], 1)
    res["yake_n"] = len(sample)
    return res


# -- related -------------------------------------------------------------------------------------
RECALL_QUERIES = 200


def bench_related(db: Path, queries: int, seed: int) -> dict[str, float]:
    """Load the stored related index once, then time ``queries`` neighbour queries one by one;
    then, for the first ``RECALL_QUERIES`` of them, compare the neighbours with the exact
    ranking."""
    from kg import pipeline
    from kg.store.sqlite import SQLiteStore

    with SQLiteStore(db) as store:
        start = time.perf_counter()
        index = pipeline.load_related_index(store)
        load = time.perf_counter() - start
        ids = [row[0] for row in store.conn.execute("SELECT id FROM papers ORDER BY id")]
    rng = random.Random(seed)
    picks = [rng.choice(ids) for _ in range(queries)]
    for pid in picks[:20]:  # first-touch costs (lazy structures, caches) are not latency
        index.neighbours(pid, k=10)
    times, cpus = [], []
    for pid in picks:
        start, cpu = time.perf_counter(), time.thread_time()
        index.neighbours(pid, k=10)
        times.append(time.perf_counter() - start)
        cpus.append(time.thread_time() - cpu)
    # what the bounded candidates cost in quality: the share of a paper's exact top 10 (the
    # same scorer over every paper: RelatedIndex.ranking) that its neighbours hold
    sample = list(dict.fromkeys(picks))[:RECALL_QUERIES]
    found = 0
    for pid in sample:
        exact = {hit for hit, _ in index.ranking(pid, 10)}
        hits = {h.paper_id for h in index.neighbours(pid, k=10)}
        found += len(exact & hits) / max(1, len(exact))
    return {
        "recall": found / max(1, len(sample)),
        "recall_n": len(sample),
        "exact_path": not index._pruned(),
        "load": load,
        "p50": _percentile(times, 50) * 1000,
        "p95": _percentile(times, 95) * 1000,
        "cpu_p50": _percentile(cpus, 50) * 1000,
        "cpu_p95": _percentile(cpus, 95) * 1000,
        "n": len(times),
        "cold_id": picks[0],
    }


def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: every reported figure was measured)."""
    ordered = sorted(values)
    rank = math.ceil(len(ordered) * q / 100)
    return ordered[max(0, min(len(ordered) - 1, rank - 1))]


# -- one size ------------------------------------------------------------------------------------
@dataclass
class SizeResult:
    """The figures for one corpus size."""

    size: int
    build: Measured | None = None
    related: dict[str, float] = field(default_factory=dict)
    cold: Measured | None = None
    export: Measured | None = None
    export_mb: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    neo4j: str = ""
    stages: list[tuple[str, float, float, float]] = field(default_factory=list)
    # the machine's speed just before and just after the build (speed_probe)
    probe: tuple[float, float] = (0.0, 0.0)


_PROBE_TEXTS: list[str] = []


def speed_probe(seed: int) -> float:
    """This machine's speed right now: CPU-time abstracts/s of spaCy's blank tokenizer on the
    1k corpus (median of 3). A virtual machine's per-core speed drifts within minutes; the
    probes taken around each build show how fast the machine was while it ran."""
    from kg.readers import read_papers

    if not _PROBE_TEXTS:
        _PROBE_TEXTS.extend(f"{p.title}\n\n{p.abstract}"
                            for p in read_papers([corpus(1000, seed)]).papers)
    return tokenizer_rate(_PROBE_TEXTS, 3)[1]


def bench_size(size: int, args: argparse.Namespace) -> SizeResult:
    """Build a fresh store from the corpus of ``size``, then query and export it."""
    res = SizeResult(size)
    path = corpus(size, args.seed)
    db = OUT / f"store-{size}.db"
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    before = speed_probe(args.seed)
    log(f"kg build {size} papers (--workers {args.build_workers})")
    res.build = run_measured(
        [sys.executable, str(Path(__file__).resolve()), "--child-build", str(path), str(db),
         str(args.build_workers)],
        f"build-{size}",
    )
    res.probe = (before, speed_probe(args.seed))
    if not res.build.ok:
        log(f"kg build {size}: {res.build.failure()}")
        return res
    res.stages = stage_times(res.build.log)
    log(f"kg build {size}: {res.build.wall:.1f} s wall, {res.build.cpu:.1f} s CPU, "
        f"{res.build.peak_mb:,.0f} MB (sum of RSS {res.build.tree_peak_mb:,.0f} MB); stages: "
        + ", ".join(f"{n} {w:.1f}/{c:.1f}/{k:.1f}" for n, w, c, k in res.stages))
    import sqlite3

    conn = sqlite3.connect(db)
    res.counts = {
        "papers": conn.execute("SELECT count(*) FROM papers").fetchone()[0],
        "entities": conn.execute("SELECT count(*) FROM entities").fetchone()[0],
        "edges": conn.execute("SELECT count(*) FROM edges").fetchone()[0],
    }
    conn.close()
    log(f"kg related: {args.queries} queries on the {size} store")
    res.related = bench_related(db, args.queries, args.seed)
    if args.skip_export:
        res.neo4j = bench_neo4j(db, size)
        return res
    log("kg related: one cold CLI call")
    res.cold = run_measured(
        kg_cmd("related", str(res.related["cold_id"]), "--store", str(db), "--json"),
        f"related-cold-{size}",
    )
    log(f"kg export graphml of the {size} store")
    target = OUT / f"export-{size}.graphml"
    res.export = run_measured(kg_cmd("export", "graphml", str(target), "--store", str(db)),
                              f"export-{size}")
    if res.export.ok and target.exists():
        res.export_mb = target.stat().st_size / 1e6
        if not args.keep:
            target.unlink()
    res.neo4j = bench_neo4j(db, size)
    return res


def bench_neo4j(db: Path, size: int) -> str:
    """Load the store into Neo4j and report rows/s, or say why it was skipped."""
    if not os.environ.get("NEO4J_URI"):
        return "skipped: NEO4J_URI is not set"
    measured = run_measured(kg_cmd("neo4j", "load", "--store", str(db)), f"neo4j-load-{size}")
    if not measured.ok:
        return measured.failure()
    import sqlite3

    conn = sqlite3.connect(db)
    rows = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
               for t in ("papers", "entities", "edges"))
    conn.close()
    return f"{rows / measured.wall:,.0f} rows/s ({rows:,} nodes+edges in {measured.wall:.1f} s)"


# -- table ---------------------------------------------------------------------------------------
def _k(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def _check(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "**no**")


def table(ext: dict[str, float] | None, sizes: list[SizeResult], nproc: int) -> list[str]:
    """The markdown table: figure | value | target | met."""
    rows: list[tuple[str, str, str, bool | None]] = []
    if ext:
        n = int(ext["n"])
        rows.append((f"extraction: spaCy blank tokenizer alone (floor), {n:,} papers",
                     f"{ext['blank']:,.0f} abstracts/s (CPU time: {ext['blank_cpu']:,.0f}/s)",
                     "", None))
        rows.append(("extraction: kg, 1 process",
                     f"{ext['kg1']:,.0f} abstracts/s (CPU time: {ext['kg1_cpu']:,.0f}/s)",
                     f"≈ {TARGET_PER_CORE:,.0f}/s per core", ext["kg1_cpu"] >= TARGET_PER_CORE))
        ratio = ext["kg1_cpu"] / ext["blank_cpu"]
        rows.append(("extraction: kg ÷ blank tokenizer (CPU time)",
                     f"{ratio:.1%} (wall: {ext['kg1'] / ext['blank']:.1%})", "≥ 40%",
                     ratio >= 0.40))
        if "kgN" in ext:
            w = int(ext["workers"])
            speedup = ext["kgN"] / ext["kg1"]
            rows.append((f"extraction: kg, --workers {w} (worker start-up included)",
                         f"{ext['kgN']:,.0f} abstracts/s ({speedup:.2f}× 1 process, wall; the "
                         f"machine itself, a pure-Python loop in {w} processes just before / "
                         f"after: {ext['machineN']:.2f}× / {ext['machineN_after']:.2f}× one)",
                         "≥ 1.7× with 2 workers" if w == 2 else "",
                         speedup >= 1.7 if w == 2 else None))
        if "yake" in ext:
            rows.append((f"extraction: YAKE (peer), 1 process, {int(ext['yake_n']):,} papers",
                         f"{ext['yake']:,.0f} abstracts/s (CPU time: {ext['yake_cpu']:,.0f}/s); "
                         f"kg is {ext['kg1_cpu'] / ext['yake_cpu']:.1f}× YAKE", "", None))
    largest = max((s.size for s in sizes), default=0)
    for s in sizes:
        b = s.build
        label = _k(s.size)
        if b is None:
            continue
        if not b.ok:
            rows.append((f"kg build, {label} papers", b.failure(), "", False))
            continue
        big = s.size == 100_000
        rows.append((f"kg build, {label} papers: wall time",
                     f"{b.wall:.1f} s (CPU {b.cpu:.1f} s; the memory sampler beside it: CPU "
                     f"{b.sampler_cpu:.1f} s; the machine's speed, blank tokenizer CPU "
                     f"abstracts/s just before / after: {s.probe[0]:,.0f} / {s.probe[1]:,.0f})",
                     "≤ 120 s" if big else "", b.wall <= 120 if big else None))
        mem = b.peak_mb
        rows.append((f"kg build, {label} papers: peak memory",
                     f"{mem:,.0f} MB (main process "
                     + (f"{b.main_maxrss_mb:,.0f} MB" if b.main_maxrss_mb is not None else "?")
                     + f"; process tree: sum of PSS {b.tree_pss_mb:,.0f} MB; counting shared "
                     f"pages once per process: sum of RSS {b.tree_peak_mb:,.0f} MB, largest "
                     f"process {b.maxrss_mb:,.0f} MB)",
                     "≤ 2 GB" if big else "", mem <= 2048 if big else None))
        rel = s.related
        rows.append((f"kg related, {label} store: p50 / p95 of {int(rel['n']):,} queries",
                     f"{rel['p50']:.2f} / {rel['p95']:.2f} ms (CPU time: {rel['cpu_p50']:.2f} / "
                     f"{rel['cpu_p95']:.2f} ms; index load {rel['load']:.2f} s)",
                     "p95 ≤ 20 ms" if big else "", rel["p95"] <= 20 if big else None))
        how = ("below exact_below every paper is scored, so the edges are the exact top 10"
               if rel["exact_path"] else "the share of a paper's 10 best by the scorer over "
               "every paper that its RELATED_TO edges hold")
        rows.append((f"kg related, {label} store: recall of the exact top 10",
                     f"{rel['recall']:.3f} ({how}; {int(rel['recall_n'])} papers)", "", None))
        if s.cold is not None:
            rows.append((f"kg related, {label} store: one cold CLI call",
                         f"{s.cold.wall:.2f} s (CPU {s.cold.cpu:.2f} s)" if s.cold.ok else s.cold.failure(), "",
                         None if s.cold.ok else False))
        if s.export is not None:
            ex = s.export
            rows.append((f"kg export graphml, {label} store",
                         f"{ex.wall:.1f} s (CPU {ex.cpu:.1f} s), "
                         f"{ex.peak_mb:,.0f} MB peak, "
                         f"{s.export_mb:,.0f} MB file" if ex.ok else ex.failure(),
                         "≤ 60 s" if big else "", (ex.wall <= 60 if ex.ok else False) if big
                         else (None if ex.ok else False)))
        if s.size == largest:
            rows.append((f"Neo4j loader, {label} store", s.neo4j, "", None))
    good = [s for s in sizes if s.build is not None and s.build.ok]
    if len(good) >= 2:
        lo, hi = good[0], good[-1]
        span = f"{_k(lo.size)}→{_k(hi.size)}"
        size_ratio = hi.size / lo.size

        def growth(name: str, a: float, b: float, linear: bool = True) -> None:
            g = (b / a) / size_ratio if a > 0 else float("inf")
            rows.append((f"growth {span}: {name}", f"{g:.2f}",
                         "near-linear (≈ 1)" if linear else "", (g <= 1.3) if linear else None))

        growth("kg build wall time", lo.build.wall, hi.build.wall)
        growth("kg build peak memory", lo.build.peak_mb, hi.build.peak_mb, linear=False)
        growth("kg related p95", lo.related["p95"], hi.related["p95"], linear=False)
        if lo.export and hi.export and lo.export.ok and hi.export.ok:
            growth("kg export graphml time", lo.export.wall, hi.export.wall)
    lines = ["| figure | value | target | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {_check(d)} |" for a, b, c, d in rows]
    staged = [s for s in sizes if s.stages]
    if staged:
        names: list[str] = []
        for s in staged:
            names += [n for n, *_ in s.stages if n not in names]
        lines += ["", "`kg build` stages, wall seconds / CPU seconds of the main process / CPU "
                  "seconds of its worker processes (the build is CPU-bound where the two CPU "
                  "figures add up to about twice the wall time):", "",
                  "| stage | " + " | ".join(_k(s.size) for s in staged) + " |",
                  "|---|" + "---|" * len(staged)]
        for name in names:
            cells = []
            for s in staged:
                found = [(w, c, k) for n, w, c, k in s.stages if n == name]
                cells.append(f"{found[0][0]:.1f} / {found[0][1]:.1f} / {found[0][2]:.1f}"
                             if found else "")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if sizes and any(s.counts for s in sizes):
        lines.append("")
        lines.append("Stores built: " + "; ".join(
            f"{_k(s.size)}: {s.counts['papers']:,} papers, {s.counts['entities']:,} concepts, "
            f"{s.counts['edges']:,} edges" for s in sizes if s.counts))
    return lines


# -- profile -------------------------------------------------------------------------------------
def profile(size: int, args: argparse.Namespace) -> None:
    """pyinstrument profile of ``kg build`` on ``size`` papers (text, in benchmarks/out)."""
    path = corpus(size, args.seed)
    db = OUT / f"profile-{size}.db"
    db.unlink(missing_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    for renderer, ext in (("text", "txt"),):
        out = OUT / f"profile-build-{size}.{ext}"
        db.unlink(missing_ok=True)
        log(f"pyinstrument: kg build {size} -> {out.relative_to(REPO)}")
        subprocess.run(
            [sys.executable, "-m", "pyinstrument", "-r", renderer, "-o", str(out),
             "-m", "kg.cli", "build",
             str(path), "--store", str(db), "--quiet", "--backend", "sqlite",
             "--workers", str(args.build_workers)],
            cwd=REPO, check=True,
        )
    print((OUT / f"profile-build-{size}.txt").read_text())


# -- main ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (and write it to results.md)."""
    argv = sys.argv[1:] if argv is None else argv
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="corpus sizes, comma-separated (default 1000,10000,100000; '' for none)")
    parser.add_argument("--quick", action="store_true", help="1k papers only (a smoke run)")
    parser.add_argument("--workers", type=int, default=2,
                        help="extraction processes for the multi-process figure (default 2)")
    parser.add_argument("--build-workers", type=int, default=1,
                        help="--workers passed to `kg build` (default 1)")
    parser.add_argument("--extract-papers", type=int, default=10_000,
                        help="papers in the extraction figures (default 10000)")
    parser.add_argument("--yake-papers", type=int, default=1000,
                        help="papers in the YAKE figure (default 1000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs per extraction figure; the median is reported")
    parser.add_argument("--queries", type=int, default=1000, help="kg related queries per store")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--skip-extraction", action="store_true",
                        help="skip the in-process extraction figures (builds still extract)")
    parser.add_argument("--skip-export", action="store_true",
                        help="skip the cold `kg related` call and `kg export graphml`")
    parser.add_argument("--child-build", nargs=3, metavar=("CORPUS", "DB", "WORKERS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the GraphML exports")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="instead of the benchmark: profile `kg build` of N papers")
    parser.add_argument("-o", "--output", type=Path,
                        help="results file (default benchmarks/results.md; "
                        "benchmarks/out/results.md with --quick)")
    args = parser.parse_args(argv)
    if args.child_build:
        corpus_path, db, workers = args.child_build
        return child_build(corpus_path, db, int(workers))
    if args.profile:
        profile(args.profile, args)
        return 0
    sizes = [1000] if args.quick else sorted(int(s) for s in args.sizes.split(",") if s.strip())
    if args.quick:
        args.extract_papers = min(args.extract_papers, 1000)
        args.yake_papers = min(args.yake_papers, 200)
    info = machine_info()
    info["load average at start"] = "%.2f %.2f %.2f" % os.getloadavg()
    log("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))

    ext = None
    if not args.skip_extraction:
        from kg.readers import read_papers

        source = corpus(args.extract_papers, args.seed)
        papers = read_papers([source]).papers[: args.extract_papers]
        ext = bench_extraction(papers, args.workers, args.repeat, args.yake_papers)
    results = [bench_size(size, args) for size in sizes]

    info["load average at end"] = "%.2f %.2f %.2f" % os.getloadavg()
    command = "python benchmarks/run.py" + ("" if not argv else " " + " ".join(argv))
    lines = table(ext, results, nproc or 1)
    print("\n".join(lines))
    output = args.output or (OUT / "results.md" if args.quick else HERE / "results.md")
    output.parent.mkdir(parents=True, exist_ok=True)
    doc = [
        "# kg benchmark results", "",
        f"Command: `{command}` (`kg build --workers {args.build_workers}`)", "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in info.items()), "",
        *lines, "",
        "How each figure is measured: see benchmarks/README.md. Peak memory is the larger of the "
        "kernel's peak RSS of the main process and the sampled sum of PSS over the process "
        "tree (every second). Forked workers share their parent's pages: the sum of RSS and the "
        "largest process's peak RSS, also shown, count those pages once per process.",
        "",
    ]
    output.write_text("\n".join(doc), encoding="utf-8")
    log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
