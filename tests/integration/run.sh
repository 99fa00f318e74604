#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the integration suite from the repository root; extra arguments are passed to pytest.
# Env: NEGOTIATED_BIN (binary, default src/negotiated), NEGOTIATED_WRAPPER (e.g. valgrind command prefix).
cd "$(dirname "$0")/../.." || exit 1
NEGOTIATED_NO_IMDS=1 exec /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "$@"
