#!/usr/bin/env bash
# Build the netbox_windhcp abi3 wheel once and test it on CPython 3.11 and 3.12.
#
#   scripts/python-test.sh            # build + test on 3.11 and 3.12
#   PYTHONS="/usr/bin/python3.12" scripts/python-test.sh   # other interpreters
#
# Steps: a build venv with maturin (>=1.9.4,<2: it sets PYO3_BUILD_EXTENSION_MODULE, so the
# crate needs no `extension-module` feature); `maturin build --release` into target/wheels;
# the psu-simulator binary for the client tests; then, per interpreter, a fresh venv with the
# wheel + pytest and a pytest run. Any failure, and "no tests collected", exits non-zero.
#
# The NetBoxClient tests need the real NetBox: NETBOX_URL / NETBOX_TOKEN from the environment,
# or from /var/tmp/netbox-windhcp/env (written by scripts/test.sh when it starts NetBox). They
# fail when NetBox is missing; WINDHCP_SKIP_NETBOX=1 skips them instead, and
# WINDHCP_REQUIRE_NETBOX=1 (CI) overrides that opt-out.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CRATE="$ROOT/crates/python"
WORK="$ROOT/target/python-test"
WHEELS="$ROOT/target/wheels"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

if command -v pyenv >/dev/null 2>&1; then
    PYENV_ROOT_DIR="$(pyenv root)"
else
    PYENV_ROOT_DIR="${PYENV_ROOT:-$HOME/.pyenv}"
fi
DEFAULT_PYTHONS="$PYENV_ROOT_DIR/versions/3.11.7/bin/python3.11 $PYENV_ROOT_DIR/versions/3.12.1/bin/python3.12"
PYTHONS="${PYTHONS:-$DEFAULT_PYTHONS}"
# The interpreter that runs maturin (any CPython >= 3.10 works: the wheel is abi3).
BUILD_PYTHON="${BUILD_PYTHON:-${PYTHONS%% *}}"

log() { printf '\n== %s\n' "$*" >&2; }

for py in $PYTHONS; do
    [ -x "$py" ] || { echo "python-test: interpreter not found: $py" >&2; exit 1; }
done

mkdir -p "$WORK" "$WHEELS"

log "build venv ($BUILD_PYTHON)"
rm -rf "$WORK/build-venv"
"$BUILD_PYTHON" -m venv "$WORK/build-venv"
"$WORK/build-venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.9.4,<2" pytest

log "maturin build --release"
rm -f "$WHEELS"/netbox_windhcp-*.whl
(cd "$CRATE" && "$WORK/build-venv/bin/maturin" build --release --out "$WHEELS" \
    --interpreter "$BUILD_PYTHON")
shopt -s nullglob
wheels=("$WHEELS"/netbox_windhcp-*-abi3-*.whl)
shopt -u nullglob
if [ "${#wheels[@]}" -ne 1 ]; then
    echo "python-test: expected exactly one abi3 wheel in $WHEELS, found ${#wheels[@]}" >&2
    exit 1
fi
WHEEL="${wheels[0]}"
echo "wheel: $WHEEL" >&2

log "psu-simulator (for the client tests)"
(cd "$ROOT" && cargo build --quiet -p windhcp-psu-simulator --bin psu-simulator)
export WINDHCP_PSU_SIMULATOR="$TARGET_DIR/debug/psu-simulator"
export WINDHCP_REQUIRE_SIMULATOR=1
export WINDHCP_REQUIRE_REPO_FIXTURE=1
[ -x "$WINDHCP_PSU_SIMULATOR" ] || { echo "python-test: no simulator at $WINDHCP_PSU_SIMULATOR" >&2; exit 1; }
export WINDHCP_REPO_ROOT="$ROOT"

NETBOX_ENV_FILE="${NETBOX_ENV_FILE:-/var/tmp/netbox-windhcp/env}"
if [ -z "${NETBOX_URL:-}" ] && [ -f "$NETBOX_ENV_FILE" ]; then
    # shellcheck disable=SC1090
    source "$NETBOX_ENV_FILE"
fi
export NETBOX_URL="${NETBOX_URL:-}" NETBOX_TOKEN="${NETBOX_TOKEN:-}"
export WINDHCP_REQUIRE_NETBOX="${WINDHCP_REQUIRE_NETBOX:-}" WINDHCP_SKIP_NETBOX="${WINDHCP_SKIP_NETBOX:-}"
echo "netbox: ${NETBOX_URL:-<not configured>} (require=${WINDHCP_REQUIRE_NETBOX:-0} skip=${WINDHCP_SKIP_NETBOX:-0})" >&2

for py in $PYTHONS; do
    name="$(basename "$py")"
    log "test on $name"
    venv="$WORK/venv-$name"
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL" pytest
    # Run from a neutral directory so `import netbox_windhcp` resolves to the installed wheel.
    set +e
    (cd "$WORK" && "$venv/bin/python" -m pytest -q -rs -p no:cacheprovider "$CRATE/tests")
    status=$?
    set -e
    if [ "$status" -eq 5 ]; then
        echo "python-test: pytest collected no tests on $name" >&2
        exit 1
    elif [ "$status" -ne 0 ]; then
        echo "python-test: pytest failed on $name (exit $status)" >&2
        exit "$status"
    fi
done
log "python tests passed on: $PYTHONS"
