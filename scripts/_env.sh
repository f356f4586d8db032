# shellcheck shell=bash
# Shared helpers for scripts/run and scripts/test. Source it; do not execute it.
#
# After sourcing:
#   ROOT    the repository root (absolute)
#   PYTHON  a system Python >= 3.11 (only used to create the venv and for small checks)
# and ensure_venv puts .venv/bin first on PATH with the project installed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
# Written after a successful `pip install`; reinstall when pyproject.toml is newer.
DEPS_STAMP="$VENV/.carecollab-deps-installed"

say() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# True if "$1" runs and is Python >= 3.11. (pyenv shims exist for versions that are
# not installed and fail when run, so `command -v` alone is not enough.)
_python_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && _python_ok "$candidate"; then
            PYTHON="$(command -v "$candidate")"
            return 0
        fi
    done
    die "CareCollab needs Python 3.11 or newer; none of python3.13, python3.12, python3.11," \
        "python3 on PATH is >= 3.11. Install Python 3.11+ (Debian: apt-get install python3)."
}

# Create .venv if needed and install the project with its test extras, but only when
# pyproject.toml changed since the last successful install.
ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        find_python
        say "creating virtualenv in .venv with $PYTHON"
        "$PYTHON" -m venv "$VENV" ||
            die "could not create .venv (Debian: apt-get install python3-venv)"
    elif ! _python_ok "$VENV/bin/python"; then
        die ".venv uses a Python older than 3.11 (or a broken one); remove .venv and retry"
    fi

    if [ ! -f "$DEPS_STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$DEPS_STAMP" ]; then
        say "installing dependencies: pip install -e '.[test]'"
        (cd "$ROOT" && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            -e '.[test]') || die "pip install failed (see above)"
        touch "$DEPS_STAMP"
    fi

    export VIRTUAL_ENV="$VENV"
    export PATH="$VENV/bin:$PATH"
}
