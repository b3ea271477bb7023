"""The process-memory cache stays within its budget and never forgets a namespace's version."""
from app.core.cache import Cache, MemoryStore


def test_memory_store_drops_least_recently_used_entries_beyond_its_size_budget():
    store = MemoryStore(max_items=100, max_bytes=1000)
    store.set("a", "x" * 400, 60)
    store.set("b", "y" * 400, 60)
    assert store.get("a")            # now the most recently used
    store.set("c", "z" * 400, 60)    # over budget: "b" goes
    assert store.get("b") is None and store.get("a") and store.get("c")
    assert store.size <= 1000
    store.set("huge", "w" * 5000, 60)   # larger than the whole budget: not kept, nothing evicted
    assert store.get("huge") is None and store.get("a")


def test_memory_store_counts_entries_too():
    store = MemoryStore(max_items=3, max_bytes=10**6)
    for key in "abcd":
        store.set(key, {"value": key}, 60)
    assert store.get("a") is None and [store.get(k)["value"] for k in "bcd"] == ["b", "c", "d"]


def test_a_bump_survives_eviction_so_stale_values_never_come_back():
    cache = Cache(MemoryStore(max_items=2, max_bytes=10**6), "t:")
    assert cache.get_or_compute("ns", "k", lambda: 1) == 1
    cache.bump("ns")
    for i in range(10):                         # push everything else out
        cache.get_or_compute("other", str(i), lambda: i)
    assert cache.get_or_compute("ns", "k", lambda: 2) == 2


def test_kept_content_versions_stay_within_their_size_budget():
    from app.core.cache import Immutables

    kept = Immutables(max_items=100, max_bytes=3000)
    loads = []
    for n in range(5):
        kept.get(("v", n), lambda n=n: loads.append(n) or {"text": "x" * 1000})
    assert kept.size <= 3000 and len(kept.items) == 2          # the oldest went first
    assert kept.peek(("v", 4)) is not None and kept.peek(("v", 0)) is None
    kept.get(("v", 4), lambda: loads.append("again"))
    assert "again" not in loads                                # kept: not loaded twice
    assert kept.get(("huge",), lambda: {"text": "y" * 5000}) == {"text": "y" * 5000}   # served, never kept
    assert kept.peek(("huge",)) is None and kept.size <= 3000
