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
import subprocess
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

    def test_h2_metrics_by_proto(self):
        """wsgate_sessions_total and wsgate_sessions_open say which
        protocol carried each session: two HTTP/2 streams and one
        HTTP/1.1 upgrade move proto="h2" by 2 and proto="h1" by 1,
        exactly (read by Debian's prometheus_client parser)."""
        import re
        import urllib.request
        from prometheus_client.parser import text_string_to_metric_families

        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"echo": {"path": "/echo", "backend": be.addr}},
                {"metrics_listen": "127.0.0.1:0"})) as gw:
            mport = int(gw.wait_log(
                r"metrics: serving on 127\.0\.0\.1:(\d+)").group(1))

            def scrape():
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/metrics" % mport,
                        timeout=H.timeout(5)) as r:
                    text = r.read().decode("utf-8")
                out = {}
                for fam in text_string_to_metric_families(text):
                    for smp in fam.samples:
                        if smp.labels.get("route") == "echo":
                            out[(smp.name, smp.labels.get("proto"))] = \
                                smp.value
                return out

            before = scrape()
            for name in ("wsgate_sessions_total", "wsgate_sessions_open"):
                for proto in ("h1", "h2"):
                    self.assertEqual(before[(name, proto)], 0)
            c = client(gw)
            sids = [c.websocket("/echo") for _ in range(2)]
            for sid in sids:
                self.assertEqual(c.status[sid], 200)
                c.send_ws(sid, b"ping")
                self.assertEqual(c.read_ws(sid, 4), b"ping")
            ctx = pki.client_ctx()
            ctx.set_alpn_protocols(["http/1.1"])
            raw = ctx.wrap_socket(socket.create_connection(
                ("127.0.0.1", gw.port)), server_hostname="localhost")
            raw.sendall(b"GET /echo HTTP/1.1\r\nHost: localhost\r\n"
                        b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        b"Sec-WebSocket-Version: 13\r\n\r\n")
            got = b""
            while b"\r\n\r\n" not in got and len(got) < 4096:
                chunk = raw.recv(4096)
                if not chunk:
                    break
                got += chunk
            self.assertTrue(got.startswith(b"HTTP/1.1 101"), got[:80])
            mid = H.wait_until(
                lambda: (lambda s: s if s[("wsgate_sessions_open", "h1")]
                         == 1 else None)(scrape()),
                what="the h1 session counted open")
            self.assertEqual(mid[("wsgate_sessions_total", "h2")], 2)
            self.assertEqual(mid[("wsgate_sessions_total", "h1")], 1)
            self.assertEqual(mid[("wsgate_sessions_open", "h2")], 2)
            self.assertEqual(mid[("wsgate_sessions_open", "h1")], 1)
            c.close()
            raw.close()
            after = H.wait_until(
                lambda: (lambda s: s if s[("wsgate_sessions_open", "h1")]
                         == 0 and s[("wsgate_sessions_open", "h2")] == 0
                         else None)(scrape()),
                what="all sessions closed")
            self.assertEqual(after[("wsgate_sessions_total", "h2")], 2)
            self.assertEqual(after[("wsgate_sessions_total", "h1")], 1)

    def test_h2_connection_is_one_client_place(self):
        """max_connections_per_client = 1: an HTTP/2 connection with two
        WebSocket streams holds the client's one place (both streams
        open); an HTTP/1.1 upgrade beside it gets 429, and succeeds once
        the HTTP/2 connection is closed."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"echo": {"path": "/echo", "backend": be.addr}},
                {"max_connections_per_client": "1"})) as gw:
            c = client(gw)
            sids = [c.websocket("/echo") for _ in range(2)]
            for sid in sids:
                self.assertEqual(c.status[sid], 200)

            def h1_status():
                ctx = pki.client_ctx()
                ctx.set_alpn_protocols(["http/1.1"])
                with ctx.wrap_socket(socket.create_connection(
                        ("127.0.0.1", gw.port)),
                        server_hostname="localhost") as s:
                    s.sendall(b"GET /echo HTTP/1.1\r\nHost: localhost\r\n"
                              b"Upgrade: websocket\r\n"
                              b"Connection: Upgrade\r\nSec-WebSocket-Key: "
                              b"dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              b"Sec-WebSocket-Version: 13\r\n\r\n")
                    got = b""
                    while b"\r\n" not in got and len(got) < 4096:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                    return int(got.split(b" ", 2)[1])
            self.assertEqual(h1_status(), 429)
            c.close()
            H.wait_until(lambda: h1_status() == 101,
                         what="the HTTP/2 connection's place back")

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


def fill_until_shut(c, sid, limit=64 << 20, chunk=16384):
    """Send WebSocket frames on sid (chunk bytes each, as far as the
    window allows) until the window stays shut for half a second; returns
    the bytes sent and the frame."""
    frame = ws_frame(b"x" * (chunk - 8))
    sent = 0
    quiet_since = None
    while sent < limit:
        room = min(c.conn.local_flow_control_window(sid),
                   c.conn.max_outbound_frame_size)
        if room > 0:
            at = sent % len(frame)
            n = min(room, len(frame) - at)
            c.conn.send_data(sid, frame[at:at + n])
            c.flush()
            sent += n
            quiet_since = None
            continue
        now = time.monotonic()
        if quiet_since is None:
            quiet_since = now
        elif now - quiet_since > 0.5:
            return sent, frame
        c.pump(0.01)
    raise AssertionError("the window never shut (%d bytes sent)" % sent)


class SmallHoldBackend(H.HoldBackend):
    """A HoldBackend with a small receive buffer, so that what the kernel
    holds does not hide the gateway's own bound (and the test is quick)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)


class H2FlowControl(unittest.TestCase):

    def test_h2_stalled_backend_stalls_only_its_stream(self):
        """A backend that reads nothing shuts its own stream's window (the
        window opens as the backend drains), while another stream on the
        same connection keeps flowing; released, it gets every byte."""
        with SmallHoldBackend() as hold, H.EchoBackend() as be, \
                H.Gateway(config_text=h2_config(
                    {"hold": {"path": "/hold", "backend": hold.addr,
                              "max_buffer": "64k"},
                     "echo": {"path": "/echo", "backend": be.addr}})) as gw:
            c = client(gw)
            stalled = c.websocket("/hold")
            live = c.websocket("/echo")
            self.assertEqual(c.status[stalled], 200)
            sent, frame = fill_until_shut(c, stalled)
            # The gateway holds at most a window plus max_buffer (the
            # pair's 64 KiB aside); the rest is in the kernel's socket
            # buffers.
            self.assertLess(sent, 4 << 20)
            for i in range(20):
                msg = os.urandom(1000 + i)
                c.send_ws(live, msg)
                self.assertEqual(c.read_ws(live, len(msg)), msg)
            hold.release()
            conn = hold.wait_conn()
            # The rest of the last frame, once the window opens again;
            # then every frame's payload arrives.
            if sent % len(frame):
                c.send(stalled, frame[sent % len(frame):])
            want = -(-sent // len(frame)) * (len(frame) - 8)
            hold.wait_received(want, limit=20)
            self.assertEqual(conn.nreceived(), want)
            c.close()

    def test_h2_client_not_reading_pauses_its_backend(self):
        """A client that does not give back a stream's window stops that
        stream's backend (max_buffer), not the connection's others."""
        block = b"y" * 65536
        with H.ChunkSourceBackend(block, 400) as src, H.EchoBackend() as be, \
                H.Gateway(config_text=h2_config(
                    {"src": {"path": "/src", "backend": src.addr,
                             "max_buffer": "64k"},
                     "echo": {"path": "/echo", "backend": be.addr}})) as gw:
            c = client(gw)
            slow = c.websocket("/src", wait=False)
            c.hold.add(slow)
            c.until(lambda: slow in c.status, what="200")
            live = c.websocket("/echo")
            H.wait_until(lambda: src.nsent > 0, what="source started")
            time.sleep(0.5)
            for i in range(10):
                msg = os.urandom(500)
                c.send_ws(live, msg)
                self.assertEqual(c.read_ws(live, 500), msg)
            # Held at a window (64 KiB) plus the gateway's and the
            # kernel's buffers: far from the 25 MiB on offer.
            self.assertLess(src.nsent, 16 << 20)
            self.assertFalse(src.done.is_set())
            c.close()


class H2Answers(unittest.TestCase):

    def test_h2_reject_on_stream_keeps_connection(self):
        """Origin refused (403), unknown path (404), wrong protocol (400)
        and a plain GET are answered on their streams; a WebSocket on the
        same connection before and after them is untouched."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"echo": {"path": "/echo", "backend": be.addr,
                          "origins": "https://good.example",
                          "allow_missing_origin": "no"}})) as gw:
            c = client(gw)
            live = c.websocket("/echo", origin="https://good.example")
            self.assertEqual(c.status[live], 200)
            bad = c.websocket("/echo", origin="https://evil.example")
            self.assertEqual(c.status[bad], 403)
            c.until(lambda: bad in c.ended, what="403 END_STREAM")
            self.assertIn(b"origin not allowed", bytes(c.data[bad]))
            missing = c.websocket("/nope", origin="https://good.example")
            self.assertEqual(c.status[missing], 404)
            wrong = c.conn.get_next_available_stream_id()
            c.conn.send_headers(wrong, [
                (":method", "CONNECT"), (":protocol", "chat"),
                (":scheme", "https"), (":path", "/echo"),
                (":authority", "localhost"), ("origin", "https://good.example"),
                ("sec-websocket-version", "13")])
            c.flush()
            c.until(lambda: wrong in c.status, what="answer to :protocol chat")
            self.assertEqual(c.status[wrong], 400)
            plain = c.request("GET", "/index.html")
            c.until(lambda: plain in c.status, what="GET answer")
            self.assertEqual(c.status[plain], 404)
            c.send_ws(live, b"still here")
            self.assertEqual(c.read_ws(live, 10), b"still here")
            self.assertEqual(len(be.conns), 1)
            gw.wait_log(r"reject client=\S+ status=403 path=\"/echo\" "
                        r"origin=\"https://evil.example\" route=echo "
                        r"reason=\"origin not allowed for this route\" "
                        r"proto=h2")
            gw.wait_log(r"reject .* status=404 path=\"/nope\" .*proto=h2")
            self.assertFalse(c.closed)
            self.assertIsNone(c.goaway)
            c.close()

    def test_h2_client_reset_is_1006(self):
        """RST_STREAM from the client ends that WebSocket as an abrupt
        close (1006, logged); the backend connection is closed; other
        streams go on."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"echo": {"path": "/echo", "backend": be.addr}})) as gw:
            c = client(gw)
            a = c.websocket("/echo")
            b = c.websocket("/echo")
            c.send_ws(a, b"before")
            self.assertEqual(c.read_ws(a, 6), b"before")
            c.conn.reset_stream(a)
            c.flush()
            gw.wait_log(r"close client=\S+ route=echo .*code=1006 by=client "
                        r"reason=\"client reset the stream \(RST_STREAM\)\" "
                        r".*proto=h2")
            be.wait_eof(0)
            c.send_ws(b, b"after")
            self.assertEqual(c.read_ws(b, 5), b"after")
            c.close()

    def test_h2_backend_close_ends_stream(self):
        """The backend closing sends a close frame (1000) and, once the
        client answers, END_STREAM."""
        with H.SourceBackend(b"bye") as src, H.Gateway(
                config_text=h2_config(
                    {"src": {"path": "/src", "backend": src.addr}})) as gw:
            c = client(gw)
            sid = c.websocket("/src")
            self.assertEqual(c.read_ws(sid, 3), b"bye")
            c.until(lambda: any(op == 8 for op, _ in c.frames.get(sid, []))
                    or any(op == 8 for op, _ in c.read_frames(sid)),
                    what="close frame")
            c.send(sid, ws_close(1000), end_stream=True)
            c.until(lambda: sid in c.ended or sid in c.reset,
                    what="END_STREAM")
            gw.wait_log(r"close .*route=src .*code=1000 by=backend .*"
                        r"proto=h2")
            c.close()

    def test_h2_drain_sends_goaway(self):
        """SIGTERM: GOAWAY (NO_ERROR) at once, naming the last stream
        taken; the open WebSocket is closed with 1001 as over HTTP/1.1
        (after drain_timeout), the connection ends, the gateway exits.
        (python3-h2 reads no frame after a GOAWAY, so what the stream
        gets after it is seen in the log.)"""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"echo": {"path": "/echo", "backend": be.addr}},
                {"close_timeout": "300ms"})) as gw:
            c = client(gw)
            sid = c.websocket("/echo")
            t0 = time.monotonic()
            gw.send_signal(signal.SIGTERM)
            c.until(lambda: c.goaway is not None, what="GOAWAY")
            self.assertLess(time.monotonic() - t0, 0.9)   # drain_timeout 1s
            self.assertEqual(c.goaway.error_code, 0)
            self.assertEqual(c.goaway.last_stream_id, sid)
            gw.wait_log(r"close .*code=1001 by=gateway .*proto=h2")
            gw.wait_log(r"HTTP/2 connection ends: gateway is shutting down")
            gw.wait_exit(10)
            c.close()


    def test_h2_idle_connection_closed(self):
        """A connection with no stream for handshake_timeout gets GOAWAY
        (NO_ERROR) and is closed; one with a stream is not."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"echo": {"path": "/echo", "backend": be.addr}},
                {"handshake_timeout": "1", "close_timeout": "300ms"})) as gw:
            busy = client(gw)
            sid = busy.websocket("/echo")
            c = client(gw)
            t0 = time.monotonic()
            c.until(lambda: c.goaway is not None, limit=5, what="GOAWAY")
            self.assertGreater(time.monotonic() - t0, 0.5)
            self.assertEqual(c.goaway.error_code, 0)
            gw.wait_log(r"HTTP/2 connection ends: no stream for "
                        r"handshake_timeout")
            busy.send_ws(sid, b"alive")
            self.assertEqual(busy.read_ws(sid, 5), b"alive")
            self.assertIsNone(busy.goaway)
            busy.close()
            c.close()

    def test_h2_hostile_strings_escaped(self):
        """A stream's Origin is escaped in its reject line (quotes,
        backslashes, non-ASCII); what nghttp2 refuses as a malformed
        field (an escape sequence, a quote in :path) resets the stream
        and reaches no log line raw."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"echo": {"path": "/echo", "backend": be.addr,
                          "origins": "https://good.example"}})) as gw:
            c = client(gw)
            sid = c.websocket("/echo", origin='https://e"v\\il\u00e9')
            self.assertEqual(c.status[sid], 403)
            gw.wait_log(r'reject .*path="/echo" origin="https://e\\x22v'
                        r'\\x5cil\\xc3\\xa9" .*proto=h2')
            for path, origin in (('/n"o\\pe\u00e9', "https://a"),
                                 ("/echo", "https://x\x1b[31m")):
                sid = c.websocket(path, origin=origin)
                self.assertTrue(sid in c.reset or c.status[sid] in
                                (403, 404))
            c.send(c.websocket("/echo", origin="https://good.example"),
                   b"")
            for line in gw.raw_lines:
                self.assertNotIn(b"\x1b", line)
                self.assertNotIn(b'n"o', line)
            c.close()

    def test_h2_reset_while_connecting_and_early_frames(self):
        """A stream reset while its backend is still being connected
        ends that session (the attempt is dropped, its slot given
        back); frames sent right behind the CONNECT, before the 200,
        are relayed; a backend that never answers gets 504."""
        with H.Blackhole() as hole, H.EchoBackend() as be, \
                H.Gateway(config_text=h2_config(
                    {"hole": {"path": "/hole", "backend": hole.addr,
                              "backend_connect_timeout": "300ms"},
                     "echo": {"path": "/echo", "backend": be.addr}},
                    {"max_connections": "1"})) as gw:
            c = client(gw)
            sid = c.websocket("/hole", wait=False)
            time.sleep(0.05)
            c.conn.reset_stream(sid)
            c.flush()
            gw.wait_log(r"client reset the stream \(RST_STREAM\) before "
                        r"the backend was connected proto=h2")
            # Its max_connections slot is back: this one is admitted.
            early = c.websocket("/echo", wait=False)
            c.send_ws(early, b"early bird")
            c.until(lambda: early in c.status, what="200")
            self.assertEqual(c.status[early], 200)
            self.assertEqual(c.read_ws(early, 10), b"early bird")
            c.send(early, ws_close(1000), end_stream=True)
            gw.wait_log(r"close .*route=echo .*code=1000 .*proto=h2")
            late = c.websocket("/hole")
            self.assertEqual(c.status[late], 504)
            c.close()

    def test_h2_token_routes(self):
        """Token routes over HTTP/2: the token in the :path query, or the
        :authority (token_source = host), picks the backend; an unknown
        token gets 404 on its stream."""
        with H.EchoBackend() as b1, H.EchoBackend() as b2, \
                H.Gateway(config_text=h2_config(
                    {"tok": {"path": "/websockify", "targets": "tokens.txt",
                             "allowed_targets": "127.0.0.1/32:1-65535"},
                     "host": {"path": "/host", "targets": "tokens.txt",
                              "token_source": "host",
                              "allowed_targets": "127.0.0.1/32:1-65535"}}),
                    extra_files={"tokens.txt": "vm1: %s\nvm2: %s\n" %
                                 (b1.addr, b2.addr)}) as gw:
            c = client(gw)
            a = c.websocket("/websockify?token=vm1")
            bad = c.websocket("/websockify?token=nope")
            c.authority = "vm2"
            b = c.websocket("/host")
            self.assertEqual((c.status[a], c.status[b], c.status[bad]),
                             (200, 200, 404))
            c.send_ws(a, b"to vm1")
            c.send_ws(b, b"to vm2")
            self.assertEqual(c.read_ws(a, 6), b"to vm1")
            self.assertEqual(c.read_ws(b, 6), b"to vm2")
            self.assertEqual(b1.wait_received(6), b"to vm1")
            self.assertEqual(b2.wait_received(6), b"to vm2")
            c.close()

    def test_h2_not_offered_with_basic_auth(self):
        """Basic auth (auth_basic_file) is checked on HTTP/1.1 requests
        only: while a route or web_root has it, TLS listeners offer no
        h2, and a client offering both gets http/1.1 (and the challenge);
        a route's chosen subprotocol comes back in the 200 otherwise."""
        pw = subprocess.run(["openssl", "passwd", "-6", "-stdin"],
                            input=b"pw", capture_output=True,
                            check=True).stdout.decode().strip()
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"r": {"path": "/r", "backend": be.addr,
                       "auth_basic_file": "users"}}),
                extra_files={"users": "u:%s\n" % pw}) as gw:
            c = H2Client(gw.port, pki.client_ctx())
            self.assertEqual(c.alpn, "http/1.1")
            c.sock.sendall(b"GET /r HTTP/1.1\r\nHost: localhost\r\n"
                           b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           b"Sec-WebSocket-Version: 13\r\n\r\n")
            head = c.sock.recv(4096)
            self.assertTrue(head.startswith(b"HTTP/1.1 401 "), head)
            c.close()
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"s": {"path": "/s", "backend": be.addr,
                       "subprotocols": "chat.v2 chat.v1"}})) as gw:
            c = client(gw)
            sid = c.websocket("/s", protocol="chat.v1, chat.v2")
            self.assertEqual(c.status[sid], 200)
            self.assertEqual(c.headers[sid].get("sec-websocket-protocol"),
                             "chat.v2")
            c.close()

    def test_h2_host_routing_and_sni(self):
        """:authority routes as Host does (hosts), and must agree with
        the connection's TLS server name: another name gets 421 on its
        stream (RFC 9110 15.5.20), the connection goes on."""
        with H.EchoBackend() as a, H.EchoBackend() as b, \
                H.Gateway(config_text=h2_config(
                    {"loc": {"path": "/h", "hosts": "localhost",
                             "backend": a.addr},
                     "other": {"path": "/h", "hosts": "other.example",
                               "backend": b.addr}})) as gw:
            c = client(gw)
            c.authority = "localhost:443"
            ok = c.websocket("/h")
            c.authority = "other.example"
            mis = c.websocket("/h")
            self.assertEqual((c.status[ok], c.status[mis]), (200, 421))
            c.send_ws(ok, b"here")
            self.assertEqual(c.read_ws(ok, 4), b"here")
            self.assertEqual(a.wait_received(4), b"here")
            self.assertEqual(len(b.conns), 0)
            gw.wait_log(r"reject .*status=421 .*proto=h2")
            c.close()

class H2Plain(unittest.TestCase):

    def test_h2_page_and_socket_share_connection(self):
        """web_root files and health_path over HTTP/2, byte-exact (a file
        larger than the windows), HEAD, 404, and a WebSocket on the same
        connection: one TLS handshake for the page and its socket."""
        big = os.urandom(300000)
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                {"echo": {"path": "/echo", "backend": be.addr}},
                {"web_root": "web", "health_path": "/healthz"}),
                extra_files={"web/index.html": "<p>hi</p>\n"}) as gw:
            with open(os.path.join(gw.dir, "web", "big.bin"), "wb") as f:
                f.write(big)
            c = client(gw)
            ids = {p: c.request("GET", p) for p in
                   ("/index.html", "/big.bin", "/healthz", "/missing")}
            head = c.request("HEAD", "/big.bin")
            sid = c.websocket("/echo")
            c.until(lambda: all(i in c.ended for i in ids.values()) and
                    head in c.ended, what="the answers")
            self.assertEqual(c.status[ids["/index.html"]], 200)
            self.assertEqual(bytes(c.data[ids["/index.html"]]),
                             b"<p>hi</p>\n")
            self.assertEqual(c.status[ids["/big.bin"]], 200)
            self.assertEqual(bytes(c.data[ids["/big.bin"]]), big)
            self.assertEqual(c.headers[ids["/big.bin"]]["content-length"],
                             str(len(big)))
            self.assertNotIn("connection", c.headers[ids["/big.bin"]])
            self.assertEqual(c.status[ids["/healthz"]], 200)
            self.assertEqual(bytes(c.data[ids["/healthz"]]), b"ok\n")
            self.assertEqual(c.status[ids["/missing"]], 404)
            self.assertEqual(c.status[head], 200)
            self.assertEqual(bytes(c.data.get(head, b"")), b"")
            # Validators as over HTTP/1.1: a reload is a 304.
            etag = c.headers[ids["/big.bin"]]["etag"]
            again = c.request("GET", "/big.bin",
                              extra=[("if-none-match", etag)])
            c.until(lambda: again in c.ended, what="304")
            self.assertEqual(c.status[again], 304)
            self.assertEqual(bytes(c.data.get(again, b"")), b"")
            c.send_ws(sid, b"same connection")
            self.assertEqual(c.read_ws(sid, 15), b"same connection")
            # One TLS connection did it all.
            self.assertEqual(len([l for l in gw.lines
                                  if "alpn=h2" in l]), 1)
            gw.wait_log(r"web client=\S+ status=200 path=\"/big.bin\" "
                        r"bytes=300000 proto=h2")
            c.close()


if __name__ == "__main__":
    unittest.main()
