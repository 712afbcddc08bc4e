"""test_keepalive.py -- web_root as a static file server: keep-alive
(request cap, idle timeout, pipelining, the upgrade after GETs, idle
connections giving way), validators and 304, HEAD, precompressed
siblings."""

import gzip
import http.client
import os
import select
import signal
import time

import shutil
import socket
import tempfile

import harness as h
from harness import OP_BINARY
from tls_support import PKI

JS = b"export const answer = 42;\n" * 40
FILES = {"www/index.html": "<p>hello</p>\n",
         "www/app.js": JS.decode(),
         "www/plain.txt": "plain\n"}


PKI_DIR = None
pki = None


def setUpModule():
    global PKI_DIR, pki
    PKI_DIR = tempfile.mkdtemp(prefix="wsgate-pki-")
    pki = PKI(PKI_DIR)


def tearDownModule():
    shutil.rmtree(PKI_DIR, ignore_errors=True)


def tls_client(port):
    """A RawClient over TLS (its helpers read and write self.sock)."""
    raw = socket.create_connection(("127.0.0.1", port), h.timeout(5))
    c = h.RawClient.__new__(h.RawClient)
    c.sock = pki.client_ctx().wrap_socket(raw, server_hostname="localhost")
    c.limit, c.buf, c.eof = 5.0, bytearray(), False
    return c


def get(path, headers=(), method="GET", version="HTTP/1.1"):
    lines = ["%s %s %s" % (method, path, version), "Host: x"]
    lines += ["%s: %s" % kv for kv in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class KeepAlive(h.GatewayTestCase):
    def start(self, **gw):
        self.echo = self.backend(h.EchoBackend)
        conf = {"web_root": "www", "health_path": "/healthz"}
        conf.update(gw)
        self.gw = self.gateway(
            {"ws": {"path": "/ws", "backend": self.echo.addr}}, conf,
            extra_files=FILES)
        self.www = os.path.join(self.gw.dir, "www")
        return self.gw

    def conn(self):
        c = http.client.HTTPConnection("127.0.0.1", self.gw.port,
                                       timeout=h.timeout(5))
        self.addCleanup(c.close)
        return c

    def fetch(self, c, path, headers=None, method="GET"):
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r, r.read()

    def test_many_requests_one_connection(self):
        self.start()
        c = self.conn()
        r, body = self.fetch(c, "/")
        sock = c.sock
        self.assertEqual(body, b"<p>hello</p>\n")
        self.assertIsNone(r.getheader("Connection"))
        for i in range(20):
            path = ("/app.js", "/plain.txt", "/healthz", "/nosuch")[i % 4]
            r, body = self.fetch(c, path)
            self.assertEqual(r.status, 404 if path == "/nosuch" else 200)
            self.assertIs(c.sock, sock, "a new connection for %s" % path)
        self.assertEqual(r.getheader("Cache-Control"), "no-store")
        r, body = self.fetch(c, "/app.js")
        self.assertEqual(body, JS)
        self.assertEqual(r.getheader("Content-Type"),
                         "text/javascript; charset=utf-8")
        self.assertEqual(r.getheader("Cache-Control"), "no-cache")
        self.assertIs(c.sock, sock)
        # One connection: one client port in every web line.
        self.gw.wait_log(r"web client=\S+ status=200 path=\"/app\.js\"")
        ports = {m.group(1) for m in
                 self.gw.find_log(r" web client=(\S+) ")}
        self.assertEqual(len(ports), 1, ports)

    def test_validators_and_304(self):
        self.start(web_cache_control="max-age=60, must-revalidate")
        c = self.conn()
        r, body = self.fetch(c, "/app.js")
        etag, lm = r.getheader("ETag"), r.getheader("Last-Modified")
        self.assertRegex(etag, r'^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$')
        self.assertTrue(lm.endswith(" GMT"), lm)
        self.assertTrue(r.getheader("Date").endswith(" GMT"))
        self.assertEqual(r.getheader("Cache-Control"),
                         "max-age=60, must-revalidate")
        for hdrs in ({"If-None-Match": etag},
                     {"If-None-Match": '"x", W/' + etag},
                     {"If-None-Match": "*"},
                     {"If-Modified-Since": lm}):
            with self.subTest(hdrs=hdrs):
                r, body = self.fetch(c, "/app.js", hdrs)
                self.assertEqual(r.status, 304)
                self.assertEqual(body, b"")
                self.assertEqual(r.getheader("ETag"), etag)
                self.assertEqual(r.getheader("Cache-Control"),
                                 "max-age=60, must-revalidate")
                self.assertIsNone(r.getheader("Content-Length"))
        # If-None-Match decides alone: a stale tag is a 200, whatever
        # If-Modified-Since says.
        r, body = self.fetch(c, "/app.js", {"If-None-Match": '"old"',
                                            "If-Modified-Since": lm})
        self.assertEqual((r.status, body), (200, JS))
        # The file changes: its tag too, and the old one gets a 200.
        path = os.path.join(self.www, "app.js")
        with open(path, "ab") as f:
            f.write(b"//\n")
        r, body = self.fetch(c, "/app.js", {"If-None-Match": etag})
        self.assertEqual((r.status, body), (200, JS + b"//\n"))
        self.assertNotEqual(r.getheader("ETag"), etag)

    def test_head(self):
        self.start()
        c = self.conn()
        r, body = self.fetch(c, "/app.js", method="HEAD")
        self.assertEqual((r.status, body), (200, b""))
        self.assertEqual(r.getheader("Content-Length"), str(len(JS)))
        self.assertTrue(r.getheader("ETag"))
        r, body = self.fetch(c, "/nosuch", method="HEAD")
        self.assertEqual((r.status, body), (404, b""))
        # The connection goes on: nothing of a body was sent.
        r, body = self.fetch(c, "/plain.txt")
        self.assertEqual((r.status, body), (200, b"plain\n"))

    def test_precompressed_siblings(self):
        self.start()
        with open(os.path.join(self.www, "app.js.gz"), "wb") as f:
            f.write(gzip.compress(JS))
        with open(os.path.join(self.www, "app.js.br"), "wb") as f:
            f.write(b"BROTLI")
        c = self.conn()
        cases = [("gzip, deflate, br", "br", b"BROTLI"),
                 ("gzip, br;q=0", "gzip", None),
                 ("br;q=0, gzip;q=0", None, JS),
                 ("identity", None, JS),
                 ("*", "br", b"BROTLI")]
        for ae, enc, want in cases:
            with self.subTest(ae=ae):
                r, body = self.fetch(c, "/app.js", {"Accept-Encoding": ae})
                self.assertEqual(r.getheader("Content-Encoding"), enc)
                self.assertEqual(r.getheader("Vary"), "Accept-Encoding")
                self.assertEqual(r.getheader("Content-Type"),
                                 "text/javascript; charset=utf-8")
                if enc == "gzip":
                    self.assertEqual(gzip.decompress(body), JS)
                else:
                    self.assertEqual(body, want)
        # No sibling: no Vary.
        r, body = self.fetch(c, "/plain.txt", {"Accept-Encoding": "gzip"})
        self.assertIsNone(r.getheader("Vary"))
        self.assertIsNone(r.getheader("Content-Encoding"))
        # A sibling older than the file is a stale build: not sent.
        os.utime(os.path.join(self.www, "app.js.br"), (1, 1))
        os.utime(os.path.join(self.www, "app.js.gz"), (1, 1))
        r, body = self.fetch(c, "/app.js", {"Accept-Encoding": "br, gzip"})
        self.assertEqual(body, JS)
        self.assertIsNone(r.getheader("Content-Encoding"))

    def test_idle_timeout_closes(self):
        self.start(keepalive_timeout="300ms")
        c = self.raw(self.gw)
        c.send(get("/plain.txt"))
        r = c.read_response()
        self.assertEqual(c.read_body(r), b"plain\n")
        t0 = time.monotonic()
        self.assertEqual(c.expect_eof(limit=5), b"")
        self.assertGreater(time.monotonic() - t0, 0.25)
        self.gw.wait_log(r"kept-alive connection closed after 1 requests "
                         r"\(keepalive_timeout\)")

    def test_request_cap_closes(self):
        self.start(keepalive_requests=3)
        c = self.raw(self.gw)
        for i in range(3):
            r = c.request(get("/plain.txt"))
            self.assertEqual(c.read_body(r), b"plain\n")
            self.assertEqual(r.header("connection"),
                             "close" if i == 2 else None)
        self.assertEqual(c.expect_eof(), b"")

    def test_close_cases(self):
        self.start()
        for req in (get("/plain.txt", [("Connection", "close")]),
                    get("/plain.txt", version="HTTP/1.0"),
                    get("/plain.txt", version="HTTP/1.0",
                        headers=[("Connection", "keep-alive")]),
                    get("/plain.txt", [("Content-Length", "3")]),
                    get("/ws")):
            with self.subTest(req=req):
                c = self.raw(self.gw)
                r = c.request(req)
                self.assertEqual(r.header("connection"), "close")
                c.expect_eof()

    def test_pipelined(self):
        self.start()
        c = self.raw(self.gw)
        c.send(get("/plain.txt") + get("/nosuch") + get("/plain.txt",
               method="HEAD") + get("/index.html"))
        statuses = []
        for i in range(4):
            r = c.read_response()
            statuses.append(r.status)
            body = c.read_body(r) if i != 2 else b""
            if i == 3:
                self.assertEqual(body, b"<p>hello</p>\n")
        self.assertEqual(statuses, [200, 404, 200, 200])

    def test_pipelining_client_that_never_reads(self):
        # Requests are read only as their answers leave: a client that
        # sends many and reads none holds one answer in the gateway, and
        # is cut off once it has taken nothing for send_timeout.
        self.start(send_timeout="500ms")
        with open(os.path.join(self.www, "big.bin"), "wb") as f:
            f.write(b"x" * (8 << 20))
        c = self.raw(self.gw, rcvbuf=4096)
        mark = self.gw.mark()
        c.send(get("/big.bin") * 50)
        self.gw.wait_log(r"web client=\S+ status=200 path=\"/big\.bin\" "
                         r".*reason=\"send_timeout", limit=10, start=mark)
        # One answer started, none finished, the other 49 never read.
        self.assertEqual(len(self.gw.find_log(r"path=\"/big\.bin\"",
                                              start=mark)), 1)

    def test_upgrade_after_gets(self):
        self.start()
        c = self.raw(self.gw)
        for path in ("/", "/app.js"):
            r = c.request(get(path))
            c.read_body(r)
            self.assertEqual(r.status, 200)
        c.handshake("/ws", origin="http://x")
        c.send_frame(OP_BINARY, b"after two GETs")
        self.assertEqual(c.recv_data(14)[0], b"after two GETs")

    def test_slowloris_on_kept_alive_connection_408(self):
        # keepalive_timeout is long; the second request has
        # handshake_timeout from its first byte, not the idle time.
        self.start(handshake_timeout="600ms", keepalive_timeout="30s")
        c = self.raw(self.gw)
        r = c.request(get("/plain.txt"))
        c.read_body(r)
        t0 = time.monotonic()
        for b in get("/plain.txt")[:-2]:
            try:
                c.send(bytes([b]))
            except OSError:
                break
            if b"\r\n\r\n" in c.buf or time.monotonic() - t0 > 5:
                break
            time.sleep(0.05)
        r = c.read_response(limit=5)
        self.assertEqual(r.status, 408)
        self.assertLess(time.monotonic() - t0, 4)

    def test_idle_connections_give_way(self):
        # Two idle kept-alive connections and a new one that has not
        # sent its request yet fill max_handshakes.  A newcomer closes
        # the longest idle one (it had its answers), not the new one.
        self.start(max_handshakes=3, workers=1,
                   max_handshakes_per_client=0)
        idle = []
        for _ in range(2):
            c = self.raw(self.gw)
            r = c.request(get("/plain.txt"))
            c.read_body(r)
            idle.append(c)
        fresh = self.raw(self.gw)
        c = self.raw(self.gw)
        r = c.request(get("/plain.txt", [("Connection", "close")]))
        self.assertEqual(c.read_body(r), b"plain\n")
        self.gw.wait_log(r"max_handshakes \(3\) reached: closing client=\S+"
                         r", which was kept alive")
        self.assertEqual(idle[0].expect_eof(limit=2), b"")
        for c in (idle[1], fresh):
            r = c.request(get("/plain.txt"))
            self.assertEqual(c.read_body(r), b"plain\n")

    def test_tls_big_file_then_more_then_upgrade(self):
        # Over TLS: a file of many chunks, a 304, then the upgrade, all
        # on one connection.
        self.start(listen=["127.0.0.1:0", "127.0.0.1:0 tls"],
                   tls_cert=pki.server.cert, tls_key=pki.server.key)
        big = os.urandom(3 * 65536 + 7)
        with open(os.path.join(self.www, "big.bin"), "wb") as f:
            f.write(big)
        c = tls_client(self.gw.ports[1])
        self.addCleanup(c.close)
        r = c.request(get("/big.bin"))
        self.assertBytesEqual(c.read_body(r), big)
        etag = r.header("etag")
        r = c.request(get("/big.bin", [("If-None-Match", etag)]))
        self.assertEqual(r.status, 304)
        r = c.request(get("/plain.txt"))
        self.assertEqual(c.read_body(r), b"plain\n")
        c.handshake("/ws", origin="https://x")
        c.send_frame(OP_BINARY, b"over TLS")
        self.assertEqual(c.recv_data(8)[0], b"over TLS")
        m = self.gw.find_log(r"debug tls client=")
        self.assertEqual(len(m), 1)

    def test_tls_pipelined(self):
        # Pipelined over TLS: the next requests may already sit decrypted
        # in the gateway when the previous answer is written.
        self.start(listen=["127.0.0.1:0", "127.0.0.1:0 tls"],
                   tls_cert=pki.server.cert, tls_key=pki.server.key)
        c = tls_client(self.gw.ports[1])
        self.addCleanup(c.close)
        want = [(200, b"plain\n"), (200, b"<p>hello</p>\n"), (200, JS),
                (404, b"404 Not Found: not found\n")]
        reqs = [get("/plain.txt"), get("/index.html"), get("/app.js"),
                get("/nosuch")]
        for rep in range(10):
            # One TLS record, then a record per request.
            if rep % 2 == 0:
                c.send(b"".join(reqs))
            else:
                for r in reqs:
                    c.send(r)
            got = []
            for _ in range(4):
                r = c.read_response(limit=3)
                got.append((r.status, c.read_body(r, limit=3)))
            self.assertEqual(got, want)

    def test_drain_closes_idle(self):
        self.start(drain_timeout="10s")
        c = self.raw(self.gw)
        r = c.request(get("/plain.txt"))
        c.read_body(r)
        t0 = time.monotonic()
        self.gw.send_signal(signal.SIGTERM)
        c.expect_eof(limit=5)
        self.gw.wait_exit(limit=5)
        self.assertLess(time.monotonic() - t0, 4)
