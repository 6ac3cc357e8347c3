"""The embedded SQLite store: idempotent merges, atomic transactions, clear errors."""

from __future__ import annotations

import sqlite3

import pytest

from kg.errors import StoreError
from kg.graph import sort_batch
from kg.models import Extraction, GraphBatch, Paper
from kg.store.sqlite import SQLiteStore, content_hash


def test_store_sqlite_round_trip(store_path, tiny_batch) -> None:
    with SQLiteStore(store_path) as store:
        store.write_batch(tiny_batch)
    with SQLiteStore(store_path) as store:
        assert store.batch() == sort_batch(tiny_batch)


def test_store_sqlite_write_is_idempotent(store_path, tiny_batch) -> None:
    with SQLiteStore(store_path) as store:
        store.write_batch(tiny_batch)
        store.write_batch(tiny_batch)
        assert store.batch() == sort_batch(tiny_batch)
        assert store.conn.execute("SELECT count(*) FROM edges").fetchone()[0] == 5


def test_store_sqlite_failed_transaction_keeps_previous_content(store_path, tiny_batch) -> None:
    with SQLiteStore(store_path) as store:
        store.write_batch(tiny_batch)
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.replace_graph(GraphBatch())
                store.upsert_papers([Paper(id="paper:new", title="New")], [])
                raise RuntimeError("crash mid-build")
        assert store.batch() == sort_batch(tiny_batch)


def test_store_sqlite_papers_and_extractions(store_path) -> None:
    paper = Paper(id="paper:x", title="X", abstract="abc", authors=("A", "B"))
    with SQLiteStore(store_path) as store:
        with store.transaction():
            store.upsert_papers([paper], [Extraction(paper_id="paper:x")])
        assert store.papers() == [paper]
        assert store.extractions() == {"paper:x": Extraction(paper_id="paper:x")}
        assert store.content_hashes() == {"paper:x": content_hash(paper)}


@pytest.mark.parametrize(
    "paper",
    [
        Paper(id="paper:x", title="X"),
        Paper(id="paper:é", title="Ünïcode “quotes” 🙂", abstract="a\\b \"c\"",
              url="https://x.org/a", arxiv_id="2409.00588", authors=("Zoë A", "B"),
              published="2024-09", source="f:1", links=("https://github.com/a/b",)),
    ],
)
def test_store_sqlite_content_hash_is_the_model_dump_hash(paper: Paper) -> None:
    import hashlib
    import json

    dumped = paper.model_dump(mode="json", exclude={"links", "source"})
    expected = hashlib.sha1(json.dumps(dumped, sort_keys=True).encode("utf-8")).hexdigest()
    assert content_hash(paper) == expected
    # what the hash covers: a changed source or links keep it, a changed abstract does not
    assert content_hash(paper.model_copy(update={"source": "g:2", "links": ()})) == expected
    assert content_hash(paper.model_copy(update={"abstract": "other"})) != expected


def test_store_sqlite_not_a_database(tmp_path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match=r"notes\.db: cannot open the store"):
        SQLiteStore(bad)


def test_store_sqlite_other_schema_version(store_path) -> None:
    SQLiteStore(store_path).close()
    conn = sqlite3.connect(store_path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema version 99 is not 1"):
        SQLiteStore(store_path)


def test_store_sqlite_busy_writer_gets_clear_error(store_path) -> None:
    holder = SQLiteStore(store_path)
    with holder.transaction():
        waiter = SQLiteStore(store_path, timeout=0.1)
        with pytest.raises(StoreError, match="another kg process is writing"):
            with waiter.transaction():
                pass
        waiter.close()
    holder.close()


def test_store_sqlite_paper_and_titles_lookups(store_path, tiny_batch) -> None:
    with SQLiteStore(store_path) as store:
        store.write_batch(tiny_batch)
        assert store.paper("paper:b").title == "Offline RL on D4RL"
        assert store.paper("paper:zzz") is None
        assert store.titles(["paper:a", "paper:c", "paper:zzz"]) == {
            "paper:a": "PPO for robots", "paper:c": 'A <weird> & "title"'}
        assert list(store.titles()) == ["paper:a", "paper:b", "paper:c"]


@pytest.mark.parametrize("as_file", [False, True])
def test_store_sqlite_large_meta_values_are_written_in_chunks(store_path, monkeypatch,
                                                              as_file: bool) -> None:
    import io
    import os

    import kg.store.sqlite as sqlite_store

    monkeypatch.setattr(sqlite_store, "_BLOB_CHUNK", 1000)  # many chunks, one partial
    value = os.urandom(10_500)
    with SQLiteStore(store_path) as store:
        with store.transaction():
            store.set_meta("blob", io.BytesIO(value) if as_file else value)
            store.set_meta("small", b"xy")
            store.set_meta("text", "hello")
        assert store.get_meta("blob") == value
        assert store.get_meta("small") == b"xy"
        assert store.get_meta("text") == "hello"
