#!/usr/bin/env bash
# Builds the documentation site into docs/_build/html with the ACTIVE virtual environment
# (which must already have srnn_rs installed): installs docs/requirements.txt, runs every
# gallery example, and fails on any Sphinx warning.
set -euo pipefail
docs="$(cd "$(dirname "$0")" && pwd)"
cd "$docs/.."
python -c "import srnn_rs" || { echo "docs/build.sh: install srnn_rs into the active venv first"; exit 1; }
python -m pip install -q -r "$docs/requirements.txt"
export MPLBACKEND=Agg
python -m sphinx -W --keep-going -b html docs docs/_build/html "$@"
