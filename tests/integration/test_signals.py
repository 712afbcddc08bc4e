"""test_signals.py -- SIGTERM drain, SIGINT, SIGHUP reload."""

import datetime
import os
import random
import select
import signal
import socket
import threading
import time

import harness as h
from harness import OP_BINARY, OP_CLOSE, OP_CONT, OP_TEXT


def refused(port):
    s = socket.socket()
    s.settimeout(h.timeout(2))
    try:
        s.connect(("127.0.0.1", port))
    except ConnectionRefusedError:
        return True
    finally:
        s.close()
    return False


class Drain(h.GatewayTestCase):
    def open_echo(self, drain="1"):
        self.echo = self.backend(h.EchoBackend)
        self.gw = self.gateway({"echo": {"path": "/echo",
                                         "backend": self.echo.addr}},
                               {"drain_timeout": drain})
        c = self.raw(self.gw)
        c.handshake("/echo")
        c.send_frame(OP_BINARY, b"before")
        self.assertEqual(c.recv_data(6)[0], b"before")
        return c

    def test_sigterm_drains_then_1001(self):
        """SIGTERM: listeners close soon (after the grace in which the
        handshakes already begun complete: a connect then waits for its
        SYN's retry), open sessions keep working for drain_timeout, then
        get 1001; exit 0."""
        c = self.open_echo(drain="1")
        port = self.gw.port
        mark = self.gw.mark()
        t0 = time.monotonic()
        self.gw.send_signal(signal.SIGTERM)
        self.gw.wait_log(r"draining: stopped accepting; 1 session open",
                         start=mark)
        self.gw.wait_log(r"draining: listening sockets closed", start=mark)
        self.assertTrue(h.wait_until(lambda: refused(port), 5,
                                     "the listener to close"))
        # Still relaying while draining.
        c.send_frame(OP_BINARY, b"during")
        self.assertEqual(c.recv_data(6)[0], b"during")
        f = c.recv_close(limit=10)
        self.assertEqual(f.close_code, 1001)
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        c.send_frame(OP_CLOSE, h.close_payload(1001))
        c.expect_eof()
        self.assertEqual(self.gw.wait_exit(10), 0)
        self.gw.wait_log(r"close .*route=echo up=12 down=12 .*code=1001 "
                         r"by=gateway", start=mark)
        self.assertEqual(self.echo.wait_eof(), b"beforeduring")

    def test_sigterm_session_ending_early_exits_at_once(self):
        c = self.open_echo(drain="30")
        self.gw.send_signal(signal.SIGTERM)
        self.gw.wait_log(r"draining:")
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        self.assertEqual(c.recv_close().close_code, 1000)
        c.expect_eof()
        # No need to wait the 30 s drain_timeout.
        self.assertEqual(self.gw.wait_exit(5), 0)

    def test_sigterm_idle_exits_at_once(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"r": {"path": "/", "backend": echo.addr}},
                          {"drain_timeout": "30"})
        self.assertEqual(gw.stop(signal.SIGTERM, limit=5), 0)

    def test_sigint_closes_at_once(self):
        c = self.open_echo(drain="30")
        self.gw.send_signal(signal.SIGINT)
        self.assertEqual(c.recv_close(limit=5).close_code, 1001)
        c.send_frame(OP_CLOSE, h.close_payload(1001))
        c.expect_eof()
        self.assertEqual(self.gw.wait_exit(5), 0)

    def test_second_sigterm_exits_now(self):
        c = self.open_echo(drain="30")
        self.gw.send_signal(signal.SIGTERM)
        self.gw.wait_log(r"draining:")
        self.gw.send_signal(signal.SIGTERM)
        self.assertEqual(self.gw.wait_exit(5), 0)
        c.expect_eof()

    def test_sigterm_while_connecting_to_backend(self):
        hole = h.Blackhole()
        self.addCleanup(hole.close)
        gw = self.gateway({"r": {"path": "/", "backend": hole.addr,
                                 "backend_connect_timeout": "0.5"}},
                          {"drain_timeout": "5"})
        c = self.raw(gw)
        c.send(h.upgrade_request("/"))
        time.sleep(0.1)
        gw.send_signal(signal.SIGTERM)
        r = c.read_response(limit=5)
        self.assertIn(r.status, (503, 504))
        c.expect_eof()
        self.assertEqual(gw.wait_exit(5), 0)

    def test_sigterm_with_client_in_handshake(self):
        """A connection that never sends its request does not keep the
        gateway from exiting."""
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"r": {"path": "/", "backend": echo.addr}},
                          {"drain_timeout": "0.5", "handshake_timeout": "1"})
        c = self.raw(gw)
        c.send(b"GET / HT")
        time.sleep(0.1)
        gw.send_signal(signal.SIGTERM)
        self.assertEqual(gw.wait_exit(10), 0)

    def test_unresponsive_client_dropped_after_close_timeout(self):
        """After the 1001 the client never answers: the gateway gives up
        after close_timeout and still exits 0."""
        c = self.open_echo(drain="0.2")
        self.gw.send_signal(signal.SIGTERM)
        self.assertEqual(c.recv_close(limit=5).close_code, 1001)
        # No close reply, no EOF from us.
        self.assertEqual(self.gw.wait_exit(10), 0)


class Farewell(h.Backend):
    """Reads until EOF, then answers "bye N" (N: bytes it read) and
    closes: a backend with something left to say after the client is
    done."""

    def handle(self, conn):
        if self.drain_until_eof(conn):
            self.send_all(conn, b"bye %d" % conn.nreceived())


class NeverCloses(h.Backend):
    """Reads until EOF, then neither sends nor closes (until stopped)."""

    def handle(self, conn):
        self.drain_until_eof(conn)
        while not self.stopping.wait(0.05) and not self.expired():
            pass


class BusyClient:
    """A client that sends binary frames of random sizes as fast as the
    gateway takes them (until stop is set) and reads everything back
    until the close frame; sent and got are the payload streams."""

    def __init__(self, port, i):
        self.c = h.RawClient(port)
        self.c.handshake("/echo")
        self.sock = self.c.sock
        self.sock.setblocking(False)
        self.rng = random.Random(i)
        self.sent = bytearray(b"client %04d:" % i)
        self.out = bytearray(h.build_frame(OP_BINARY, bytes(self.sent)))
        self.got = bytearray()
        self.code = None
        self.error = None

    def run(self, stop, deadline):
        try:
            self._run(stop, deadline)
        except Exception as e:      # reported by the test
            self.error = e

    def _run(self, stop, deadline):
        buf = bytearray()
        while self.code is None and time.monotonic() < deadline:
            if not self.out and not stop.is_set():
                data = self.rng.randbytes(self.rng.randint(1, 8192))
                self.sent += data
                self.out += h.build_frame(OP_BINARY, data)
            sending = bool(self.out) and not stop.is_set()
            r, w, _ = select.select([self.sock],
                                    [self.sock] if sending else [], [],
                                    0.02)
            if w:
                try:
                    del self.out[:self.sock.send(self.out)]
                except BlockingIOError:
                    pass
            if r:
                b = self.sock.recv(1 << 20)
                if not b:
                    raise AssertionError("EOF before a close frame")
                buf += b
                while True:
                    f, used = h.parse_frame(buf)
                    if f is None:
                        break
                    del buf[:used]
                    if f.opcode in (OP_BINARY, OP_TEXT, OP_CONT):
                        self.got += f.payload
                    elif f.opcode == OP_CLOSE:
                        self.code = f.close_code
                        break
        if self.code is None:
            raise AssertionError("no close frame in time")
        self.sock.setblocking(True)
        self.c.buf = bytearray()
        self.c.send_frame(OP_CLOSE, h.close_payload(self.code))
        self.c.expect_eof()


class ShutdownLosesNothing(h.GatewayTestCase):
    """A shutdown close (SIGTERM at the end of drain_timeout, SIGINT)
    stops reading the client, delivers what it sent to the backend,
    shuts the backend's write side, relays what the backend still sends
    until its EOF, and only then sends 1001."""

    def test_drain_now_busy_echo_clients_lose_nothing(self):
        """drain_timeout = 0 with 40 clients streaming through an echo
        backend: for each, every byte the backend received (and so
        echoed) reaches the client, before its 1001."""
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"echo": {"path": "/echo",
                                    "backend": echo.addr}},
                          {"drain_timeout": "0", "close_timeout": "5"})
        n = 20 if h.VALGRIND else 40
        clients = [BusyClient(gw.port, i) for i in range(n)]
        stop = threading.Event()
        deadline = time.monotonic() + h.timeout(20)
        threads = [threading.Thread(target=c.run, args=(stop, deadline),
                                    daemon=True) for c in clients]
        for t in threads:
            t.start()
        h.wait_until(lambda: all(len(c.sent) > 100000 for c in clients),
                     10, "every client streaming")
        mark = gw.mark()
        gw.send_signal(signal.SIGTERM)
        gw.wait_log(r"closing %d sessions with 1001" % n, start=mark)
        stop.set()
        for t in threads:
            t.join(h.timeout(25))
        self.assertEqual(gw.wait_exit(15), 0)
        by_id = {}
        for i in range(n):
            conn = echo.wait_conn(i)
            self.assertTrue(conn.eof.wait(h.timeout(5)))
            data = conn.data()
            by_id[data[:12]] = data
        lost = []
        for i, c in enumerate(clients):
            self.assertIsNone(c.error, "client %d: %r" % (i, c.error))
            self.assertEqual(c.code, 1001)
            echoed = by_id[bytes(c.sent[:12])]
            self.assertEqual(echoed, bytes(c.sent[:len(echoed)]))
            if bytes(c.got) != echoed:
                lost.append("client %d got %d of %d bytes echoed" %
                            (i, len(c.got), len(echoed)))
        self.assertFalse(lost, "%d of %d clients lost bytes the backend "
                         "echoed: %s" % (len(lost), n, "; ".join(lost[:3])))
        self.assertEqual(len(gw.find_log(r"close .*code=1001 by=gateway "
                                         r"reason=\"server shutting down",
                                         start=mark)), n)

    def test_sigint_backend_last_words_reach_client(self):
        """SIGINT: the backend sees EOF once it has the client's bytes,
        and what it answers then reaches the client before the 1001."""
        farewell = self.backend(Farewell)
        gw = self.gateway({"r": {"path": "/r",
                                 "backend": farewell.addr}},
                          {"drain_timeout": "30"})
        c = self.raw(gw)
        c.handshake("/r")
        c.send_frame(OP_BINARY, b"hello")
        farewell.wait_received(5)
        mark = gw.mark()
        gw.send_signal(signal.SIGINT)
        got, others = c.recv_data(100, limit=5)
        self.assertEqual(got, b"bye 5")
        self.assertEqual([f.close_code for f in others], [1001])
        c.send_frame(OP_CLOSE, h.close_payload(1001))
        c.expect_eof()
        self.assertEqual(gw.wait_exit(5), 0)
        gw.wait_log(r"close .*route=r up=5 down=5 .*code=1001 by=gateway "
                    r"reason=\"server shutting down\"", start=mark)

    def test_sigint_backend_never_closes_close_timeout(self):
        """A backend that never closes after its EOF: the client gets its
        1001 after close_timeout, and the gateway exits."""
        never = self.backend(NeverCloses)
        gw = self.gateway({"r": {"path": "/r", "backend": never.addr}},
                          {"drain_timeout": "30", "close_timeout": "1"})
        c = self.raw(gw)
        c.handshake("/r")
        c.send_frame(OP_BINARY, b"x")
        never.wait_received(1)
        t0 = time.monotonic()
        gw.send_signal(signal.SIGINT)
        never.wait_eof()
        self.assertEqual(c.recv_close(limit=5).close_code, 1001)
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        c.send_frame(OP_CLOSE, h.close_payload(1001))
        c.expect_eof()
        self.assertEqual(gw.wait_exit(5), 0)


class Reload(h.GatewayTestCase):
    def test_sighup_adds_route_keeps_sessions(self):
        echo = self.backend(h.EchoBackend)
        sink = self.backend(h.SinkBackend)
        routes = {"echo": {"path": "/echo", "backend": echo.addr}}
        gw = self.gateway(routes)
        old = self.raw(gw)
        old.handshake("/echo")
        old.send_frame(OP_BINARY, b"one")
        self.assertEqual(old.recv_data(3)[0], b"one")

        c = self.raw(gw)
        self.assertEqual(c.request(h.upgrade_request("/new")).status, 404)
        c.close()

        routes["new"] = {"path": "/new", "backend": sink.addr}
        m = gw.reload(h.config(routes))
        self.assertIn("configuration reloaded", m.group(0))
        gw.wait_log(r"configuration reloaded: 2 routes")
        self.assertEqual(gw.find_log(r"listen changes"), [])

        new = self.raw(gw)
        new.handshake("/new")
        new.send_frame(OP_BINARY, b"fresh")
        self.assertEqual(sink.wait_received(5), b"fresh")
        # The established session is untouched.
        old.send_frame(OP_BINARY, b"two")
        self.assertEqual(old.recv_data(3)[0], b"two")
        for cl in (old, new):
            cl.send_frame(OP_CLOSE, h.close_payload(1000))
            self.assertEqual(cl.recv_close().close_code, 1000)
            cl.expect_eof()
        self.assertEqual(echo.wait_eof(), b"onetwo")

    def test_sighup_removes_route_keeps_its_sessions(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"a": {"path": "/a", "backend": echo.addr},
                           "b": {"path": "/b", "backend": echo.addr}})
        kept = self.raw(gw)
        kept.handshake("/b")
        gw.reload(h.config({"a": {"path": "/a", "backend": echo.addr}}))
        c = self.raw(gw)
        self.assertEqual(c.request(h.upgrade_request("/b")).status, 404)
        c.close()
        kept.send_frame(OP_BINARY, b"still here")
        self.assertEqual(kept.recv_data(10)[0], b"still here")
        kept.send_frame(OP_CLOSE, h.close_payload(1000))
        self.assertEqual(kept.recv_close().close_code, 1000)
        kept.expect_eof()
        gw.wait_log(r"close .*route=b .*code=1000")

    def test_sighup_bad_config_keeps_running_config(self):
        echo = self.backend(h.EchoBackend)
        routes = {"echo": {"path": "/echo", "backend": echo.addr}}
        gw = self.gateway(routes)
        m = gw.reload("[gateway]\nlisten = 127.0.0.1:0\nbogus = 1\n")
        self.assertIn("reload failed", m.group(0))
        gw.wait_log(r"wsgate\.ini:3: \[gateway\] bogus: unknown key")
        c = self.raw(gw)
        c.handshake("/echo")
        c.send_frame(OP_BINARY, b"ok")
        self.assertEqual(c.recv_data(2)[0], b"ok")

    def health_answer_time(self, gw):
        """Seconds until a new connection's GET of the health path is
        answered, and the wall-clock time of the answer."""
        t0 = time.monotonic()
        c = self.raw(gw)
        r = c.request(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(r.status, 200)
        return time.monotonic() - t0, time.time()

    @staticmethod
    def log_time(line):
        stamp = line.split(" ", 1)[0].rstrip("Z")
        return datetime.datetime.fromisoformat(stamp).replace(
            tzinfo=datetime.timezone.utc).timestamp()

    def test_reload_does_not_stall_accepting(self):
        """With workers = 2 the main thread accepts for both: a reload of
        a big configuration (30,000 routes: 2.5 s before the checks were
        fixed) is loaded in a thread of its own meanwhile."""
        n = 3000 if h.VALGRIND else 30000
        gwkeys = {"workers": "2", "health_path": "/healthz"}
        gw = self.gateway({"a": {"path": "/a", "backend": "127.0.0.1:9"}},
                          gwkeys)
        routes = {"r%d" % i: {
            "path": "/r%d" % i, "backend": "127.0.0.1:9",
            "origins": "http://a.example http://b.example "
                       "https://c.example:8443"} for i in range(n)}
        gw.write_config(h.config(routes, gwkeys))
        mark = len(gw.lines)
        gw.send_signal(signal.SIGHUP)
        gw.wait_log(r"SIGHUP received: reloading", start=mark)
        took, answered = self.health_answer_time(gw)
        # Another SIGHUP, most likely while the first is still loading:
        # never lost (the files may have changed after they were read).
        gw.send_signal(signal.SIGHUP)
        m = gw.wait_log(r"configuration reloaded: %d routes" % n, 60,
                        start=mark)
        self.assertLess(took, h.timeout(1.0))
        # Answered while the reload was still going on, not after it
        # (log times are wall-clock milliseconds, cut down).
        self.assertLess(answered, self.log_time(m.string) + 0.001)
        if gw.find_log(r"SIGHUP received while reloading", start=mark):
            again = gw.wait_log(r"SIGHUP received during the last "
                                r"reload: reloading", start=mark)
        else:
            again = gw.wait_log(r"SIGHUP received: reloading",
                                start=gw.lines.index(m.string))
        gw.wait_log(r"configuration reloaded: %d routes" % n, 60,
                    start=gw.lines.index(again.string))
        c = self.raw(gw)
        self.assertEqual(c.request(h.upgrade_request("/a")).status, 404)

    def test_sighup_with_fifo_in_routes_dir(self):
        """A FIFO in routes_dir blocked the main thread for good: with
        workers = 2 nothing was answered and SIGTERM was ignored."""
        echo = self.backend(h.EchoBackend)
        gwkeys = {"workers": "2", "health_path": "/healthz",
                  "routes_dir": "routes.d"}
        gw = self.gateway({"echo": {"path": "/echo", "backend": echo.addr}},
                          gwkeys, extra_files={"routes.d/a.ini": ""})
        fifo = os.path.join(gw.dir, "routes.d", "b.ini")
        os.mkfifo(fifo)
        m = gw.reload()
        self.assertIn("reload failed", m.group(0))
        gw.wait_log(r"%s:0: cannot read: a FIFO, not a regular file" %
                    fifo.replace(".", r"\."))
        took, _ = self.health_answer_time(gw)
        self.assertLess(took, h.timeout(1.0))
        c = self.raw(gw)
        c.handshake("/echo")
        c.send_frame(OP_BINARY, b"ok")
        self.assertEqual(c.recv_data(2)[0], b"ok")
        c.close()
        self.assertEqual(gw.stop(limit=10), 0)

    def test_many_reloads_with_traffic(self):
        """Reloads while sessions come and go: the old configs' memory is
        released when their last session ends (ASan would report)."""
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"echo": {"path": "/echo",
                                    "backend": echo.addr}})
        clients = []
        for i in range(5):
            c = self.raw(gw)
            c.handshake("/echo")
            clients.append(c)
            gw.reload(h.config({"echo": {"path": "/echo",
                                         "backend": echo.addr},
                                "r%d" % i: {"path": "/r%d" % i,
                                            "backend": echo.addr}}))
        for c in clients:
            c.send_frame(OP_BINARY, b"x")
            self.assertEqual(c.recv_data(1)[0], b"x")
            c.send_frame(OP_CLOSE, h.close_payload(1000))
            c.recv_close()
            c.expect_eof()
        c = self.raw(gw)
        c.handshake("/r4")
