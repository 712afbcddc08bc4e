"""test_routing.py -- where a session goes (issue 11, routing half):
routes chosen by Host (hosts), 404 for an unknown Host, 421 for a Host
that is not the TLS server name; unix socket backends and listeners;
several backends (failover, round robin, passive health, 502).

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate \\
        -k test_routing
"""

import os
import shutil
import socket
import stat
import ssl
import subprocess
import tempfile
import threading
import time

import harness as H
from harness import OP_BINARY

TMP = None
CERT = KEY = None


def setUpModule():
    global TMP, CERT, KEY
    TMP = tempfile.mkdtemp(prefix="wsgate-routing-")
    CERT = os.path.join(TMP, "cert.pem")
    KEY = os.path.join(TMP, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", KEY, "-out", CERT, "-days", "2",
                    "-subj", "/CN=a.example",
                    "-addext", "subjectAltName=DNS:a.example,"
                    "DNS:b.example"],
                   check=True, capture_output=True, timeout=30)
    os.chmod(KEY, 0o600)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


class Marker(H.Backend):
    """Sends its name on connect, then echoes until EOF: which backend
    a session reached is the first thing it reads."""

    def __init__(self, name, **kw):
        self.name = name.encode()
        super().__init__(**kw)

    def handle(self, conn):
        if not self.send_all(conn, self.name):
            return
        while not self.expired():
            b = self.recv_some(conn)
            if b is None:
                continue
            if not b or not self.send_all(conn, b):
                return


def reached(c, path, host, n=1):
    """Upgrade on RawClient c with this Host; the backend's marker."""
    c.handshake(path, host=host)
    return c.recv_data(n)[0]


class HostRouting(H.GatewayTestCase):
    def setUp(self):
        self.a = self.backend(Marker, "A")
        self.b = self.backend(Marker, "B")
        self.d = self.backend(Marker, "D")
        self.routes = {
            "con-a": {"path": "/console", "hosts": "a.example",
                      "backend": self.a.addr},
            "con-vm": {"path": "/console", "hosts": "*.vm.example",
                       "backend": self.b.addr},
            "con-any": {"path": "/console", "backend": self.d.addr},
            "only": {"path": "/only", "hosts": "a.example b.example",
                     "backend": self.a.addr},
            "plain": {"path": "/plain", "backend": self.d.addr},
        }

    def test_host_chooses_route(self):
        gw = self.gateway(self.routes)
        gw.wait_log(r"route only: hosts a\.example b\.example")
        for host, want in [("a.example", b"A"), ("A.Example:8080", b"A"),
                           ("x.vm.example", b"B"), ("vm.example", b"D"),
                           ("127.0.0.1", b"D")]:
            with H.RawClient(gw.port) as c:
                self.assertEqual(reached(c, "/console", host), want, host)
        with H.RawClient(gw.port) as c:
            self.assertEqual(reached(c, "/only", "b.example"), b"A")

    def test_unknown_host_404_escaped(self):
        gw = self.gateway(self.routes)
        with H.RawClient(gw.port) as c:
            r = c.handshake("/only", expect=404, host='c.example"\\')
        self.assertEqual(r.status, 404)
        gw.wait_log(r'reject client=\S+ status=404 path="/only" .*'
                    r'reason="no route for this path and Host '
                    r'c\.example\\x22\\x5c"')
        self.assertEqual(len(self.a.conns), 0)

    def _tls(self, port, sni, host, path="/console"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c = self.raw(port)
        c.sock = ctx.wrap_socket(c.sock, server_hostname=sni)
        return c

    def test_tls_host_must_be_sni_421(self):
        gw = self.gateway(self.routes, {
            "listen": "127.0.0.1:0 tls", "tls_cert": CERT,
            "tls_key": KEY})
        # The name the connection was made for: admitted.
        c = self._tls(gw.port, "a.example", "a.example")
        self.assertEqual(reached(c, "/console", "a.example:443"), b"A")
        # Another name, even one the certificate covers: 421.
        c = self._tls(gw.port, "a.example", "b.example")
        r = c.handshake("/only", expect=421, host="b.example")
        self.assertEqual(r.reason, "Misdirected Request")
        gw.wait_log(r'reject client=\S+ status=421 path="/only" .*'
                    r'reason="Host b\.example is not the TLS server '
                    r'name \(SNI\) a\.example of this connection"')
        # A path whose routes list no hosts is not compared (clients
        # that connect by address keep working) ...
        c = self._tls(gw.port, "a.example", "127.0.0.1")
        self.assertEqual(reached(c, "/plain", "127.0.0.1"), b"D")
        # ... and neither is a client that sent no server name.
        c = self._tls(gw.port, None, "x")
        self.assertEqual(reached(c, "/console", "x.vm.example"), b"B")


class UnixEcho(H.EchoBackend):
    """EchoBackend on a unix stream socket at path (addr: unix:path)."""

    def __init__(self, path, lifetime=60):
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(path)
        self.lsock.listen(16)
        self.lsock.settimeout(0.05)
        self.path = path
        self.addr = "unix:" + path
        self.conns = []
        self.stopping = threading.Event()
        self.deadline = time.monotonic() + H.timeout(lifetime)
        self._cond = threading.Condition()
        self._threads = []
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)


class UnixBackend(H.GatewayTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="wsgate-unix-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_echo_byte_exact(self):
        echo = self.backend(UnixEcho, os.path.join(self.dir, "echo.sock"))
        gw = self.gateway({"u": {"path": "/u", "backend": echo.addr}})
        blob = os.urandom(300000)

        async def go():
            async with H.ws_connect(gw, "/u") as ws:
                await ws.send(blob)
                got = await H.ws_recv_bytes(ws, len(blob))
                self.assertBytesEqual(got, blob, "echo")
        H.run_async(go())
        self.assertBytesEqual(echo.wait_eof(), blob, "backend bytes")
        gw.wait_log(r"close client=\S+ route=u .* backend=unix:%s" %
                    echo.path)

    def test_missing_socket_502(self):
        path = os.path.join(self.dir, "none.sock")
        gw = self.gateway({"u": {"path": "/u", "backend": "unix:" + path}})
        with H.RawClient(gw.port) as c:
            c.handshake("/u", expect=502)
        gw.wait_log(r'reject client=\S+ status=502 path="/u" .*reason='
                    r'"backend unix:%s: No such file or directory"' % path)


    def test_nobody_listening_502(self):
        path = os.path.join(self.dir, "stale.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.bind(path)            # a socket file, but nobody listens
        gw = self.gateway({"u": {"path": "/u", "backend": "unix:" + path}})
        with H.RawClient(gw.port) as c:
            c.handshake("/u", expect=502)
        gw.wait_log(r'reject client=\S+ status=502 path="/u" .*reason='
                    r'"backend unix:%s: Connection refused"' % path)


class SeveralBackends(H.GatewayTestCase):
    def test_failover_when_refused(self):
        dead = self.closed_port()
        b = self.backend(Marker, "B")
        gw = self.gateway({"f": {"path": "/f",
                                 "backend": "%s %s" % (dead.addr, b.addr)}})
        with H.RawClient(gw.port) as c:
            self.assertEqual(reached(c, "/f", "gw"), b"B")
        gw.wait_log(r"warn client=\S+ route=f: backend %s: Connection "
                    r"refused; trying %s" % (dead.addr, b.addr))
        gw.stop()
        gw.wait_log(r"close client=\S+ route=f .* backend=%s" % b.addr)

    def test_failover_when_it_hangs(self):
        """A backend that never answers gets its share of
        backend_connect_timeout (half of 2s here), not all of it."""
        hole = H.Blackhole()
        self.addCleanup(hole.close)
        b = self.backend(Marker, "B")
        gw = self.gateway({"f": {"path": "/f", "backend": [hole.addr,
                                                           b.addr],
                                 "backend_connect_timeout": "2s"}})
        t0 = time.monotonic()
        with H.RawClient(gw.port) as c:
            self.assertEqual(reached(c, "/f", "gw"), b"B")
        took = time.monotonic() - t0
        self.assertGreater(took, 0.9)
        self.assertLess(took, H.timeout(1.9))
        gw.wait_log(r"backend %s: connect timed out \(its share of "
                    r"backend_connect_timeout\); trying %s" % (hole.addr,
                                                               b.addr))

    def test_round_robin_spreads(self):
        a = self.backend(Marker, "A")
        b = self.backend(Marker, "B")
        gw = self.gateway({"r": {"path": "/r", "backend": [a.addr, b.addr],
                                 "balance": "round_robin"}})
        gw.wait_log(r"route r: backends %s %s \(balance round_robin, a "
                    r"failed one tried last for 10s\)" % (a.addr, b.addr))
        got = []
        for _ in range(6):
            with H.RawClient(gw.port) as c:
                got.append(reached(c, "/r", "gw"))
        self.assertEqual(got.count(b"A"), 3, got)
        self.assertEqual(got.count(b"B"), 3, got)
        # In turn, whichever worker took the connection.
        self.assertTrue(all(got[i] != got[i + 1] for i in range(5)), got)

    def test_round_robin_with_a_dead_backend(self):
        """A dead backend costs one failover, then is tried last: every
        session reaches a live one, spread over them."""
        dead = self.closed_port()
        a = self.backend(Marker, "A")
        b = self.backend(Marker, "B")
        gw = self.gateway({"r": {"path": "/r",
                                 "backend": [dead.addr, a.addr, b.addr],
                                 "balance": "round_robin"}})
        got = []
        for _ in range(6):
            with H.RawClient(gw.port) as c:
                got.append(reached(c, "/r", "gw"))
        self.assertEqual(sorted(set(got)), [b"A", b"B"], got)
        self.assertGreaterEqual(min(got.count(b"A"), got.count(b"B")), 2,
                                got)
        self.assertEqual(len(gw.find_log(r"backend %s: Connection "
                                         r"refused; trying" % dead.addr)),
                         1)

    def test_backoff_honoured(self):
        """A refused backend is skipped for backend_retry_after, even
        once it listens again; then it is first again (failover)."""
        first = self.closed_port()
        b = self.backend(Marker, "B")
        after = H.timeout(1.5)      # longer for slow (sanitizer) builds
        gw = self.gateway({"f": {"path": "/f",
                                 "backend": [first.addr, b.addr],
                                 "backend_retry_after": "%dms" % (
                                     after * 1000)}})
        with H.RawClient(gw.port) as c:
            self.assertEqual(reached(c, "/f", "gw"), b"B")
        marked = time.monotonic()
        first.sock.listen(8)
        first.sock.setblocking(False)
        with H.RawClient(gw.port) as c:
            self.assertEqual(reached(c, "/f", "gw"), b"B")
        self.assertLess(time.monotonic() - marked, after - 0.1,
                        "too slow to test the back-off")
        with self.assertRaises(BlockingIOError):
            first.sock.accept()
        time.sleep(max(0, after + 0.1 - (time.monotonic() - marked)))
        with H.RawClient(gw.port) as c:
            c.handshake("/f", host="gw")
            first.sock.settimeout(H.timeout(5))
            conn, _ = first.sock.accept()
            conn.close()
        self.assertEqual(len(b.conns), 2)

    def test_retry_after_0_never_skips(self):
        first = self.closed_port()
        b = self.backend(Marker, "B")
        gw = self.gateway({"f": {"path": "/f",
                                 "backend": [first.addr, b.addr],
                                 "backend_retry_after": "0"}})
        with H.RawClient(gw.port) as c:
            self.assertEqual(reached(c, "/f", "gw"), b"B")
        first.sock.listen(8)
        with H.RawClient(gw.port) as c:
            c.handshake("/f", host="gw")
            first.sock.settimeout(H.timeout(5))
            conn, _ = first.sock.accept()
            conn.close()
        self.assertEqual(len(b.conns), 1)

    def test_all_down_502(self):
        one, two = self.closed_port(), self.closed_port()
        gw = self.gateway({"f": {"path": "/f",
                                 "backend": "%s, %s" % (one.addr,
                                                        two.addr)}})
        with H.RawClient(gw.port) as c:
            c.handshake("/f", expect=502)
        gw.wait_log(r'reject client=\S+ status=502 path="/f" .*reason='
                    r'"backend %s: Connection refused \(all 2 backends '
                    r'failed\)"' % two.addr)


class UnixListener(H.GatewayTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="wsgate-unix-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.sock = os.path.join(self.dir, "gw.sock")
        self.echo = self.backend(H.EchoBackend)

    def _gateway(self, mode=None):
        listen = "unix:" + self.sock + (" mode=%s" % mode if mode else "")
        return self.gateway({"echo": {"path": "/echo",
                                      "backend": self.echo.addr}},
                            {"listen": ["127.0.0.1:0", listen]})

    def _echo(self, data=b"over a unix socket"):
        import websockets

        async def go():
            async with websockets.unix_connect(
                    self.sock, "ws://gw.example/echo", compression=None,
                    open_timeout=H.timeout(10),
                    close_timeout=H.timeout(5)) as ws:
                await ws.send(data)
                return await H.ws_recv_bytes(ws, len(data))
        return H.run_async(go())

    def test_serve_reload_remove(self):
        gw = self._gateway("0600")
        gw.wait_log(r"listening on unix:%s" % self.sock)
        st = os.lstat(self.sock)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        data = os.urandom(70000)
        self.assertEqual(self._echo(data), data)
        gw.wait_log(r"close client=unix route=echo ")
        # Kept across a reload, same file.
        self.assertIn("configuration reloaded", gw.reload().group(0))
        self.assertEqual(os.lstat(self.sock).st_ino, st.st_ino)
        self.assertEqual(self._echo(), b"over a unix socket")
        # Removed at exit.
        gw.stop()
        gw.check_exit()
        self.assertFalse(os.path.lexists(self.sock))

    def test_tls_on_unix(self):
        """listen = unix:PATH tls: TLS over the unix socket."""
        self.gateway({"echo": {"path": "/echo", "backend": self.echo.addr}},
                     {"listen": ["127.0.0.1:0", "unix:%s tls" % self.sock],
                      "tls_cert": CERT, "tls_key": KEY})
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(CERT)
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        raw.settimeout(H.timeout(5))
        raw.connect(self.sock)
        with ctx.wrap_socket(raw, server_hostname="a.example") as s:
            s.sendall(H.upgrade_request("/echo", host="a.example"))
            head = b""
            while b"\r\n\r\n" not in head:
                b = s.recv(4096)
                self.assertTrue(b, head)
                head += b
            self.assertTrue(head.startswith(b"HTTP/1.1 101 "), head)

    def test_default_mode_0660(self):
        self._gateway()
        self.assertEqual(stat.S_IMODE(os.lstat(self.sock).st_mode), 0o660)

    def test_stale_socket_replaced(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.sock)
        s.close()       # the file stays: a crashed process's socket
        gw = self._gateway()
        gw.wait_log(r"removed the stale socket of unix:%s" % self.sock)
        self.assertEqual(self._echo(), b"over a unix socket")

    def _refused(self, want):
        cfg = H.config({"echo": {"path": "/echo",
                                 "backend": self.echo.addr}},
                       {"listen": "unix:" + self.sock})
        path = os.path.join(self.dir, "gw.ini")
        with open(path, "w") as f:
            f.write(cfg)
        rc, _, err = H.run_binary(["-c", path])
        self.assertNotEqual(rc, 0)
        self.assertIn(want, err)

    def test_not_a_socket_kept(self):
        with open(self.sock, "w") as f:
            f.write("precious")
        self._refused("%s exists and is not a socket; not removing it" %
                      self.sock)
        with open(self.sock) as f:
            self.assertEqual(f.read(), "precious")

    def test_live_socket_kept(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.bind(self.sock)
        s.listen(4)
        self._refused("%s is in use: another process listens on it" %
                      self.sock)
        self.assertTrue(os.path.lexists(self.sock))
