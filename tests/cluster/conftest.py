"""The cluster tests (issue 19) run the engines in their clustered modes on loopback and
kill them: minutes each, so only when asked (`pytest -m cluster`), never in `make test`."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "cluster: kills clustered engines on loopback (scripts/cluster/); run "
                   "with `pytest -m cluster`, not part of `make test`")


def pytest_collection_modifyitems(config, items):
    if "cluster" in (config.getoption("markexpr") or ""):
        return
    chosen = [item for item in items if item.get_closest_marker("cluster") is None]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen
