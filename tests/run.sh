#!/usr/bin/env bash
# Builds the release wheel once, installs it into a fresh virtual environment together with
# the test dependencies, and runs the test suite against that installed wheel.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="${SRNN_TEST_VENV:-$root/.venv-test}"
python3 -m venv --clear "$venv"
# shellcheck disable=SC1091
. "$venv/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q "maturin>=1.7,<2" -r tests/requirements.txt
# iisignature is the signature reference; it builds against the installed numpy.
python -m pip install -q --no-build-isolation iisignature
# PyTorch (and pySigLib, which needs it) for the torch bridge's tests: opt-in, because the
# PyPI wheel of torch pulls its CUDA libraries (~3 GB, minutes to install).
if [ "${SRNN_TEST_TORCH:-0}" = 1 ]; then
    python -m pip install -q torch pysiglib
fi
rm -rf dist
maturin build --release --quiet --out dist
python -m pip install -q --force-reinstall --no-deps dist/srnn_rs-*.whl
cd tests
python -m pytest -q -p no:cacheprovider "$@"
