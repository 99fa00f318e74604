#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The real deployment (issue 14): builds the .deb, installs it with apt into a debootstrapped
# bookworm tree (cached under build/systemd/), boots that tree with systemd-nspawn (its own
# network namespace: nothing it starts is reachable from the host), runs docs/production-debian.md's
# "Production on Debian" walkthrough inside (tests/systemd/walkthrough.sh) and checks what an
# operator relies on. TAP on stdout, one line per check, then "systemd: N passed, N failed".
# Needs root, debootstrap and systemd-container; anything missing is a failure, never a skip.
# usage: tests/systemd/run.sh [PATH.deb]   (default: build it with debian/build-deb.sh)
set -uo pipefail
if [ -z "${NGD_SYSTEMD_BOUNDED:-}" ]; then # the whole run is bounded; the EXIT trap still cleans up
	NGD_SYSTEMD_BOUNDED=1 exec timeout --kill-after=30 "${NGD_SYSTEMD_TIMEOUT:-900}" bash "$0" "$@"
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/systemd
work=$top/build/systemd
tree=$work/tree
began=$(date +%s)
n=0 failed=0 nspawn_pid='' pid1=''
mkdir -p "$work"

ok() { n=$((n + 1)) && echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do printf '#   %s\n' "$line"; done
}
check() { # description, command...: ok when the command succeeds
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
summary() {
	echo "1..$n"
	echo "# took $(($(date +%s) - began)) s"
	echo "systemd: $((n - failed)) passed, $failed failed"
}
bail() { # a step everything after depends on failed: say why and stop (counted as failed)
	not_ok "$@"
	summary
	exit 1
}

cleanup() {
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		[ -n "$pid1" ] && T=20 in_ct journalctl --no-pager -o short-monotonic >"$work/journal.log" 2>&1
		kill -TERM "$nspawn_pid" # systemd-nspawn halts the container
		for _ in $(seq 1 30); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 1; done
		kill -0 "$nspawn_pid" 2>/dev/null && echo "# the container did not halt in 30 s: killed"
		[ -n "$pid1" ] && kill -KILL "$pid1" 2>/dev/null # a PID namespace dies with its init
		kill -KILL "$nspawn_pid" 2>/dev/null
		wait "$nspawn_pid" 2>/dev/null
	fi
	return 0
}
trap cleanup EXIT
trap 'not_ok "finishes within ${NGD_SYSTEMD_TIMEOUT:-900} s (timed out or interrupted)"; summary; exit 130' INT TERM

# Runs a command inside the container, in all of PID 1's namespaces, with a clean environment.
in_ct() {
	timeout "${T:-60}" nsenter -t "$pid1" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
in_sh() { in_ct bash -c "$1"; } # a shell command line inside

for tool in debootstrap systemd-nspawn nsenter dpkg-buildpackage lintian /usr/bin/python3; do
	command -v "$tool" >/dev/null || bail "$tool is installed (bash .ci/install-deps)"
done
[ "$(id -u)" = 0 ] || bail "runs as root (debootstrap, chroot and systemd-nspawn need it)"

# --- the package -------------------------------------------------------------------------------
deb=${1:-}
if [ -z "$deb" ]; then
	deb=$(bash "$top/debian/build-deb.sh" -j2) || bail "the .deb builds (dpkg-buildpackage -us -uc -b; build/deb/build.log)"
	ok "the .deb builds with dpkg-buildpackage -us -uc -b ($(basename "$deb"))"
	lint=$(lintian "${deb%.deb}.changes" 2>&1 | grep -E '^[EW]: ')
	if [ -z "$lint" ]; then ok "lintian: no errors or warnings"; else not_ok "lintian: no errors or warnings" "$lint"; fi
fi
[ -s "$deb" ] || bail "the .deb exists ($deb)"

walkthrough_documented() { # every command line of the two scripts, verbatim in docs/production-debian.md
	local missing
	missing=$(cat "$here/walkthrough.sh" "$here/rotate.sh" | grep -vE '^\s*(#|$|set -euo)' |
		while IFS= read -r line; do grep -qF -- "$line" "$top/docs/production-debian.md" || echo "$line"; done)
	[ -z "$missing" ] || { printf '#   not in docs/production-debian.md: %s\n' "$missing"; return 1; }
}
check "docs/production-debian.md shows every command of tests/systemd/walkthrough.sh and rotate.sh" walkthrough_documented

# --- the tree: debootstrap once (cached tarball), unpacked fresh each run, the .deb installed ---
t0=$(date +%s)
tarball=$(bash "$here/tree.sh" "$work/cache" 2>"$work/debootstrap.log") ||
	bail "debootstrap a bookworm tree ($work/debootstrap.log)" "$(tail -3 "$work/debootstrap.log")"
rm -rf "$tree" && mkdir -p "$tree" && tar -C "$tree" -xf "$tarball" || bail "unpack the cached tree"
cp "$deb" "$tree/root/" || bail "copy the .deb into the tree"
if chroot "$tree" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q "./root/$(basename "$deb")" nginx-light >"$work/apt.log" 2>&1; then
	ok "apt-get install ./$(basename "$deb") nginx-light in the tree ($(($(date +%s) - t0)) s with the tree)"
else
	bail "apt-get install ./$(basename "$deb") in the tree" "$(tail -5 "$work/apt.log")"
fi

# --- boot --------------------------------------------------------------------------------------
machine=ngd-test-$$
systemd-nspawn -D "$tree" -b --register=no --keep-unit --private-network -M "$machine" \
	</dev/null >"$work/console.log" 2>&1 &
nspawn_pid=$!
for _ in $(seq 1 60); do # PID 1 of the container: systemd, a child or grandchild of systemd-nspawn
	for p in $(pgrep -P "$nspawn_pid") $(pgrep -P "$nspawn_pid" | xargs -r -n1 pgrep -P); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && pid1=$p
	done
	[ -n "$pid1" ] && break
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.5
done
[ -n "$pid1" ] || bail "systemd-nspawn starts the container" "$(tail -5 "$work/console.log")"
for _ in $(seq 1 120); do # until its bus answers, then until the boot is over
	state=$(T=120 in_ct systemctl is-system-running --wait 2>/dev/null) && break
	case $state in running | degraded | maintenance | stopping) break ;; esac
	sleep 0.5
done
case $state in
running) ok "the container boots: systemd is running ($(($(date +%s) - t0)) s from unpacking)" ;;
*) bail "the container boots (systemd says '$state')" "$(in_ct systemctl --failed --no-legend 2>&1)" ;;
esac

# --- docs/production-debian.md's walkthrough ------------------------------------------------------------------
new_key() { head -c 32 /dev/urandom | base64 -w0; }
key1=$(new_key) key2=$(new_key) api_key=$(head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_')
cs() { echo "Endpoint=https://negotiated-test.webpubsub.azure.com;AccessKey=$1;Version=1.0;"; }
tokens=$work/tokens # every token received, to look for in the logs
: >"$tokens"
walk=$(T=120 in_ct env CONNECTION_STRING="$(cs "$key1")" API_KEY="$api_key" bash -s <"$here/walkthrough.sh" 2>&1)
walked=$?
check "the walkthrough runs through (exit 0)" test "$walked" = 0
[ "$walked" = 0 ] || printf '#   %s\n' "${walk//$'\n'/$'\n#   '}"

# A reply's body is {baseUrl,url,token} with a token signed by KEY (HS256 over the key's text, as
# Web PubSub checks it; audience = the client URL).
verify_reply() { # body, key
	/usr/bin/python3 - "$1" "$2" "$tokens" <<'EOF'
import json, sys, jwt
body, key, tokens = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
assert set(body) == {"baseUrl", "url", "token"}, sorted(body)
open(tokens, "a").write(body["token"] + "\n")
assert body["url"].startswith(body["baseUrl"]) and body["url"].endswith("access_token=" + body["token"])
jwt.decode(body["token"], key.encode(), algorithms=["HS256"],
           audience=body["baseUrl"].replace("wss://", "https://").replace("ws://", "http://"))
EOF
}
ask() { # one request through nginx; prints the body, fails unless 200
	in_ct curl -sS --fail-with-body --max-time 10 --interface 127.0.0.2 --resolve negotiate.example.com:443:127.0.0.2 \
		--cacert /etc/ssl/certs/negotiate.example.com.pem -H "X-API-Key: $api_key" \
		'https://negotiate.example.com/negotiate?hub=chat'
}
body=$(grep '^{' <<<"$walk" | head -1)
check "through nginx (TLS, unix socket): 200 {baseUrl,url,token}, the token signed with the key" \
	verify_reply "$body" "$key1"
audit=$(grep 'audit event=issued' <<<"$walk" | tail -1)
check "the walkthrough's audit line (journalctl -u negotiated) shows the client nginx passed, 127.0.0.1" \
	grep -q 'client="127.0.0.1"' <<<"$audit"
echo "# $audit"
reply_and_audit() { verify_reply "$1" "$2" && grep -q 'client="127.0.0.2"' <<<"$3"; }
body=$(ask)
audit=$(in_ct journalctl -u negotiated -o cat --no-pager | grep 'audit event=issued' | tail -1)
check "a client on 127.0.0.2: 200, and the audit line shows client=\"127.0.0.2\" (X-Forwarded-For)" \
	reply_and_audit "$body" "$key1" "$audit"

stopped_reach() { # the service stopped, www-data reaches the socket, and that request starts it
	in_ct systemctl stop negotiated 2>/dev/null &&
		[ "$(in_ct systemctl is-active negotiated)" = inactive ] &&
		in_ct test -S /run/negotiated/negotiated.sock &&
		in_ct setpriv --reuid=www-data --regid=www-data --init-groups curl -sS --fail --max-time 10 \
			--unix-socket /run/negotiated/negotiated.sock http://localhost/healthz >/dev/null &&
		[ "$(in_ct systemctl is-active negotiated)" = active ]
}
check "stopped, the socket file stays and www-data's request through it starts the service" stopped_reach

# --- restart, two reloads and a stop under load: no request fails, the socket stays active -----
main_pid() { in_ct systemctl show -p MainPID --value negotiated; }
socket_states=''
note_socket() { socket_states+="$1:$(in_ct systemctl is-active negotiated.socket) "; }
in_sh 'rm -f /run/load.stop /run/load.codes.*'
T=300 in_ct env API_KEY="$api_key" LIMIT=4000 LOOP=a FIRST=10 bash -s <"$here/load.sh" &
load_a=$!
T=300 in_ct env API_KEY="$api_key" LIMIT=4000 LOOP=b FIRST=20 bash -s <"$here/load.sh" &
load_b=$!
sleep 2
pid_before=$(main_pid)
in_ct systemctl restart negotiated 2>/dev/null && note_socket restart
sleep 2
pid_restarted=$(main_pid)
in_ct systemctl reload negotiated && note_socket reload1
sleep 1
in_ct systemctl reload negotiated && note_socket reload2
sleep 1
in_ct systemctl stop negotiated 2>/dev/null && note_socket stop # it warns: the socket can start it
sleep 3 # the loop's next request starts it again
note_socket after
pid_after=$(main_pid)
in_sh 'touch /run/load.stop'
wait "$load_a" "$load_b"
codes=$(in_sh 'cat /run/load.codes.*')
sent=$(grep -c . <<<"$codes") bad=$(grep -vc '^200$' <<<"$codes")
[ "$bad" -eq 0 ] || echo "# statuses: $(sort <<<"$codes" | uniq -c | tr -s ' \n' ' ')"
echo "# requests through nginx across restart, 2 reloads, stop: $sent sent, $bad failed" \
	"(daemon PIDs $pid_before -> $pid_restarted -> $pid_after)"
check "requests (2 loops) across restart, 2 reloads and stop: $sent sent (at least 100), $bad failed" \
	test "$sent" -ge 100 -a "$bad" -eq 0
check "restart and stop really happened (three daemon PIDs) and the stop's next request started it" \
	test -n "$pid_before" -a "$pid_before" != "$pid_restarted" -a "$pid_restarted" != "$pid_after" -a "$pid_after" != 0
check "negotiated.socket stays active throughout ($socket_states)" \
	test "$socket_states" = "restart:active reload1:active reload2:active stop:active after:active "
sock_journal=$(in_ct journalctl -u negotiated.socket -o cat --no-pager)
check "the socket unit logs no POLLHUP and no failure" \
	bash -c '! grep -E "POLLHUP|Failed with result" <<<"$1"' _ "$sock_journal"
check "both reloads: the daemon reloaded and told negotiated --reload so (journal)" \
	test "$(in_ct journalctl -u negotiated -o cat --no-pager | grep -c 'reloaded its configuration')" -ge 2

# --- a broken file: reload fails, names FILE:LINE: KEY, the old configuration serves ------------
conf=/etc/negotiated/negotiated.conf
in_sh "sed -i 's/^token_lifetime = 60\$/token_lifetime = soon/' $conf"
line=$(in_sh "grep -n '^token_lifetime = soon' $conf | cut -d: -f1")
since=$(in_ct date '+%Y-%m-%d %H:%M:%S')
in_ct systemctl reload negotiated >/dev/null 2>&1
check "systemctl reload with a broken file fails" test $? -ne 0
check "the journal names $conf:$line: token_lifetime" \
	bash -c 'grep -qF "$1" <<<"$2"' _ "$conf:$line: token_lifetime" \
	"$(in_ct journalctl -u negotiated --since "$since" -o cat --no-pager)"
body=$(ask)
check "the running configuration keeps answering 200" verify_reply "$body" "$key1"
in_sh "sed -i 's/^token_lifetime = soon\$/token_lifetime = 60/' $conf"
check "the repaired file reloads" in_ct systemctl reload negotiated

# --- rotating the key: the new credential and a restart (docs/production-debian.md) -------------------------------
in_ct env CONNECTION_STRING="$(cs "$key2")" bash -s <"$here/rotate.sh"
body=$(ask)
check "after rotation (credential + restart) tokens are signed with the new key" verify_reply "$body" "$key2"

# --- the admin socket (negotiated-admin.socket): revoke as root, kept across a restart, refused to
# --- other users at connect(), open to a group added with SocketGroup= (docs/stopping-a-user.md) ---
ask_status() { # one request through nginx as ask(); prints "STATUS BODY"
	in_ct curl -sS --max-time 10 --interface 127.0.0.2 --resolve negotiate.example.com:443:127.0.0.2 \
		--cacert /etc/ssl/certs/negotiate.example.com.pem -H "X-API-Key: $api_key" -w ' %{http_code}' \
		'https://negotiate.example.com/negotiate?hub=chat' | sed -E 's/^(.*) ([0-9]{3})$/\2 \1/'
}
in_sh "sed -i 's|^; state_directory = .*|state_directory = /var/lib/negotiated|' $conf"
in_ct systemctl restart negotiated
check "negotiated-admin.socket is enabled and active, /run/negotiated/admin.sock is root:root 0660" \
	test "$(in_ct systemctl is-enabled negotiated-admin.socket) $(in_ct systemctl is-active negotiated-admin.socket) $(in_ct stat -c '%U:%G %a' /run/negotiated/admin.sock)" = "enabled active root:root 660"
# A line of the daemon's journal, looked for through a pipe (the whole journal as one argument
# passed 128 KiB in CI: "Argument list too long") for up to 5 s (an info line may wait
# LOG_FLUSH_MS in the daemon's batch, and journald takes its own time). grep reads it all: with
# -q it would stop at the first match and pipefail would count journalctl's SIGPIPE as a failure.
journal_shows() { # extended regex
	for _ in $(seq 50); do
		in_ct journalctl -u negotiated -o cat --no-pager | grep -E "$1" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
check "the daemon serves the admin socket systemd passed (journal)" \
	journal_shows "admin socket: the one systemd passed"
revoked=$(in_ct negotiated revoke --user app1 --reason 'systemd suite' 2>&1)
check "negotiated revoke --user app1 as root inside the container works (exit 0)" test $? = 0
echo "# $revoked"
reply=$(ask_status)
check "the next /negotiate for app1 through nginx: 403 revoked ($reply)" \
	bash -c '[[ $1 == "403 "*revoked* ]]' _ "$reply"
listed=$(in_ct negotiated revoke --list 2>&1)
check "negotiated revoke --list shows app1" grep -q app1 <<<"$listed"
state_file=/var/lib/private/negotiated/revocations.jsonl # DynamicUser=: StateDirectory= lives under private/
in_ct systemctl restart negotiated
reply=$(ask_status)
check "after systemctl restart negotiated: still 403 revoked ($reply), still listed" \
	bash -c '[[ $1 == "403 "*revoked* ]] && grep -q app1 <<<"$2"' _ "$reply" "$(in_ct negotiated revoke --list 2>&1)"
check "the list is kept in $state_file (mode 0600), naming app1" \
	bash -c '[ "$(stat -c %a "$1")" = 600 ] && grep -q "\"app1\"" "$1"' _ "$tree$state_file"
refused=$(in_ct setpriv --reuid=nobody --regid=nogroup --clear-groups negotiated revoke --list 2>&1)
refused_rc=$?
check "as nobody (not in the socket's group): refused at connect (exit $refused_rc, permission denied)" \
	bash -c '[ "$1" != 0 ] && grep -q "permission denied on /run/negotiated/admin.sock" <<<"$2"' _ "$refused_rc" "$refused"
echo "# $refused"
add_group() { # docs/stopping-a-user.md: a group for operators, set on the socket with a drop-in
	in_sh 'groupadd -f negotiated-admin && usermod -aG negotiated-admin www-data' &&
		in_sh 'mkdir -p /etc/systemd/system/negotiated-admin.socket.d &&
			printf "[Socket]\nSocketGroup=negotiated-admin\n" >/etc/systemd/system/negotiated-admin.socket.d/group.conf' &&
		in_ct systemctl daemon-reload &&
		in_ct systemctl stop negotiated.service 2>/dev/null && # systemd refuses to start a socket
		in_ct systemctl restart negotiated-admin.socket && # whose service is running
		in_ct systemctl start negotiated.service
}
check "SocketGroup=negotiated-admin in a drop-in; service stopped, socket restarted, service started" add_group
member=$(in_ct setpriv --reuid=www-data --regid=www-data --init-groups negotiated revoke --list 2>&1)
member_rc=$?
check "a member of negotiated-admin (www-data) may list, $(in_ct stat -c '%U:%G %a' /run/negotiated/admin.sock)" \
	bash -c '[ "$1" = 0 ] && grep -q app1 <<<"$2"' _ "$member_rc" "$member"
check "the journal logs that peer as the daemon sees it (PrivateUsers=: nobody), admitted by the file's mode" \
	journal_shows "admin socket: uid 65534.* connected, admitted by the socket file"
in_ct setpriv --reuid=www-data --regid=www-data --init-groups negotiated revoke --lift --user app1 >/dev/null 2>&1
lifted=$?
body=$(ask)
lifted_and_served() { [ "$lifted" = 0 ] && verify_reply "$body" "$key2"; }
check "the member lifts it (exit $lifted): 200 again" lifted_and_served

# --- an upgrade (the same .deb again): the daemon restarts on the new binary, the socket stays ---
socket_since() { in_ct systemctl show -P ActiveEnterTimestampMonotonic negotiated.socket negotiated-admin.socket | tr '\n' ' '; }
before=$(main_pid) listening_since=$(socket_since)
in_ct env DEBIAN_FRONTEND=noninteractive dpkg -i "/root/$(basename "$deb")" >"$work/upgrade.log" 2>&1
upgraded=$?
body=$(ask)
after=$(main_pid) sock=$(in_ct systemctl is-active negotiated.socket)
check "the upgrade never closed the sockets (they listen since the same moment: $listening_since)" \
	test "$listening_since" = "$(socket_since)"
kept=$(in_sh "grep -c '^access_log = /var/log/negotiated/' $conf") # the operator's edit of the conffile
check "reinstalling the package (dpkg -i, an upgrade): the daemon restarts (PID $before -> $after), the socket stays $sock, the edited conffile stays" \
	test "$upgraded" = 0 -a "$before" != "$after" -a "$sock" = active -a "$kept" = 1
[ "$upgraded" = 0 ] || sed 's/^/#   /' "$work/upgrade.log"
check "and answers 200" verify_reply "$body" "$key2"

# --- the watchdog restarts a stopped daemon ----------------------------------------------------
stuck=$(main_pid)
since=$(in_ct date '+%Y-%m-%d %H:%M:%S')
in_sh "kill -STOP $stuck" # bash's kill: a minimal system has no /bin/kill
for _ in $(seq 1 90); do
	now=$(main_pid)
	[ -n "$now" ] && [ "$now" != 0 ] && [ "$now" != "$stuck" ] && [ "$(in_ct systemctl is-active negotiated)" = active ] && break
	sleep 1
done
check "the watchdog (WatchdogSec=30s) restarts a SIGSTOPped daemon (PID $stuck -> $now)" \
	bash -c 'grep -q "Watchdog timeout" <<<"$1" && [ "$2" != "$3" ]' _ \
	"$(in_ct journalctl -u negotiated --since "$since" -o cat --no-pager)" "$stuck" "$now"
body=$(ask)
check "and it answers 200 again" verify_reply "$body" "$key2"

# --- the start limit (docs/production-debian.md): 5 failed starts fail the service and the socket; reset-failed -----
since=$(in_ct date '+%Y-%m-%d %H:%M:%S')
in_sh 'mv /etc/negotiated/credentials/main /root/main.saved'
in_ct systemctl restart negotiated >/dev/null 2>&1 # 243/CREDENTIALS; Restart=on-failure tries again
for _ in $(seq 1 30); do
	[ "$(in_ct systemctl is-active negotiated.socket)" = failed ] && break
	sleep 1
done
sock_result=$(in_ct systemctl show -p Result --value negotiated.socket)
limit_hit() { in_ct journalctl -u negotiated --since "$1" -o cat --no-pager | grep -q 'Start request repeated too quickly'; }
check "a missing credential (243/CREDENTIALS): 5 failed starts, then the start limit fails negotiated.socket ($sock_result)" \
	bash -c '[ "$1" = service-start-limit-hit ]' _ "$sock_result"
check "and the journal says so (Start request repeated too quickly)" limit_hit "$since"
in_sh 'mv /root/main.saved /etc/negotiated/credentials/main'
in_ct systemctl reset-failed negotiated.service negotiated.socket && in_ct systemctl start negotiated.socket
body=$(ask)
check "after systemctl reset-failed and starting the socket: 200 again" verify_reply "$body" "$key2"
check "and negotiated-admin.socket, failed with it, listens again (the service Wants= it)" \
	test "$(in_ct systemctl is-active negotiated-admin.socket)" = active

# --- logs, exposure, secrets -------------------------------------------------------------------
lines=$(in_sh 'grep -c "127.0.0.2 GET /negotiate 200" /var/log/negotiated/access.log')
check "the access log under LogsDirectory (/var/log/negotiated/access.log) gets lines ($lines)" test "${lines:-0}" -gt 0
exposure=$(in_ct systemd-analyze security negotiated.service --no-pager 2>&1 |
	sed -n 's/.*Overall exposure level for negotiated.service: \([0-9.]*\).*/\1/p')
check "systemd-analyze security negotiated.service (live): exposure ${exposure:-?} <= 2.0" \
	/usr/bin/python3 -c 'import sys; sys.exit(not (sys.argv[1] and float(sys.argv[1]) <= 2.0))' "${exposure:-}"
secrets_absent() {
	local logs patterns
	logs=$(in_sh 'journalctl -o cat --no-pager; cat /var/log/nginx/* /var/log/negotiated/*' 2>&1)
	patterns=$(printf '%s\n' "$key1" "$key2" "$api_key"; cat "$tokens")
	[ "$(grep -c . <<<"$patterns")" -ge 7 ] || { echo "#   only $(grep -c . "$tokens") tokens collected"; return 1; }
	! grep -qF -f <(echo "$patterns") <<<"$logs"
}
check "no access key, API key or token in the journal or nginx's and negotiated's logs" secrets_absent

summary
[ "$failed" -eq 0 ]
