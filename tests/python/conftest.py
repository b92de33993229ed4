"""Shared set-up of the Python client's tests.

Run with Debian's interpreter, which has python3-pytest and
python3-websockets 10.4: ``/usr/bin/python3 -m pytest tests/python``
(``meson test --suite python`` does). The package under test is
``python/qi`` of this tree, found relative to this file.
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "python"))
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)


@pytest.fixture
def clean_publish(monkeypatch):
    """Qi's publish engine (python/qi/publish) as it is at import, before
    and after the test: no plugin, path, target, callback or discovery
    filter registered, the host "python" only, the default stop test, no
    PYBLISHPLUGINPATH. Yields the qi.publish module."""
    import qi.publish as publish

    monkeypatch.delenv("PYBLISHPLUGINPATH", raising=False)

    def reset():
        publish.deregister_all_plugins()
        publish.deregister_all_paths()
        publish.deregister_all_hosts()
        publish.register_host("python")
        publish.deregister_all_targets()
        publish.deregister_all_callbacks()
        publish.deregister_all_discovery_filters()
        publish.deregister_test()

    reset()
    yield publish
    reset()
