"""Ordered maps over forked worker processes, for the stages that read large in-memory state.

Extraction (the loaded spaCy pipeline) and the related-paper index (its matrices) hand work to
child processes the same way: the children are forked, so they inherit the state page for page
(copy-on-write; it is only read) and only the tasks and their results are pickled.

Example:
    >>> from kg.parallel import fork_map
    >>> offset = 10  # a closure: the children see this process's objects
    >>> list(fork_map(lambda x: x + offset, range(4), workers=2))
    [10, 11, 12, 13]
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from kg.errors import KGError

FORK_FROM = 5_000
"""Papers below which the stages run in-process: starting workers costs more than they save."""

_FUNC: list[Callable[[Any], Any]] = []  # what the forked children run (set before the fork)


def _call(task: Any) -> Any:
    return _FUNC[-1](task)


def can_fork() -> bool:
    """Whether this platform starts processes by fork (Linux, macOS; not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def fork_map(func: Callable[[Any], Any], tasks: Iterable[Any], workers: int) -> Iterator[Any]:
    """``func(task)`` of every task, in task order: in ``workers`` forked child processes when
    there are several (and the platform forks), else in this process.

    The children are forked when the first task is submitted, so ``func`` may be a closure over
    anything this process holds then; only the tasks and the results travel through pipes.
    At most ``2 * workers + 1`` tasks are in flight: a long stream of tasks is read lazily
    while the children work, and never held at once.

    Before the fork, the objects alive are frozen out of the garbage collector: a child's
    collection would otherwise write to (and so copy) every page of the parent's Python
    objects. They are not thawed after (that would also thaw what others froze, such as the
    extractor's pipeline); frozen objects are still freed by reference counting, and only
    cyclic garbage among them is never collected.

    Args:
        func: Called with each task (in a child, or here with one worker).
        tasks: Small picklable values (chunks of input, row ranges).
        workers: Processes; 1 runs everything in this process.

    Yields:
        The results, in task order.

    Raises:
        KGError: A worker process died (killed, out of memory).
    """
    if workers <= 1 or not can_fork():
        yield from map(func, tasks)
        return
    executor: ProcessPoolExecutor | None = None
    pending: deque[Future[Any]] = deque()
    try:
        for task in tasks:
            if executor is None:
                _FUNC.append(func)
                gc.freeze()
                executor = ProcessPoolExecutor(
                    max_workers=workers, mp_context=multiprocessing.get_context("fork"))
            pending.append(executor.submit(_call, task))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool:
        raise KGError("a worker process died (killed or out of memory) — run again with "
                      "--workers 1") from None
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
            _FUNC.pop()
