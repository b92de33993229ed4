# shellcheck shell=bash
# Installs the Debian packages Qi needs that are missing, with apt-get
# (through sudo when not root). Sourced by tools/run and tools/test.

QI_BUILD_PACKAGES=(
  meson ninja-build pkg-config gcc libc6-dev git gettext
  libglib2.0-dev libjson-glib-dev libsoup-3.0-dev libsqlite3-dev libcrypt-dev libsecret-1-dev nettle-dev
  gobject-introspection libgirepository1.0-dev gir1.2-json-1.0 gir1.2-soup-3.0
  bash-completion python3-dev python-gi-dev python3-gi
  libgtk-3-dev libwebkit2gtk-4.1-dev libayatana-appindicator3-dev
  nodejs npm
)

# What the tests use on top: PyGObject to load the typelib, clang and its
# runtime for the libFuzzer target, pytest and Debian's websockets (an
# independent WebSocket peer for the stdlib Python client), jsonschema
# (the exported JSON Schemas against the 2020-12 meta-schema), and the
# desktop's validators of the .desktop files and AppStream metainfo,
# Chromium for the web UIs' tests (driven by playwright-core, which never
# downloads a browser of its own), and a Secret Service (gnome-keyring on a
# private D-Bus session bus) for the ftrack keyring tests, and Debian's
# Blender, which the Blender host's tests launch for real (with NumPy, which
# its glTF exporter imports and Debian's blender package does not pull in),
# and Slurm with munge, whose one-node cluster on loopback the farm's tests
# start for real (tests/python/slurm_cluster.py).
QI_TEST_PACKAGES=(
  python3 python3-gi clang libclang-rt-14-dev python3-pytest python3-websockets python3-jsonschema
  desktop-file-utils appstream chromium gnome-keyring dbus-daemon blender python3-numpy
  slurm-wlm munge procps
)

# The desktop shell's tests (suite shell) and bench/shell: a virtual
# display and a session bus of their own, and xdotool, which types into
# the native file chooser as a user does.
QI_SHELL_TEST_PACKAGES=(
  xvfb xauth dbus dbus-x11 xdotool
)

qi_install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    # A nodejs that brings its own npm (NodeSource's) conflicts with
    # Debian's npm package: the command is what is needed.
    if [[ $pkg == npm ]] && command -v npm >/dev/null; then
      continue
    fi
    if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  ((${#missing[@]} == 0)) && return 0

  echo "Installing missing Debian packages: ${missing[*]}" >&2
  local sudo=()
  if ((EUID != 0)); then
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Installs the npm workspace's packages (the web UIs' build and tests)
# from package-lock.json with `npm ci`, when node_modules is missing or
# older than the lockfile. Never a browser: playwright-core has none, and
# the variable makes sure nothing fetches one.
qi_npm_ci() {
  # Vite 8 needs Node.js 20.19 or newer; Debian 12's own nodejs is 18.
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
                process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
    echo "The web UIs need Node.js 20.19 or newer; this machine has $(node --version 2>/dev/null || echo none)." >&2
    echo "Install a newer nodejs package (NodeSource's nodejs 20 or 22), or build without the UIs: meson setup -Dui=disabled" >&2
    return 1
  fi
  if [[ -d node_modules && node_modules/.package-lock.json -nt package-lock.json ]]; then
    return 0
  fi
  echo "Installing the npm packages of package-lock.json (npm ci)" >&2
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2
}

# Configures (or reconfigures) a build directory with the given options.
qi_setup() {
  local dir=$1
  shift
  if [[ -f $dir/build.ninja ]]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" --prefix=/usr "$@"
  fi
}
