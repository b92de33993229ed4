"""Shared set-up of the Python client's tests.

Run with Debian's interpreter, which has python3-pytest and
python3-websockets 10.4: ``/usr/bin/python3 -m pytest tests/python``
(``meson test --suite python`` does). The package under test is
``python/qi`` of this tree, found relative to this file.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "python"))
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)
