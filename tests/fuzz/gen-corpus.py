#!/usr/bin/env python3
# gen-corpus.py -- write the seed corpora under tests/fuzz/corpus/ (committed; rerun after editing).
#
# Each target reads a few parameter bytes before its payload (see the
# layout comment at the top of tests/fuzz/fuzz_<name>.c); the helpers
# below add them.  Reproducers of bugs found by fuzzing are committed as
# separate files (crash-*) and are not written here.
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- frames --------------------------------------------------------------

RFC_KEY = b"\x37\xfa\x21\x3d"  # the masking key of RFC 6455 5.7
ZERO_KEY = b"\0\0\0\0"  # payload stays readable: dictionary words apply

# fuzz_frame.c max_table indexes
MAX_UNLIMITED, MAX_16, MAX_125, MAX_65535 = 0, 6, 8, 12


def frame_prefix(max_idx=MAX_UNLIMITED, chunks=(256,), pieces=(256,)):
    b1 = (len(chunks) - 1) | (len(pieces) - 1) << 3
    enc = [255 if c == 65536 else c - 1 for c in list(chunks) + list(pieces)]
    return bytes([max_idx, b1] + enc)


def frame(op, payload=b"", fin=True, key=RFC_KEY, rsv=0, lenform=None):
    b0 = (0x80 if fin else 0) | rsv << 4 | op
    n = len(payload)
    if lenform is None:
        lenform = 7 if n < 126 else 16 if n < 65536 else 64
    mbit = 0x80 if key is not None else 0
    if lenform == 7:
        hdr = bytes([b0, mbit | n])
    elif lenform == 16:
        hdr = bytes([b0, mbit | 126]) + struct.pack(">H", n)
    else:
        hdr = bytes([b0, mbit | 127]) + struct.pack(">Q", n)
    if key is None:
        return hdr + payload
    masked = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
    return hdr + key + masked


def close(code, reason=b"", **kw):
    return frame(8, struct.pack(">H", code) + reason, **kw)


def frames():
    T, B, C, P, O = 1, 2, 8, 9, 10
    seeds = {
        # RFC 6455 5.7, masked as a client must send them.
        "rfc-masked-hello": frame(T, b"Hello"),
        "rfc-unmasked-hello": frame(T, b"Hello", key=None),
        "rfc-fragmented": frame(T, b"Hel", fin=False) + frame(0, b"lo"),
        "rfc-ping-pong": frame(P, b"Hello") + frame(O, b"Hello"),
        "rfc-binary-256": frame(B, bytes(range(256))),
        "binary-64bit-length": frame(B, b"0123456789abcdef", lenform=64),
        "binary-16bit-short": frame(B, b"abc", lenform=16),
        "empty-frames": frame(T) + frame(B) + frame(P) + frame(O) +
        frame(C),
        "zero-mask-text": frame(T, b"hello world", key=ZERO_KEY),
        "huge-declared-length": b"\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff"
        + RFC_KEY + b"abcd",
        "length-top-bit": b"\x82\xff\x80\0\0\0\0\0\0\x01" + RFC_KEY + b"x",
        "close-1000-bye": close(1000, b"bye"),
        "close-empty": frame(C),
        "close-1-byte": frame(C, b"\x03"),
        "close-1005": close(1005),
        "close-999": close(999),
        "close-3000": close(3000, "déjà".encode()),
        "close-5000": close(5000),
        "close-bad-utf8": close(1000, b"\xc3\x28"),
        "close-then-data": close(1001) + frame(T, b"late"),
        "text-split-code-point": frame(T, b"a\xe2", fin=False) +
        frame(P, b"ping") + frame(0, b"\x82\xac!"),
        "text-4byte-split": frame(T, b"\xf0", fin=False) +
        frame(0, b"\x9f", fin=False) + frame(0, b"\x98\x80"),
        "text-invalid": frame(T, b"ok \xc0\xaf"),
        "text-surrogate": frame(T, b"\xed\xa0\x80"),
        "text-ends-mid-sequence": frame(T, b"\xe2\x82"),
        "text-valid-mix": frame(T, "héllo €𝄞 wörld".encode() * 4),
        "cont-without-message": frame(0, b"x"),
        "new-message-in-fragmented": frame(T, b"a", fin=False) +
        frame(B, b"b"),
        "rsv1-set": frame(T, b"x", rsv=4),
        "opcode-3": frame(3, b"x"),
        "opcode-b": frame(0xB, b"x"),
        "ping-not-fin": frame(P, b"x", fin=False),
        "ping-126": frame(P, b"p" * 126),
        "ping-125": frame(P, b"p" * 125),
        "many-small": b"".join(frame(B, bytes([i])) for i in range(20)),
    }
    for name, data in seeds.items():
        write("frame", name, frame_prefix() + data)
    # The same streams arriving in awkward pieces.
    odd = frame_prefix(chunks=(1, 2, 3, 7, 13), pieces=(1, 5, 2))
    for name in ("rfc-fragmented", "text-split-code-point",
                 "text-valid-mix", "close-1000-bye", "rfc-binary-256"):
        write("frame", name + "-pieces", odd + seeds[name])
    # Limits: 1009 for one frame and for a fragmented total.
    write("frame", "too-big-one-frame",
          frame_prefix(MAX_16) + frame(B, b"x" * 17))
    write("frame", "too-big-fragments",
          frame_prefix(MAX_16) + frame(B, b"x" * 10, fin=False) +
          frame(0, b"y" * 10))
    write("frame", "limit-exact",
          frame_prefix(MAX_16) + frame(T, b"x" * 8, fin=False) +
          frame(P) + frame(0, b"y" * 8))
    write("frame", "huge-declared-limited",
          frame_prefix(MAX_65535) + seeds["huge-declared-length"])


# ---- handshakes -----------------------------------------------------------

# fuzz_handshake.c: max_bytes index, max_headers, read-size seed
HS_8K, HS_64, HS_100 = 12, 4, 5


def hs_prefix(max_idx=HS_8K, max_headers=64, steps=16):
    return bytes([max_idx, max_headers, steps])


def crlf(lines):
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


RFC_REQUEST = crlf([
    "GET /chat HTTP/1.1",
    "Host: server.example.com",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Origin: http://example.com",
    "Sec-WebSocket-Protocol: chat, superchat",
    "Sec-WebSocket-Version: 13",
])

# Captured from Chromium (headless) opening new WebSocket(url, ["binary"]).
CHROMIUM_REQUEST = crlf([
    "GET /echo HTTP/1.1",
    "Host: 127.0.0.1:43431",
    "Connection: Upgrade",
    "Pragma: no-cache",
    "Cache-Control: no-cache",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
    "Upgrade: websocket",
    "Origin: http://127.0.0.1:43431",
    "Sec-WebSocket-Version: 13",
    "Accept-Encoding: gzip, deflate, br, zstd",
    "Accept-Language: en-US,en;q=0.9",
    "Sec-WebSocket-Key: sKf9MABcRPTPfjmPRi6Qag==",
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
    "Sec-WebSocket-Protocol: binary",
])

# Firefox's header set and order (not captured here: no Firefox on the
# build machine), "keep-alive, Upgrade" being the interesting part.
FIREFOX_REQUEST = crlf([
    "GET /echo HTTP/1.1",
    "Host: localhost:8080",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) "
    "Gecko/20100101 Firefox/121.0",
    "Accept: */*",
    "Accept-Language: en-US,en;q=0.5",
    "Accept-Encoding: gzip, deflate, br",
    "Sec-WebSocket-Version: 13",
    "Origin: http://localhost:8080",
    "Sec-WebSocket-Extensions: permessage-deflate",
    "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==",
    "Connection: keep-alive, Upgrade",
    "Sec-Fetch-Dest: empty",
    "Sec-Fetch-Mode: websocket",
    "Sec-Fetch-Site: same-origin",
    "Pragma: no-cache",
    "Cache-Control: no-cache",
    "Upgrade: websocket",
])

# Captured from Debian's python3-websockets 10.4 client.
PYTHON_REQUEST = crlf([
    "GET /echo HTTP/1.1",
    "Host: 127.0.0.1:60509",
    "Origin: http://127.0.0.1:8080",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: 2LAehQ1rSGi72ggdbX5+dA==",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
    "Sec-WebSocket-Protocol: binary",
    "User-Agent: Python/3.11 websockets/10.4",
])


def handshakes():
    base = [
        "GET /echo?x=1#f HTTP/1.1",
        "Host: h",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    seeds = {
        "rfc6455-request": RFC_REQUEST,
        "chromium-request": CHROMIUM_REQUEST,
        "firefox-request": FIREFOX_REQUEST,
        "python-websockets-request": PYTHON_REQUEST,
        "plain-get": crlf(["GET /index.html HTTP/1.1", "Host: h"]),
        "health": crlf(["GET /healthz HTTP/1.0"]),
        "absolute-form": crlf(["GET ws://h:8080/echo HTTP/1.1"] +
                              base[1:]),
        "query-fragment": crlf(base),
        "bare-lf": ("\n".join(base) + "\n\n").encode(),
        "leading-crlf": b"\r\n" + crlf(base),
        "obs-fold": crlf(base[:2] + [" folded"] + base[2:]),
        "duplicate-host": crlf(base + ["Host: h2"]),
        "duplicate-key": crlf(base + ["Sec-WebSocket-Key: x"]),
        "post": crlf(["POST /echo HTTP/1.1"] + base[1:]),
        "head-upgrade": crlf(["HEAD /echo HTTP/1.1"] + base[1:]),
        "head-conditional": crlf(["HEAD /app.js HTTP/1.1", "Host: h",
                                  "Connection: keep-alive",
                                  "If-None-Match: W/\"a\", \"b\"",
                                  "If-Modified-Since: Sun, 06 Nov 1994 "
                                  "08:49:37 GMT",
                                  "Accept-Encoding: gzip, br;q=0"]),
        "http-2": crlf(["GET /echo HTTP/2.0"] + base[1:]),
        "http-10-upgrade": crlf(["GET /echo HTTP/1.0"] + base[1:]),
        "version-8": crlf(base[:5] + ["Sec-WebSocket-Version: 8"]),
        "bad-key": crlf(base[:4] + ["Sec-WebSocket-Key: short",
                                    base[5]]),
        "tabs-and-case": crlf(["GET /echo HTTP/1.1", "HOST:\th\t",
                               "upgrade: WebSocket",
                               "connection: keep-alive,\tupgrade",
                               base[4], base[5]]),
        "forwarded-protocols": crlf(base + [
            "X-Forwarded-For: 10.0.0.1, 10.0.0.2",
            "Sec-WebSocket-Protocol: chat",
            "Sec-WebSocket-Protocol: binary"]),
        "control-char-value": crlf(base + ["X-A: a\x01b"]),
        "bad-header-name": crlf(base + ["X A: b"]),
        "no-colon": crlf(base + ["NoColon"]),
        "pipelined-frame": crlf(base) + b"\x81\x80\0\0\0\0",
        "incomplete": "\r\n".join(base).encode(),
    }
    for name, data in seeds.items():
        write("handshake", name, hs_prefix() + data)
    write("handshake", "too-many-headers",
          hs_prefix(max_headers=3) + seeds["query-fragment"])
    write("handshake", "too-large", hs_prefix(HS_100) + CHROMIUM_REQUEST)
    write("handshake", "tiny-reads", hs_prefix(steps=0) + RFC_REQUEST)


# ---- UTF-8 -----------------------------------------------------------------

def utf8():
    seeds = {
        "ascii": b"Hello, world! 0123456789 long enough for word steps",
        "two-byte": "héllo wörld ñ".encode(),
        "three-byte": "€ 日本語 テキスト".encode(),
        "four-byte": "𝄞 😀 🏳️‍🌈".encode(),
        "boundaries": "\u0080\u07ff\u0800\uffff\U00010000\U0010ffff"
        .encode() + b"\x7f",
        "bom": b"\xef\xbb\xbfbom",
        "ed-9f-bf-edge": b"\xed\x9f\xbf",  # U+D7FF, just below surrogates
        "ee-80-80-edge": b"\xee\x80\x80",  # U+E000, just above
        "overlong-2": b"\xc0\x80",
        "overlong-c1": b"\xc1\xbf",
        "overlong-3": b"\xe0\x80\x80",
        "overlong-3-edge": b"\xe0\x9f\xbf",
        "overlong-4": b"\xf0\x80\x80\x80",
        "overlong-4-edge": b"\xf0\x8f\xbf\xbf",
        "surrogate-high": b"\xed\xa0\x80",
        "surrogate-low": b"\xed\xbf\xbf",
        "above-max": b"\xf4\x90\x80\x80",
        "f5-lead": b"\xf5\x80\x80\x80",
        "ff-byte": b"abc\xff",
        "lone-continuation": b"a\x80b",
        "truncated-2": b"abc\xc3",
        "truncated-3": b"abc\xe2\x82",
        "truncated-4": b"abc\xf0\x9f\x98",
        "ascii-then-multibyte": b"12345678" * 3 + "é€😀".encode(),
        "multibyte-at-8": b"1234567" + "€".encode() + b"abcdefgh",
        "kuhn-sample": "κόσμε Ÿ ÿ ∮ E⋅da = Q".encode(),
        "nul-bytes": b"a\0b\0c",
        "invalid-late": b"a" * 40 + b"\xe2\x28\xa1",
    }
    for name, data in seeds.items():
        write("utf8", name, data)


# ---- config ----------------------------------------------------------------

def configs():
    for path in ("etc/wsgate.ini", "etc/routes.d/vnc.ini"):
        with open(os.path.join(ROOT, path), "rb") as f:
            write("config", os.path.basename(path), f.read())
    seeds = {
        # routes.d, bad.d and web exist beside the fuzzer's main file.
        "minimal-valid": """[gateway]
listen = 127.0.0.1:0
routes_dir = routes.d
web_root = web
health_path = /healthz
[route:echo]
path = /echo
backend = 127.0.0.1:7000
origins = http://127.0.0.1:8080, https://Example.COM:443
origins = *
allow_missing_origin = yes
max_message_size = 1M
max_buffer = 64k
idle_timeout = 250ms
close_timeout = 2.5s
""",
        "web-root-only": "[gateway]\nlisten = [::1]:8080\nweb_root = web\n",
        "continuations": """[gateway]
listen = 127.0.0.1:8080
listen =
  [::1]:8081
  127.0.0.2:8082
[route:a]
path = /a
backend = [::1]:9
origins = http://a.example
  http://b.example:8080
allow_missing_origin = no
""",
        "errors": """; every kind of mistake
key = outside
[gateway]
listen = 127.0.0.1:99999
listen = 127.0.0.1:80 tls
max_headers = 0
handshake_timeout = forever
max_request_bytes = 1G
max_request_bytes = 2k
bogus = 1
path = /not-here
[gateway]
[route:]
[route:bad name]
[route:x]
path = no-slash
backend = localhost
origins = ftp://h/path, null, http://[::1, http://h:0123456
listen = 127.0.0.1:1
[route:x]
[route:y]
path = /y
[other]
no equals sign
[unterminated
""",
        "duplicate-path": """[gateway]
listen = 127.0.0.1:8080
health_path = /p
[route:a]
path = /p
backend = h:1
origins = *
[route:b]
path = /p
backend = h:2
origins = *
""",
        "long-line": "[gateway]\nlisten = 127.0.0.1:8080\n; " + "x" * 300 +
        "\n[route:r]\norigins = " + "http://a.example, " * 20 + "\n",
        "bom-crlf": "\ufeff[gateway]\r\nlisten = 127.0.0.1:1\r\n"
        "[route:r]\r\npath = /r\r\nbackend = 127.0.0.1:2\r\n"
        "origins = *\r\n",
        "inline-comments": "[gateway] ; main\nlisten = 127.0.0.1:1 ; here\n"
        "[route:r]\npath = /r # x\nbackend = h:1\norigins = * ; any\n",
        # Every time key with units (valid), then first-run mistakes:
        # typos, a port alone, "#" after a value, a trailing-slash origin.
        "durations": """[gateway]
listen = 127.0.0.1:0
handshake_timeout = 1m
drain_timeout = 1h30m
send_timeout = 90s
dns_timeout = 1.5
backend_connect_timeout = 250ms
idle_timeout = 1d
close_timeout = 2s500ms
[route:a]
path = /a
backend = 127.0.0.1:5900
origins = *
idle_timeout = 5m
close_timeout = .5
""",
        "first-run": """[gatway]
[gateway]
listen = 8080
listen = :8081
idle_timout = 5m
idle_timeout = 5m # five minutes
drain-timeout = 1h30
[rout:a]
[route]
[route:a]
path = /a # the app
backend = localhost
origins = https://example.com/ # the page
bakend = tcp://10.0.0.5:5900/
""",
        # hosts sharing a path, unix sockets, several backends; then
        # their mistakes.
        "routing": """[gateway]
listen = 127.0.0.1:0
listen = unix:/run/wsgate/gw.sock mode=0600 tls
backend_retry_after = 2s
[route:a]
path = /c
hosts = a.example, *.vm.example
backend = 127.0.0.1:1 unix:/run/a.sock
  [::1]:2
balance = round_robin
origins = *
[route:b]
path = /c
backend = h:1
origins = *
[route:c]
path = /c
hosts = A.EXAMPLE b.example:80 *
backend = unix:rel unix:/x 127.0.0.1:1 127.0.0.1:1
balance = random
listen = unix:/x mode=9
""",
        "missing-dirs": "[gateway]\nlisten = 127.0.0.1:1\n"
        "routes_dir = /nonexistent\nweb_root = wsgate.ini\n",
        # bad.d/x.ini holds a [gateway] and a route path used here too.
        "bad-routes-dir": "[gateway]\nlisten = 127.0.0.1:1\n"
        "routes_dir = bad.d\nweb_root = routes.d/vnc.ini\n[route:echo]\n"
        "path = /echo\nbackend = h:1\norigins = *\n",
    }
    for name, text in seeds.items():
        write("config", name + ".ini", text.encode())


# ---- origins -----------------------------------------------------------------

def origins():
    seeds = {
        "default-ports": "http://Example.COM:80\nhttp://example.com\n"
        "https://example.com:443",
        "ipv6": "http://[::1]:8080\nhttp://[::1]:8080\nhttp://[::2]",
        "null": "null\nNULL\nhttp://a",
        "star": "http://evil.example\n*",
        "leading-zero-port": "http://h:0080\nhttp://h",
        "ws-schemes": "wss://h:443\nws://h:80\nws://h\nwss://h",
        "bad": "http://h/path\nhttp://\nhttp://h:\n://h\nhttp://h:123456",
        "underscore-dash": "https://my_host-1.example.org:8443\n"
        "HTTPS://MY_HOST-1.EXAMPLE.ORG:8443",
        # Host header values (route_host_name).
        "hosts": "VM1.Example.COM.:8443\n[::1]:80\na.example..\n:80\n.\n"
        "[::1\nx.vm.example",
    }
    for name, text in seeds.items():
        write("origin", name, text.encode())


# ---- PROXY protocol ------------------------------------------------------------

PP2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82f63b78 if crc & 1 else crc >> 1
    return crc ^ 0xffffffff


def tlv(t, value):
    return bytes([t]) + struct.pack(">H", len(value)) + value


def pp2(ver_cmd, fam, body, crc_at=None):
    """A v2 header; crc_at: offset in body of a CRC32C value to fill in."""
    h = PP2_SIG + bytes([ver_cmd, fam]) + struct.pack(">H", len(body)) + body
    if crc_at is not None:
        c = struct.pack(">I", crc32c(h))
        h = h[:16 + crc_at] + c + h[16 + crc_at + 4:]
    return h


def proxy_headers():
    # HAProxy 2.6.12's own output (see tests/unit/test_proxy_proto.c).
    golden = {
        "haproxy-v1-ipv4": "50524f58592054435034203230332e302e3131332e3720"
        "3139382e35312e3130302e39203430303030203434330d0a",
        "haproxy-v1-mixed": "50524f58592054435036203a3a666666663a3230332e30"
        "2e3131332e3720323030313a6462383a313a3a3920363535333520300d0a",
        "haproxy-v1-unix": "50524f585920554e4b4e4f574e0d0a",
        "haproxy-v2-ipv4": "0d0a0d0a000d0a515549540a2111000ccb007107c63364"
        "099c4001bb",
        "haproxy-v2-ipv6": "0d0a0d0a000d0a515549540a2121002420010db800000000"
        "000000000000000720010db80001000000000000000000099c4001bb",
        "haproxy-v2crc-ipv4": "0d0a0d0a000d0a515549540a21110013cb007107c633"
        "64099c4001bb030004cd824643",
        "haproxy-v2crc-unix": "0d0a0d0a000d0a515549540a20000007030004a9b87e"
        "8f",
    }
    for name, hexdata in golden.items():
        write("proxy_proto", name, bytes.fromhex(hexdata))
    inet = bytes([192, 0, 2, 1, 198, 51, 100, 2, 0x04, 0xd2, 0x01, 0xbb])
    inet6 = bytes(15) + b"\x01" + bytes(15) + b"\x02" + b"\xff\xff\x00\x01"
    unix = b"/run/a.sock".ljust(108, b"\0") + b"/run/b.sock".ljust(108, b"\0")
    tlvs = (tlv(1, b"h2") + tlv(2, b"ws.example.com") + tlv(5, b"id-42") +
            tlv(4, b"") + tlv(0x30, b"ns") + tlv(0xe0, b"\xff") +
            tlv(0x20, b"\x07\x00\x00\x00\x00" + tlv(0x21, b"TLSv1.3") +
                tlv(0x22, b"client") + tlv(0x23, b"TLS_AES_128_GCM_SHA256")))
    crc = tlv(3, bytes(4))
    seeds = {
        "v1-spec-example": b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443"
        b"\r\nGET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n",
        "v1-tcp6-max": b"PROXY TCP6 " + b"ffff:" * 7 + b"ffff " + b"ffff:" * 7 +
        b"ffff 65535 65535\r\n",
        "v1-unknown-max": b"PROXY UNKNOWN " + b"x" * 91 + b"\r\n",
        "v1-too-long": b"PROXY UNKNOWN " + b"x" * 92 + b"\r\n",
        "v1-lf-only": b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
        "v1-leading-zero": b"PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n",
        "v2-inet-dgram": pp2(0x21, 0x12, inet),
        "v2-inet6": pp2(0x21, 0x21, inet6) + b"payload",
        "v2-unix": pp2(0x21, 0x31, unix),
        "v2-unspec": pp2(0x21, 0x00, b""),
        "v2-local-with-addresses": pp2(0x20, 0x11, inet),
        "v2-tlvs": pp2(0x21, 0x11, inet + tlvs),
        "v2-tlvs-crc": pp2(0x21, 0x11, inet + tlvs + crc,
                           crc_at=len(inet + tlvs) + 3),
        "v2-crc-bad": pp2(0x21, 0x11, inet + crc),
        "v2-tlv-overrun": pp2(0x21, 0x11, inet + b"\x02\x00\x09abc"),
        "v2-too-long": PP2_SIG + b"\x21\x11\x10\x00" + inet,
        "v2-max": pp2(0x21, 0x11, inet + tlv(4, bytes(4096 - 16 - 12 - 3))),
        "not-proxy": b"GET / HTTP/1.1\r\n\r\n",
    }
    for name, data in seeds.items():
        write("proxy_proto", name, data)


# ---- Forwarded / X-Forwarded-For ---------------------------------------------

def forwarded():
    trusted = "10.0.0.0/8, 2001:db8:ffff::/48\n"
    seeds = {
        "rfc7239-examples": "for=\"_gazonk\"\n"
        "For=\"[2001:db8:cafe::17]:4711\"\n"
        "for=192.0.2.60;proto=http;by=203.0.113.43\n"
        "for=192.0.2.43, for=198.51.100.17",
        "walk-trusted": "for=198.51.100.1, for=192.0.2.43, for=10.0.0.2, "
        "for=\"[2001:db8:ffff::1]\"",
        "all-trusted": "for=10.0.0.5, for=10.0.0.6",
        "hidden-after-proxy": "for=unknown, for=10.0.0.2;proto=https",
        "quoted": "host=\"a,b;c\";for=\"\\192.0.2.1:00080\"",
        "instances": "for=\"broken\nfor=192.0.2.9",
        "xff": "203.0.113.5, 10.0.0.2\n[2001:db8::1]:443, ::ffff:10.0.0.3",
        "xff-junk-left": "<script>, 203.0.113.5, 10.1.2.3",
        "bad-range": "10.0.0.1/8\nfor=192.0.2.1",
        "mapped-range": "::ffff:10.0.0.0/104 ::/0 0.0.0.0/0\n"
        "for=\"[::ffff:10.0.0.2]\", for=192.0.2.1",
    }
    for name, text in seeds.items():
        if not text.startswith(("10.0.0.1/8", "::ffff")):
            text = trusted + text
        write("forwarded", name, text.encode())
# ---- /etc/hosts -------------------------------------------------------------

# ---- allowed_targets ---------------------------------------------------------

def allowed_targets():
    seeds = {
        "readme": "10.0.0.0/8:5900-5999, *.vm.example.com:5900, unix:/run/vnc",
        "v6": "[2001:db8::]/32:5900 [::1]:22 [::ffff:10.0.0.0]/104:*",
        "names": "console.example:22,1host.example:80\tA.B.example:1-65535",
        "bad-port": "10.0.0.0/8:0",
        "bad-unix": "unix:/run/../etc",
        "bad-v6": "2001:db8::1:22",
    }
    for name, text in seeds.items():
        write("allow", name, text.encode())


def hosts():
    debian = ("127.0.0.1\tlocalhost\n127.0.1.1\tbox.example.org\tbox\n\n"
              "# The following lines are desirable for IPv6 capable hosts\n"
              "::1     localhost ip6-localhost ip6-loopback\n"
              "ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n")
    seeds = {
        "debian-localhost": "localhost\n" + debian,
        "debian-alias": "BOX\n" + debian,
        "comments-crlf": "a\n  10.0.0.1 a # b\r\n10.0.0.2 b#a\n\t10.0.0.3 a",
        "bad-addresses": "x\nfe80::1%eth0 x\n300.1.1.1 x\nx x\n10.0.0.9 x",
        "no-newline": "h\n::ffff:1.2.3.4 h",
    }
    for name, text in seeds.items():
        write("hosts", name, text.encode())
# ---- token files and token extraction ------------------------------------------

def tokenfiles():
    # fuzz_tokenfile.c: one parameter byte (split points), then the file;
    # the same bytes also act as a request target, Cookie and Host.
    seeds = {
        "websockify": "# noVNC consoles\n\nvm1: 10.0.0.5:5900\n"
        "   vm2:   vm2.lab.example:5901   \n\t# indented\n"
        "vm3:\t[::1]:5902\nvm4: ::1:5903\na:b: host-x:1\n"
        "sock: unix_socket:/run/vnc/vm5.sock\ntwo words: h:2\n"
        "crlf: h:4\r\nlast: h:5",
        "duplicates": "vm1: h:1\nvm2: h:2\nvm1: other:3\nvm1: last:4\n",
        "bom-crlf": "\ufeffvm1: h:1\r\nvm2: [fe80::1%eth0]:22\r\n",
        "errors": "vm1: h:1\nt: h: 1\nvm3: h:3\n",
        "bad-targets": "a: h\nb: h:0\nc: unix_socket:rel\n"
        "d: unix_socket:/a/../b\ne: [::1]5900\n",
        "query": "/websockify?a=1&token=vm%31&token=vm2#frag",
        "query-plus": "/?tok%65n=a+b%20c%0A&x",
        "cookie": "novnc=1; token=\"vm1\"; token=vm2",
        "host": "vm1.example.com:8080",
        "host-v6": "[::1]:8080",
        "content": "  10.0.0.5:5900\n",
    }
    for name, text in seeds.items():
        write("tokenfile", name, b"\x00" + text.encode())


# ---- JWTs ----------------------------------------------------------------------

JWT_KEY = bytes(range(1, 33))  # fuzz_jwt.c key_text, decoded


def b64u(b):
    import base64
    return base64.urlsafe_b64encode(b).rstrip(b"=")


def hs256(header, claims, key=JWT_KEY):
    import hashlib
    import hmac
    si = b64u(header.encode()) + b"." + b64u(claims.encode())
    return si + b"." + b64u(hmac.new(key, si, hashlib.sha256).digest())


def jwts():
    # fuzz_jwt.c: one mode byte (0 token, 1 claims, 2 header, 3 base64).
    rfc_claims = (b"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6"
                  b"Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ")
    tokens = {
        "rfc7515-a1": b"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + rfc_claims +
        b".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "rfc7515-a3": b"eyJhbGciOiJFUzI1NiJ9." + rfc_claims +
        b".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
        b"pmWQxfKTUJqPP3-Kg6NU1Q",
        "hs256-host-port": hs256('{"alg":"HS256","typ":"JWT"}',
                                 '{"host":"10.0.0.5","port":5900,'
                                 '"exp":1800000000,"nbf":1600000000,'
                                 '"iat":1600000000,"aud":"wsgate",'
                                 '"iss":"portal"}'),
        "hs256-port-string": hs256('{"alg":"HS256"}',
                                   '{"host":"[::1]","port":"5901",'
                                   '"aud":["a","wsgate"],"exp":1.8e9}'),
        "hs256-unix": hs256('{"alg":"HS256","kid":"k1"}',
                            '{"unix_socket":"/run/vnc/vm1.sock",'
                            '"origin":"https://portal.example"}'),
        "hs256-websockify-unix": hs256('{"alg":"HS256"}',
                                       '{"host":"unix_socket",'
                                       '"port":"/run/a.sock"}'),
        "hs256-expired": hs256('{"alg":"HS256"}',
                               '{"host":"h","port":1,"exp":1000}'),
        "alg-none": b64u(b'{"alg":"none"}') + b"." +
        b64u(b'{"host":"evil","port":22}') + b".",
        "jwe": b"eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..aXY.Y3Q.dGFn",
    }
    for name, tok in tokens.items():
        write("jwt", name, b"\x00" + tok)
    claims = {
        "claims-escapes": '{"sub":"a\\u00e9\\ud83d\\ude00\\n\\"","host":'
        '"vm1","port":5900}',
        "claims-nested": '{"x":[1,{"y":[true,false,null,{"z":-0.5e-3}]}],'
        '"exp":17E8}',
        "claims-types": '{"exp":"1","port":true,"aud":[1]}',
        "claims-dup": '{"exp":1,"ex\\u0070":2}',
    }
    for name, text in claims.items():
        write("jwt", name, b"\x01" + text.encode())
    headers = {
        "header-crit": '{"alg":"HS256","crit":["exp"]}',
        "header-keys": '{"alg":"RS256","jku":"http://x","jwk":{"k":"x"},'
        '"x5c":["c"],"kid":"1","typ":"JWT","cty":"text"}',
        "header-nested": '{"alg":"HS256","cty":"JWT"}',
    }
    for name, text in headers.items():
        write("jwt", name, b"\x02" + text.encode())
    write("jwt", "base64-canonical", b"\x03Zm9vYmFy-_8")
    write("jwt", "secret-file", b"\x03AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e"
          b"HyA=\n")


# ---- probe ------------------------------------------------------------------

def probes():
    seeds = {
        "health": "http://127.0.0.1:8080/healthz\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
        "ipv6-503": "http://[::1]:9100/readyz?x=1#f\n"
        "HTTP/1.0 503 Service Unavailable\n",
        "no-port-no-reason": "HTTP://h\nHTTP/1.1 204\r\n",
        "bad-url": "https://u:p@h:0/a b\nSSH-2.0-x\r\n",
        "short": "http://h:1?q\nHTTP/1.1 2",
    }
    for name, text in seeds.items():
        write("probe", name, text.encode())


# ---- websockify drop-in building blocks (issue 12) -------------------------

# Hashes of "correct horse battery staple" (tests/unit/test_htpasswd.c).
HASH_Y = "$y$j9T$1m0yPKuGqzkR3w51t8BZ40$3QTsKNbXnBwwiKyR/Q0JeYuo2SyDbVNJkDYR1iwgBa0"
HASH_B = "$2y$05$tXksR2QAw50O3KGmR4ZmrO251456kzpHINCwp/3etJlmb3P4MkbJS"
HASH_S = ("$6$PXCP5XRXHqYwoYTb$Qu.dXsVPXXoucI1mXlkhfwpJ8NpOBTgnPMcuuIWDd9jY"
          "NHhxL04kqKV6ElpwUaFLNAxkawfyhe6Hrt8.TQRQk.")
HASH_SR = ("$6$rounds=10000$UQVXgYbUkokfn/m7$CZhCgMZHdKlZkabThKnIqCVolltcqNPq"
           "Psfe1p.iS1uA9PoshYMKH1gj3rBhLTbs8pGtprVaWzN2WCV3EqRoG/")


def htpasswd_files():
    seeds = {
        "three-kinds": "# users\nalice:%s\nbob:%s\ncarol:%s\n" % (
            HASH_Y, HASH_B, HASH_S),
        "crlf-blanks-extra": "\r\n  alice:%s  \r\n\t# c\r\nbob:%s:Bob:x"
        % (HASH_SR, HASH_B),
        "plain": "alice:secret\n",
        "weak": "a:$apr1$8pZIYpFp$1LvWn82Q1NTPVa2ftXrk40\n"
        "b:{SHA}q/eq1kOINtvlJqojGr3i0O73TUI=\nc:HWCB8XDZ2qnTc\n",
        "sha256": "a:$5$qiQYJs9itA/xVYv8$G5YxLx1SOQlhjmdWLw.UrkOfUXlGbBzEhEJTU"
        "fEH9wB\n",
        "twice": "a:%s\nb:%s\na:%s\n" % (HASH_Y, HASH_Y, HASH_B),
        "costly": "a:$y$jCT$jkFLJtcNKLE6LYqSiLy0n1$WQKOOGwZB50RzDfcd9kDHEHpB0c"
        "o3eTf1.4pCuW9kf/\nb:$2y$14$oxTBj4vpZsc9LVj4Y14IYubSQsJ0b0OdmSZ2Tml9"
        "9PKO2RAJilo6q\n",
        "no-colon": "alice\n",
    }
    for name, text in seeds.items():
        write("htpasswd", name, text.encode())


def basic_auth_values():
    import base64
    b64 = lambda raw: base64.b64encode(raw).decode()
    seeds = {
        "rfc7617": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        "utf8": "Basic dGVzdDoxMjPCow==",
        "lower-spaces": "  basic    " + b64(b"user:pa:ss") + " ",
        "empty-pass": "Basic " + b64(b"u:"),
        "no-colon": "Basic " + b64(b"nocolon"),
        "ctl": "Basic " + b64(b"u:p\x00w"),
        "bearer": "Bearer abc.def",
        "unpadded": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ",
        "noncanonical": "Basic dTpwcR==",
        "long": "Basic " + b64(b"u" * 128 + b":" + b"p" * 256),
        "decoded-form": "alice:correct horse",
    }
    for name, text in seeds.items():
        write("basic_auth", name, text.encode("latin-1"))


def subprotocol_headers():
    # First byte: bit 0 require, bits 1-3 how many route names.
    seeds = {
        "binary": (6, "binary"),
        "chat-binary": (6, "chat, binary"),
        "repeated": (6, "chat\n\n binary , base64"),
        "case": (4, "BINARY, Base64"),
        "require-none": (7, ""),
        "require-other": (7, "chat"),
        "junk": (14, "bin ary, \"binary\", b/c, ~|`, x,,,"),
        "many": (2, ",".join(["p%d" % i for i in range(70)])),
    }
    for name, (flags, text) in seeds.items():
        write("subproto", name, bytes([flags]) + text.encode())


def web_answers():
    # First byte: bit 0 HEAD, 1 .br, 2 .gz, 3 stale siblings, 4-6 which
    # of If-None-Match, If-Modified-Since, Accept-Encoding (the lines).
    seeds = {
        "plain": (0x00, ""),
        "gzip-br": (0x46, "\n\ngzip, deflate, br"),
        "q0": (0x46, "\n\ngzip;q=0, br;q=0.000, *;q=0.5"),
        "star-q0": (0x46, "\n\n*;q=0"),
        "inm-list": (0x16, "\"x\", W/\"y\", *"),
        "ims-fixdate": (0x20, "\nSun, 06 Nov 1994 08:49:37 GMT"),
        "ims-rfc850": (0x20, "\nSunday, 06-Nov-94 08:49:37 GMT"),
        "ims-asctime": (0x20, "\nSun Nov  6 08:49:37 1994"),
        "ims-future": (0x21, "\nFri, 31 Dec 9999 23:59:59 GMT"),
        "stale": (0x4e, "\n\nbr"),
        "all": (0xf7, "\"a\"\nThu, 01 Jan 1970 00:00:00 GMT\nx-gzip;q=1"),
    }
    for name, (flags, text) in seeds.items():
        write("webresp", name, bytes([flags]) + text.encode())


def durations():
    # First byte: the maximum (fuzz_duration.c maxes[]).
    for i, text in enumerate(["5m", "1h30m", "90s", "250ms", "1.5", "0",
                              "1d2h3m4s5ms", "0.0000015", "30m1h", "1h30",
                              "5M", "1 h", "-1s", "99999999999999999999s",
                              "1.5h", ".5"]):
        write("duration", "d%02d-%s" % (i, text.replace(" ", "_")),
              bytes([i % 6]) + text.encode())


def utf8_split_seeds():
    seeds = {
        "ascii": b"hello, world\n",
        "mixed": "h\u00e9llo \u20ac \U0001f600 \U0010ffff".encode(),
        "cut-4": "ab\U0001f600".encode()[:-1],
        "cut-3": "ab\u20ac".encode()[:-2],
        "overlong": b"ab\xc0\x80",
        "surrogate": b"ab\xed\xa0\x80",
        "above": b"ab\xf4\x90\x80\x80",
        "lone-cont": b"\x80abc",
    }
    for name, data in seeds.items():
        write("utf8_split", name, data)


def recordings():
    def header(fields=((1, b"vnc"), (2, b"192.0.2.7:400"),
                       (3, b"127.0.0.1:5900")), version=1):
        body = b"".join(struct.pack(">BH", t, len(v)) + v for t, v in fields)
        return (b"\x89WSGREC\n" + struct.pack(">HHIQ", version,
                24 + len(body), 0, 1704067200000000) + body)

    def rec(t, us, data):
        return struct.pack(">BQI", t, us, len(data)) + data

    full = ((1, b"vnc"), (2, b"[2001:db8::7]:40000"),
            (3, b"unix:/run/vnc.sock"), (4, b"s-1"), (5, b"/ws?t=1"),
            (6, b"binary"), (99, b"unknown"))
    seeds = {
        "doc-example": header() + rec(1, 123456, b"RFB"),
        "session": header(full) + rec(1, 0, b"RFB 003.008\n") +
        rec(2, 10, b"RFB 003.008\n") + rec(2, 10, b"") +
        rec(3, 20, b"record_max_bytes reached") +
        rec(4, 30, b"code=1000 by=backend"),
        "backwards": header() + rec(1, 10, b"a") + rec(2, 5, b"b"),
        "after-end": header() + rec(4, 1, b"") + rec(1, 2, b"a"),
        "after-stop": header() + rec(3, 1, b"") + rec(1, 2, b"a"),
        "huge-length": header() + struct.pack(">BQI", 1, 0, 0xffffffff),
        "version-2": header(version=2),
        "repeated-field": header(((1, b"a"), (1, b"b"), (2, b"c"),
                                  (3, b"t"))),
        "websockify": b"var VNC_frame_data = [\n'{0{AAAA',\n'EOF'];\n",
    }
    for name, data in seeds.items():
        write("record", name, data)


# ---- TLS: session ticket key files and rings, server_name bodies -----------

def ticketkeys():
    key = bytes(range(80))
    other = bytes((i * 7 + 3) & 0xFF for i in range(80))
    # selector 0: a key file
    write("ticketkey", "file-one", b"\x00" + key)
    write("ticketkey", "file-two", b"\x00" + key + other)
    write("ticketkey", "file-eight", b"\x00" + b"".join(
        bytes([i]) + key[1:] for i in range(8)))
    write("ticketkey", "file-short", b"\x00" + key[:48])
    write("ticketkey", "file-same-name", b"\x00" + key + key)
    # selector 1: rotations (op odd) and lookups (op even)
    steps = b"".join(bytes([op, delta, life]) + k for op, delta, life, k in (
        (1, 0, 3, key), (0, 4, 3, key), (1, 16, 3, other), (0, 1, 3, key),
        (0, 40, 3, key), (1, 4, 0, key), (1, 4, 0, other), (0, 2, 0, key)))
    write("ticketkey", "ring-schedule", b"\x01" + steps)


def sni_exts():
    def ext(name, typ=0):
        entry = bytes([typ]) + struct.pack(">H", len(name)) + name
        return struct.pack(">H", len(entry)) + entry
    write("sni", "a-example", ext(b"a.example"))
    write("sni", "longest", ext(b"a" * 255))
    write("sni", "too-long", ext(b"a" * 256))
    write("sni", "not-host-name", ext(b"a.example", 1))
    write("sni", "nul", ext(b"a.ex\0mple"))
    write("sni", "two-entries", struct.pack(">H", 8) + b"\x00\x00\x01x"
          b"\x00\x00\x01y")
    write("sni", "empty-list", b"\x00\x00")


def log_lines():
    # First byte: output size (0: 8192, else 128 + 4 * byte).
    seeds = {
        "close": (0, b'close client=127.0.0.1:37944 route=echo up=17957121 '
                  b'down=17957121 duration=1.280s code=1000 by=client '
                  b'reason="client sent close"'),
        "reject": (0, b'reject client=[::1]:5 status=403 path="/a\\x22b" '
                   b'origin="https://evil.example" route=- '
                   b'reason="origin not allowed for this route"'),
        "web": (0, b'web client=127.0.0.1:1 status=404 path="/x" bytes=130 '
                b'duration=0.001s reason="No such file or directory"'),
        "tls-rest": (0, b'tls client=127.0.0.1:58070 handshake failed: '
                     b'unsupported protocol'),
        "no-event": (0, b'listening on 127.0.0.1:8080'),
        "escapes": (0, b'e a="caf\\xc3\\xa9 \\xf0\\x9f\\x98\\x80 '
                    b'\\x00\\x1b\\xff" b=\\x41 c=-1.5 d=01'),
        "raw-bytes": (0, b'e a="\x01\xc3\xa9\xff\xed\xa0\x80" b=1'),
        "forgery": (0, b'e a=1 level=error ts=0 a=2 event=x'),
        "quotes": (0, b'e a="x"y b="unterminated c=1'),
        "cut-small": (1, b'close client=127.0.0.1:1 reason="' +
                      b'\\x01' * 200 + b'"'),
        "many-fields": (0, b'e' + b''.join(b' k%d=%d' % (i, i)
                                           for i in range(70))),
    }
    for name, (size, text) in seeds.items():
        write("log_json", name, bytes([size]) + text)


def admin_requests():
    # First byte: the method (fuzz_admin_req.c methods[]: 0 GET, 1 HEAD,
    # 2 POST, 3 PUT, 4 get, 5 empty, 6 GETS).
    seeds = {
        "metrics": (0, b"/metrics"),
        "metrics-head": (1, b"/metrics?x=1"),
        "healthz": (0, b"/healthz"),
        "readyz": (0, b"/readyz"),
        "sessions": (0, b"/sessions?limit=50&route=echo"),
        "sessions-escaped": (0, b"/sessions?route=a%2Db+c&&limit=10000"),
        "close": (2, b"/sessions/42/close?code=4000&reason=maintenance+window"),
        "close-utf8": (2, b"/sessions/18446744073709551615/close?reason="
                       b"caf%C3%A9%20%E2%82%AC&code=1008"),
        "close-bad-code": (2, b"/sessions/1/close?code=1006"),
        "close-long": (2, b"/sessions/1/close?reason=" + b"r" * 124),
        "close-get": (0, b"/sessions/1/close"),
        "bad-escape": (2, b"/sessions/1/close?reason=50%"),
        "put": (3, b"/metrics"),
        "not-a-path": (0, b"http://h/metrics"),
    }
    for name, (method, target) in seeds.items():
        write("admin_req", name, bytes([method]) + target)


# ---- h2 ------------------------------------------------------------------
# fuzz_h2.c: a policy byte (2 bits per stream: 0 answered 200, 1 backend
# failed 502, 2 held open, 3 the session layer out of memory), then what
# follows the connection preface: HTTP/2 frames (RFC 9113 4.1), header
# blocks as HPACK literals without indexing (RFC 7541 6.2.2).

def h2_frame(ftype, flags, sid, payload=b""):
    return (struct.pack("!I", len(payload))[1:] + bytes([ftype, flags]) +
            struct.pack("!I", sid) + payload)


def hpack_literal(fields):
    out = b""
    for name, value in fields:
        out += b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value
    return out


def h2_connect(sid, path=b"/echo", origin=b"https://ok.example",
               protocol=b"websocket", flags=0x4):
    fields = [(b":method", b"CONNECT"), (b":protocol", protocol),
              (b":scheme", b"https"), (b":path", path),
              (b":authority", b"localhost"),
              (b"sec-websocket-version", b"13"), (b"origin", origin)]
    return h2_frame(0x1, flags, sid, hpack_literal(fields))


def h2_seeds():
    settings = h2_frame(0x4, 0, 0)
    ack = h2_frame(0x4, 0x1, 0)
    ws = frame(2, b"hello", key=ZERO_KEY)
    wclose = close(1000, key=ZERO_KEY)
    write("h2", "echo", b"\x00" + settings + ack + h2_connect(1) +
          h2_frame(0x0, 0, 1, ws) + h2_frame(0x0, 0x1, 1, wclose))
    write("h2", "two-streams", b"\x08" + settings + h2_connect(1) +
          h2_connect(3, path=b"/echo?x=1") + h2_frame(0x0, 0, 3, ws) +
          h2_frame(0x3, 0, 1, struct.pack("!I", 8)))
    write("h2", "rejects", b"\x00" + settings + h2_connect(1, path=b"/no") +
          h2_connect(3, origin=b"https://evil.example") +
          h2_connect(5, protocol=b"chat") +
          h2_frame(0x1, 0x5, 7, hpack_literal([(b":method", b"GET"),
                                              (b":scheme", b"https"),
                                              (b":path", b"/"),
                                              (b":authority", b"a")])) +
          h2_frame(0x1, 0x5, 9, hpack_literal([(b":method", b"HEAD"),
                                              (b":scheme", b"https"),
                                              (b":path", b"/healthz"),
                                              (b":authority", b"a")])))
    block = h2_connect(1)[9:]
    write("h2", "continuation", b"\x02" + settings +
          h2_frame(0x1, 0, 1, block[:20]) +
          h2_frame(0x9, 0, 1, block[20:40]) +
          h2_frame(0x9, 0x4, 1, block[40:]))
    write("h2", "floods", b"\x00" + settings +
          b"".join(h2_frame(0x6, 0, 0, b"12345678") for _ in range(20)) +
          h2_connect(1) + b"".join(h2_frame(0x0, 0, 1) for _ in range(20)) +
          h2_frame(0x8, 0, 1, struct.pack("!I", 1 << 20)) +
          h2_frame(0x7, 0, 0, struct.pack("!II", 1, 0)))
def cli_argvs():
    # NUL-separated arguments after the program name (fuzz_cli.c).
    seeds = {
        "plain": ["6080", "localhost:5900"],
        "novnc": ["--web", "/usr/share/novnc", "6080", "localhost:5900"],
        "tls": ["--cert", "self.pem", "--key=k.pem", "--ssl-only",
                "--ssl-version", "tlsv1_3", "--ssl-ciphers", "ECDHE",
                "[::1]:6080", "[::1]:5900"],
        "verify": ["--cert", "/c", "--verify-client", "--cafile", "ca",
                   "--auth-plugin", "ClientCertCNAuth", "--auth-source",
                   "alice bob", "0.0.0.0:6080", "h:1"],
        "origin": ["--auth-plugin=ExpectOrigin", "--auth-source",
                   "https://a.example http://b:8080", "-v", "6080", "h:1"],
        "process": ["--run-once", "--timeout", "90", "--idle-timeout=5m",
                    "--log-file", "/tmp/l", "6080", "h:1"],
        "file": ["-tvq", "-c", "/etc/wsgate/wsgate.ini"],
        "print": ["--print-config", "--ssl-target", "-6", "6080",
                  "::1:5900"],
        "refused": ["-D", "6080", "h:1"],
        "unix": ["--unix-target", "vnc.sock", "--heartbeat", "30", "6080"],
        "tokens": ["--token-plugin", "TokenFile", "--token-source", "t",
                   "--host-token", "--allowed-targets", "10.0.0.0/8:*",
                   "6080"],
        "wrap": ["6080", "h:1", "--", "Xvnc"],
        "injection": ["--web", "/a\n[route:x]", "6080", "h:1"],
    }
    for name, args in seeds.items():
        write("cli", name, "\0".join(args).encode())


def main():
    cli_argvs()
    frames()
    handshakes()
    utf8()
    configs()
    origins()
    proxy_headers()
    forwarded()
    hosts()
    allowed_targets()
    tokenfiles()
    jwts()
    probes()
    htpasswd_files()
    basic_auth_values()
    subprotocol_headers()
    web_answers()
    durations()
    utf8_split_seeds()
    recordings()
    log_lines()
    admin_requests()
    ticketkeys()
    sni_exts()
    h2_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
