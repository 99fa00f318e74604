# SPDX-License-Identifier: Apache-2.0
"""Hostile requests over raw sockets: sizes, floods, encodings, bodies, methods, versions, smuggling
shapes, pipelining, slow and vanishing clients. Each case checks the status, the body (the daemon's
JSON error shape, or libmicrohttpd's own HTML where 0.9.75 answers before any callback of ours), and
whether the connection is still usable afterwards or closed. The last test checks that the daemon's
RSS and open descriptors are back where they were after the same warm-up.
"""
import json
import os
import re
import secrets
import socket
import struct
import time
from pathlib import Path

import pytest

from conftest import BINARY, REQUEST_TIMEOUT, WRAPPER, Service, run_cli

SLOW = bool(WRAPPER) or (Path(BINARY).is_file() and b"__asan_init" in Path(BINARY).read_bytes())  # valgrind, ASan
HEADER_TIMEOUT = 6 if SLOW else 2  # [server] header_timeout for this daemon, seconds
REPLY_WAIT = REQUEST_TIMEOUT  # the longest we wait for an answer that must come
CLOSE_WAIT = 10 if SLOW else 3  # the longest we wait for a close that must come
# ASan's quarantine (256 MB) and valgrind's queue of freed blocks (20 MB) hold freed memory, so RSS
# grows with the traffic there (about 11 MB over this table); their leak checks at exit, which fail
# the run, are what shows nothing is kept under them.
RSS_TOLERANCE_KB = 49152 if SLOW else 1024
API_KEY = secrets.token_hex(16)

CONFIG = f"""\
[server]
max_url_bytes = 1024
max_header_bytes = 4096
max_body_bytes = 512
header_timeout = {HEADER_TIMEOUT}
connection_timeout = 60
allowed_hosts = t 127.0.0.1

[service:main]
connection_string = {{cs}}

[hub:chat]
auth = guest
groups = lobby

[hub:secure]
auth = keys

[auth:guest]
type = anonymous
user = guest

[auth:keys]
type = apikey
file = {{dir}}/apikeys
"""

HEALTH = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile")
    (directory / "apikeys").write_text(f"alice {API_KEY}\n")
    return module_daemon_factory(CONFIG.format(cs=Service.new().connection_string, dir=directory))


# ---------------------------------------------------------------- raw HTTP/1.1 reading

class Conn:
    """One raw connection: send bytes, read whole answers (status, headers, body), see the close."""

    def __init__(self, daemon, timeout=REPLY_WAIT):
        self.sock = socket.create_connection(("127.0.0.1", daemon.port), timeout=timeout)
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        if self.eof:
            return False
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def answer(self, wait=REPLY_WAIT, head_only=False):
        """The next answer as (status, headers dict lower-cased, body), or None if none came."""
        deadline = time.monotonic() + wait
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        length = 0 if head_only else int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            if not self._fill(deadline):
                break
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def closed(self, wait=CLOSE_WAIT):
        """True when the daemon closes the connection (nothing more than what was read) within wait."""
        deadline = time.monotonic() + wait
        while self._fill(deadline):
            pass
        return self.eof

    def close(self):
        self.sock.close()


def usable(conn):
    """The connection still serves a request after the answer under test."""
    try:
        conn.send(HEALTH)
    except OSError:
        return False
    answer = conn.answer(wait=REPLY_WAIT)
    return answer is not None and answer[0] == 200 and json.loads(answer[2]) == {"status": "ok"}


def check_json_error(answer, status, code):
    got, headers, body = answer
    assert got == status, (got, body)
    assert headers.get("content-type") == "application/json", headers
    error = json.loads(body)
    assert set(error) == {"error"} and set(error["error"]) == {"code", "message"}, error
    assert error["error"]["code"] == code, error
    assert error["error"]["message"], error


# ---------------------------------------------------------------- the case table

def padded_target(length, prefix="/healthz?pad="):
    return (prefix + "a" * (length - len(prefix))).encode()


def get(target, headers=b"Host: t\r\n", version=b"HTTP/1.1"):
    return b"GET " + target + b" " + version + b"\r\n" + headers + b"\r\n"


def post(target, body, headers=b"Host: t\r\nContent-Type: application/json\r\n"):
    return (b"POST " + target + b" HTTP/1.1\r\n" + headers + b"Content-Length: " + str(len(body)).encode()
            + b"\r\n\r\n" + body)


def chunked(target, chunks, headers=b"Host: t\r\n", coding=b"chunked"):
    return b"POST " + target + b" HTTP/1.1\r\n" + headers + b"Transfer-Encoding: " + coding + b"\r\n\r\n" + chunks


def many_headers(n):
    return b"Host: t\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(n - 1))


def padded_headers(total):
    """Headers whose name+value bytes (as the daemon counts them, +4 each) come to `total`."""
    filler = total - (len("Host") + len("t") + 4) - (len("X-Pad") + 4)
    return b"Host: t\r\nX-Pad: " + b"p" * filler + b"\r\n"


NEGOTIATE = b"/negotiate?hub=chat"
GOOD_BODY = b'{"hub":"chat"}'
SMUGGLED = b"GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n"  # must never be answered after a smuggling shape

# Each case: (id, raw request, status, code, after). code is the JSON error code; "ok" for a 2xx
# JSON body; "mhd" where libmicrohttpd 0.9.75 answers itself (HTML) before any callback of ours.
# after: "kept" (the connection serves another request) or "closed".
CASES = [
    # sizes: the target, the headers, the body, each at its cap and just past it
    ("url-at-cap", get(padded_target(1024)), 200, "ok", "kept"),
    ("url-cap+1", get(padded_target(1025)), 414, "uri_too_long", "kept"),
    ("url-4x-cap", get(padded_target(4096)), 414, "uri_too_long", "kept"),
    ("url-cap+1-with-body", post(padded_target(1025), b"{}"), 414, "uri_too_long", "closed"),
    ("url-16k", get(padded_target(16384)), 414, "uri_too_long", "kept"),
    ("url-64k", get(padded_target(65536)), 414, "mhd", "closed"),
    ("headers-at-cap", get(b"/healthz", padded_headers(4096)), 200, "ok", "kept"),
    ("headers-cap+1", get(b"/healthz", padded_headers(4097)), 431, "headers_too_large", "kept"),
    ("header-3x-cap", get(b"/healthz", padded_headers(3 * 4096)), 431, "headers_too_large", "kept"),
    ("header-64k", get(b"/healthz", padded_headers(65536)), 431, "mhd", "closed"),
    ("body-at-cap", post(NEGOTIATE, GOOD_BODY + b" " * (512 - len(GOOD_BODY))), 200, "ok", "kept"),
    ("body-cap+1", post(NEGOTIATE, GOOD_BODY + b" " * (513 - len(GOOD_BODY))), 413, "body_too_large", "closed"),
    ("body-declared-1M", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 1048576\r\n\r\n{}",
     413, "body_too_large", "closed"),
    ("chunked-body-cap+1", chunked(NEGOTIATE, b"201\r\n" + b" " * 513 + b"\r\n0\r\n\r\n"), 413, "body_too_large", "kept"),
    ("args-at-cap", get(b"/healthz?" + b"&".join([b"a=1"] * 160)), 200, "ok", "kept"),
    ("args-cap+1", get(b"/healthz?" + b"&".join([b"a=1"] * 161)), 414, "too_many_arguments", "kept"),
    ("headers-count-at-cap", get(b"/healthz", many_headers(100)), 200, "ok", "kept"),
    ("headers-count-cap+1", get(b"/healthz", many_headers(101)), 431, "too_many_headers", "kept"),
    # floods: many arguments, many headers (the pool must not run out before our answer)
    ("flood-args-200", get(b"/healthz?" + b"&x=1" * 200), 414, "too_many_arguments", "kept"),
    ("flood-args-250-empty", get(b"/healthz?" + b"&" * 250), 414, "too_many_arguments", "kept"),
    ("flood-args-500-short", get(b"/healthz?" + b"&x" * 500), 414, "too_many_arguments", "kept"),
    ("flood-args-2000-long", get(b"/healthz?" + b"&x" * 2000), 414, "uri_too_long", "kept"),
    ("flood-args-254-in-cap", get(b"/h?" + b"x&" * 254), 414, "too_many_arguments", "kept"),
    ("negotiate-80-groups", get(b"/negotiate?hub=chat" + b"&group=lobby" * 80), 400, "invalid_parameter", "kept"),
    ("flood-args-on-negotiate", get(b"/negotiate?hub=chat" + b"&g" * 170), 414, "too_many_arguments", "kept"),
    ("flood-args-with-body", post(b"/negotiate?" + b"&x" * 200, GOOD_BODY), 414, "too_many_arguments", "closed"),
    ("flood-headers-150", get(b"/healthz", many_headers(150)), 431, "too_many_headers", "kept"),
    ("flood-headers-300-tiny", get(b"/healthz", b"Host: t\r\n" + b"a:b\r\n" * 299), 431, "too_many_headers", "kept"),
    ("flood-headers-same-name", get(b"/healthz", b"Host: t\r\n" + b"X: y\r\n" * 200), 431, "too_many_headers", "kept"),
    ("flood-headers-5000", get(b"/healthz", b"Host: t\r\n" + b"a:b\r\n" * 5000), 431, "mhd", "closed"),
    ("flood-cookies", get(b"/healthz", b"Host: t\r\nCookie: " + b"a=b; " * 300 + b"\r\n"), 200, "ok", "kept"),
    # encodings: chunked is the only transfer coding, exactly
    ("chunked", chunked(NEGOTIATE, b"e\r\n" + GOOD_BODY + b"\r\n0\r\n\r\n"), 200, "ok", "kept"),
    ("chunked-upper", chunked(NEGOTIATE, b"0\r\n\r\n", coding=b"CHUNKED"), 200, "ok", "kept"),
    ("chunked-split", chunked(NEGOTIATE, b"2\r\n{\"\r\nc\r\nhub\":\"chat\"}\r\n0\r\n\r\n"), 200, "ok", "kept"),
    ("chunked-extension", chunked(NEGOTIATE, b"e;x=y\r\n" + GOOD_BODY + b"\r\n0\r\n\r\n"), 200, "ok", "kept"),
    ("chunked-trailer", chunked(NEGOTIATE, b"0\r\nX-T: 1\r\n\r\n"), 200, "ok", "kept"),
    ("te-identity", chunked(NEGOTIATE, b"", coding=b"identity"), 501, "unsupported_transfer_encoding", "closed"),
    ("te-gzip-chunked", chunked(NEGOTIATE, b"0\r\n\r\n", coding=b"gzip, chunked"), 501,
     "unsupported_transfer_encoding", "closed"),
    ("te-chunked-chunked", chunked(NEGOTIATE, b"0\r\n\r\n", coding=b"chunked, chunked"), 501,
     "unsupported_transfer_encoding", "closed"),
    ("te-chunked-tab", chunked(NEGOTIATE, b"0\r\n\r\n", coding=b"chunked\t"), 501, "unsupported_transfer_encoding",
     "closed"),
    ("te-chunked-x", chunked(NEGOTIATE, b"0\r\n\r\n", coding=b"chunkedx"), 501, "unsupported_transfer_encoding",
     "closed"),
    ("te-empty", chunked(NEGOTIATE, b"0\r\n\r\n", coding=b""), 501, "unsupported_transfer_encoding", "closed"),
    ("te-twice", chunked(NEGOTIATE, b"0\r\n\r\n", headers=b"Host: t\r\nTransfer-Encoding: chunked\r\n"), 501,
     "unsupported_transfer_encoding", "closed"),
    ("te-on-get", get(b"/healthz", b"Host: t\r\nTransfer-Encoding: gzip\r\n"), 501, "unsupported_transfer_encoding",
     "closed"),
    ("chunk-size-garbage", chunked(NEGOTIATE, b"zz\r\n{}\r\n0\r\n\r\n"), 400, "mhd", "closed"),
    ("chunk-size-negative", chunked(NEGOTIATE, b"-1\r\n{}\r\n0\r\n\r\n"), 400, "mhd", "closed"),
    ("chunk-size-huge", chunked(NEGOTIATE, b"ffffffffffffffffff\r\n{}\r\n0\r\n\r\n"), 413, "mhd", "closed"),
    ("chunks-past-cap", chunked(NEGOTIATE, b"400\r\n" + b"x" * 1024 + b"\r\n0\r\n\r\n"), 413, "body_too_large", "kept"),
    # bodies
    ("body-json", post(NEGOTIATE, GOOD_BODY), 200, "ok", "kept"),
    ("body-empty", post(NEGOTIATE, b""), 200, "ok", "kept"),
    ("body-not-json", post(NEGOTIATE, b"hello"), 400, "invalid_body", "kept"),
    ("body-raw-nul", post(NEGOTIATE, b'{"hub":"chat"}\x00junk'), 400, "invalid_body", "kept"),
    ("body-escaped-nul", post(b"/negotiate", b'{"hub":"chat\\u0000x"}'), 400, "invalid_body", "kept"),
    ("body-nul-in-group", post(NEGOTIATE, b'{"groups":["lobby\\u0000x"]}'), 400, "invalid_body", "kept"),
    ("body-truncated-json", post(NEGOTIATE, b'{"hub":'), 400, "invalid_body", "kept"),
    ("body-deep-nesting", post(NEGOTIATE, b"[" * 250 + b"]" * 250), 400, "invalid_body", "kept"),
    ("body-on-healthz", post(b"/healthz", b"{}"), 405, "method_not_allowed", "kept"),
    ("body-on-get", b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}", 200, "ok", "kept"),
    ("body-cl-leading-zero", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 02\r\n\r\n{}",
     200, "ok", "kept"),
    # NUL bytes: refused, never truncated
    ("nul-group-arg", get(b"/negotiate?hub=chat&group=lobby%00x"), 400, "invalid_parameter", "kept"),
    ("nul-hub-arg", get(b"/negotiate?hub=chat%00x"), 400, "invalid_parameter", "kept"),
    ("nul-arg-name", get(b"/negotiate?hub%00x=chat"), 400, "invalid_parameter", "kept"),
    ("nul-in-path-escaped", get(b"/healthz%00x"), 400, "invalid_target", "kept"),
    ("nul-in-path-hub", get(b"/negotiate/chat%00x"), 400, "invalid_target", "kept"),
    ("nul-raw-in-target", get(b"/healthz?a=b\x00c"), 400, "invalid_target", "closed"),
    ("nul-api-key", get(b"/negotiate?hub=secure", b"Host: t\r\nX-API-Key: " + API_KEY.encode() + b"\x00junk\r\n"),
     400, "invalid_header", "closed"),
    ("nul-bearer", get(b"/negotiate?hub=secure", b"Host: t\r\nAuthorization: Bearer " + API_KEY.encode()
                       + b"\x00x\r\n"), 400, "invalid_header", "closed"),
    ("nul-host", get(b"/healthz", b"Host: t\x00evil\r\n"), 400, "invalid_header", "closed"),
    ("nul-last-header", get(b"/healthz", b"Host: t\r\nX-A: b\x00c\r\n"), 400, "invalid_header", "closed"),
    ("nul-in-header-name", get(b"/healthz", b"Host: t\r\nX\x00A: b\r\n"), 400, "mhd", "closed"),
    ("api-key-valid", get(b"/negotiate?hub=secure", b"Host: t\r\nX-API-Key: " + API_KEY.encode() + b"\r\n"),
     200, "ok", "kept"),
    # methods
    ("method-get", get(b"/healthz"), 200, "ok", "kept"),
    ("method-head", b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 200, "head", "kept"),
    ("method-post-healthz", post(b"/healthz", b""), 405, "method_not_allowed", "kept"),
    ("method-put", b"PUT /negotiate HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 405, "method_not_allowed", "kept"),
    ("method-delete", b"DELETE /negotiate HTTP/1.1\r\nHost: t\r\n\r\n", 405, "method_not_allowed", "kept"),
    ("method-patch", b"PATCH /negotiate HTTP/1.1\r\nHost: t\r\n\r\n", 405, "method_not_allowed", "kept"),
    ("method-options", b"OPTIONS /negotiate HTTP/1.1\r\nHost: t\r\n\r\n", 405, "method_not_allowed", "kept"),
    ("method-trace", b"TRACE /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 405, "method_not_allowed", "kept"),
    ("method-connect", b"CONNECT /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 405, "method_not_allowed", "kept"),
    ("method-connect-authority", b"CONNECT example.com:443 HTTP/1.1\r\nHost: t\r\n\r\n", 404, "not_found", "kept"),
    ("method-connect-authority-host", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
     421, "misdirected_request", "kept"),  # a Host not in allowed_hosts, before the target is looked at
    ("method-not-a-token", b"P\x1b]0;x\x07OST /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 400, "invalid_method", "closed"),
    ("header-repeated", get(b"/healthz", b"Host: t\r\nX-API-Key: a\r\nX-API-Key: b\r\n"), 400, "invalid_header", "kept"),
    ("method-lowercase-get", b"get /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 405, "method_not_allowed", "kept"),
    ("method-lowercase-post", b"post /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
     405, "method_not_allowed", "kept"),
    ("method-unknown", b"FOO /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 405, "method_not_allowed", "kept"),
    ("method-long", b"X" * 200 + b" /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 405, "method_not_allowed", "kept"),
    ("method-propfind", b"PROPFIND /negotiate HTTP/1.1\r\nHost: t\r\n\r\n", 405, "method_not_allowed", "kept"),
    ("method-absolute-uri", b"GET http://t/healthz HTTP/1.1\r\nHost: t\r\n\r\n", 404, "not_found", "kept"),
    ("method-asterisk", b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", 404, "not_found", "kept"),
    # versions
    ("http-1.1", get(b"/healthz"), 200, "ok", "kept"),
    ("http-1.0", get(b"/healthz", b"", b"HTTP/1.0"), 200, "ok", "closed"),
    ("http-1.0-keep-alive", get(b"/healthz", b"Connection: keep-alive\r\n", b"HTTP/1.0"), 200, "ok", "kept"),
    ("http-1.0-two-hosts", get(b"/healthz", b"Host: a\r\nHost: b\r\n", b"HTTP/1.0"), 400, "invalid_host", "closed"),
    ("http-1.1-no-host", get(b"/healthz", b""), 400, "invalid_host", "closed"),
    ("http-1.1-two-hosts", get(b"/healthz", b"Host: a\r\nHost: b\r\n"), 400, "invalid_host", "closed"),
    ("http-1.1-two-hosts-same", get(b"/healthz", b"Host: a\r\nHost: a\r\n"), 400, "invalid_host", "closed"),
    ("http-1.1-host-empty", get(b"/healthz", b"Host:\r\n"), 200, "ok", "kept"),
    ("http-1.2", get(b"/healthz", b"Host: t\r\n", b"HTTP/1.2"), 200, "ok", "kept"),
    ("http-0.9", b"GET /healthz\r\n", 400, "mhd", "closed"),
    ("http-2.0", get(b"/healthz", b"Host: t\r\n", b"HTTP/2.0"), 505, "mhd", "closed"),
    ("http-2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "mhd", "closed"),
    ("http-3.0", get(b"/healthz", b"Host: t\r\n", b"HTTP/3.0"), 505, "mhd", "closed"),
    ("http-lowercase", get(b"/healthz", b"Host: t\r\n", b"http/1.1"), 400, "mhd", "closed"),
    ("http-garbage", get(b"/healthz", b"Host: t\r\n", b"FOO/1.1"), 400, "mhd", "closed"),
    ("http-garbage-line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", None, "none", "closed"),
    # smuggling shapes: refused and closed, and the request hidden behind never answered
    ("cl-te", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n" + SMUGGLED, 400, "invalid_framing", "closed"),
    ("te-cl", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n"
     b"0\r\n\r\n" + SMUGGLED, 400, "invalid_framing", "closed"),
    ("cl-cl-different", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 35\r\n\r\n"
     b"{}" + SMUGGLED, 400, "invalid_framing", "closed"),
    ("cl-cl-same", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
     + SMUGGLED, 400, "invalid_framing", "closed"),
    ("cl-list", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 14, 14\r\n\r\n" + GOOD_BODY + SMUGGLED,
     400, "mhd", "closed"),
    ("cl-negative", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n" + SMUGGLED,
     400, "mhd", "closed"),
    ("cl-hex", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 0x10\r\n\r\n" + SMUGGLED,
     400, "mhd", "closed"),
    ("cl-plus", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: +14\r\n\r\n" + GOOD_BODY + SMUGGLED,
     400, "mhd", "closed"),
    ("cl-space-before-colon", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length : 34\r\n\r\n"
     + SMUGGLED, 400, "invalid_header", "closed"),
    ("te-space-before-colon", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n"
     b"0\r\n\r\n" + SMUGGLED, 400, "invalid_header", "closed"),
    ("te-list-identity", chunked(NEGOTIATE, b"0\r\n\r\n" + SMUGGLED, coding=b"chunked, identity"), 501,
     "unsupported_transfer_encoding", "closed"),
    ("te-tab-name", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nTransfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"
     + SMUGGLED, 400, "invalid_header", "closed"),
    ("header-folded", b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: b\r\n c\r\n\r\n" + SMUGGLED, 400, "invalid_header",
     "closed"),
    ("header-name-bad-char", b"GET /healthz HTTP/1.1\r\nHost: t\r\nX(A): b\r\n\r\n" + SMUGGLED, 400, "invalid_header",
     "closed"),
    ("cl-huge", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999\r\n\r\n"
     + SMUGGLED, 413, "mhd", "closed"),
]

SMUGGLING = {case[0] for case in CASES if SMUGGLED in case[1]}


@pytest.mark.parametrize("name, raw, status, code, after", CASES, ids=[case[0] for case in CASES])
def test_hostile_request(daemon, name, raw, status, code, after):
    conn = Conn(daemon)
    try:
        conn.send(raw)
        answer = conn.answer(head_only=code == "head", wait=CLOSE_WAIT if code == "none" else REPLY_WAIT)
        if code == "none":  # libmicrohttpd closes without a word: nothing to parse as a request line
            assert answer is None and conn.eof and conn.buf == b""
            return
        assert answer is not None, "no answer"
        got, headers, body = answer
        if code == "mhd":  # libmicrohttpd's own answer: right status, then the close; not ours to shape
            assert got == status, (got, body)
            assert headers.get("content-type") != "application/json"
        elif code == "head":
            assert got == status and headers.get("content-type") == "application/json"
        elif code == "ok":
            assert got == status, (got, body)
            assert headers.get("content-type") == "application/json"
            json.loads(body)
        else:
            check_json_error(answer, status, code)
            assert (headers.get("connection", "").lower() == "close") == (after == "closed"), headers
        if after == "closed":
            assert conn.closed(), "the connection stayed open"
            assert b"HTTP/1." not in conn.buf or code == "mhd", conn.buf  # nothing answered after it
            if name in SMUGGLING:
                assert b'"status":"ready"' not in conn.buf
        else:
            assert usable(conn), "the connection is not usable afterwards"
    finally:
        conn.close()


# ---------------------------------------------------------------- pipelining

PIPELINES = [
    ("three-gets", HEALTH + b"GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n" + get(b"/nope"), [200, 200, 404], "kept"),
    ("post-then-get", post(NEGOTIATE, GOOD_BODY) + HEALTH, [200, 200], "kept"),
    ("ten-gets", HEALTH * 10, [200] * 10, "kept"),
    ("chunked-then-get", chunked(NEGOTIATE, b"e\r\n" + GOOD_BODY + b"\r\n0\r\n\r\n") + HEALTH, [200, 200], "kept"),
    ("error-then-get", get(b"/negotiate?hub=nope") + HEALTH, [404, 200], "kept"),
    ("last-closes", HEALTH + b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" + HEALTH, [200, 200],
     "closed"),
    ("smuggle-stops", HEALTH + get(b"/healthz", b"") + HEALTH, [200, 400], "closed"),
    ("refusal-mid-pipeline", HEALTH + get(b"/healthz?" + b"&x" * 200) + HEALTH, [200, 414, 200], "kept"),
]


@pytest.mark.parametrize("name, raw, statuses, after", PIPELINES, ids=[p[0] for p in PIPELINES])
def test_pipelining(daemon, name, raw, statuses, after):
    conn = Conn(daemon)
    try:
        conn.send(raw)
        got = []
        for _ in statuses:
            answer = conn.answer()
            assert answer is not None, f"answers so far: {got}"
            got.append(answer[0])
        assert got == statuses
        if after == "closed":
            assert conn.closed() and conn.buf == b"", conn.buf
        else:
            assert usable(conn)
    finally:
        conn.close()


# ---------------------------------------------------------------- slow and vanishing clients

def test_slow_headers_are_closed_within_the_bound(daemon):
    conn = Conn(daemon)
    head = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"y" * 400 + b"\r\n\r\n"
    start = time.monotonic()
    try:
        for byte in head:  # one byte per 100 ms: 40 s for the whole head
            conn.send(bytes([byte]))
            time.sleep(0.1)
            if time.monotonic() - start > HEADER_TIMEOUT + CLOSE_WAIT:
                break
    except OSError:
        pass  # closed under us: what is expected
    assert conn.closed(wait=1), "a slow head was not closed"
    elapsed = time.monotonic() - start
    assert HEADER_TIMEOUT - 0.5 <= elapsed <= HEADER_TIMEOUT + CLOSE_WAIT, elapsed
    assert conn.buf == b"", conn.buf
    conn.close()


def test_silent_connection_is_closed_after_the_header_timeout(daemon):
    conn = Conn(daemon)
    start = time.monotonic()
    assert conn.closed(wait=HEADER_TIMEOUT + CLOSE_WAIT)
    assert HEADER_TIMEOUT - 0.5 <= time.monotonic() - start
    conn.close()


def test_a_kept_alive_connection_gets_a_new_bound_per_request(daemon):
    conn = Conn(daemon)
    try:
        for _ in range(3):  # each head arrives well inside its bound, though together they take longer
            time.sleep(HEADER_TIMEOUT * 0.6)
            assert usable(conn)
    finally:
        conn.close()


def test_a_head_sent_slowly_within_the_bound_is_answered(daemon):
    conn = Conn(daemon)
    try:
        for piece in [HEALTH[i:i + 4] for i in range(0, len(HEALTH), 4)]:
            conn.send(piece)
            time.sleep(HEADER_TIMEOUT / 40)
        answer = conn.answer()
        assert answer is not None and answer[0] == 200
    finally:
        conn.close()


VANISHING = [
    ("mid-request-line", b"GET /heal"),
    ("mid-headers", b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: b"),
    ("after-headers-before-body", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 14\r\n\r\n"),
    ("mid-body", b"POST /negotiate?hub=chat HTTP/1.1\r\nHost: t\r\nContent-Length: 14\r\n\r\n{\"hub\""),
    ("mid-chunk", chunked(NEGOTIATE, b"e\r\n{\"hub\"")),
    ("mid-chunk-size", chunked(NEGOTIATE, b"e")),
    ("mid-flood", b"GET /healthz?" + b"&x=1" * 100),
]


@pytest.mark.parametrize("name, raw", VANISHING, ids=[v[0] for v in VANISHING])
@pytest.mark.parametrize("how", ["close", "reset"])
def test_vanishing_client(daemon, name, raw, how):
    conn = Conn(daemon)
    conn.send(raw)
    time.sleep(0.05)
    if how == "reset":  # RST instead of FIN
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    after = Conn(daemon)
    try:
        assert usable(after)
    finally:
        after.close()


# ---------------------------------------------------------------- connection limits

LIMIT_CONFIG = """\
[server]
max_connections = {total}
max_connections_per_address = {per_address}
header_timeout = 30
connection_timeout = 60
allowed_hosts = t 127.0.0.1

[service:main]
connection_string = {cs}

[hub:chat]
auth = guest

[auth:guest]
type = anonymous
user = guest
"""


def test_max_connections_makes_the_next_client_wait(daemon_factory):
    limited = daemon_factory(LIMIT_CONFIG.format(total=4, per_address=0, cs=Service.new().connection_string))
    held = [served_conn(limited) for _ in range(4)]  # all four are served
    try:
        extra = Conn(limited)
        extra.send(HEALTH)
        assert extra.answer(wait=1) is None  # waits in the backlog
        held.pop().close()
        answer = extra.answer()
        assert answer is not None and answer[0] == 200  # served once a place is free
        extra.close()
    finally:
        for conn in held:
            conn.close()


def served_conn(daemon):
    """A served connection, once the daemon has seen earlier ones (its health check's) close."""
    deadline = time.monotonic() + CLOSE_WAIT
    while True:
        conn = Conn(daemon)
        if usable(conn):
            return conn
        conn.close()
        assert time.monotonic() < deadline, "no connection served"
        time.sleep(0.1)


def test_max_connections_per_address_closes_the_excess(daemon_factory):
    limited = daemon_factory(LIMIT_CONFIG.format(total=100, per_address=2, cs=Service.new().connection_string))
    held = [served_conn(limited) for _ in range(2)]
    try:
        extra = Conn(limited)
        try:
            extra.send(HEALTH)
        except OSError:
            pass
        assert extra.answer(wait=CLOSE_WAIT) is None and extra.eof  # closed without an answer
        extra.close()
        held.pop().close()
        served_conn(limited).close()  # the place is free again
    finally:
        for conn in held:
            conn.close()


@pytest.mark.parametrize("line, message", [
    ("max_connections = 0", "max_connections: '0' is not a whole number from 1 to 100000"),
    ("max_connections = 100001", "max_connections: '100001' is not a whole number from 1 to 100000"),
    ("max_connections_per_address = -1", "max_connections_per_address: '-1' is not a whole number from 0 to 100000"),
    ("header_timeout = 0", "header_timeout: '0' is not a whole number from 1 to 3600"),
    ("header_timeout = 10s", "header_timeout: '10s' is not a whole number from 1 to 3600"),
])
def test_limit_keys_are_checked(tmp_path, line, message):
    path = tmp_path / "negotiated.conf"
    path.write_text(LIMIT_CONFIG.format(total=10, per_address=0, cs=Service.new().connection_string)
                    .replace("[server]\n", "[server]\n" + line + "\n"))
    result = run_cli("-c", str(path), "--check-config")
    assert result.returncode != 0
    assert f"{path}:2: {message}" in result.stderr, result.stderr


# ---------------------------------------------------------------- nothing kept

def process_figures(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def run_table_once(daemon):
    for _, raw, status, code, after in CASES:
        conn = Conn(daemon)
        try:
            conn.send(raw)
            conn.answer(head_only=code == "head")
        except OSError:
            pass
        conn.close()


def settled_figures(daemon):
    """RSS and descriptors once the count of descriptors holds still (every connection closed)."""
    deadline = time.monotonic() + CLOSE_WAIT
    figures = process_figures(daemon.proc.pid)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = process_figures(daemon.proc.pid)
        if now[1] == figures[1]:
            return now
        figures = now
    return figures


def test_resources_are_back_after_the_table(daemon):
    """Warm-up (the whole table twice), figures; the table three more times; the same figures."""
    for _ in range(2):
        run_table_once(daemon)
    time.sleep(HEADER_TIMEOUT + 0.5)  # every connection we left open is closed by now
    rss_before, fds_before = settled_figures(daemon)
    for _ in range(3):
        run_table_once(daemon)
    time.sleep(HEADER_TIMEOUT + 0.5)
    rss_after, fds_after = settled_figures(daemon)
    print(f"hostile table: RSS {rss_before} kB -> {rss_after} kB, descriptors {fds_before} -> {fds_after}")
    assert fds_after == fds_before
    assert rss_after - rss_before <= RSS_TOLERANCE_KB, (rss_before, rss_after)
