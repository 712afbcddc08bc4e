"""test_backpressure.py -- a stalled peer must not make wsgate buffer without
limit: memory stays near max_buffer, and every byte still arrives."""

import errno
import hashlib
import os
import socket
import struct
import threading
import time

import harness as h
from harness import OP_BINARY, OP_CLOSE

MiB = 1 << 20
KiB = 1 << 10
MAX_BUFFER = 256 * KiB
# RSS may grow by max_buffer per direction plus allocator slack and
# libevent's read-ahead; a gateway buffering the stream would grow by
# tens of MiB.  Under ASan freed memory stays in quarantine: RSS grows
# with the bytes that flowed (some MiB here), not with what is buffered;
# under valgrind RSS includes memcheck's own bookkeeping.
RSS_SLACK_KB = (32 if h.VALGRIND else 16 if h.SANITIZER else 4) * 1024


class SlowClient(h.GatewayTestCase):
    def test_fast_backend_slow_reader(self):
        """The backend pushes up to 200 MiB while the client reads nothing
        for a few seconds: RSS stays bounded and the backend is stopped;
        then the client reads everything, byte for byte."""
        # An odd block size: a lost or repeated piece shows in the hash.
        block = os.urandom(MiB + 7)
        count = 64 if h.SANITIZER or h.VALGRIND else 200
        total = len(block) * count
        src = self.backend(h.ChunkSourceBackend, block, count)
        gw = self.gateway({"r": {"path": "/", "backend": src.addr,
                                 "max_buffer": "256k"}})
        c = self.raw(gw, rcvbuf=64 * KiB)
        c.handshake("/")
        rss0 = gw.rss_kb()
        # Stall: read nothing for a while, watching memory.
        peak = rss0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            peak = max(peak, gw.rss_kb())
            time.sleep(0.05)
        stalled_sent = src.nsent
        self.assertLess(peak - rss0, MAX_BUFFER // KiB + RSS_SLACK_KB,
                        "RSS grew from %d to %d kB while the client was "
                        "stalled" % (rss0, peak))
        # Kernel socket buffers hold some MiB; the gateway must not have
        # taken the rest.
        self.assertLess(stalled_sent, total // 2,
                        "backend pushed %d bytes into a stalled session"
                        % stalled_sent)
        self.assertFalse(src.done.is_set())

        # Now read it all and compare digests.
        want = hashlib.sha256()
        for _ in range(count):
            want.update(block)
        got = hashlib.sha256()
        n, others = c.recv_data(total + 1, limit=120, consume=got.update)
        self.assertEqual(n, total)
        self.assertEqual(got.hexdigest(), want.hexdigest())
        self.assertEqual([f.opcode for f in others], [OP_CLOSE])
        self.assertEqual(others[0].close_code, 1000)
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.expect_eof()
        gw.wait_log(r"close .*down=%d .*code=1000 by=backend" % total)

    def test_slow_backend_fast_client(self):
        """The client sends while the backend reads nothing: the gateway
        stops reading the client (its sends block) and RSS stays
        bounded."""
        hold = self.backend(h.HoldBackend)
        gw = self.gateway({"r": {"path": "/", "backend": hold.addr,
                                 "max_buffer": "256k"}})
        c = self.raw(gw)
        c.handshake("/")
        conn = hold.wait_conn()
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * KiB)
        rss0 = gw.rss_kb()
        frame = h.build_frame(OP_BINARY, os.urandom(MiB))
        limit = 200 * MiB
        sent = 0
        peak = rss0
        c.sock.setblocking(False)
        view = memoryview(b"")
        last_progress = time.monotonic()
        # Send until the gateway has stopped taking bytes for 1 s.
        while sent < limit and time.monotonic() - last_progress < 1.0:
            if not view:
                view = memoryview(frame)
            try:
                n = c.sock.send(view)
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                    raise
                time.sleep(0.02)
                peak = max(peak, gw.rss_kb())
                continue
            view = view[n:]
            sent += n
            last_progress = time.monotonic()
        peak = max(peak, gw.rss_kb())
        self.assertLess(sent, limit, "the gateway took %d bytes from the "
                        "client while its backend read nothing" % sent)
        self.assertLess(peak - rss0, MAX_BUFFER // KiB + RSS_SLACK_KB,
                        "RSS grew from %d to %d kB" % (rss0, peak))
        c.close()
        hold.stop()
        gw.wait_log(r"close client=", 10)


RST = struct.pack("ii", 1, 0)      # SO_LINGER on, 0 s: close sends RST


class Teardown(h.GatewayTestCase):
    """Peers vanishing while buffers are full: every session ends, no
    descriptor or memory is left behind (ASan checks the latter)."""

    def vanish(self, gw, path, n, kind):
        """n clients that fill their direction, then close (FIN), or
        reset (RST) every other time."""
        block = os.urandom(256 * KiB)
        for i in range(n):
            c = h.RawClient(gw.port)
            c.handshake(path)
            if kind == "read":
                c.recv_data(100 * KiB)      # some of the stream only
            else:
                c.sock.setblocking(False)
                try:
                    for _ in range(64):
                        c.send(h.build_frame(OP_BINARY, block))
                except OSError:
                    pass
            if i % 2 == 1:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST)
            c.close()

    def wait_closed(self, gw, n, base, limit=10):
        h.wait_until(lambda: len(gw.find_log(r" close client=")) == n,
                     limit, "%d close lines" % n)
        h.wait_until(lambda: gw.fd_count() <= base, limit,
                     "fd count back to %d" % base)

    def test_clients_vanish_mid_stream(self):
        src = self.backend(h.ChunkSourceBackend, os.urandom(256 * KiB), 400)
        gw = self.gateway({"r": {"path": "/", "backend": src.addr}})
        base = gw.fd_count()
        self.vanish(gw, "/", 8, "read")
        self.wait_closed(gw, 8, base)

    def test_clients_vanish_stalled_backend_recovers(self):
        """Clients leave while the backend reads nothing (their reads
        paused): the sessions end once the backend reads again."""
        hold = self.backend(h.HoldBackend)
        gw = self.gateway({"r": {"path": "/", "backend": hold.addr}})
        base = gw.fd_count()
        self.vanish(gw, "/", 6, "send")
        hold.release()
        self.wait_closed(gw, 6, base)

    def test_clients_vanish_stuck_backend_idle_timeout(self):
        """Clients leave while the backend stays stuck: a paused client's
        FIN sits behind unread data (it may not even reach us while our
        receive window is closed), so only idle_timeout ends these
        sessions."""
        hold = self.backend(h.HoldBackend)
        gw = self.gateway({"r": {"path": "/", "backend": hold.addr,
                                 "idle_timeout": "0.5",
                                 "close_timeout": "0.5"}})
        base = gw.fd_count()
        self.vanish(gw, "/", 6, "send")
        self.wait_closed(gw, 6, base)

    def test_backend_resets_while_client_stalled(self):
        block = os.urandom(MiB)
        b = self.backend(StreamThenReset, block, 16)
        gw = self.gateway({"r": {"path": "/", "backend": b.addr,
                                 "close_timeout": "1"}})
        c = self.raw(gw, rcvbuf=64 * KiB)
        c.handshake("/")
        b.done.wait(h.timeout(10))
        time.sleep(0.2)
        # Whatever arrives, it ends with a close (1011: the backend
        # failed) or, if the client was too slow, an EOF.
        got, others = c.recv_data(16 * MiB + 1, limit=20)
        self.assertLessEqual(len(got), 16 * MiB)
        if others:
            self.assertEqual(others[-1].close_code, 1011)
        gw.wait_log(r"close client=.*code=1011 by=backend", 10)


class StreamThenReset(h.Backend):
    """Sends block count times (as far as the gateway takes it within a
    moment), then resets the connection."""

    def __init__(self, block, count, **kw):
        self.block = block
        self.count = count
        self.done = threading.Event()
        super().__init__(**kw)

    def handle(self, conn):
        conn.sock.settimeout(0.5)
        try:
            for _ in range(self.count):
                conn.sock.sendall(self.block)
        except OSError:
            pass
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST)
        self.done.set()


class PausedHangups(h.GatewayTestCase):
    """A side paused for backpressure is not read, yet a reset must be
    noticed (no idle_timeout here).  A FIN cannot be: it waits behind the
    unread bytes in a zero TCP window; idle_timeout bounds that case."""

    def _paused_client(self, gw):
        """A client whose gateway has stopped reading it: it sends until
        nothing more goes out for a while (backend queue and every
        kernel buffer on the way are full)."""
        c = self.raw(gw)
        c.handshake("/hold")
        c.sock.setblocking(False)
        frame = h.build_frame(OP_BINARY, os.urandom(1 << 20))
        view = memoryview(frame)
        stalled_since = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                n = c.sock.send(view)
                view = view[n:] if n < len(view) else memoryview(frame)
                stalled_since = None
            except BlockingIOError:
                if stalled_since is None:
                    stalled_since = time.monotonic()
                elif time.monotonic() - stalled_since > 1.0:
                    return c
                time.sleep(0.02)
        self.fail("the gateway kept reading a client whose backend is "
                  "stuck")

    def test_reset_while_paused_ends_session(self):
        hold = self.backend(h.HoldBackend)
        gw = self.gateway({"hold": {"path": "/hold", "backend": hold.addr,
                                    "max_buffer": "64k"}},
                          gateway={"close_timeout": "1"})
        c = self._paused_client(gw)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          struct.pack("ii", 1, 0))
        c.sock.close()
        # The session line comes once the stuck backend has had
        # close_timeout to take what the client sent.
        gw.wait_log(r"close client=.*route=hold.*code=1006 by=client "
                    r"reason=\"client connection reset\"", 6)

    def test_fin_while_paused_ends_at_idle_timeout(self):
        hold = self.backend(h.HoldBackend)
        gw = self.gateway({"hold": {"path": "/hold", "backend": hold.addr,
                                    "max_buffer": "64k",
                                    "idle_timeout": "2"}},
                          gateway={"close_timeout": "1"})
        c = self._paused_client(gw)
        c.sock.shutdown(socket.SHUT_WR)
        gw.wait_log(r"close client=.*route=hold.*code=1001 by=gateway "
                    r"reason=\"idle timeout\"", 8)
        c.sock.close()
