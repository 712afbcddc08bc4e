"""test_listen_queue.py -- connections the kernel completed are answered,
never reset, whatever the listening sockets go through: a drain
(SIGTERM) or reloads (SIGHUP) in the middle of a burst, with one worker
and with several (a socket per worker, SO_REUSEPORT); and several
workers share the connections out."""

import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import urllib.request

import harness as h

# Connecting threads and connections each at most: more than a worker
# accepts between two looks at its command pipe, so the accept queues
# hold some when the signal comes.
THREADS = 4
PER_THREAD = 150


class QueueBackend:
    """A backend that listens and never accepts: its connections complete
    in the kernel's queue, which is all the gateway needs to answer 101,
    at no cost to the test (no thread per connection)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]

    def stop(self):
        self.sock.close()


def read_status(s, deadline):
    """The status of the answer on s, or what happened instead."""
    buf = b""
    while b"\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return "no answer"
        s.settimeout(left)
        try:
            b = s.recv(4096)
        except ConnectionResetError:
            return "reset"
        except socket.timeout:
            return "no answer"
        if not b:
            return "closed without an answer"
        buf += b
    try:
        return int(buf.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return "garbage %r" % buf[:40]


class ListenQueue(h.GatewayTestCase):
    def start_gateway(self, workers, **gateway):
        self.sink = QueueBackend()
        self.addCleanup(self.sink.stop)
        gateway.update({"workers": workers, "drain_timeout": "1",
                        "close_timeout": "1",
                        "max_handshakes": "4000"})
        gw = self.gateway({"e": {"path": "/e", "backend": self.sink.addr}},
                          gateway)
        # First (cleanups run last first): the sessions end at once.
        self.addCleanup(self.sink.stop)
        return gw

    def burst(self, gw, action, after=100, unix=None):
        """THREADS clients connect and send an upgrade request as fast as
        they can; once `after` have connected, action() runs.  A client
        stops at its first refused connect.  Returns the statuses of the
        connected ones (or what they got instead) and how many connects
        were refused."""
        req = h.upgrade_request("/e")
        lock = threading.Lock()
        connected, refused = [], [0]
        enough = threading.Event()

        def client():
            for _ in range(PER_THREAD):
                s = socket.socket(socket.AF_UNIX if unix else
                                  socket.AF_INET)
                s.settimeout(h.timeout(3))
                try:
                    s.connect(unix or ("127.0.0.1", gw.port))
                except OSError:
                    # Refused, or held back (a dropped SYN, retried) and
                    # then refused: the client knows, before any accept.
                    s.close()
                    with lock:
                        refused[0] += 1
                    return
                try:
                    s.sendall(req)
                except OSError:
                    pass        # its answer (or reset) is read below
                with lock:
                    connected.append(s)
                    if len(connected) >= after:
                        enough.set()

        threads = [threading.Thread(target=client, daemon=True)
                   for _ in range(THREADS)]
        for t in threads:
            t.start()
        self.assertTrue(enough.wait(h.timeout(10)), "clients connected")
        action()
        for t in threads:
            t.join(h.timeout(15))
        deadline = time.monotonic() + h.timeout(10)
        statuses = [read_status(s, deadline) for s in connected]
        for s in connected:
            s.close()
        return statuses, refused[0]

    def check_drain(self, workers, unix=None):
        gw = self.start_gateway(workers, **({"listen": [
            "127.0.0.1:0", "unix:" + unix]} if unix else {}))
        statuses, refused = self.burst(
            gw, lambda: gw.send_signal(signal.SIGTERM), unix=unix)
        # Its queued connections reset: the sessions end now, not after
        # close_timeout.
        self.sink.stop()
        self.assertEqual(gw.wait_exit(15), 0)
        # 101 for those accepted before the drain, 503 for those taken
        # from the queues after it: an answer for every one.
        bad = [s for s in statuses if s not in (101, 503)]
        self.assertEqual(bad, [], "%d of %d connected clients got no "
                         "answer (%d connects refused)" %
                         (len(bad), len(statuses), refused))

    def test_drain_answers_queued_connections_one_worker(self):
        self.check_drain("1")

    def test_drain_answers_queued_connections_two_workers(self):
        self.check_drain("2")

    def unix_path(self):
        d = tempfile.mkdtemp(prefix="wsgate-lq-")
        self.addCleanup(shutil.rmtree, d, True)
        return os.path.join(d, "gw.sock")

    def test_drain_answers_queued_connections_unix_two_workers(self):
        """A unix listener keeps one socket, from which the main thread
        deals connections out: its queue is taken before it closes too."""
        self.check_drain("2", unix=self.unix_path())

    def test_reloads_during_a_burst_lose_nothing(self):
        gw = self.start_gateway("2")

        def reloads():
            for _ in range(3):
                gw.reload()

        statuses, refused = self.burst(gw, reloads)
        self.assertEqual(refused, 0)
        self.assertEqual(len(statuses), THREADS * PER_THREAD)
        bad = [s for s in statuses if s != 101]
        self.assertEqual(bad, [], "%d of %d" % (len(bad), len(statuses)))

    def test_workers_share_connections(self):
        """With a socket per worker the kernel spreads the connections:
        /sessions shows both workers with sessions (24 connections all on
        one of two workers: odds of 2 in 16 million)."""
        path = self.unix_path()
        gw = self.start_gateway("2", metrics_listen="127.0.0.1:0",
                                listen=["127.0.0.1:0", "unix:" + path])
        mport = int(gw.wait_log(r"metrics: serving on 127\.0\.0\.1:(\d+)")
                    .group(1))

        def workers():
            with urllib.request.urlopen("http://127.0.0.1:%d/sessions" %
                                        mport, timeout=h.timeout(5)) as r:
                doc = json.load(r)
            return doc["count"], {s["worker"] for s in doc["sessions"]}

        clients = []
        for _ in range(24):
            c = self.raw(gw)
            c.handshake("/e")
            clients.append(c)
        self.assertEqual(workers(), (24, {0, 1}))
        for c in clients:
            c.close()
        h.wait_until(lambda: workers()[0] == 0, 5, "sessions closed")
        # The unix listener's connections are dealt out in turn.
        req = h.upgrade_request("/e")
        for _ in range(2):
            u = socket.socket(socket.AF_UNIX)
            self.addCleanup(u.close)
            u.settimeout(h.timeout(5))
            u.connect(path)
            u.sendall(req)
            self.assertEqual(read_status(u, time.monotonic() +
                                         h.timeout(5)), 101)
        self.assertEqual(workers(), (2, {0, 1}))

    def test_second_gateway_on_the_port_is_refused(self):
        """The sockets of a group share the port with each other only:
        another gateway started on it fails as before, even one with a
        socket per worker too."""
        gw = self.start_gateway("2")
        other = h.Gateway(h.BINARY, h.config(
            {"e": {"path": "/e", "backend": self.sink.addr}},
            {"workers": "2", "listen": "127.0.0.1:%d" % gw.port}),
            wait_ready=False)
        # Never left running, even when this test fails.
        self.addCleanup(lambda: other.running() and other._kill())
        other.start()
        self.assertEqual(other.wait_exit(10), 3)
        self.assertEqual(other.sanitizer_report(), "")
        other.wait_log(r"listen = 127\.0\.0\.1:%d: cannot listen on "
                       r"127\.0\.0\.1:%d: Address already in use" %
                       (gw.port, gw.port))
        # The first one still serves, from both its sockets.
        for _ in range(4):
            self.raw(gw).handshake("/e")

    def test_inherited_socket_left_as_it_was(self):
        """listen = fd:N (inetd "wait", websockify --inetd): the socket is
        the parent's too, which listens on it again once wsgate has gone:
        stopping must not leave it refusing handshakes (no SYN filter)."""
        lsock = socket.socket()
        self.addCleanup(lsock.close)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(16)
        port = lsock.getsockname()[1]
        gw = h.Gateway(h.BINARY, h.config(
            {"e": {"path": "/e", "backend": "127.0.0.1:1"}},
            {"workers": "1", "listen": "fd:0"}))
        gw.stdin = lsock.fileno()
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        gw.wait_log(r"listening on 127\.0\.0\.1:%d \(descriptor 0\)" % port)
        self.assertEqual(gw.stop(), 0)
        # The parent's socket completes handshakes at once, as before (a
        # dropped SYN would wait a second for its retry).
        c = socket.create_connection(("127.0.0.1", port), 0.5)
        self.addCleanup(c.close)
        lsock.settimeout(h.timeout(2))
        lsock.accept()[0].close()
