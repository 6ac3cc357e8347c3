"""Tests for kg.parallel: ordered maps over forked worker processes."""

from __future__ import annotations

import math
import os

import pytest

from kg.errors import KGError
from kg.parallel import fork_map


def test_parallel_forked_workers_answer_in_task_order_and_raise_task_errors() -> None:
    base = [10.0, 20.0]  # a closure: forked children see this process's objects

    def shifted(i: int) -> float:
        return base[i % 2] + math.sqrt(i)

    expected = [shifted(i) for i in range(25)]
    # more tasks than may be in flight at once (two per child), from a generator
    assert list(fork_map(shifted, (i for i in range(25)), 2)) == expected
    assert list(fork_map(shifted, range(25), 1)) == expected  # one worker: in this process
    pids = set(fork_map(lambda _: os.getpid(), range(8), 2))
    assert pids and os.getpid() not in pids  # the work ran in the children
    assert set(fork_map(lambda _: os.getpid(), range(3), 1)) == {os.getpid()}
    with pytest.raises(ValueError, match="math domain error"):
        list(fork_map(math.sqrt, [4.0, -1.0, 9.0], 2))


def test_parallel_forked_worker_that_dies_is_a_one_line_error() -> None:
    def die(i: int) -> int:
        if i == 3:
            os._exit(1)
        return i

    with pytest.raises(KGError, match="worker process died"):
        list(fork_map(die, range(8), 2))
