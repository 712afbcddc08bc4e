"""test_flood.py -- connections that are not WebSocket sessions yet:
floods of idle TCP connections and of TLS ClientHellos, the gateway-wide
and per-address budgets (max_handshakes, max_handshakes_per_client), and
which connection gives way when the budget is spent.

A flood comes from many loopback addresses (127.0.0.2 ...), each within
the per-address limit, so that only the gateway-wide budget stops it; the
well-behaved client comes from 127.0.0.1.
"""

import os
import select
import shutil
import socket
import ssl
import tempfile
import time

import harness as h
from harness import OP_BINARY
from tls_support import openssl

NSRC = 30           # flood source addresses: 127.0.0.2 .. 127.0.0.31
NOFILE = 256        # the gateway's open file limit in the fd tests


def connect_from(port, src, data=b""):
    """A TCP connection to the gateway from address src that sends data
    (maybe nothing) and then nothing more."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(h.timeout(5))
    s.connect(("127.0.0.1", port))
    if data:
        s.sendall(data)
    return s


def gone(s):
    """Whether the gateway has closed s (EOF or reset is waiting)."""
    # Without a timeout: with one, Python waits for it even for
    # MSG_DONTWAIT, and then raises socket.timeout, an OSError.
    s.setblocking(False)
    try:
        p = select.poll()
        p.register(s, select.POLLIN)
        if not p.poll(0):
            return False
        while True:
            b = s.recv(65536, socket.MSG_DONTWAIT | socket.MSG_PEEK)
            if not b:
                return True
            # A TLS server's handshake answer: skip it, look behind.
            s.recv(len(b), socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        return True


def ngone(socks):
    return sum(1 for s in socks if gone(s))


def client_hello():
    """The first flight of a TLS client: a ClientHello, and nothing will
    follow it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


class Flood(h.GatewayTestCase):

    def setUp(self):
        self.echo = self.backend(h.EchoBackend)
        self.routes = {"echo": {"path": "/echo", "backend": self.echo.addr}}

    def flood(self, gw, n, data=b"", src=None, port=None):
        socks = []
        for i in range(n):
            s = connect_from(port or gw.port,
                             src or "127.0.0.%d" % (2 + i % NSRC), data)
            self.addCleanup(s.close)
            socks.append(s)
        return socks

    def settle(self, socks, want, limit=5):
        """Give the gateway time to take a flood in: until `want` of its
        connections are closed, or limit (scaled) seconds (no failure:
        the test's own checks follow)."""
        try:
            h.wait_until(lambda: ngone(socks) >= want, limit)
        except AssertionError:
            pass

    def good_client(self, gw):
        """Seconds for a client that sends its request at once to get its
        101 and an echo."""
        t0 = time.monotonic()
        c = self.raw(gw, limit=5)
        c.handshake("/echo")
        c.send_frame(OP_BINARY, b"still served")
        self.assertEqual(c.recv_data(12)[0], b"still served")
        return time.monotonic() - t0

    def test_idle_flood_good_client_still_upgrades(self):
        """300 connections that send nothing, against a gateway whose open
        file limit is 256 (so max_handshakes is (256 - 64) / 4 = 48): the
        oldest idle ones are closed for the newer, descriptors stay within
        budget, and a client that sends its request gets 101 and its echo
        (which needs a backend descriptor) at once.  Before the budget,
        the flood took every descriptor and the client waited for
        handshake_timeout."""
        if h.VALGRIND:
            self.skipTest("valgrind needs descriptors of its own")
        gw = self.gateway(self.routes, {"handshake_timeout": "30"},
                          nofile=NOFILE)
        hs = (NOFILE - 64) // 4
        fds0 = gw.fd_count()
        socks = self.flood(gw, 300)
        self.settle(socks, 300 - hs)
        self.assertLess(self.good_client(gw), h.timeout(2))
        self.assertGreaterEqual(ngone(socks), 300 - hs)
        # The newest are the ones kept.
        self.assertEqual(ngone(socks[-hs // 2:]), 0)
        self.assertLessEqual(gw.fd_count(), fds0 + hs + 2)
        gw.wait_log(r"warn max_handshakes \(%d\) reached: closing "
                    r"client=127\.0\.0\.\d+:\d+, which had sent nothing" %
                    hs)
        m = gw.wait_log(r"ready \(.*max_connections (\d+), "
                        r"max_handshakes (\d+)\)")
        self.assertEqual(int(m.group(2)), hs)
        self.assertEqual(int(m.group(1)), (NOFILE - 64 - hs) // 2)

    def test_per_client_limit(self):
        """300 idle connections from one address, open file limit 256
        (max_handshakes 48): the budget fills, and then, since the
        address holds more than max_handshakes_per_client (default 32),
        its further connections are closed at once instead of pushing
        out each other or anyone else's; a client from another address
        pushes one of them out and gets 101."""
        if h.VALGRIND:
            self.skipTest("valgrind needs descriptors of its own")
        gw = self.gateway(self.routes, {"handshake_timeout": "30"},
                          nofile=NOFILE)
        hs = (NOFILE - 64) // 4
        socks = self.flood(gw, 300, src="127.0.0.1")
        self.settle(socks, 300 - hs)
        c = h.RawClient(gw.port)
        self.addCleanup(c.close)
        c.sock.close()
        c.sock = connect_from(gw.port, "127.0.0.2")
        c.handshake("/echo")
        c.send_frame(OP_BINARY, b"served")
        self.assertEqual(c.recv_data(6)[0], b"served")
        # The budget less the one that made room: the rest were closed
        # at once (or, while a worker's share filled before the
        # address reached 32, pushed out the address's own older ones).
        h.wait_until(lambda: ngone(socks) == 300 - hs + 1, 5,
                     "all but %d of the flood closed" % (hs - 1))
        gw.wait_log(r"warn client=127\.0\.0\.1:\d+: connection closed at "
                    r"once: max_handshakes \(%d\) reached, and its address "
                    r"already has max_handshakes_per_client \(32\)" % hs)

    def test_one_address_many_at_once_without_pressure(self):
        """While the budget has room, one address (a proxy, a NAT) may
        have more than max_handshakes_per_client connections not yet
        upgraded: 60 at once, all served."""
        gw = self.gateway(self.routes, {"handshake_timeout": "30",
                                        "max_handshakes_per_client": "8"})
        socks = self.flood(gw, 60, src="127.0.0.1")
        clients = []
        for s in socks:
            c = h.RawClient(gw.port)
            self.addCleanup(c.close)
            c.sock.close()
            c.sock = s
            s.setblocking(True)
            s.settimeout(h.timeout(5))
            c.send(h.upgrade_request("/echo"))
            clients.append(c)
        for c in clients:
            self.assertEqual(c.read_response().status, 101)

    def test_configured_budget_silent_give_way_first(self):
        """max_handshakes = 10, one worker (one queue, strictly in order):
        connections that sent part of a request outlast those that sent
        nothing, even older ones; among these the oldest go first."""
        gw = self.gateway(self.routes, {"handshake_timeout": "30",
                                        "max_handshakes": "10",
                                        "workers": "1"})
        gw.wait_log(r"ready \(.*max_handshakes 10\)")
        partial = self.flood(gw, 4, data=b"GET /echo HT")
        # Let the gateway read those bytes before the next ones come.
        time.sleep(h.timeout(0.3))
        silent = self.flood(gw, 6)
        time.sleep(h.timeout(0.3))
        self.assertEqual(ngone(partial + silent), 0)
        newer = self.flood(gw, 3)
        h.wait_until(lambda: ngone(silent[:3]) == 3, 5,
                     "the 3 oldest silent connections closed")
        self.assertEqual(ngone(partial + silent[3:] + newer), 0)
        self.good_client(gw)
        h.wait_until(lambda: gone(silent[3]), 5, "the next one closed")
        self.assertEqual(ngone(partial + silent[4:] + newer), 0)
        gw.wait_log(r"max_handshakes \(10\) reached: closing "
                    r"client=\S+, which had sent nothing")


class TLSFlood(h.GatewayTestCase):
    """TLS clients that send a ClientHello and stop: each holds OpenSSL's
    handshake state (some 40 KiB) until handshake_timeout, and counts
    against max_handshakes like any connection not yet upgraded."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="wsgate-flood-")
        cls.cert = os.path.join(cls.dir, "cert.pem")
        cls.key = os.path.join(cls.dir, "key.pem")
        openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                 "-subj", "/CN=localhost", "-keyout", cls.key,
                 "-out", cls.cert], cwd=cls.dir)
        os.chmod(cls.key, 0o600)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def wss_upgrade(self, port):
        """Seconds to a 101 over TLS and an echo."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        t0 = time.monotonic()
        c = h.RawClient(port, limit=5)
        self.addCleanup(c.close)
        c.sock = ctx.wrap_socket(c.sock, server_hostname="localhost")
        c.handshake("/echo")
        c.send_frame(OP_BINARY, b"over tls")
        self.assertEqual(c.recv_data(8)[0], b"over tls")
        return time.monotonic() - t0

    def test_client_hello_flood_bounded(self):
        """300 ClientHellos that never go further, against a gateway
        whose open file limit is 256 (max_handshakes 48): at most 48
        handshakes are held (RSS grows by about that many handshakes'
        state, not 300), and a TLS client that completes its handshake
        gets 101."""
        if h.VALGRIND:
            self.skipTest("valgrind needs descriptors of its own")
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"echo": {"path": "/echo",
                                    "backend": echo.addr}},
                          {"listen": "127.0.0.1:0 tls",
                           "tls_cert": self.cert, "tls_key": self.key,
                           "handshake_timeout": "30"}, nofile=NOFILE)
        hs = (NOFILE - 64) // 4
        # One full handshake first: OpenSSL's lazily made tables are
        # then part of the baseline.
        self.wss_upgrade(gw.port)
        rss0 = gw.rss_kb()
        hello = client_hello()
        socks = []
        for i in range(300):
            s = connect_from(gw.port, "127.0.0.%d" % (2 + i % NSRC), hello)
            self.addCleanup(s.close)
            socks.append(s)
        settle = Flood.settle
        settle(self, socks, 300 - hs)
        self.assertLess(self.wss_upgrade(gw.port), h.timeout(3))
        self.assertGreaterEqual(ngone(socks), 300 - hs)
        grown = gw.rss_kb() - rss0
        if not h.SANITIZER:
            # 48 handshakes at ~40 KiB: 2 MiB; 250 held were 10 MiB.
            self.assertLess(grown, 5 * 1024,
                            "RSS grew by %d KiB" % grown)
        gw.wait_log(r"ready \(.*max_handshakes %d\)" % hs)
