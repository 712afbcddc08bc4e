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
    }
    for name, text in seeds.items():
        write("origin", name, text.encode())


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


def main():
    frames()
    handshakes()
    utf8()
    configs()
    origins()
    probes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
