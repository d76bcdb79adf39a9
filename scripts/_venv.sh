# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/demo.sh: make ./.venv hold ajaxkit
# (editable) with every framework and the test tools, on a machine that has
# nothing but python3 >= 3.10.  Defines $VENV_PYTHON and cds to the repo root.
#
# The install is repeated only when pyproject.toml changes (a hash of it is
# kept in the venv), so the second run of either command starts at once.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

PYTHON="${PYTHON:-python3}"
VENV_DIR="$REPO_ROOT/.venv"
VENV_PYTHON="$VENV_DIR/bin/python"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON not found; install Python 3.10 or newer" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "error: ajaxkit needs Python >= 3.10; $PYTHON is $("$PYTHON" -V 2>&1)" >&2
    exit 1
fi

if [ ! -x "$VENV_PYTHON" ]; then
    echo "Creating $VENV_DIR with $("$PYTHON" -V 2>&1)"
    if ! "$PYTHON" -m venv "$VENV_DIR"; then
        rm -rf "$VENV_DIR"
        echo "error: could not create a virtualenv (on Debian/Ubuntu: apt-get install python3-venv)" >&2
        exit 1
    fi
fi

_stamp="$VENV_DIR/.ajaxkit-install"
_wanted="$("$VENV_PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' pyproject.toml)"
if [ "$(cat "$_stamp" 2>/dev/null)" != "$_wanted" ]; then
    echo "Installing ajaxkit[all,test] into $VENV_DIR"
    "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check --no-input -e '.[all,test]'
    echo "$_wanted" >"$_stamp"
fi
unset _stamp _wanted
