#!/bin/sh
# Runs a command (the desktop shell's tests, bench/shell) with a display
# and a session bus of its own: a fresh Xvfb (-a: a free display number)
# and a dbus-daemon that ends with the command. tools/test runs as root
# with neither.
set -e
# No accessibility bus if GTK can help it.
export NO_AT_BRIDGE=1 GTK_A11Y=none
# The command's stdout (TAP, figures) is this script's; whatever the bus
# daemon and the services it starts print goes to stderr.
exec 3>&1
exec xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" \
  dbus-run-session -- sh -c 'exec "$@" >&3 3>&-' sh "$@" >&2
