#!/usr/bin/env python3
"""po/POTFILES.in lists exactly the C files whose strings are marked for
translation: every listed file exists, and every file with _() or N_()
is listed, so no message is left out of the catalog."""
import os
import re
import sys

src = sys.argv[1]
marked = re.compile(rb'\b(N_|_)\s*\("')
listed = []
with open(os.path.join(src, "po", "POTFILES.in"), encoding="utf-8") as f:
    for number, line in enumerate(f, 1):
        line = line.strip()
        if line and not line.startswith("#"):
            listed.append((number, line))

failed = False
for number, path in listed:
    if not os.path.isfile(os.path.join(src, path)):
        print("po/POTFILES.in:%d: %s does not exist" % (number, path))
        failed = True
found = set()
for top in ("libqi", "addons", "plugins", "qi-shell"):
    for root, dirs, files in os.walk(os.path.join(src, top)):
        dirs[:] = [d for d in dirs if d not in ("node_modules", "ui_dist")]
        for name in files:
            if name.endswith(".c"):
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    if marked.search(f.read()):
                        found.add(os.path.relpath(path, src))
for path in sorted(found - {p for _, p in listed}):
    print("po/POTFILES.in: %s marks strings for translation but is not listed" % path)
    failed = True
sys.exit(1 if failed else 0)
