"""The store's memo of answers: bounded by bytes, emptied on every change, and deaf
to an answer that was being computed while it was emptied."""

from __future__ import annotations

from repository.store import Memo


def test_the_memo_keeps_the_recently_used_within_its_bytes():
    memo = Memo(16_000)
    for n in range(16):  # 1,000 bytes each as counted: full
        memo.put(n, bytes(900), memo.generation)
    assert memo.get(0) is not None  # used: kept
    memo.put(16, bytes(900), memo.generation)
    assert memo.get(1) is None, "the least recently used goes first"
    assert memo.get(0) is not None
    assert memo.bytes <= memo.max_bytes
    memo.put("big", bytes(2_000), memo.generation)
    assert memo.get("big") is None, "a value over a sixteenth of the memo is not kept"


def test_an_answer_computed_across_a_change_is_not_kept():
    memo = Memo(16_000)
    started = memo.generation
    memo.clear()  # the store changed while the answer was being read
    memo.put("GetRecord", b"<old/>", started)
    assert memo.get("GetRecord") is None
    memo.put("GetRecord", b"<new/>", memo.generation)
    assert memo.get("GetRecord") == b"<new/>"
    assert memo.bytes > 0
    memo.clear()
    assert memo.get("GetRecord") is None and memo.bytes == 0


def test_the_memo_counts_what_it_had_and_what_had_to_be_put():
    memo = Memo(16_000)
    assert memo.get("a") is None
    memo.put("a", b"<a/>", memo.generation)  # a miss: asked for, then computed
    assert memo.get("a") == b"<a/>" and memo.get("b") is None  # "b" is never put
    assert (memo.hits, memo.misses) == (1, 1)
    memo.clear()  # emptied, not forgotten: the counts are of the process's life
    assert memo.get("a") is None
    memo.put("a", b"<a/>", memo.generation)
    assert (memo.hits, memo.misses) == (1, 2)
