#!/bin/sh
# copy-tree.sh SOURCE DEST: DEST becomes a copy of the folder SOURCE (a
# host addon's in-DCC folder, copied into the build tree), nothing stale.
set -eu
rm -rf "$2"
cp -R "$1" "$2"
find "$2" -name __pycache__ -prune -exec rm -rf {} +
