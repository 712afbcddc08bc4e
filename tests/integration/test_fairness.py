"""test_fairness.py -- nothing one session does may stall the others on its
worker: floods of empty continuation frames, of 1-byte fragments or of
unsolicited pongs, and a backend streaming to clients that read as fast as
it sends, while a victim on the same worker (workers = 1) echoes 32 bytes
every 50 ms.  The victim's round trips stay short, a new client still gets
its 101 at once, and the flood itself still moves (no starvation either
way).  The same through TLS on both sides, where a spent budget can leave
decrypted bytes behind that no socket event would bring back.  Also: the
main thread never waits for a worker that is not taking connections
(workers = 2, one of them stopped by ptrace)."""

import ctypes
import errno
import os
import select
import shutil
import socket
import ssl
import tempfile
import threading
import time
import unittest

import harness as h
from harness import OP_BINARY, OP_CONT, OP_PING, OP_PONG
from tls_support import PKI, TLSEchoBackend

# Generous: an unloaded round trip takes well under a millisecond; before
# the work budget they took from 0.3 s (1-byte fragments) to 10 s (empty
# frames).  Scaled for sanitizer builds.
VICTIM_MAX = 0.25
FLOOD_WARMUP = 0.3
VICTIM_SECONDS = 2.5


def repeat(unit, size=1 << 20):
    """unit repeated to about size bytes (whole units)."""
    return unit * max(1, size // len(unit))


# Nothing to do now, on a non-blocking (TLS or plain) socket.
AGAIN = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


class Flood(threading.Thread):
    """A client (upgraded RawClient, plain or TLS) on its own thread: it
    sends `first` once, then `unit` over and over, as fast as the gateway
    takes it, and reads and counts (discards) whatever comes back, until
    stop(), which leaves the stream at a frame boundary.  With no unit it
    only reads (a fast reader)."""

    def __init__(self, client, first=b"", unit=b""):
        super().__init__(daemon=True)
        self.client = client
        self.sock = client.sock
        self.first = first
        self.unit_len = len(unit)
        self.block = repeat(unit) if unit else b""
        self.sent = 0
        self.received = len(client.buf)
        self.error = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def counts(self):
        with self.lock:
            return self.sent, self.received

    def run(self):
        sock = self.sock
        tls = isinstance(sock, ssl.SSLSocket)
        sock.setblocking(False)
        out = memoryview(self.first or self.block)
        rbuf = bytearray(1 << 20)
        try:
            while not self.stopping.is_set():
                if tls and sock.pending():
                    r, w = [sock], []
                else:
                    r, w, _ = select.select([sock], [sock] if out else [],
                                            [], 0.05)
                if r:
                    try:
                        n = sock.recv_into(rbuf)
                    except AGAIN:
                        n = None
                    if n == 0:
                        self.error = "the gateway closed the connection"
                        return
                    with self.lock:
                        self.received += n or 0
                if w:
                    try:
                        # TLS: in records' worth (a retry must offer the
                        # same bytes again); plain: all there is.
                        n = sock.send(out[:65536] if tls else out)
                    except AGAIN:
                        continue
                    with self.lock:
                        self.sent += n
                    out = out[n:]
                    if not out:
                        out = memoryview(self.block)
            self._finish(out)
        except OSError as e:
            if not self.stopping.is_set():
                self.error = "flood connection: %s" % e

    def _finish(self, out):
        """Send up to the end of the unit in progress (blocking)."""
        if not self.block or len(out) == len(self.block):
            return
        rest = bytes(out[:len(out) % self.unit_len])
        self.sock.setblocking(True)
        self.sock.settimeout(h.timeout(5))
        self.sock.sendall(rest)

    def stop(self):
        self.stopping.set()
        self.join(h.timeout(5))
        self.sock.setblocking(True)
        self.sock.settimeout(h.timeout(5))


class FairnessCase(h.GatewayTestCase):
    """A one-worker gateway with /echo and /src (a backend that streams
    for as long as the test lasts); floods, a victim, and the checks."""

    def setUp(self):
        if h.VALGRIND:
            self.skipTest("timing: memcheck serializes the threads")
        self.echo = self.backend(h.EchoBackend)
        self.source = self.source_backend()
        self.gw = self.gateway(text=self.config())

    def source_backend(self):
        return self.backend(h.ChunkSourceBackend, os.urandom(1 << 20),
                            1 << 20)

    def config(self):
        return h.config({
            "echo": {"path": "/echo", "backend": self.echo.addr},
            "src": {"path": "/src", "backend": self.source.addr}},
            gateway={"workers": "1"})

    def connect(self, path):
        c = self.raw(self.gw)
        c.handshake(path)
        return c

    def flood(self, n=1, path="/echo", **kw):
        floods = []
        for _ in range(n):
            f = Flood(self.connect(path), **kw)
            floods.append(f)
            self.addCleanup(f.stop)
            f.start()
        return floods

    def victim(self, seconds=VICTIM_SECONDS):
        """Round trips of 32 bytes every 50 ms: (handshake time, RTTs)."""
        t = time.monotonic()
        try:
            c = self.connect("/echo")
        except AssertionError as e:
            self.fail("a new client got no 101: %s" % e)
        hs = time.monotonic() - t
        rtts = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            msg = os.urandom(32)
            t = time.monotonic()
            c.send_frame(OP_BINARY, msg)
            try:
                got, _ = c.recv_data(32, limit=5)
            except AssertionError:
                self.fail("no echo within %.0f s (after %d round trips); "
                          "the flood holds the worker" %
                          (h.timeout(5), len(rtts)))
            rtts.append(time.monotonic() - t)
            self.assertEqual(got, msg)
            time.sleep(0.05)
        return hs, rtts

    def check(self, floods, moved, what):
        """Run the victim during the floods; moved(sent, received) is the
        flood's progress in the victim's window, which must be real."""
        time.sleep(FLOOD_WARMUP)
        before = [f.counts() for f in floods]
        hs, rtts = self.victim()
        after = [f.counts() for f in floods]
        for f in floods:
            self.assertIsNone(f.error, what)
        limit = h.timeout(VICTIM_MAX)
        self.assertLess(hs, limit, "%s: a new client's handshake took "
                        "%.3f s" % (what, hs))
        worst = max(rtts)
        self.assertLess(worst, limit, "%s: the victim's slowest of %d round "
                        "trips took %.3f s (median %.4f s)" % (
                            what, len(rtts), worst,
                            sorted(rtts)[len(rtts) // 2]))
        progress = sum(moved(a[0] - b[0], a[1] - b[1])
                       for a, b in zip(after, before))
        # Some MB/s even under ASan on a loaded machine; a starved flood
        # moves nothing.
        self.assertGreater(progress, 1_000_000, "%s: the flood itself was "
                           "starved (%d bytes in %.1f s)" % (
                               what, progress, VICTIM_SECONDS))

    def ping_after(self, flood):
        """After the flood: nothing it sent is left unread (stranded
        inside the gateway): a ping behind it is answered."""
        flood.stop()
        c = flood.client
        c.buf.clear()
        c.send_frame(OP_PING, b"after")
        while True:
            f = c.recv_frame(limit=5)
            if f.opcode == OP_PONG:
                self.assertEqual(f.payload, b"after")
                return


class Fairness(FairnessCase):
    def test_empty_continuation_frames(self):
        """A message that never ends: one binary frame with FIN=0, then
        masked 0-byte continuation frames as fast as TCP takes them.
        They fill no queue: only the frame budget stops the reading."""
        floods = self.flood(first=h.build_frame(OP_BINARY, b"x", fin=False),
                            unit=h.build_frame(OP_CONT, b"", fin=False))
        self.check(floods, lambda sent, got: sent, "empty continuations")
        self.ping_after(floods[0])

    def test_one_byte_fragments(self):
        # 4,096 fragments per message, so max_message_size never ends it.
        unit = (h.build_frame(OP_CONT, b"y", fin=False) * 4094 +
                h.build_frame(OP_CONT, b"y") +
                h.build_frame(OP_BINARY, b"y", fin=False))
        floods = self.flood(first=h.build_frame(OP_BINARY, b"x", fin=False),
                            unit=unit)
        self.check(floods, lambda sent, got: sent, "1-byte fragments")

    def test_unsolicited_pongs(self):
        floods = self.flood(n=2, unit=h.build_frame(OP_PONG, b"p" * 125))
        self.check(floods, lambda sent, got: sent, "125-byte pongs")

    def test_fast_backend_stream(self):
        """No hostile client: a backend that streams as fast as clients
        read (a busy desktop, a log tail), to four of them."""
        floods = self.flood(n=4, path="/src")
        self.check(floods, lambda sent, got: got, "backend stream")


class TLSSourceBackend(TLSEchoBackend):
    """Over TLS, sends 1 MiB blocks for as long as the connection lasts."""

    def handle(self, conn):
        block = os.urandom(1 << 20)
        tls = self.wrap(conn)
        if tls is None:
            return
        try:
            while not self.expired():
                tls.sendall(block)
        except (ssl.SSLError, OSError):
            pass
        finally:
            tls.close()


class TLSFairness(FairnessCase):
    """TLS on both sides: clients on a TLS listener, the stream from a
    backend behind backend_tls.  Those sides are read through
    bufferevents, whose input may still hold decrypted bytes when the
    budget is spent."""

    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="wsgate-pki-")
        cls.pki = PKI(cls.pki_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki_dir, ignore_errors=True)

    def source_backend(self):
        b = TLSSourceBackend(self.pki.server_ctx(self.pki.backend))
        self.addCleanup(b.stop)
        return b

    def config(self):
        return h.config({
            "echo": {"path": "/echo", "backend": self.echo.addr},
            "src": {"path": "/src", "backend": self.source.addr,
                    "backend_tls": "yes", "backend_tls_ca": self.pki.ca,
                    "backend_tls_name": "backend.test"}},
            gateway={"workers": "1", "listen": "127.0.0.1:0 tls",
                     "tls_cert": self.pki.server.cert,
                     "tls_key": self.pki.server.key})

    def connect(self, path):
        c = self.raw(self.gw)
        c.sock = self.pki.client_ctx().wrap_socket(
            c.sock, server_hostname="localhost")
        c.handshake(path)
        return c

    def test_tls_empty_continuation_frames(self):
        floods = self.flood(first=h.build_frame(OP_BINARY, b"x", fin=False),
                            unit=h.build_frame(OP_CONT, b"", fin=False))
        self.check(floods, lambda sent, got: sent, "TLS empty continuations")
        self.ping_after(floods[0])

    def test_tls_backend_stream(self):
        floods = self.flood(n=2, path="/src")
        self.check(floods, lambda sent, got: got, "TLS backend stream")


# ---- the hand-off of accepted connections to workers

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000


class StoppedThread:
    """One thread of another process stopped, as a debugger does
    (PTRACE_SEIZE + PTRACE_INTERRUPT: that thread only, the others go on),
    until the block ends.  It is stopped while it waits in epoll_wait: a
    thread stopped anywhere may hold a lock the others need (the
    allocator's, say), which no worker does while waiting."""

    def __init__(self, pid, tid):
        self.tid = tid
        self.wchan = "/proc/%d/task/%d/wchan" % (pid, tid)
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.ptrace.restype = ctypes.c_long
        self.libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long,
                                     ctypes.c_void_p, ctypes.c_void_p]

    def _ptrace(self, req):
        if self.libc.ptrace(req, self.tid, None, None) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "ptrace(%#x, %d): %s" % (req, self.tid,
                                                      os.strerror(e)))

    def __enter__(self):
        def idle():
            with open(self.wchan) as f:
                w = f.read().strip()
            return "epoll_wait" in w or w in ("", "0")  # unknown: go on
        h.wait_until(idle, 5, "thread %d to wait in epoll_wait" % self.tid)
        self._ptrace(PTRACE_SEIZE)
        self._ptrace(PTRACE_INTERRUPT)
        os.waitpid(self.tid, WALL)
        return self

    def __exit__(self, *exc):
        self._ptrace(PTRACE_DETACH)
        return False


HEALTH = b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n"


class Handoff(h.GatewayTestCase):
    def setUp(self):
        if h.VALGRIND:
            self.skipTest("memcheck runs one thread at a time: stopping "
                          "one stops them all")

    def worker_tid(self, gw, i):
        """Worker i's thread: named wsgate-wI (an older build without
        names: the threads start in order, after the main thread)."""
        tids = sorted(int(t) for t in os.listdir("/proc/%d/task" % gw.pid))
        for tid in tids:
            with open("/proc/%d/task/%d/comm" % (gw.pid, tid)) as f:
                if f.read().strip() == "wsgate-w%d" % i:
                    return tid
        return tids[1 + i]

    def answered(self, socks, done, deadline, want):
        """Read health answers until want of them have come or the
        deadline; done: socks answered."""
        poller = select.poll()
        byfd = {}
        for s in socks:
            if s not in done:
                poller.register(s, select.POLLIN)
                byfd[s.fileno()] = s
        while (byfd and len(done) < want and
               time.monotonic() < deadline):
            for fd, _ in poller.poll(50):
                s = byfd.pop(fd)
                poller.unregister(fd)
                try:
                    b = s.recv(4096)
                except OSError:
                    b = b""
                if not b.startswith(b"HTTP/1.1 200"):
                    self.fail("a connection was %s instead of answered "
                              "(%d answered so far)" % (
                                  "closed" if not b else "sent %r" % b[:60],
                                  len(done)))
                done.add(s)
        return len(done)

    def test_stopped_worker_does_not_block_accepting(self):
        """A worker that stops taking connections (here: stopped by a
        debugger; in life: stuck) must not stall the main thread: the
        connections meant for it go to the other worker once its queue is
        full, and those queued are served when it runs again.  Before,
        the main thread waited up to a second per connection for it.
        With a socket per worker (SO_REUSEPORT), the kernel puts about
        half the connections in the stopped worker's socket: the main
        thread sees its heartbeat stop and takes them from there."""
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"e": {"path": "/e", "backend": echo.addr}},
                          gateway={"workers": "2",
                                   "health_path": "/health",
                                   "handshake_timeout": "30",
                                   "close_timeout": "30",
                                   # The hand-off is under test, not the
                                   # budget for connections not yet
                                   # upgraded (test_flood).
                                   "max_handshakes": "10000"})
        n = 2000
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        done = set()
        try:
            with StoppedThread(gw.pid, self.worker_tid(gw, 1)):
                t0 = time.monotonic()
                for _ in range(n):
                    s = socket.create_connection(("127.0.0.1", gw.port),
                                                 timeout=h.timeout(5))
                    s.sendall(HEALTH)
                    socks.append(s)
                # A worker's queue holds a few hundred: most connections
                # went to the running worker, and it answered them.
                got = self.answered(socks, done, t0 + h.timeout(5),
                                    n - 600)
                self.assertGreater(got, n // 2, "%d of %d connections "
                                   "answered with worker 1 stopped" % (
                                       got, n))
                gw.wait_log(r"warn worker 1 has not run its loop for "
                            r"[\d.]+s: the main thread accepts")
        except OSError as e:
            if e.errno in (errno.EPERM, errno.EACCES):
                self.skipTest("ptrace not permitted here: %s" % e)
            raise
        # The stopped worker runs again: it serves what was queued for it,
        # nothing was dropped.
        got = self.answered(socks, done, time.monotonic() + h.timeout(10),
                            n)
        self.assertEqual(got, n)

    def test_every_worker_stopped(self):
        """Every worker's queue full: the main thread holds the connection
        it has, stops accepting (the kernel's listen backlog keeps the
        others) and stays in its event loop; nothing is closed, and all
        are served once the workers run again.  (The connections are in
        the workers' own sockets: the main thread takes them from there
        once it sees both workers stuck.)"""
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"e": {"path": "/e", "backend": echo.addr}},
                          gateway={"workers": "2",
                                   "health_path": "/health",
                                   "handshake_timeout": "30",
                                   "close_timeout": "30",
                                   # The hand-off is under test, not the
                                   # budget for connections not yet
                                   # upgraded (test_flood).
                                   "max_handshakes": "10000"})
        n = 1000        # more than both queues hold
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        main_wchan = "/proc/%d/task/%d/wchan" % (gw.pid, gw.pid)
        try:
            with StoppedThread(gw.pid, self.worker_tid(gw, 0)), \
                    StoppedThread(gw.pid, self.worker_tid(gw, 1)):
                mark = gw.mark()
                for _ in range(n):
                    s = socket.create_connection(("127.0.0.1", gw.port),
                                                 timeout=h.timeout(5))
                    s.sendall(HEALTH)
                    socks.append(s)
                gw.wait_log(r"every worker's queue of new connections is "
                            r"full: accepting paused", 5, start=mark)
                time.sleep(0.2)
                with open(main_wchan) as f:
                    wchan = f.read().strip()
                if wchan not in ("", "0"):
                    self.assertIn("epoll_wait", wchan, "the main thread "
                                  "is not waiting in its event loop")
                p = select.poll()
                for s in socks:
                    p.register(s, select.POLLIN)
                ready = p.poll(0)
                self.assertEqual(ready, [], "%d connections were answered "
                                 "or closed with every worker stopped" %
                                 len(ready))
        except OSError as e:
            if e.errno in (errno.EPERM, errno.EACCES):
                self.skipTest("ptrace not permitted here: %s" % e)
            raise
        got = self.answered(socks, set(), time.monotonic() + h.timeout(10),
                            n)
        self.assertEqual(got, n)


if __name__ == "__main__":
    unittest.main()
