"""test_h2.py -- WebSockets over HTTP/2 (RFC 8441, issue 16): ALPN h2 on
TLS listeners, extended CONNECT through the same admission as HTTP/1.1,
the relay inside DATA frames, flow control as backpressure, answers and
resets on one stream leaving the others alone, GOAWAY on drain.

The client is Debian's python3-h2 (h2_support.H2Client), over TLS with a
throwaway PKI (tls_support.PKI).

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate -k test_h2
"""

import os
import shutil
import signal
import socket
import ssl
import tempfile
import time
import unittest

import harness as H
from h2_support import H2Client, ws_close, ws_frame
from tls_support import PKI

PKI_DIR = None
pki = None


def setUpModule():
    global PKI_DIR, pki
    PKI_DIR = tempfile.mkdtemp(prefix="wsgate-h2-pki-")
    pki = PKI(PKI_DIR)


def tearDownModule():
    shutil.rmtree(PKI_DIR, ignore_errors=True)


def h2_config(routes, gateway=None, listen="127.0.0.1:0 tls"):
    gw = {"listen": listen, "tls_cert": pki.server.cert,
          "tls_key": pki.server.key}
    gw.update(gateway or {})
    return H.config(routes, gw)


def client(gw, **kw):
    return H2Client(gw.port, pki.client_ctx(), **kw)


class H2Echo(unittest.TestCase):

    def test_h2_echo_byte_exact(self):
        """Extended CONNECT, 200, then WebSocket frames in DATA both ways,
        byte-exact, for sizes across the frame header forms and larger
        than a stream window."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"echo": {"path": "/echo", "backend": be.addr}})) as gw:
            c = client(gw)
            self.assertEqual(c.alpn, "h2")
            self.assertEqual(c.server_settings[
                8], 1)   # SETTINGS_ENABLE_CONNECT_PROTOCOL
            sid = c.websocket("/echo", origin="https://localhost",
                              protocol="binary")
            self.assertEqual(c.status[sid], 200)
            self.assertEqual(c.headers[sid].get("sec-websocket-protocol"),
                             "binary")
            for n in (0, 1, 125, 126, 65535, 65536, 300000):
                msg = os.urandom(n)
                c.send_ws(sid, msg)
                self.assertEqual(c.read_ws(sid, n), msg, "size %d" % n)
            c.send(sid, ws_close(1000))
            c.until(lambda: sid in c.ended, what="END_STREAM")
            frames = c.read_frames(sid)
            self.assertEqual(frames[-1][0], 8)
            self.assertEqual(frames[-1][1][:2], b"\x03\xe8")
            c.send(sid, b"", end_stream=True)
            gw.wait_log(r"close client=\S+ route=echo .* code=1000 by=client"
                        r" .* proto=h2")
            c.close()

    def test_h2_several_streams_one_connection(self):
        """Several WebSockets to different routes share one connection."""
        with H.EchoBackend() as be, H.EchoBackend() as be2, \
                H.Gateway(config_text=h2_config(
                    {"a": {"path": "/a", "backend": be.addr},
                     "b": {"path": "/b", "backend": be2.addr}})) as gw:
            c = client(gw)
            sids = [c.websocket(p) for p in ("/a", "/b", "/a", "/b")]
            for sid in sids:
                self.assertEqual(c.status[sid], 200)
            for i, sid in enumerate(sids):
                c.send_ws(sid, b"stream %d" % i)
            for i, sid in enumerate(sids):
                self.assertEqual(c.read_ws(sid, len(b"stream %d" % i)),
                                 b"stream %d" % i)
            self.assertEqual(len(be.conns), 2)
            self.assertEqual(len(be2.conns), 2)
            c.close()
            gw.wait_log(r"code=1006 .*proto=h2")

    def test_h2_http1_still_works(self):
        """The same TLS listener still speaks HTTP/1.1 to a client that
        offers only http/1.1, and "tls http1_only" never offers h2."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"echo": {"path": "/echo", "backend": be.addr}},
                listen=["127.0.0.1:0 tls", "127.0.0.1:0 tls http1_only"])
        ) as gw:
            ctx = pki.client_ctx()
            ctx.set_alpn_protocols(["http/1.1"])
            with ctx.wrap_socket(socket.create_connection(
                    ("127.0.0.1", gw.ports[0])),
                    server_hostname="localhost") as s:
                self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
            c = H2Client(gw.ports[1], pki.client_ctx())
            self.assertEqual(c.alpn, "http/1.1")
            c.close()


if __name__ == "__main__":
    unittest.main()
