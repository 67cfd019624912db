#!/usr/bin/env bash
# Run pytest in the project venv. Exit code 5 ("no tests collected") is a failure here:
# a test run that tests nothing must not look green.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
  echo "pytest collected no tests: treating as failure" >&2
  exit 1
fi
exit $rc
