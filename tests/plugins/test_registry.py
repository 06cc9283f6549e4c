"""The registry: valid plugins only, loaded lazily, and never seen half-built by a concurrent reader."""

import threading

from plugins.registry import PluginRegistry, registry

from .conftest import good_plugin_source


def test_registry_loads_lazily_and_holds_only_valid_plugins(plugin_folder):
    plugin_folder.write("good.py", good_plugin_source())
    plugin_folder.write("bad.py", good_plugin_source("not-semver"))
    fresh = PluginRegistry()

    assert fresh.get(plugin_folder.key("good", "GoodPlugin")).name == "Good"
    assert fresh.get(plugin_folder.key("bad", "GoodPlugin")) is None
    assert plugin_folder.key("bad", "GoodPlugin") in {item.key for item in fresh.scanned()}
    assert fresh.get("no.such:Plugin") is None


def test_all_is_a_read_only_snapshot(plugin_folder):
    plugin_folder.write("good.py", good_plugin_source())
    snapshot = registry.all()

    try:
        snapshot["x"] = None
    except TypeError:
        pass
    else:
        raise AssertionError("the registry snapshot must not be writable")
    assert plugin_folder.key("good", "GoodPlugin") in snapshot


def test_concurrent_readers_never_see_a_half_built_registry_during_rescans(plugin_folder):
    names = [f"plugin_{i}" for i in range(8)]
    for name in names:
        plugin_folder.write(f"{name}.py", good_plugin_source())
    keys = {plugin_folder.key(name, "GoodPlugin") for name in names}
    registry.rescan()
    stop = threading.Event()
    problems = []

    def read():
        while not stop.is_set():
            seen = set(registry.all()) & keys
            if seen != keys:
                problems.append(f"snapshot held {len(seen)} of {len(keys)} plugins")
            if any(registry.get(key) is None for key in keys):
                problems.append("get() returned None for a valid plugin")
            stop.wait(0.0005)  # let the rescanning thread run instead of starving it of the GIL

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for _ in range(10):
            registry.rescan()
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)

    assert problems == []


def test_lazy_first_load_happens_once_under_concurrency(plugin_folder, monkeypatch):
    plugin_folder.write("good.py", good_plugin_source())
    fresh = PluginRegistry()
    scans = []
    original = fresh.rescan
    monkeypatch.setattr(fresh, "rescan", lambda: scans.append(1) or original())
    start = threading.Barrier(6, timeout=30)
    results = []

    def first_lookup():
        start.wait()
        results.append(fresh.get(plugin_folder.key("good", "GoodPlugin")))

    threads = [threading.Thread(target=first_lookup) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(scans) == 1
    assert all(result is not None for result in results)
