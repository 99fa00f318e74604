# SPDX-License-Identifier: Apache-2.0
# Requests through nginx, one after another, until /run/load.stop appears or LIMIT were sent; one
# HTTP status per line in /run/load.codes.$LOOP (000: no answer). Run inside the container. The
# client address cycles over 8 loopback addresses from 127.0.0.$FIRST, so that the site's limit_req
# (10 r/s per address) is not what answers.
set -u
codes=/run/load.codes.$LOOP
: >"$codes"
for ((i = 0; i < ${LIMIT:-4000}; i++)); do
	[ -e /run/load.stop ] && break
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 --interface "127.0.0.$((FIRST + i % 8))" \
		--resolve negotiate.example.com:443:127.0.0.1 --cacert /etc/ssl/certs/negotiate.example.com.pem \
		-H "X-API-Key: $API_KEY" 'https://negotiate.example.com/negotiate?hub=chat' >>"$codes"
done
