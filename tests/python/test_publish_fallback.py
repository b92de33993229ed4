"""Which pyblish ``import pyblish`` gives: Qi's fallback
(python/qi_fallback/pyblish, appended to the end of sys.path by
qi.publish.install_fallback) where there is no other, a studio's own where
it comes earlier on the path. Each test starts and ends with no pyblish
module imported and sys.path as it was."""
import importlib
import importlib.util
import os
import sys

import pytest

import qi.publish
from qi.publish import FALLBACK_DIR, install_fallback, step


def forget_pyblish():
    for name in [name for name in sys.modules if name == "pyblish" or name.startswith("pyblish.")]:
        del sys.modules[name]
    importlib.invalidate_caches()


@pytest.fixture(autouse=True)
def clean_path():
    saved = list(sys.path)
    sys.path[:] = [path for path in sys.path if path != FALLBACK_DIR]
    forget_pyblish()
    if importlib.util.find_spec("pyblish") is not None:
        pytest.skip("a pyblish is installed on this machine: {}".format(importlib.util.find_spec("pyblish").origin))
    yield
    sys.path[:] = saved
    forget_pyblish()


@pytest.fixture
def studio_pyblish(tmp_path):
    """A studio's pyblish package, in a folder put first on sys.path."""
    package = tmp_path / "pyblish"
    package.mkdir()
    (package / "__init__.py").write_text('__version__ = "1.8.12"\nSTUDIO = True\n')
    (package / "api.py").write_text("STUDIO = True\n\nclass Context(list):\n    pass\n")
    sys.path.insert(0, str(tmp_path))
    return package


def test_without_pyblish_the_fallback_is_appended_and_imported():
    assert os.path.isfile(os.path.join(FALLBACK_DIR, "pyblish", "__init__.py"))
    assert install_fallback() == "qi"
    assert sys.path[-1] == FALLBACK_DIR
    assert install_fallback() == "qi"
    assert sys.path.count(FALLBACK_DIR) == 1

    import pyblish
    import pyblish.api
    import pyblish.logic
    import pyblish.plugin
    import pyblish.util

    assert os.path.dirname(pyblish.__file__) == os.path.join(FALLBACK_DIR, "pyblish")
    assert pyblish.__version__ == pyblish.version == pyblish.api.__version__ == qi.publish.__version__
    assert pyblish.api.version_info == qi.publish.version_info
    assert pyblish.api.Context is qi.publish.Context and pyblish.api.InstancePlugin is qi.publish.InstancePlugin
    assert pyblish.api.register_plugin is qi.publish.register_plugin
    assert pyblish.util.publish is qi.publish.publish and pyblish.util.collect is qi.publish.collect
    assert pyblish.plugin.process is step.process and pyblish.plugin.discover is qi.publish.discover
    assert pyblish.plugin.Plugin is qi.publish.Plugin
    assert pyblish.logic.Iterator is qi.publish.Iterator
    assert pyblish.logic.plugins_by_family is qi.publish.plugins_by_family
    assert set(qi.publish.api.__all__) <= set(dir(pyblish.api))
    # Once imported, the answer comes from the imported module.
    assert install_fallback() == "qi"


def test_a_studio_pyblish_earlier_on_the_path_wins(studio_pyblish):
    assert install_fallback() == "studio"
    assert FALLBACK_DIR not in sys.path

    import pyblish.api

    assert pyblish.STUDIO is True and pyblish.api.STUDIO is True
    assert os.path.dirname(pyblish.__file__) == str(studio_pyblish)
    assert pyblish.api.Context is not qi.publish.Context
    assert install_fallback() == "studio"


def test_a_studio_pyblish_wins_over_a_fallback_already_on_the_path(tmp_path):
    assert install_fallback() == "qi"
    import pyblish.api

    assert pyblish.api.Context is qi.publish.Context
    forget_pyblish()

    package = tmp_path / "pyblish"
    package.mkdir()
    (package / "__init__.py").write_text("STUDIO = True\n")
    sys.path.insert(0, str(tmp_path))
    assert install_fallback() == "studio"
    assert sys.path.count(FALLBACK_DIR) == 1

    import pyblish

    assert pyblish.STUDIO is True
