# SPDX-License-Identifier: Apache-2.0
"""systemd integration: the sd_notify protocol (READY, RELOADING + MONOTONIC_USEC, STOPPING,
WATCHDOG), socket activation through systemd-socket-activate (TCP and unix), the installed units
(systemd-analyze verify and the security exposure), and connection strings from credentials."""
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (BINARY, START_TIMEOUT, WRAPPER, Daemon, Service, check_client_access, child_env,
                      free_port)

MAX_EXPOSURE = 2.0

CONFIG = """\
[server]
listen = 127.0.0.1:{unused_port}

[service:main]
{service_line}

[hub:chat]
auth = guest

[auth:guest]
type = anonymous
user = guest
"""


def tool(name):
    path = shutil.which(name)
    assert path, f"{name} is missing: install the Debian package systemd (.ci/install-deps)"
    return path


@pytest.fixture
def notify(tmp_path):
    """A NOTIFY_SOCKET the test owns: yields (path, receive(wanted) -> the message holding wanted)."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    received = []

    def receive(wanted, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            for i, message in enumerate(received):
                if wanted in message.splitlines():
                    del received[:i + 1]
                    return message
            left = deadline - time.monotonic()
            assert left > 0, f"no {wanted} on NOTIFY_SOCKET within {timeout}s; received {received}"
            sock.settimeout(left)
            try:
                received.append(sock.recv(4096).decode())
            except socket.timeout:
                pass

    try:
        yield str(path), receive
    finally:
        sock.close()


def config_for(service, tmp_path=None, credential=None):
    line = (f"connection_string_credential = {credential}" if credential
            else f"connection_string = {service.connection_string}")
    return CONFIG.format(unused_port=free_port(), service_line=line)


def test_notify_ready_reloading_stopping(daemon_factory, notify, tmp_path):
    path, receive = notify
    service = Service.new()
    daemon = daemon_factory(config_for(service), env={"NOTIFY_SOCKET": path})
    assert "READY=1" in receive("READY=1").splitlines()

    before = time.monotonic()
    daemon.proc.send_signal(signal.SIGHUP)
    message = receive("RELOADING=1")
    stamp = re.search(r"^MONOTONIC_USEC=(\d+)$", message, flags=re.M)
    assert stamp, message
    assert before - 1 <= int(stamp.group(1)) / 1e6 <= time.monotonic() + 1, "MONOTONIC_USEC is CLOCK_MONOTONIC"
    receive("READY=1")

    (tmp_path / "negotiated-0.conf").write_text("[hub:x\n")
    daemon.proc.send_signal(signal.SIGHUP)  # a failed reload still ends with READY=1
    receive("RELOADING=1")
    receive("READY=1")
    assert "reload failed" in daemon.stderr_text()
    assert daemon.request("GET", "/negotiate?hub=chat").status == 200

    assert daemon.stop() is None
    receive("STOPPING=1", timeout=1)


def test_watchdog_pings_at_half_the_interval(daemon_factory, notify):
    path, receive = notify
    daemon_factory(config_for(Service.new()), env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    receive("READY=1")
    start = time.monotonic()
    for _ in range(4):
        receive("WATCHDOG=1")
    elapsed = time.monotonic() - start
    assert elapsed < 4 * 0.4 + (START_TIMEOUT if WRAPPER else 1), f"4 pings took {elapsed:.2f}s"


def test_no_watchdog_without_watchdog_usec(daemon_factory, notify):
    path, receive = notify
    daemon_factory(config_for(Service.new()), env={"NOTIFY_SOCKET": path})
    receive("READY=1")
    with pytest.raises(AssertionError, match="no WATCHDOG=1"):
        receive("WATCHDOG=1", timeout=1)


def wait_for_log(daemon, text):
    """The main thread logs after the HTTP threads have started answering: wait for its line."""
    deadline = time.monotonic() + START_TIMEOUT
    while text not in daemon.stderr_text():
        assert time.monotonic() < deadline, f"no '{text}' in the log:\n" + daemon.stderr_text()
        time.sleep(0.02)


@contextlib.contextmanager
def socket_activated(tmp_path, config_text, addresses, env=None, fdnames=None):
    """Runs the daemon under systemd-socket-activate listening on addresses; yields a Daemon per
    address (all the same process); stops it and checks it exited 0. fdnames: LISTEN_FDNAMES, one
    per address; the one named admin is not waited for as an HTTP listener."""
    config = tmp_path / "activated.conf"
    config.write_text(config_text)
    log_path = tmp_path / "activated.log"
    argv = [tool("systemd-socket-activate")]
    for address in addresses:
        argv += ["-l", address]
    for name, value in (env or {}).items():
        argv += ["-E", f"{name}={value}"]
    if fdnames:
        argv += ["--fdname=" + ":".join(fdnames)]
    argv += [*WRAPPER, BINARY, "-c", str(config)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=child_env())
    daemons = [Daemon(proc, a if a[0].isdigit() else "unix:" + a, log_path) for a in addresses]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not all(os.path.exists(a) for a in addresses if a.startswith("/")):
            assert time.monotonic() < deadline and proc.poll() is None, log_path.read_text()
            time.sleep(0.02)
        for i, d in enumerate(daemons):
            if not fdnames or fdnames[i] != "admin":
                d.wait_healthy()  # the first connection makes systemd-socket-activate exec the daemon
        yield daemons
    finally:
        problem = daemons[0].stop()
        assert problem is None, problem


def test_socket_activation_tcp(tmp_path):
    service = Service.new()
    port = free_port()
    config_text = config_for(service)
    unused = int(re.search(r"listen = 127.0.0.1:(\d+)", config_text).group(1))
    with socket_activated(tmp_path, config_text, [f"127.0.0.1:{port}"]) as (daemon,):
        reply = daemon.request("GET", "/negotiate?hub=chat")
        assert reply.status == 200
        check_client_access(reply.json(), service.key, service.endpoint, "chat")
        wait_for_log(daemon, "listening on the sockets systemd passed")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", unused), timeout=2).close()


def test_socket_activation_tcp_and_unix(tmp_path):
    service = Service.new()
    unix_path = str(tmp_path / "negotiated.sock")
    with socket_activated(tmp_path, config_for(service), [f"127.0.0.1:{free_port()}", unix_path]) as daemons:
        for daemon in daemons:
            reply = daemon.request("GET", "/negotiate?hub=chat")
            assert reply.status == 200, daemon.listen
            check_client_access(reply.json(), service.key, service.endpoint, "chat")


def admin_cli(*args):
    return subprocess.run([BINARY, "revoke", *args], capture_output=True, text=True, timeout=30,
                          env=child_env())


def test_socket_activation_admin_socket_by_name(tmp_path):
    """negotiated-admin.socket's fd (FileDescriptorName=admin) is the admin socket, not an HTTP
    listener; admin_socket in the file is then not bound (a warning says so)."""
    service = Service.new()
    admin_path, unused_admin = str(tmp_path / "admin.sock"), str(tmp_path / "unused-admin.sock")
    config_text = config_for(service).replace("[server]\n", f"[server]\nadmin_socket = {unused_admin}\n", 1)
    with socket_activated(tmp_path, config_text, [f"127.0.0.1:{free_port()}", admin_path],
                          fdnames=["negotiated.socket", "admin"]) as (http, _):
        assert http.request("GET", "/negotiate?hub=chat").status == 200
        done = admin_cli("--socket", admin_path, "--user", "ada", "--reason", "by name")
        assert done.returncode == 0, done.stdout + done.stderr
        listed = admin_cli("--socket", admin_path, "--list")
        assert listed.returncode == 0 and "ada" in listed.stdout, listed.stdout + listed.stderr
        with socket.socket(socket.AF_UNIX) as s:  # it speaks the admin protocol, not HTTP
            s.settimeout(10)
            s.connect(admin_path)
            s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
            assert not s.recv(4096).startswith(b"HTTP/")
        wait_for_log(http, "admin socket: the one systemd passed")
        log = http.stderr_text()
        assert f"admin_socket = {unused_admin} is not bound" in log, log
        assert "admitted by the socket file's mode" in log, log
        assert not os.path.exists(unused_admin)


def test_socket_activation_two_admin_sockets_refused(tmp_path):
    """Two fds named admin: the daemon says so and does not start."""
    config = tmp_path / "two.conf"
    config.write_text(config_for(Service.new()))
    paths = [str(tmp_path / "a.sock"), str(tmp_path / "b.sock")]
    argv = [tool("systemd-socket-activate"), "-l", paths[0], "-l", paths[1], "--fdname=admin:admin",
            *WRAPPER, BINARY, "-c", str(config)]
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=child_env()) as proc:
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(paths[0]):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        with socket.socket(socket.AF_UNIX) as s:  # the first connection execs the daemon
            s.connect(paths[0])
            try:
                out, _ = proc.communicate(timeout=START_TIMEOUT)
            finally:
                proc.kill()
    assert proc.returncode != 0
    assert b"LISTEN_FDNAMES: more than one socket is named 'admin'" in out, out


def test_socket_activation_sends_ready(tmp_path, notify):
    path, receive = notify
    with socket_activated(tmp_path, config_for(Service.new()), [f"127.0.0.1:{free_port()}"],
                          env={"NOTIFY_SOCKET": path}):
        receive("READY=1")


def test_connection_string_from_credentials_directory(daemon_factory, tmp_path):
    service = Service.new()
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "main").write_text(service.connection_string + "\n")
    daemon = daemon_factory(config_for(service, credential="main"),
                            env={"CREDENTIALS_DIRECTORY": str(credentials)})
    reply = daemon.request("GET", "/negotiate?hub=chat")
    assert reply.status == 200
    check_client_access(reply.json(), service.key, service.endpoint, "chat")


def build_dir():
    """The build tree the binary under test comes from (its Makefile installs the units)."""
    directory = Path(BINARY).resolve().parent.parent
    assert (directory / "Makefile").is_file(), f"no Makefile in {directory}: set NEGOTIATED_BIN to a built tree"
    return directory


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """make install DESTDIR=...; returns (destdir, unit dir, sbindir) as the Makefile has them."""
    destdir = tmp_path_factory.mktemp("destdir")
    tree = build_dir()
    result = subprocess.run(["make", "-s", "-C", str(tree), "install", f"DESTDIR={destdir}"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    values = {}
    for var in ("systemdsystemunitdir", "sbindir", "mandir", "sysconfdir"):
        out = subprocess.run(["make", "-s", "-C", str(tree), "--no-print-directory", "-f", "Makefile", "-f", "-",
                              "print"], input=f"print:\n\t@echo $({var})\n", capture_output=True, text=True)
        values[var] = out.stdout.strip()
    return destdir, values


def test_make_install_installs_units_and_man_pages(installed):
    destdir, v = installed
    units = Path(f"{destdir}{v['systemdsystemunitdir']}")
    service = (units / "negotiated.service").read_text()
    assert f"ExecStart={v['sbindir']}/negotiated -c {v['sysconfdir']}/negotiated/negotiated.conf" in service
    assert not re.search(r"@[a-z]+@", service), "a template variable was left unsubstituted"
    assert "ListenStream=/run/negotiated/negotiated.sock" in (units / "negotiated.socket").read_text()
    admin = (units / "negotiated-admin.socket").read_text()
    assert "ListenStream=/run/negotiated/admin.sock" in admin and "FileDescriptorName=admin" in admin
    assert "Sockets=negotiated.socket negotiated-admin.socket" in service
    assert Path(f"{destdir}{v['mandir']}/man8/negotiated.8").is_file()
    assert Path(f"{destdir}{v['mandir']}/man5/negotiated.conf.5").is_file()


def units_for_verify(installed, tmp_path):
    """The installed units with their paths moved into DESTDIR, where the installed binary is."""
    destdir, v = installed
    for name in ("negotiated.service", "negotiated.socket", "negotiated-admin.socket"):
        text = Path(f"{destdir}{v['systemdsystemunitdir']}/{name}").read_text()
        (tmp_path / name).write_text(text.replace(v["sbindir"] + "/", f"{destdir}{v['sbindir']}/"))
    return tmp_path / "negotiated.service", tmp_path / "negotiated.socket", tmp_path / "negotiated-admin.socket"


def test_systemd_analyze_verify(installed, tmp_path):
    service, sock, admin = units_for_verify(installed, tmp_path)
    # --man=no: the pages are installed under DESTDIR, where man cannot see them
    result = subprocess.run([tool("systemd-analyze"), "verify", "--man=no", str(service), str(sock), str(admin)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stdout + result.stderr


def test_systemd_analyze_security_exposure(installed, tmp_path):
    service, _, _ = units_for_verify(installed, tmp_path)
    result = subprocess.run([tool("systemd-analyze"), "security", "--offline=true", "--no-pager", str(service)],
                            capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for negotiated\.service: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    exposure = float(found.group(1))
    print(f"\nsystemd-analyze security --offline=true negotiated.service: exposure {exposure}")
    assert exposure <= MAX_EXPOSURE
