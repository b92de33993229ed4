# shellcheck shell=bash
# Installs the Debian packages Qi needs that are missing, with apt-get
# (through sudo when not root). Sourced by tools/run and tools/test.

QI_BUILD_PACKAGES=(
  meson ninja-build pkg-config gcc libc6-dev git gettext
  libglib2.0-dev libjson-glib-dev libsoup-3.0-dev libjwt-dev libsqlite3-dev libcrypt-dev libsecret-1-dev
  gobject-introspection libgirepository1.0-dev gir1.2-json-1.0 gir1.2-soup-3.0
  bash-completion python3-dev python-gi-dev python3-gi
)

# What the tests use on top: PyGObject to load the typelib, clang and its
# runtime for the libFuzzer target, pytest and Debian's websockets (an
# independent WebSocket peer for the stdlib Python client), jsonschema
# (the exported JSON Schemas against the 2020-12 meta-schema), and the
# desktop's validators of the .desktop files and AppStream metainfo, and a
# Secret Service (gnome-keyring on a private D-Bus session bus) for the
# ftrack keyring tests.
QI_TEST_PACKAGES=(
  python3 python3-gi clang libclang-rt-14-dev python3-pytest python3-websockets python3-jsonschema
  desktop-file-utils appstream gnome-keyring dbus-daemon
)

qi_install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
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
