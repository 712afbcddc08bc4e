"""test_log_inputs.py -- every string a client controls reaches the log
escaped (issue 9.7).

One gateway at -v (debug) on a plain and a TLS listener; hostile bytes
(newline, ESC[31m, quotes, backslash, bytes >= 0x80, NUL where the
protocol lets them through) in every client-controlled field: TLS server
name, ALPN offer, client certificate CN and SAN, request path, Origin,
Host, User-Agent, Sec-WebSocket-Protocol, other headers, message
payloads, close reasons.  Then every line of stderr must be printable
ASCII and start with a timestamp and level (no forged line), no field
may carry a raw quote, and each field that is logged must appear in
log_escape()'s form.

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate \\
        -k test_log_inputs
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest

import harness as H
from tls_support import OPENSSL, PKI

PKI_DIR = None
pki = None

# In every hostile value: a raw '"' in the log means a field went
# unescaped (log_msg's own last resort escapes only non-printable bytes).
QUOTE = b'q"q'
LINE = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
                  rb"(error|warn|info|debug) [ -~]*\n$")


def setUpModule():
    global PKI_DIR, pki
    PKI_DIR = tempfile.mkdtemp(prefix="wsgate-logpki-")
    pki = PKI(PKI_DIR)
    # openssl's -subj takes "\\" for a backslash; the rest as is.
    pki.hostile = pki.leaf(
        "hostile", 'CNTAG\nFORGED info x\x1b[31m q"q \\\\ \u00e9\u202e end',
        ['DNS:SAN\x1b[31mq"q.test'], usage="clientAuth")


def tearDownModule():
    shutil.rmtree(PKI_DIR, ignore_errors=True)


def esc(b):
    """What log_escape() makes of bytes b."""
    return "".join(chr(c) if 0x20 <= c < 0x7f and c not in (0x22, 0x5c)
                   else "\\x%02x" % c for c in b)


def cert_cn(path):
    for rdn in ssl._ssl._test_decode_cert(path)["subject"]:
        for k, v in rdn:
            if k == "commonName":
                return v
    raise AssertionError("no CN in " + path)


def request(path, headers, method=b"GET", upgrade=True):
    """Request bytes, headers as (name, value) bytes pairs."""
    lines = [method + b" " + path + b" HTTP/1.1"]
    if upgrade:
        lines += [b"Upgrade: websocket", b"Connection: Upgrade",
                  b"Sec-WebSocket-Key: " + H.new_key().encode(),
                  b"Sec-WebSocket-Version: 13"]
    lines += [k + b": " + v for k, v in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


# Header values may hold anything but control characters (tab aside):
# quotes, backslashes and bytes >= 0x80 pass the parser.
VALUE = b'\tq"q \\ \xff\xfe\xc3\xa9 end'
NOISE = [(b"Host", b"HOST" + VALUE), (b"User-Agent", b"UA" + VALUE),
         (b"Sec-WebSocket-Protocol", b"binary, P" + VALUE),
         (b"X-Hostile", b"X" + VALUE), (b"Cookie", b"C" + VALUE)]


class HostileInputs(unittest.TestCase):
    def test_every_client_string_is_escaped(self):
        web = tempfile.mkdtemp(prefix="wsgate-logweb-")
        self.addCleanup(shutil.rmtree, web, True)
        with open(os.path.join(web, "index.html"), "w") as f:
            f.write("hi\n")
        with H.EchoBackend() as be:
            cfg = H.config(
                {"echo": {"path": "/echo", "backend": be.addr,
                          "origins": "https://good.example"},
                 "certs": {"path": "/certs", "backend": be.addr,
                           "allowed_client_cns": "alice"}},
                {"listen": ["127.0.0.1:0", "127.0.0.1:0 tls"],
                 "tls_cert": pki.server.cert, "tls_key": pki.server.key,
                 "tls_client_ca": pki.ca, "tls_verify_client": "optional",
                 "web_root": web})
            with H.Gateway(None, cfg) as gw:
                self.walk(gw)

    def walk(self, gw):
        plain, tls = gw.ports
        expect = {}

        # TLS: server name, ALPN offer and client certificate (CN and
        # SAN), then an upgrade whose certificate name is refused.
        sni = 'SNITAG\nFORGED info x\x1b[31m q"q \\ end'
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        # (No h2 in the offer: this walk speaks HTTP/1.1.)
        ctx.set_alpn_protocols(['A\n"q"q\x1b[31m', "http/1.1"])
        ctx.load_cert_chain(pki.hostile.cert, pki.hostile.key)
        c = H.RawClient(tls)
        c.sock = ctx.wrap_socket(c.sock, server_hostname=sni)
        with c:
            r = c.request(request(b"/certs", NOISE + [
                (b"Origin", b"https://O" + VALUE)]))
            self.assertEqual(r.status, 403)
        expect["server name"] = "sni=" + esc(sni.encode())
        expect["certificate CN"] = "CN=" + esc(
            cert_cn(pki.hostile.cert).encode())

        # A server name with bytes >= 0x80 (Python would punycode it).
        sni2 = b'SNI2TAG\xff\xfe"q\\\x1b[31m'
        subprocess.run([OPENSSL.encode(), b"s_client", b"-connect",
                        b"127.0.0.1:%d" % tls, b"-servername", sni2],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=H.timeout(10))
        expect["server name (bytes)"] = "sni=" + esc(sni2)

        # Plain: a refused Origin, an unknown path (upgrade and GET), a
        # path in the request line with control characters.
        origin = b"https://ORIGINTAG" + VALUE
        with H.RawClient(plain) as c:
            r = c.request(request(b"/echo", NOISE + [(b"Origin", origin)]))
            self.assertEqual(r.status, 403)
        expect["Origin"] = 'origin="' + esc(origin) + '"'
        path = b'/PATHTAG"q"q\\\xff\xfe%0a'
        with H.RawClient(plain) as c:
            self.assertEqual(c.request(request(path, NOISE)).status, 404)
        expect["upgrade path"] = 'path="' + esc(path) + '"'
        webpath = b'/WEBTAG"q"q\\\xff\xfe'
        with H.RawClient(plain) as c:
            self.assertEqual(c.request(request(webpath, NOISE,
                                               upgrade=False)).status, 404)
        expect["web path"] = 'path="' + esc(webpath) + '"'
        for bad in (request(b"/echo\x1b[31m\nFORGED", NOISE),
                    request(b"/echo", [(b"Origin", b"O\x1b[31m\x00")]),
                    request(b"/echo", [(b'Bad"Name\xff', b"v")]),
                    request(b"/echo", [], method=b'G"ET\xff')):
            with H.RawClient(plain) as c:
                self.assertEqual(c.request(bad).status, 400)

        # Open sessions: hostile payloads, close reasons (valid UTF-8 with
        # control characters; then invalid UTF-8).
        for reason, code in (('CLOSETAG\nFORGED\x1b[31m q"q \\'.encode(),
                              1000),
                             (b'CLOSE2\xff\n"q"q', 1007)):
            with H.RawClient(plain) as c:
                c.handshake("/echo", origin="https://good.example")
                payload = '\nFORGED info\x1b[31m q"q \\ \u00e9'.encode()
                c.send_frame(H.OP_TEXT, payload)
                self.assertEqual(c.recv_data(len(payload))[0], payload)
                c.send_frame(H.OP_CLOSE, H.close_payload(4000, reason))
                self.assertEqual(c.recv_close().close_code,
                                 4000 if code == 1000 else code)
                c.expect_eof()
        gw.wait_log(r"close client=.* code=1007 ")
        gw.wait_log(r"close client=.* code=4000 ")

        # Every line: one event, printable ASCII, no raw quote from a
        # client.
        with gw._cond:
            raw = list(gw.raw_lines)
        for line in raw:
            self.assertRegex(line, LINE, "a line that is not one whole "
                             "printable event")
            self.assertNotIn(QUOTE, line, "a client's quote, unescaped")
        text = "\n".join(gw.lines)
        for what, want in expect.items():
            self.assertIn(want, text, "%s: not logged as log_escape() "
                          "writes it" % what)
