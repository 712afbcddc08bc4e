"""test_session_features.py -- the per-route session features of issue 12:
heartbeats (ping_interval, pong_timeout), text backends (send_as,
text_frames), subprotocols, and max_session_duration.

Each case checks what the client sees on the wire (frames, close codes,
the 101's Sec-WebSocket-Protocol) and the log line, with real backends.
"""

import errno
import os
import socket
import time

import harness as h
from harness import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT


class PacedSource(h.Backend):
    """Sends each piece in its own write, paced, then closes (or keeps
    the connection until EOF with close_after=False)."""

    def __init__(self, pieces, gap=0.005, close_after=True, **kw):
        self.pieces = pieces
        self.gap = gap
        self.close_after = close_after
        super().__init__(**kw)

    def handle(self, conn):
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for p in self.pieces:
            if not self.send_all(conn, p):
                return
            time.sleep(self.gap)
        if not self.close_after:
            self.drain_until_eof(conn)


def route(backend, **keys):
    r = {"path": "/r", "backend": backend.addr}
    r.update(keys)
    return {"r": r}


class Heartbeats(h.GatewayTestCase):
    """ping_interval / pong_timeout."""

    def test_pings_sent_and_answered(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo, ping_interval="200ms",
                                pong_timeout="1s"))
        c = self.raw(gw)
        c.handshake("/r")
        started = time.monotonic()
        for _ in range(3):
            f = c.recv_frame(limit=3)
            self.assertEqual(f.opcode, OP_PING, f)
            c.send_frame(OP_PONG, f.payload)
        # Three pings, each about ping_interval after the last pong.
        self.assertGreater(time.monotonic() - started, 0.5)
        # Still open, still relaying.
        c.send_frame(OP_BINARY, b"alive")
        data, others = c.recv_data(5, limit=3)
        self.assertEqual(data, b"alive")
        self.assertTrue(all(f.opcode == OP_PING for f in others), others)

    def test_websockets_client_stays_open(self):
        """A real client that does not ping itself answers ours and stays
        connected through several intervals."""
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo, ping_interval="150ms",
                                pong_timeout="500ms"))

        async def run():
            async with h.ws_connect(gw, "/r", ping_interval=None) as ws:
                for i in range(4):
                    await ws.send(b"m%d" % i)
                    self.assertEqual(await ws.recv(), b"m%d" % i)
                    await __import__("asyncio").sleep(0.3)
        h.run_async(run())
        gw.wait_log(r"close client=\S+ route=r .*code=1000 by=client")
        self.assertFalse(gw.find_log(r"no pong within"))

    def test_pong_timeout_closes_1011(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo, ping_interval="150ms",
                                pong_timeout="300ms"))
        c = self.raw(gw)
        c.handshake("/r")
        t0 = time.monotonic()
        self.assertEqual(c.recv_frame(limit=3).opcode, OP_PING)
        f = c.recv_close(limit=3)      # no pong from us
        self.assertEqual(f.close_code, 1011)
        self.assertEqual(f.close_reason, "pong timeout")
        self.assertGreater(time.monotonic() - t0, 0.2)
        gw.wait_log(r"client=\S+ route=r: no pong within pong_timeout "
                    r"\(0\.3s\) of a ping: closing")
        c.send_frame(OP_CLOSE, h.close_payload(1011))
        c.expect_eof()
        echo.wait_eof()

    def test_data_from_client_counts_as_heard(self):
        """A client busy sending is heard from: no ping needed, and no
        close even if it never answers one."""
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo, ping_interval="300ms",
                                pong_timeout="200ms"))
        c = self.raw(gw)
        c.handshake("/r")
        for i in range(8):
            c.send_frame(OP_BINARY, b"x")
            data, others = c.recv_data(1, limit=3)
            self.assertEqual(data, b"x")
            self.assertEqual(others, [])
            time.sleep(0.1)

    def test_pongs_are_not_activity(self):
        """idle_timeout still ends a session whose client only answers
        pings."""
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo, ping_interval="100ms",
                                pong_timeout="1s", idle_timeout="700ms"))
        c = self.raw(gw)
        c.handshake("/r")
        t0 = time.monotonic()
        pings = 0
        while True:
            f = c.recv_frame(limit=3)
            if f.opcode == OP_CLOSE:
                break
            self.assertEqual(f.opcode, OP_PING)
            pings += 1
            c.send_frame(OP_PONG, f.payload)
        self.assertEqual(f.close_code, 1001)
        self.assertEqual(f.close_reason, "idle timeout")
        self.assertGreaterEqual(pings, 2)
        self.assertLess(time.monotonic() - t0, h.timeout(3))


    def test_client_not_read_is_not_held_to_pongs(self):
        """While wsgate does not read the client (its backend takes
        nothing: backpressure), the client's pongs wait unread in the
        socket: no deadline runs, and the session stays open."""
        hold = self.backend(h.HoldBackend)
        gw = self.gateway(route(hold, ping_interval="100ms",
                                pong_timeout="200ms", max_buffer="64k",
                                close_timeout="200ms"))
        c = self.raw(gw)
        c.handshake("/r")
        hold.wait_conn().sock.setsockopt(socket.SOL_SOCKET,
                                         socket.SO_RCVBUF, 64 << 10)
        frame = h.build_frame(OP_BINARY, os.urandom(1 << 20))
        c.sock.setblocking(False)
        view, last = memoryview(frame), time.monotonic()
        while time.monotonic() - last < 0.5:
            try:
                view = view[c.sock.send(view):] or memoryview(frame)
                last = time.monotonic()
            except ConnectionResetError:
                self.fail("the gateway dropped a client it was not "
                          "reading: %s" % gw.find_log(r"no pong"))
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                    raise
                time.sleep(0.02)
        time.sleep(1.0)     # several intervals and deadlines
        self.assertFalse(gw.find_log(r"no pong within"))
        self.assertFalse(gw.find_log(r"close client="))
        c.close()
        hold.release()


class TextBackends(h.GatewayTestCase):
    """send_as = text and text_frames = reject."""

    TEXT = "a\u00e9\u20ac\U0001F600z".encode() * 3   # 1, 2, 3, 4 bytes

    def frames_until_close(self, c, limit=5):
        out = []
        while True:
            f = c.recv_frame(limit=limit)
            out.append(f)
            if f.opcode == OP_CLOSE:
                return out

    def test_split_at_every_boundary(self):
        """The backend sends one byte per write: every message is whole
        characters, and together they are the backend's bytes."""
        src = self.backend(PacedSource, [bytes([b]) for b in self.TEXT])
        gw = self.gateway(route(src, send_as="text"))
        c = self.raw(gw)
        c.handshake("/r")
        frames = self.frames_until_close(c)
        data = [f for f in frames if f.opcode != OP_CLOSE]
        self.assertTrue(all(f.opcode == OP_TEXT for f in data), data)
        for f in data:
            f.payload.decode("utf-8")       # each one valid on its own
        self.assertEqual(b"".join(f.payload for f in data), self.TEXT)
        self.assertGreater(len(data), 5)    # it did arrive in pieces
        self.assertEqual(frames[-1].close_code, 1000)

    def test_binary_is_default(self):
        src = self.backend(h.SourceBackend, "\u20ac".encode())
        gw = self.gateway(route(src))
        c = self.raw(gw)
        c.handshake("/r")
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.payload), (OP_BINARY, b"\xe2\x82\xac"))

    def test_websockets_client_gets_str(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo, send_as="text"))

        async def run():
            async with h.ws_connect(gw, "/r") as ws:
                await ws.send("h\u00e9llo \u20ac")
                self.assertEqual(await ws.recv(), "h\u00e9llo \u20ac")
        h.run_async(run())

    def test_invalid_utf8_closes_1007(self):
        """The valid part is delivered, then 1007; the log says why."""
        src = self.backend(PacedSource, [b"ok\xc3", b"\xa9!\xff rest"],
                           gap=0.05, close_after=False)
        gw = self.gateway(route(src, send_as="text"))
        c = self.raw(gw)
        c.handshake("/r")
        frames = self.frames_until_close(c)
        text = b"".join(f.payload for f in frames[:-1])
        self.assertEqual(text, "ok\u00e9!".encode())
        self.assertTrue(all(f.opcode == OP_TEXT for f in frames[:-1]))
        self.assertEqual(frames[-1].close_code, 1007)
        src.wait_eof()
        c.send_frame(OP_CLOSE, h.close_payload(1007))
        c.expect_eof()
        gw.wait_log(r"close client=\S+ route=r .*code=1007 by=backend "
                    r"reason=\"backend sent bytes that are not UTF-8")

    def test_eof_inside_a_character_closes_1007(self):
        src = self.backend(h.SourceBackend, b"abc\xe2\x82")
        gw = self.gateway(route(src, send_as="text"))
        c = self.raw(gw)
        c.handshake("/r")
        frames = self.frames_until_close(c)
        self.assertEqual(b"".join(f.payload for f in frames[:-1]), b"abc")
        self.assertEqual(frames[-1].close_code, 1007)
        self.assertIn("inside a UTF-8 character", frames[-1].close_reason)

    def test_text_frames_reject(self):
        sink = self.backend(h.SinkBackend)
        gw = self.gateway(route(sink, text_frames="reject"))
        c = self.raw(gw)
        c.handshake("/r")
        c.send_frame(OP_BINARY, b"bin")
        sink.wait_received(3)
        c.send_frame(OP_TEXT, b"text")
        f = c.recv_close()
        self.assertEqual(f.close_code, 1003)
        c.expect_eof()
        self.assertEqual(sink.wait_eof(), b"bin")

    def test_text_frames_accept_is_default(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo))
        c = self.raw(gw)
        c.handshake("/r")
        c.send_frame(OP_TEXT, b"text")
        self.assertEqual(c.recv_data(4)[0], b"text")


class Subprotocols(h.GatewayTestCase):
    """subprotocols and require_subprotocol (subproto.h)."""

    def upgrade(self, gw, offers, expect=101):
        c = self.raw(gw)
        resp = c.request(h.upgrade_request("/r", headers=[
            ("Sec-WebSocket-Protocol", o) for o in offers]))
        self.assertEqual(resp.status, expect, resp.raw)
        return resp

    def test_default_selects_binary(self):
        """websockify refuses "chat, binary" with 400; this selects
        binary."""
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo))
        self.assertEqual(self.upgrade(gw, ["chat, binary"]).header(
            "sec-websocket-protocol"), "binary")
        self.assertIsNone(self.upgrade(gw, ["chat"]).header(
            "sec-websocket-protocol"))
        self.assertIsNone(self.upgrade(gw, []).header(
            "sec-websocket-protocol"))

    def test_route_order_and_client_spelling(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo, subprotocols="vnc.rfb, binary"))
        resp = self.upgrade(gw, ["binary", " , ", "Chat,VNC.RFB "])
        self.assertEqual(resp.header("sec-websocket-protocol"), "VNC.RFB")

    def test_websockets_client_negotiates(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo, subprotocols="vnc.rfb"))

        async def run():
            async with h.ws_connect(gw, "/r",
                                    subprotocols=["chat", "vnc.rfb"]) as ws:
                self.assertEqual(ws.subprotocol, "vnc.rfb")
                await ws.send(b"x")
                self.assertEqual(await ws.recv(), b"x")
        h.run_async(run())

    def test_require_subprotocol(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo, subprotocols="binary",
                                require_subprotocol="yes"))
        self.upgrade(gw, ["chat"], expect=400)
        self.upgrade(gw, [], expect=400)
        gw.wait_log(r"400 .*Sec-WebSocket-Protocol")
        self.assertEqual(self.upgrade(gw, ["binary"]).header(
            "sec-websocket-protocol"), "binary")

    def test_too_many_headers(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo))
        self.upgrade(gw, ["a"] * 17, expect=400)


class SessionDuration(h.GatewayTestCase):

    def test_busy_session_closed_1001(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(route(echo, max_session_duration="600ms"))
        c = self.raw(gw)
        c.handshake("/r")
        t0 = time.monotonic()
        while True:
            c.send_frame(OP_BINARY, b"busy")
            data, others = c.recv_data(4, limit=3)
            if others:
                break
            self.assertLess(time.monotonic() - t0, h.timeout(3))
            time.sleep(0.05)
        self.assertEqual(others[-1].opcode, OP_CLOSE)
        self.assertEqual(others[-1].close_code, 1001)
        self.assertEqual(others[-1].close_reason,
                         "max_session_duration reached")
        self.assertGreater(time.monotonic() - t0, 0.5)
        gw.wait_log(r"client=\S+ route=r: max_session_duration \(0\.6s\) "
                    r"reached: closing")
