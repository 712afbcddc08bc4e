"""test_relay.py -- the data path: frames to backend bytes and back, close."""

import asyncio
import os
import socket
import struct

import websockets

import harness as h
from harness import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG,
                     OP_TEXT, ws_connect, ws_recv_bytes)

MiB = 1 << 20


class Echo(h.GatewayTestCase):
    def setUp(self):
        self.echo = self.backend(h.EchoBackend)
        self.gw = self.gateway({"echo": {"path": "/echo",
                                         "backend": self.echo.addr}})

    def test_round_trip_sizes(self):
        """0 B .. 16 MiB messages come back byte for byte (the reply may
        be split into several binary messages)."""
        sizes = [0, 1, 125, 126, 65535, 65536, MiB, 16 * MiB]
        blob = os.urandom(sum(sizes))

        async def go():
            sent = bytearray()
            async with ws_connect(self.gw, "/echo") as ws:
                off = 0
                for n in sizes:
                    msg = blob[off:off + n]
                    off += n
                    # Send and receive together: the echo flows back
                    # while the message is still going out.
                    _, got = await asyncio.gather(
                        ws.send(msg), ws_recv_bytes(ws, n))
                    self.assertBytesEqual(got, msg, "echo of %d B" % n)
                    sent += msg
                # Nothing extra: a marker right behind comes back alone.
                await ws.send(b"!")
                self.assertEqual(await ws.recv(), b"!")
            return bytes(sent) + b"!"

        sent = h.run_async(go(), 120)
        self.assertBytesEqual(self.echo.wait_eof(), sent, "backend bytes")

    def test_text_arrives_as_utf8(self):
        text = "h\u00e9llo w\u00f6rld \u2713 \U0001F600"

        async def go():
            async with ws_connect(self.gw, "/echo") as ws:
                await ws.send(text)
                got = await ws_recv_bytes(ws, len(text.encode()))
                # Backend bytes always come back as binary messages.
                self.assertEqual(got, text.encode("utf-8"))

        h.run_async(go())
        self.assertEqual(self.echo.wait_eof(), text.encode("utf-8"))

    def test_many_small_messages(self):
        msgs = [os.urandom(i % 300) for i in range(500)]

        async def go():
            async with ws_connect(self.gw, "/echo") as ws:
                want = b"".join(msgs)
                _, got = await asyncio.gather(
                    self._send_all(ws, msgs), ws_recv_bytes(ws, len(want)))
                self.assertBytesEqual(got, want)

        h.run_async(go())

    @staticmethod
    async def _send_all(ws, msgs):
        for m in msgs:
            await ws.send(m)

    def test_close_log_line(self):
        """One close line per session: client, route, bytes, code."""
        async def go():
            async with ws_connect(self.gw, "/echo") as ws:
                await ws.send(b"x" * 1000)
                await ws_recv_bytes(ws, 1000)
                await ws.send(b"y" * 24)
                await ws_recv_bytes(ws, 24)
                port = ws.local_address[1]
            return port

        port = h.run_async(go())
        m = self.gw.wait_log(r"close client=(\S+) route=(\S+) up=(\d+) "
                             r"down=(\d+) duration=\S+ code=(\d+) by=(\w+)")
        self.assertEqual(m.group(1), "127.0.0.1:%d" % port)
        self.assertEqual(m.group(2), "echo")
        self.assertEqual((int(m.group(3)), int(m.group(4))), (1024, 1024))
        self.assertEqual((m.group(5), m.group(6)), ("1000", "client"))
        self.echo.wait_eof()
        self.assertEqual(len(self.gw.find_log(r" close client=")), 1)


class Frames(h.GatewayTestCase):
    """Hand-built frames for what a client library would not send."""

    def setUp(self):
        self.sink = self.backend(h.SinkBackend)
        self.echo = self.backend(h.EchoBackend)
        self.gw = self.gateway(
            {"sink": {"path": "/sink", "backend": self.sink.addr},
             "echo": {"path": "/echo", "backend": self.echo.addr},
             "small": {"path": "/small", "backend": self.sink.addr,
                       "max_message_size": "1k"}})

    def open(self, path="/sink", **kw):
        c = self.raw(self.gw)
        c.handshake(path, **kw)
        return c

    def close_cleanly(self, c, code=1000):
        c.send_frame(OP_CLOSE, h.close_payload(code))
        f = c.recv_close()
        self.assertEqual(f.close_code, code)
        c.expect_eof()

    def _fragmented(self, opcode):
        c = self.open()
        c.send_frame(opcode, b"Hel", fin=False)
        c.send_frame(OP_PING, b"mid-message ping")
        c.send_frame(OP_CONT, b"lo ", fin=False)
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.payload, f.fin),
                         (OP_PONG, b"mid-message ping", True))
        self.assertFalse(f.masked)
        c.send_frame(OP_CONT, b"world", fin=True)
        # A second message after the fragmented one is fine too.
        c.send_frame(opcode, b"!")
        self.close_cleanly(c)
        self.assertEqual(self.sink.wait_eof(), b"Hello world!")

    def test_fragmented_text_with_ping_inside(self):
        self._fragmented(OP_TEXT)

    def test_fragmented_binary_with_ping_inside(self):
        self._fragmented(OP_BINARY)

    def test_ping_pong_close_payloads_never_reach_backend(self):
        """Only data payload bytes go to the backend: not the payload of a
        ping, a pong or a close."""
        c = self.open()
        c.send_frame(OP_BINARY, b"A1")
        c.send_frame(OP_PING, b"PINGPAYLOAD")
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.payload), (OP_PONG, b"PINGPAYLOAD"))
        c.send_frame(OP_PONG, b"UNSOLICITEDPONG")
        c.send_frame(OP_PING, b"")
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.payload), (OP_PONG, b""))
        c.send_frame(OP_TEXT, b"B2")
        c.send_frame(OP_PING, os.urandom(125))   # the largest allowed
        self.assertEqual(len(c.recv_frame().payload), 125)
        c.send_frame(OP_CLOSE, h.close_payload(1000, "CLOSEREASON"))
        self.assertEqual(c.recv_close().close_code, 1000)
        c.expect_eof()
        self.assertEqual(self.sink.wait_eof(), b"A1B2")

    def test_ping_with_websockets_client(self):
        async def go():
            async with ws_connect(self.gw, "/echo") as ws:
                waiter = await ws.ping(b"are you there")
                await asyncio.wait_for(waiter, h.timeout(5))
                await ws.send(b"data")
                self.assertEqual(await ws.recv(), b"data")

        h.run_async(go())
        self.assertEqual(self.echo.wait_eof(), b"data")

    def test_client_close_is_echoed_then_tcp_closed(self):
        c = self.open()
        c.send_frame(OP_BINARY, b"bye")
        c.send_frame(OP_CLOSE, h.close_payload(1000, "done"))
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1000))
        self.assertFalse(f.masked)
        # RFC 6455 7.1.1: the server closes the TCP connection first.
        self.assertEqual(c.expect_eof(), b"")
        self.assertEqual(self.sink.wait_eof(), b"bye")
        self.gw.wait_log(r"close client=\S+ route=sink up=3 down=0 "
                         r".*code=1000 by=client")

    def test_client_close_then_half_close(self):
        """A client may shut its sending side right after its close
        frame (TCP half-close): it still gets the close echoed."""
        c = self.open()
        c.send_frame(OP_BINARY, b"last")
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.sock.shutdown(socket.SHUT_WR)
        f = c.recv_close()
        self.assertEqual(f.close_code, 1000)
        c.expect_eof()
        self.assertEqual(self.sink.wait_eof(), b"last")

    def test_client_close_other_code_echoed(self):
        c = self.open()
        self.close_cleanly(c, 4000)
        self.sink.wait_eof()

    def test_client_close_without_code(self):
        c = self.open()
        c.send_frame(OP_CLOSE, b"")
        f = c.recv_close()
        # RFC 6455 5.5.1: echo the status code; there was none.
        self.assertIn(f.close_code, (None, 1000))
        c.expect_eof()

    def test_pipelined_frames_after_request(self):
        """Frames sent in the same write as the upgrade request."""
        after = (h.build_frame(OP_BINARY, b"first ") +
                 h.build_frame(OP_TEXT, b"second ") +
                 h.build_frame(OP_BINARY, b"third"))
        c = self.raw(self.gw)
        c.handshake("/echo", after=after)
        got, others = c.recv_data(len(b"first second third"))
        self.assertEqual(got, b"first second third")
        self.assertEqual(others, [])
        self.close_cleanly(c)

    def test_pipelined_close_after_request(self):
        c = self.raw(self.gw)
        c.handshake("/sink", after=h.build_frame(OP_BINARY, b"x") +
                    h.build_frame(OP_CLOSE, h.close_payload(1000)))
        self.assertEqual(c.recv_close().close_code, 1000)
        c.expect_eof()
        self.assertEqual(self.sink.wait_eof(), b"x")

    def test_oversized_message_1009(self):
        c = self.open("/small")
        c.send_frame(OP_BINARY, b"a" * 1024)     # exactly the limit: ok
        c.send_frame(OP_BINARY, b"b" * 1025)
        f = c.recv_close()
        self.assertEqual(f.close_code, 1009)
        c.expect_eof()
        self.assertEqual(self.sink.wait_eof(), b"a" * 1024)
        self.gw.wait_log(r"close .*route=small .*code=1009")

    def test_oversized_fragmented_message_1009(self):
        c = self.open("/small")
        c.send_frame(OP_TEXT, b"a" * 600, fin=False)
        c.send_frame(OP_CONT, b"b" * 600, fin=True)
        self.assertEqual(c.recv_close().close_code, 1009)
        c.expect_eof()
        self.assertEqual(self.sink.wait_eof(), b"a" * 600)

    def test_huge_declared_length_1009(self):
        c = self.open("/small")
        c.send(h.build_frame(OP_BINARY, b"", length=1 << 40))
        self.assertEqual(c.recv_close().close_code, 1009)
        c.expect_eof()

    def test_unmasked_frame_1002(self):
        c = self.open()
        c.send_frame(OP_BINARY, b"ok")
        c.send_frame(OP_BINARY, b"unmasked", mask=False)
        self.assertEqual(c.recv_close().close_code, 1002)
        c.expect_eof()
        self.assertEqual(self.sink.wait_eof(), b"ok")
        self.gw.wait_log(r"close .*route=sink .*code=1002")

    def test_protocol_errors_1002(self):
        cases = {
            "rsv bits": h.build_frame(OP_BINARY, b"x", rsv=4),
            "reserved opcode": h.build_frame(0x3, b"x"),
            "reserved control opcode": h.build_frame(0xB, b""),
            "fragmented ping": h.build_frame(OP_PING, b"x", fin=False),
            "ping over 125 B": h.build_frame(OP_PING, b"x" * 126),
            "continuation first": h.build_frame(OP_CONT, b"x"),
            "new message inside fragmented": (
                h.build_frame(OP_TEXT, b"a", fin=False) +
                h.build_frame(OP_BINARY, b"b")),
            "close with 1 byte": h.build_frame(OP_CLOSE, b"\x03"),
            "length with top bit set": h.build_frame(
                OP_BINARY, b"", length=1 << 63),
        }
        # RFC 6455 7.4: codes never sent on the wire, or unassigned.
        for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000):
            cases["close code %d" % code] = h.build_frame(
                OP_CLOSE, h.close_payload(code))
        for what, data in cases.items():
            with self.subTest(what):
                c = self.open()
                c.send(data)
                self.assertEqual(c.recv_close().close_code, 1002, what)
                c.expect_eof()
                c.close()

    def test_invalid_utf8_1007(self):
        cases = {
            "bad byte": h.build_frame(OP_TEXT, b"ok \xff"),
            "surrogate": h.build_frame(OP_TEXT, b"\xed\xa0\x80"),
            "overlong": h.build_frame(OP_TEXT, b"\xc0\xaf"),
            "ends mid-character": h.build_frame(OP_TEXT, b"\xe2\x82"),
            "bad in a later fragment": (
                h.build_frame(OP_TEXT, b"fine", fin=False) +
                h.build_frame(OP_CONT, b"\xf8")),
            "close reason": h.build_frame(
                OP_CLOSE, h.close_payload(1000, b"\xff")),
        }
        for what, data in cases.items():
            with self.subTest(what):
                c = self.open()
                c.send(data)
                self.assertEqual(c.recv_close().close_code, 1007, what)
                c.expect_eof()

    def test_utf8_split_across_fragments(self):
        """A character split between fragments is still valid text."""
        text = "\u00e9\u20ac\U0001F600".encode()    # 2 + 3 + 4 bytes
        c = self.open()
        c.send_frame(OP_TEXT, text[:1], fin=False)
        c.send_frame(OP_CONT, text[1:4], fin=False)
        c.send_frame(OP_CONT, text[4:6], fin=False)
        c.send_frame(OP_CONT, text[6:], fin=True)
        self.close_cleanly(c)
        self.assertEqual(self.sink.wait_eof(), text)

    def test_valid_close_codes_echoed(self):
        for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                     3000, 4999):
            with self.subTest(code=code):
                c = self.open()
                self.close_cleanly(c, code)

    def test_frame_split_into_single_bytes(self):
        """Headers and payloads arriving a byte at a time."""
        data = (h.build_frame(OP_BINARY, b"x" * 300) +
                h.build_frame(OP_PING, b"p") +
                h.build_frame(OP_TEXT, b"yz"))
        c = self.open()
        for i in range(len(data)):
            c.send(data[i:i + 1])
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.payload), (OP_PONG, b"p"))
        self.close_cleanly(c)
        self.assertEqual(self.sink.wait_eof(), b"x" * 300 + b"yz")

    def test_client_vanishes_without_close(self):
        c = self.open()
        c.send_frame(OP_BINARY, b"abc")
        self.sink.wait_received(3)
        c.close()
        self.assertEqual(self.sink.wait_eof(), b"abc")
        self.gw.wait_log(r"close .*route=sink up=3 .*code=1006 by=client")


class ResetBackend(h.Backend):
    """Reads a little, then resets the connection (RST, not FIN)."""

    def handle(self, conn):
        while not self.expired() and self.recv_some(conn) is None:
            pass
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))


class HalfCloseBackend(h.Backend):
    """Shuts its sending side at once, then reads until EOF."""

    def handle(self, conn):
        conn.sock.shutdown(socket.SHUT_WR)
        self.drain_until_eof(conn)


class BackendEnds(h.GatewayTestCase):
    def test_backend_eof_closes_1000(self):
        b = self.backend(h.CloseBackend)
        gw = self.gateway({"r": {"path": "/", "backend": b.addr}})
        c = self.raw(gw)
        c.handshake("/")
        f = c.recv_close()
        self.assertEqual(f.close_code, 1000)
        # Our close reply ends it; the gateway closes TCP.
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.expect_eof()
        gw.wait_log(r"close .*route=r up=0 down=0 .*code=1000 by=backend")

    def test_backend_data_then_eof(self):
        """Every byte the backend sent before hanging up arrives, then
        close 1000."""
        data = os.urandom(3 * MiB + 17)
        b = self.backend(h.SourceBackend, data)
        gw = self.gateway({"r": {"path": "/", "backend": b.addr}})

        async def go():
            async with ws_connect(gw, "/") as ws:
                got = await ws_recv_bytes(ws, len(data))
                with self.assertRaises(websockets.ConnectionClosedOK):
                    await ws.recv()
                return got, ws.close_code

        got, code = h.run_async(go(), 60)
        self.assertBytesEqual(got, data)
        self.assertEqual(code, 1000)
        gw.wait_log(r"close .*down=%d .*code=1000 by=backend" % len(data))

    def test_backend_small_data_then_eof(self):
        b = self.backend(h.SourceBackend, b"hello")
        gw = self.gateway({"r": {"path": "/", "backend": b.addr}})
        c = self.raw(gw)
        c.handshake("/")
        got, others = c.recv_data(6)
        self.assertEqual(got, b"hello")
        self.assertEqual([f.close_code for f in others], [1000])

    def test_backend_eof_while_client_sends(self):
        """The backend stops sending (EOF) while the client is still
        sending: the client gets 1000, the backend then sees EOF.  (A
        backend that close()s with unread input sends RST: that is an
        error, 1011.)"""
        b = self.backend(HalfCloseBackend)
        gw = self.gateway({"r": {"path": "/", "backend": b.addr}})
        c = self.raw(gw)
        c.handshake("/")
        for _ in range(20):
            try:
                c.send_frame(OP_BINARY, os.urandom(10000))
            except OSError:
                break
        f = c.recv_close()
        self.assertEqual(f.close_code, 1000)
        try:
            c.send_frame(OP_CLOSE, h.close_payload(1000))
        except OSError:
            pass
        c.expect_eof()
        gw.wait_log(r"close .*code=1000 by=backend")
        b.wait_eof()

    def test_backend_data_then_eof_raw_frames(self):
        data = os.urandom(200000)
        b = self.backend(h.SourceBackend, data)
        gw = self.gateway({"r": {"path": "/", "backend": b.addr}})
        c = self.raw(gw)
        c.handshake("/")
        got, others = c.recv_data(len(data) + 1, limit=20)
        self.assertBytesEqual(got, data)
        self.assertEqual([f.opcode for f in others], [OP_CLOSE])
        self.assertEqual(others[0].close_code, 1000)
        self.assertFalse(others[0].masked)

    def test_backend_reset_1011(self):
        b = self.backend(ResetBackend)
        gw = self.gateway({"r": {"path": "/", "backend": b.addr}})
        c = self.raw(gw)
        c.handshake("/")
        c.send_frame(OP_BINARY, b"trigger")
        f = c.recv_close()
        self.assertEqual(f.close_code, 1011)
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.expect_eof()
        gw.wait_log(r"close .*code=1011 by=backend")

    def test_backend_keeps_reading_after_client_close(self):
        """Bytes the client sent before its close all reach the backend,
        which then sees EOF."""
        sink = self.backend(h.SinkBackend)
        gw = self.gateway({"r": {"path": "/", "backend": sink.addr}})
        data = os.urandom(2 * MiB)
        c = self.raw(gw)
        c.handshake("/")
        c.send(h.build_frame(OP_BINARY, data) +
               h.build_frame(OP_CLOSE, h.close_payload(1000)))
        self.assertEqual(c.recv_close(limit=20).close_code, 1000)
        c.expect_eof()
        self.assertBytesEqual(sink.wait_eof(limit=20), data)


class Concurrent(h.GatewayTestCase):
    def test_many_sessions_at_once(self):
        """Sessions interleaved on one gateway keep their own bytes."""
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"echo": {"path": "/echo",
                                    "backend": echo.addr}})
        n = 30

        async def one(i):
            data = os.urandom(1000 + 997 * i)
            async with ws_connect(gw, "/echo") as ws:
                for k in range(0, len(data), 4096):
                    await ws.send(data[k:k + 4096])
                got = await ws_recv_bytes(ws, len(data))
            self.assertBytesEqual(got, data, "session %d" % i)

        async def go():
            await asyncio.gather(*(one(i) for i in range(n)))

        h.run_async(go(), 60)
        h.wait_until(lambda: len(gw.find_log(r" close client=")) == n, 10,
                     "%d close lines" % n)


class Timers(h.GatewayTestCase):
    def test_idle_timeout_1001(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"r": {"path": "/", "backend": echo.addr,
                                 "idle_timeout": "0.5"}})
        c = self.raw(gw)
        c.handshake("/")
        # Activity keeps it open past the timeout...
        for _ in range(4):
            c.send_frame(OP_BINARY, b"k")
            self.assertEqual(c.recv_data(1)[0], b"k")
            h.time.sleep(0.2)
        # ...silence ends it.
        f = c.recv_close(limit=5)
        self.assertEqual(f.close_code, 1001)
        c.send_frame(OP_CLOSE, h.close_payload(1001))
        c.expect_eof()
        gw.wait_log(r"close .*code=1001 by=gateway reason=\"idle timeout")


class Subprotocol(h.GatewayTestCase):
    def setUp(self):
        self.echo = self.backend(h.EchoBackend)
        self.gw = self.gateway({"echo": {"path": "/echo",
                                         "backend": self.echo.addr}})

    def test_binary_offered_is_selected(self):
        for offer in ("binary", "base64, binary", "chat,binary"):
            with self.subTest(offer):
                c = self.raw(self.gw)
                r = c.handshake("/echo", protocols=offer)
                self.assertEqual(r.header("sec-websocket-protocol"),
                                 "binary")
                c.close()

    def test_case_tolerant_client_spelling(self):
        """Names compare without case (issue 12); the answer is the
        client's own spelling, which browsers require."""
        c = self.raw(self.gw)
        r = c.handshake("/echo", protocols="chat, Binary")
        self.assertEqual(r.header("sec-websocket-protocol"), "Binary")

    def test_other_protocols_none_selected(self):
        for offer in ("chat", "base64, superchat", "binaryx", "bin ary"):
            with self.subTest(offer):
                c = self.raw(self.gw)
                r = c.handshake("/echo", protocols=offer)
                self.assertIsNone(r.header("sec-websocket-protocol"))
                c.close()

    def test_no_protocol_offered(self):
        c = self.raw(self.gw)
        r = c.handshake("/echo")
        self.assertIsNone(r.header("sec-websocket-protocol"))

    def test_websockets_client_subprotocol(self):
        async def go():
            async with ws_connect(self.gw, "/echo",
                                  subprotocols=["binary"]) as ws:
                self.assertEqual(ws.subprotocol, "binary")
                await ws.send(b"p")
                self.assertEqual(await ws.recv(), b"p")

        h.run_async(go())
