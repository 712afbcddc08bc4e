"""test_backpressure.py -- a stalled peer must not make wsgate buffer without
limit: memory stays near max_buffer, and every byte still arrives."""

import errno
import hashlib
import os
import socket
import time

import harness as h
from harness import OP_BINARY, OP_CLOSE

MiB = 1 << 20
KiB = 1 << 10
MAX_BUFFER = 256 * KiB
# RSS may grow by max_buffer per direction plus allocator slack and
# libevent's read-ahead; a gateway buffering the stream would grow by
# tens of MiB.  Under ASan freed memory stays in quarantine: RSS grows
# with the bytes that flowed (some MiB here), not with what is buffered.
RSS_SLACK_KB = (16 if h.SANITIZER else 4) * 1024


class SlowClient(h.GatewayTestCase):
    def test_fast_backend_slow_reader(self):
        """The backend pushes up to 200 MiB while the client reads nothing
        for a few seconds: RSS stays bounded and the backend is stopped;
        then the client reads everything, byte for byte."""
        # An odd block size: a lost or repeated piece shows in the hash.
        block = os.urandom(MiB + 7)
        count = 64 if h.SANITIZER else 200
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
