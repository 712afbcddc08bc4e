"""test_tls_io.py -- the relay reading and writing TLS itself (side.c):
records gathered and split, many records per read, backpressure on a TLS
side, closes with and without close_notify, TLS to the backend, and TLS
1.3 KeyUpdates mid-stream (keyupdate.c, since Python's ssl cannot send
one).  Correctness only: every byte checked.

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate -k tls_io
"""

import asyncio
import hashlib
import os
import random
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import harness as H
import websockets
from harness import OP_BINARY, OP_CLOSE

from tls_support import PKI, TLSEchoBackend

HERE = os.path.dirname(os.path.abspath(__file__))
KiB = 1 << 10
MiB = 1 << 20
TMP = None
pki = None
KEYUPDATE = None


def setUpModule():
    global TMP, pki, KEYUPDATE
    TMP = tempfile.mkdtemp(prefix="wsgate-tlsio-")
    pki = PKI(os.path.join(TMP, "pki"))
    KEYUPDATE = os.path.join(TMP, "keyupdate")
    cc = os.environ.get("CC", "cc")
    r = subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-O1", "-Wall",
                        "-Wextra", "-Werror", "-o", KEYUPDATE,
                        os.path.join(HERE, "keyupdate.c"), "-lssl",
                        "-lcrypto"], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("cannot build keyupdate:\n" + r.stderr)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def gateway_config(backend, backend_tls=False, extra=None):
    """One TLS listener (gw.port), route /r to backend."""
    route = {"path": "/r", "backend": backend}
    if backend_tls:
        route.update({"backend_tls": "yes", "backend_tls_ca": pki.ca,
                      "backend_tls_name": "backend.test"})
    route.update(extra or {})
    return H.config({"r": route}, {"listen": "127.0.0.1:0 tls",
                                   "tls_cert": pki.server.cert,
                                   "tls_key": pki.server.key})


def wss_raw(gw, rcvbuf=None, ctx=None):
    """A RawClient whose socket is TLS (after the TLS handshake)."""
    c = H.RawClient(gw.port, rcvbuf=rcvbuf)
    c.sock = (ctx or pki.client_ctx()).wrap_socket(
        c.sock, server_hostname="localhost")
    return c


class TLSChunkSource(TLSEchoBackend):
    """Over TLS, sends count copies of block as fast as the gateway
    takes them, then closes (with close_notify)."""

    def __init__(self, ctx, block, count):
        self.block = block
        self.count = count
        self.nsent = 0
        super().__init__(ctx)

    def handle(self, conn):
        tls = self.wrap(conn)
        if tls is None:
            return
        tls.settimeout(None)
        try:
            for _ in range(self.count):
                tls.sendall(self.block)
                self.nsent += len(self.block)
            tls.unwrap()
        except (ssl.SSLError, OSError) as e:
            self.errors.append(repr(e))
        finally:
            tls.close()


class Echo(unittest.TestCase):
    def echo_mixed(self, gw):
        """Messages of 1 MiB (64 records and more each) and thousands of
        small ones sent back to back (many per record), each way: the
        echo, read while sending, is the same stream of bytes."""
        rnd = random.Random(15)
        sizes = [MiB, 0, 1, MiB + 3] + [rnd.randrange(0, 300)
                                         for _ in range(3000)] + [MiB]
        data = os.urandom(sum(sizes))

        async def run():
            async with websockets.connect(
                    "wss://127.0.0.1:%d/r" % gw.port, ssl=pki.client_ctx(),
                    server_hostname="localhost", compression=None,
                    max_size=None, ping_interval=None) as ws:
                got = bytearray()

                async def reader():
                    while len(got) < len(data):
                        got.extend(await ws.recv())
                task = asyncio.ensure_future(reader())
                off = 0
                for n in sizes:
                    await ws.send(data[off:off + n])
                    off += n
                await task
                return bytes(got)
        got = H.run_async(run(), 60)
        self.assertEqual(len(got), len(data))
        self.assertEqual(hashlib.sha256(got).digest(),
                         hashlib.sha256(data).digest())
        return len(data)

    def test_mixed_sizes_plain_backend(self):
        with H.EchoBackend() as be, H.Gateway(None,
                                               gateway_config(be.addr)) as gw:
            n = self.echo_mixed(gw)
            gw.wait_log(r"close client=\S+ route=r up=%d down=%d .*"
                        r"code=1000" % (n, n))

    def test_mixed_sizes_tls_backend(self):
        with TLSEchoBackend(pki.server_ctx(pki.backend)) as be, \
                H.Gateway(None, gateway_config(be.addr, True)) as gw:
            n = self.echo_mixed(gw)
            gw.wait_log(r"close client=\S+ route=r up=%d down=%d .*"
                        r"code=1000" % (n, n))
            self.assertEqual(be.errors, [])


class Backpressure(unittest.TestCase):
    """A wss client that stops reading: the gateway stops reading the
    backend (TLS or not) rather than buffer, and when the client reads
    again every byte arrives in order."""

    def slow_reader(self, src, gw, total):
        c = wss_raw(gw, rcvbuf=64 * KiB)
        c.handshake("/r")
        # Stalled for a while: the source must be held back.
        time.sleep(1.5)
        stalled = src.nsent
        self.assertLess(stalled, total // 2,
                        "the backend pushed %d bytes into a stalled "
                        "session" % stalled)
        want = hashlib.sha256()
        for _ in range(src.count):
            want.update(src.block)
        got = hashlib.sha256()
        n, others = c.recv_data(total + 1, limit=120, consume=got.update)
        self.assertEqual(n, total)
        self.assertEqual(got.hexdigest(), want.hexdigest())
        self.assertEqual([f.opcode for f in others], [OP_CLOSE])
        self.assertEqual(others[0].close_code, 1000)
        c.send_frame(OP_CLOSE, H.close_payload(1000))
        gw.wait_log(r"close .*down=%d .*code=1000 by=backend" % total)

    def test_slow_wss_reader_plain_backend(self):
        block = os.urandom(MiB + 7)
        count = 48
        with H.ChunkSourceBackend(block, count) as src, \
                H.Gateway(None, gateway_config(
                    src.addr, extra={"max_buffer": "256k"})) as gw:
            self.slow_reader(src, gw, len(block) * count)

    def test_slow_wss_reader_tls_backend(self):
        block = os.urandom(MiB + 7)
        count = 48
        with TLSChunkSource(pki.server_ctx(pki.backend), block,
                            count) as src, \
                H.Gateway(None, gateway_config(
                    src.addr, True, {"max_buffer": "256k"})) as gw:
            self.slow_reader(src, gw, len(block) * count)
            self.assertEqual(src.errors, [])


    def test_backend_closes_while_client_socket_is_full(self):
        """The backend sends 6 MiB and closes while the client reads
        nothing: the gateway queues it (max_buffer 8m), its TLS writes
        block on the full socket, and the close frame is queued behind
        them, the writing handed back to the TLS bufferevent mid-write.
        When the client reads, every byte comes, then the 1000."""
        block = os.urandom(MiB + 5)
        count = 6
        with H.ChunkSourceBackend(block, count) as src, \
                H.Gateway(None, gateway_config(
                    src.addr, extra={"max_buffer": "8m"})) as gw:
            c = wss_raw(gw, rcvbuf=64 * KiB)
            c.handshake("/r")
            src.done.wait(H.timeout(10))
            self.assertTrue(src.done.is_set())
            time.sleep(0.5)
            got, others = c.recv_data(len(block) * count + 1, limit=30)
            self.assertEqual(hashlib.sha256(got).digest(),
                             hashlib.sha256(block * count).digest())
            self.assertEqual([f.close_code for f in others], [1000])
            c.send_frame(OP_CLOSE, H.close_payload(1000))
            gw.wait_log(r"close .*down=%d .*code=1000 by=backend"
                        % (len(block) * count))


class Closing(unittest.TestCase):
    def open_and_echo(self, gw):
        c = wss_raw(gw)
        c.handshake("/r")
        data = os.urandom(100000)
        c.send_frame(OP_BINARY, data)
        got, _ = c.recv_data(len(data), limit=10)
        self.assertEqual(got, data)
        return c

    def test_close_frame_then_close_notify(self):
        with H.EchoBackend() as be, H.Gateway(None,
                                               gateway_config(be.addr)) as gw:
            c = self.open_and_echo(gw)
            c.send_frame(OP_CLOSE, H.close_payload(1000))
            self.assertEqual(c.recv_frame().close_code, 1000)
            # The gateway's close_notify, then our own.
            c.sock.settimeout(H.timeout(5))
            self.assertEqual(c.sock.recv(10), b"")
            c.sock.unwrap()
            c.sock.close()
            gw.wait_log(r"close client=\S+ route=r up=100000 down=100000 "
                        r".*code=1000 by=client")

    def test_close_notify_without_close_frame(self):
        with H.EchoBackend() as be, H.Gateway(None,
                                               gateway_config(be.addr)) as gw:
            c = self.open_and_echo(gw)
            c.sock.settimeout(H.timeout(5))
            raw = c.sock.unwrap()     # close_notify, TCP still open
            gw.wait_log(r"close client=\S+ route=r up=100000 down=100000 "
                        r".*code=1006 by=client")
            raw.close()

    def test_tcp_close_without_close_notify(self):
        with H.EchoBackend() as be, H.Gateway(None,
                                               gateway_config(be.addr)) as gw:
            c = self.open_and_echo(gw)
            # Under the TLS layer: FIN with no close_notify (a dirty
            # shutdown, allowed as bufferevent_openssl allowed it).
            fd = socket.socket(fileno=os.dup(c.sock.fileno()))
            fd.shutdown(socket.SHUT_WR)
            gw.wait_log(r"close client=\S+ route=r up=100000 down=100000 "
                        r".*code=1006 by=client")
            fd.close()
            c.sock.close()

    def test_backend_tls_close_notify_ends_session(self):
        """A TLS backend that closes with close_notify after its last
        bytes: they reach the client, then the close (1000)."""
        block = os.urandom(300000)
        with TLSChunkSource(pki.server_ctx(pki.backend), block, 3) as src, \
                H.Gateway(None, gateway_config(src.addr, True)) as gw:
            c = wss_raw(gw)
            c.handshake("/r")
            got, others = c.recv_data(len(block) * 3 + 1, limit=20)
            self.assertEqual(got, block * 3)
            self.assertEqual([f.close_code for f in others], [1000])
            c.send_frame(OP_CLOSE, H.close_payload(1000))
            gw.wait_log(r"close .*down=900000 .*code=1000 by=backend")


class KeyUpdates(unittest.TestCase):
    def keyupdate(self, gw, messages, size, updates):
        r = subprocess.run([KEYUPDATE, str(gw.port), "/r", str(messages),
                            str(size), str(updates)], capture_output=True,
                           text=True, timeout=H.timeout(60))
        return r.returncode, r.stdout

    def test_key_updates_mid_stream(self):
        """KeyUpdates asking for ours too, between messages of every
        size: the echo is intact both ways (the gateway's own KeyUpdates
        come in between), with TLS to the backend as well."""
        with H.EchoBackend() as be, H.Gateway(None,
                                               gateway_config(be.addr)) as gw:
            for size, messages in ((100, 200), (70000, 20), (MiB, 3)):
                rc, out = self.keyupdate(gw, messages, size, 1)
                self.assertEqual((rc, out.strip()),
                                 (0, "ok %d" % (size * messages)))
        with TLSEchoBackend(pki.server_ctx(pki.backend)) as be, \
                H.Gateway(None, gateway_config(be.addr, True)) as gw:
            rc, out = self.keyupdate(gw, 30, 40000, 2)
            self.assertEqual((rc, out.strip()), (0, "ok 1200000"))

    def test_key_update_flood(self):
        """Thousands of KeyUpdates in a row, each asking for ours too
        (OpenSSL 3.0 sets no limit): each read processes one, the
        gateway answers them all, the echo is intact, and the next
        client is served."""
        with H.EchoBackend() as be, H.Gateway(None,
                                               gateway_config(be.addr)) as gw:
            rc, out = self.keyupdate(gw, 3, 1000, 1000)
            self.assertEqual((rc, out.strip()), (0, "ok 3000"))
            rc, out = self.keyupdate(gw, 5, 1000, 0)
            self.assertEqual((rc, out.strip()), (0, "ok 5000"))


if __name__ == "__main__":
    unittest.main()
