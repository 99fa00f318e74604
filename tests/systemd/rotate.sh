# SPDX-License-Identifier: Apache-2.0
# docs/production-debian.md, rotating the access key: the new connection string replaces the
# credential, and a restart (which refuses no connection: they wait in negotiated.socket) loads it.
set -euo pipefail
printf '%s\n' "$CONNECTION_STRING" | install -m 0600 /dev/stdin /etc/negotiated/credentials/main
systemctl restart negotiated
