from kg.iterutil import batched


def test_iterutil_batched_keeps_order_and_a_short_last_batch() -> None:
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_iterutil_batched_reads_a_generator_lazily() -> None:
    seen: list[int] = []

    def gen():
        for i in range(10):
            seen.append(i)
            yield i

    first = next(batched(gen(), 4))
    assert first == [0, 1, 2, 3]
    assert seen == [0, 1, 2, 3]
    assert list(batched([], 4)) == []
