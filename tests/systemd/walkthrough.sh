# SPDX-License-Identifier: Apache-2.0
# docs/production-debian.md, step by step: tests/systemd/run.sh runs this very file as root
# inside a booted bookworm container (after `apt-get install ./negotiated_VERSION_ARCH.deb nginx-light`)
# and checks that docs/production-debian.md shows each of its command lines. It expects CONNECTION_STRING (the
# resource's, from the portal's Keys page) and API_KEY (the key your app will send) to be set.
set -euo pipefail

# 1. the connection string as the systemd credential "main" (root only; the unit's LoadCredential=)
install -d -m 0700 /etc/negotiated/credentials
printf '%s\n' "$CONNECTION_STRING" | install -m 0600 /dev/stdin /etc/negotiated/credentials/main

# 2. an API key for [auth:apps], stored as its digest only (the service's dynamic user reads the file)
printf 'app1 sha256:%s\n' "$(printf %s "$API_KEY" | sha256sum | cut -d' ' -f1)" >>/etc/negotiated/apikeys

# 3. check the file with the credential, as the unit will read them
negotiated --check-config --credentials-dir /etc/negotiated/credentials

# 4. the sockets (127.0.0.1:8080 and /run/negotiated/negotiated.sock); the first request starts the service
systemctl enable --now negotiated.socket

# 5. nginx: the site's certificate (a self-signed one here; certbot's in real life), then the site
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=negotiate.example.com \
	-addext subjectAltName=DNS:negotiate.example.com \
	-keyout /etc/ssl/private/negotiate.example.com.key -out /etc/ssl/certs/negotiate.example.com.pem 2>/dev/null
ln -sf /etc/nginx/sites-available/negotiated /etc/nginx/sites-enabled/negotiated
nginx -t 2>/dev/null && systemctl reload nginx

# 6. a token through nginx (TLS), as a client would ask (here from the machine itself)
curl -sS --fail-with-body --retry 5 --retry-connrefused --retry-delay 1 \
	--resolve negotiate.example.com:443:127.0.0.1 \
	--cacert /etc/ssl/certs/negotiate.example.com.pem -H "X-API-Key: $API_KEY" \
	'https://negotiate.example.com/negotiate?hub=chat'
echo

# 7. the audit line, with the client address nginx passed (X-Forwarded-For)
journalctl -u negotiated -o cat --no-pager | grep 'audit event=issued' | tail -1

# 8. an access log in the unit's LogsDirectory (created at the service's start), then reload
sed -i 's|^; access_log = /var/log/negotiated/|access_log = /var/log/negotiated/|' /etc/negotiated/negotiated.conf
systemctl reload negotiated
