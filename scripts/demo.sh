#!/usr/bin/env bash
# Run the live user search demo; it prints the URL to open.
# Extra arguments go to the demo: `bash scripts/demo.sh --port 8001`.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"

exec "$VENV_PYTHON" -m examples.demo "$@"
