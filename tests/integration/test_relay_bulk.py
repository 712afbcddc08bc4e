"""test_relay_bulk.py -- the bulk paths of the relay (relay.c), byte for
byte: a plain backend's stream, framed as it is read, towards a client
that reads slowly, with pings and a close frame in the middle of it;
client payload written straight from the read buffer to a backend that
cannot take it all (relay_to_backend), so that what the socket did not
take is queued behind what it did; and a bulk echo recorded (record = DIR
needs every byte)."""

import hashlib
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import harness as h
from harness import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG

KiB = 1 << 10
FRAME_MAX = 65535


def frames_of(buf):
    """(opcode, fin, header length, payload) of every whole frame at the
    front of buf (unmasked, as the gateway sends), and the bytes used."""
    out, pos = [], 0
    while len(buf) - pos >= 2:
        b0, b1 = buf[pos], buf[pos + 1]
        n, hl = b1 & 0x7F, 2
        if n == 126:
            if len(buf) - pos < 4:
                break
            n, hl = struct.unpack_from("!H", buf, pos + 2)[0], 4
        elif n == 127:
            if len(buf) - pos < 10:
                break
            n, hl = struct.unpack_from("!Q", buf, pos + 2)[0], 10
        if b1 & 0x80:
            raise AssertionError("masked frame from the gateway")
        if len(buf) - pos < hl + n:
            break
        out.append((b0 & 0x0F, bool(b0 & 0x80), hl,
                    bytes(buf[pos + hl:pos + hl + n])))
        pos += hl + n
    return out, pos


class StreamBackend(h.Backend):
    """Sends `block` (bytes) `count` times as fast as the gateway takes
    it, then closes; or, with count None, until the gateway goes."""

    def __init__(self, block, count, **kw):
        self.block, self.count = block, count
        super().__init__(**kw)

    def handle(self, conn):
        n = 0
        while (self.count is None or n < self.count) and \
                self.send_all(conn, self.block):
            n += 1


class Bulk(h.GatewayTestCase):

    def check_frame(self, op, fin, hl, payload):
        """Binary, final, and the shortest length encoding (RFC 6455
        5.2), never more than the documented 65535 bytes."""
        self.assertEqual(op, OP_BINARY)
        self.assertTrue(fin)
        self.assertLessEqual(len(payload), FRAME_MAX)
        self.assertEqual(hl, 2 if len(payload) < 126 else 4,
                         "header of %d bytes for a %d-byte payload" %
                         (hl, len(payload)))

    def test_stream_to_slow_reader(self):
        """Some MiB from a backend that sends as fast as it can, to a
        client that reads nothing at first, then in small bites: every
        frame well formed, every byte in order, then 1000."""
        # Odd sizes: a frame cut in the wrong place shows in the hash.
        block = os.urandom(300 * KiB + 7)
        count = 10 if h.VALGRIND else 24
        src = self.backend(StreamBackend, block, count)
        gw = self.gateway({"r": {"path": "/", "backend": src.addr,
                                 "max_buffer": "256k"}})
        c = self.raw(gw, rcvbuf=16 * KiB)
        c.handshake("/")
        time.sleep(0.5)     # the gateway's queue and the sockets fill
        want = hashlib.sha256(block * count).hexdigest()
        got = hashlib.sha256()
        total = 0
        sizes = set()
        deadline = time.monotonic() + h.timeout(30)
        close = None
        while close is None:
            if not c._fill(deadline, 3000):
                self.fail("EOF before the close frame")
            fs, used = frames_of(c.buf)
            del c.buf[:used]
            for op, fin, hl, payload in fs:
                if op == OP_CLOSE:
                    close = payload
                    break
                self.check_frame(op, fin, hl, payload)
                got.update(payload)
                total += len(payload)
                sizes.add(len(payload) == FRAME_MAX)
        self.assertEqual(total, len(block) * count)
        self.assertEqual(got.hexdigest(), want)
        self.assertEqual(struct.unpack("!H", close[:2])[0], 1000)
        # Whole frames were made, and short ones.
        self.assertEqual(sizes, {True, False})

    def test_pings_and_close_amid_stream(self):
        """A backend that never stops; the client pings while it reads:
        each pong comes back whole, in order, between data frames (never
        inside one); then its close frame is answered with 1000, after
        data that is exactly the stream's next bytes."""
        unit = bytes(range(251)) * 8      # 2008 bytes, period 251
        src = self.backend(StreamBackend, unit * 64, None)
        gw = self.gateway({"r": {"path": "/", "backend": src.addr,
                                 "max_buffer": "128k"}})
        c = self.raw(gw, rcvbuf=32 * KiB)
        c.handshake("/")
        offset = 0          # stream bytes seen so far
        pongs = []
        sent = []
        deadline = time.monotonic() + h.timeout(20)

        def take():
            nonlocal offset
            fs, used = frames_of(c.buf)
            del c.buf[:used]
            for op, fin, hl, payload in fs:
                if op == OP_PONG:
                    pongs.append(payload)
                    continue
                if op == OP_CLOSE:
                    return payload
                self.check_frame(op, fin, hl, payload)
                start = offset % 251
                expect = (bytes(range(251)) * (len(payload) // 251 + 2))[
                    start:start + len(payload)]
                self.assertEqual(payload, expect,
                                 "stream bytes at offset %d" % offset)
                offset += len(payload)
            return None

        for i in range(20):
            p = b"ping %d " % i + os.urandom(i * 5)
            sent.append(p)
            c.send_frame(OP_PING, p)
            # Read a while, slowly enough that the queue stays full.
            for _ in range(3):
                self.assertTrue(c._fill(deadline, 8 * KiB))
                self.assertIsNone(take())
            time.sleep(0.01)
        while len(pongs) < len(sent):
            self.assertTrue(c._fill(deadline))
            self.assertIsNone(take())
        self.assertEqual(pongs, sent)
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        close = None
        while close is None:
            self.assertTrue(c._fill(deadline), "EOF before the close frame")
            close = take()
        self.assertEqual(struct.unpack("!H", close[:2])[0], 1000)
        self.assertGreater(offset, 1 << 20)
        c.expect_eof()

    def test_client_to_stalled_backend(self):
        """Frames of every length class, several MiB, to a backend that
        reads nothing for a while and then everything: the bytes written
        at once and those queued behind them arrive in order."""
        sizes = [1, 125, 126, 4096, FRAME_MAX, FRAME_MAX + 1, 200 * KiB + 3]
        # More than the kernel's socket buffers hold (the gateway's send
        # buffer grows to some MiB), so that writes come out partial.
        msgs = [os.urandom(n) for n in sizes] * 24
        want = b"".join(msgs)
        be = self.backend(h.HoldBackend)
        # (Accepted sockets inherit it.)
        be.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * KiB)
        gw = self.gateway({"r": {"path": "/", "backend": be.addr,
                                 "max_buffer": "256k"}})
        c = self.raw(gw)
        c.handshake("/")
        be.wait_conn()
        wire = b"".join(h.build_frame(OP_BINARY, m) for m in msgs)

        def send():
            try:
                c.sock.sendall(wire)
            except OSError:
                pass
        t = threading.Thread(target=send, daemon=True)
        t.start()
        time.sleep(0.5)     # the backend's socket and queue fill
        be.release()
        got = be.wait_received(len(want), limit=20)
        t.join(h.timeout(10))
        self.assertEqual(len(got), len(want))
        self.assertTrue(got == want, "payload bytes differ")
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        self.assertEqual(c.recv_close().close_code, 1000)
        c.expect_eof()


class BulkRecorded(h.GatewayTestCase):

    def test_echoed_bulk_recorded_exactly(self):
        """record = DIR sees every byte of a bulk echo both ways (the
        client's written straight from the read buffer): the dump counts
        them, and a replay against an echo backend gets back exactly what
        the recording says the backend sent."""
        d = tempfile.mkdtemp(prefix="wsgate-rec-")
        self.addCleanup(shutil.rmtree, d, True)
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"r": {"path": "/", "backend": echo.addr,
                                 "record": d}})
        data = os.urandom(3 * FRAME_MAX + 1000)
        c = self.raw(gw)
        c.handshake("/")
        c.send_frame(OP_BINARY, data)
        got, _ = c.recv_data(len(data), limit=10)
        self.assertTrue(got == data, "echo differs")
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.recv_close()
        c.expect_eof()
        tool = os.path.join(os.path.dirname(os.path.abspath(h.BINARY)),
                            "wsgate-record")

        def ended():
            files = [os.path.join(d, f) for f in os.listdir(d)
                     if f.endswith(".wsrec")]
            if not files:
                return None
            p = subprocess.run([tool, "dump", "-n", "0", files[0]],
                               capture_output=True, timeout=h.timeout(10))
            out = p.stdout.decode("utf-8", "replace")
            return (files[0], out) if "no end record" not in out and \
                p.returncode == 0 else None
        path, out = h.wait_until(ended, 5, "an ended recording")
        m = re.search(r"c>b (\d+) bytes, b>c (\d+) bytes", out)
        self.assertIsNotNone(m, "no byte counts in the dump")
        self.assertEqual((int(m.group(1)), int(m.group(2))),
                         (len(data), len(data)))
        echo2 = self.backend(h.EchoBackend)
        p = subprocess.run([tool, "replay", "-s", "0", "-w", "0.3", "-c",
                            path, echo2.addr], capture_output=True,
                           timeout=h.timeout(10))
        self.assertEqual(p.returncode, 0, p.stderr)
