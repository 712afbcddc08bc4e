"""test_conformance.py -- RFC 6455 server side, case by case, in the manner
of the Autobahn testsuite: framing, reserved bits and opcodes,
fragmentation, control frames, UTF-8, close handling, message size.

Every case asserts the exact outcome on the wire and at the backend, so
that each rule, taken out of wsgate, makes a case fail:
  - a violation gets exactly one close frame with the right code, first
    (no pong or data before it) and last (nothing after it), then the
    gateway closes TCP;
  - bytes sent behind a violation (a ping, a data frame) are not acted on:
    no pong, nothing relayed;
  - the backend receives exactly the data payload bytes that came before,
    and then EOF;
  - the session's log line carries the same close code.
Hostile handshakes, timeouts, connection limits and robustness are in
test_limits.py.
"""

import os
import struct
import time

import harness as h
from harness import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG,
                     OP_TEXT)

KiB = 1 << 10
MiB = 1 << 20

# Sent right behind a violation: a gateway that went on parsing would
# answer the ping or relay the data.
TRAILER = (h.build_frame(OP_PING, b"after") +
           h.build_frame(OP_BINARY, b"AFTER"))

RESERVED_OPCODES = (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)
# RFC 6455 7.4: never sent on the wire (1005, 1006, 1015), or reserved /
# unassigned (< 1000, 1004, 1016-2999, >= 5000).
INVALID_CLOSE_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000,
                       2999, 5000, 65535)
VALID_CLOSE_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                     1012, 1013, 1014, 3000, 3999, 4000, 4999)


def frame(*a, **kw):
    return h.build_frame(*a, **kw)


class Case(h.GatewayTestCase):
    """A gateway with routes to a recording backend (/sink; /small with
    max_message_size 1k; /unlimited with no message limit) and to an
    echo backend (/echo)."""

    GATEWAY = {}

    def setUp(self):
        self.sink = self.backend(h.SinkBackend)
        self.echo = self.backend(h.EchoBackend)
        self.routes = {
            "/sink": ("sink", self.sink, {}),
            "/echo": ("echo", self.echo, {}),
            "/small": ("small", self.sink, {"max_message_size": "1k"}),
            "/unlimited": ("unlimited", self.sink,
                           {"max_message_size": "0"}),
        }
        self.gw = self.gateway(
            {name: dict(keys, path=path, backend=b.addr)
             for path, (name, b, keys) in self.routes.items()},
            self.GATEWAY)
        self.nconns = {}

    def open(self, path="/sink", after=b""):
        """A raw client past the handshake; .bconn is the backend side."""
        _, backend, _ = self.routes[path]
        c = self.raw(self.gw)
        c.handshake(path, after=after)
        i = self.nconns.get(id(backend), 0)
        self.nconns[id(backend)] = i + 1
        c.bconn = backend.wait_conn(i)
        c.route = self.routes[path][0]
        c.port = c.sock.getsockname()[1]
        return c

    def assert_server_frame(self, f):
        """RFC 6455 5.1-5.2: server frames are unmasked, RSV clear."""
        self.assertFalse(f.masked, f)
        self.assertEqual(f.rsv, 0, f)
        self.assertTrue(f.fin, f)

    def fails(self, c, code, backend_got=b"", log=True):
        """The gateway fails the connection with `code`: a close frame is
        the next thing it sends and the last; then TCP ends, the backend
        has exactly backend_got followed by EOF, and the log says so."""
        f = c.recv_frame()
        self.assertEqual(f.opcode, OP_CLOSE,
                         "expected a close frame, got %r" % f)
        self.assertEqual(f.close_code, code)
        self.assert_server_frame(f)
        f.payload[2:].decode("utf-8")       # the reason is valid UTF-8
        rest = c.expect_eof()
        self.assertEqual(rest, b"", "bytes after the close frame")
        self.assertTrue(c.bconn.eof.wait(h.timeout(5)), "no backend EOF")
        self.assertEqual(c.bconn.data(), backend_got, "backend bytes")
        if log:
            self.gw.wait_log(r"close client=127\.0\.0\.1:%d route=%s .* "
                             r"code=%d by=client" % (c.port, c.route, code))
        return f

    def closes(self, c, code=1000, payload=None, backend_got=None):
        """A clean close handshake started by the client."""
        c.send_frame(OP_CLOSE, h.close_payload(code)
                     if payload is None else payload)
        f = c.recv_frame()
        self.assertEqual(f.opcode, OP_CLOSE, f)
        self.assertEqual(f.close_code, code)
        self.assert_server_frame(f)
        self.assertEqual(c.expect_eof(), b"")
        if backend_got is not None:
            self.assertTrue(c.bconn.eof.wait(h.timeout(5)),
                            "no backend EOF")
            self.assertEqual(c.bconn.data(), backend_got, "backend bytes")
        return f

    def ping_sync(self, c, payload=b"sync"):
        """Ping and wait for its pong: every frame before has been acted
        on."""
        c.send_frame(OP_PING, payload)
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.payload), (OP_PONG, payload))
        self.assert_server_frame(f)


class Framing(Case):
    """Autobahn 1 (sizes), 3 (reserved bits), 4 (opcodes); RFC 6455 5.1,
    5.2."""

    def test_payload_lengths_at_encoding_boundaries(self):
        """Autobahn 1.1/1.2: every length-field boundary, text and binary,
        relayed byte for byte."""
        sizes = (0, 1, 125, 126, 127, 128, 65535, 65536, 65537)
        c = self.open("/sink")
        want = bytearray()
        for n in sizes:
            for op in (OP_TEXT, OP_BINARY):
                data = (b"t" * n) if op == OP_TEXT else os.urandom(n)
                c.send_frame(op, data)
                want += data
        self.closes(c, backend_got=bytes(want))

    def test_backend_bytes_become_binary_messages_up_to_64k(self):
        """What the backend sends arrives as unfragmented, unmasked binary
        messages of at most 65535 bytes, in order."""
        data = os.urandom(300 * KiB + 7)
        src = self.backend(h.SourceBackend, data, close_after=False)
        gw = self.gateway({"r": {"path": "/", "backend": src.addr}})
        c = self.raw(gw)
        c.handshake("/")
        got = bytearray()
        while len(got) < len(data):
            f = c.recv_frame()
            self.assertEqual(f.opcode, OP_BINARY, f)
            self.assert_server_frame(f)
            self.assertLessEqual(len(f.payload), 65535)
            got += f.payload
        self.assertEqual(bytes(got), data)

    def test_reserved_opcodes_1002(self):
        for op in RESERVED_OPCODES:
            with self.subTest(opcode=op):
                c = self.open()
                c.send(frame(OP_BINARY, b"ok") + frame(op, b"x") + TRAILER)
                self.fails(c, 1002, b"ok")

    def test_reserved_opcode_inside_fragmented_message_1002(self):
        for op in (3, 0xB):
            with self.subTest(opcode=op):
                c = self.open()
                c.send(frame(OP_TEXT, b"ab", fin=False) + frame(op, b"") +
                       frame(OP_CONT, b"cd") + TRAILER)
                self.fails(c, 1002, b"ab")

    def test_rsv_bits_1002(self):
        """Autobahn 3.x: no extension is ever negotiated, so any RSV bit
        on any frame fails the connection."""
        cases = [("binary rsv=%d" % r, frame(OP_BINARY, b"x", rsv=r))
                 for r in range(1, 8)]
        cases += [
            ("text RSV1", frame(OP_TEXT, b"x", rsv=4)),
            ("ping RSV2", frame(OP_PING, b"x", rsv=2)),
            ("pong RSV3", frame(OP_PONG, b"x", rsv=1)),
            ("close RSV1", frame(OP_CLOSE, h.close_payload(1000), rsv=4)),
            ("continuation RSV1", frame(OP_TEXT, b"y", fin=False) +
             frame(OP_CONT, b"x", rsv=4)),
            ("empty binary RSV3", frame(OP_BINARY, b"", rsv=1)),
        ]
        for what, data in cases:
            with self.subTest(what):
                c = self.open()
                c.send(frame(OP_BINARY, b"ok") + data + TRAILER)
                want = b"oky" if what.startswith("continuation") else b"ok"
                self.fails(c, 1002, want)

    def test_unmasked_frames_1002(self):
        """RFC 6455 5.1: a server MUST close on any unmasked frame, data
        or control, even an empty one."""
        cases = {
            "binary": frame(OP_BINARY, b"x", mask=False),
            "empty binary": frame(OP_BINARY, b"", mask=False),
            "text": frame(OP_TEXT, b"x", mask=False),
            "ping": frame(OP_PING, b"x", mask=False),
            "pong": frame(OP_PONG, b"", mask=False),
            "close": frame(OP_CLOSE, h.close_payload(1000), mask=False),
            "continuation": frame(OP_TEXT, b"y", fin=False) +
            frame(OP_CONT, b"x", mask=False),
        }
        for what, data in cases.items():
            with self.subTest(what):
                c = self.open()
                c.send(frame(OP_BINARY, b"ok") + data + TRAILER)
                self.fails(c, 1002,
                           b"oky" if what == "continuation" else b"ok")

    def test_64bit_length_top_bit_1002(self):
        """RFC 6455 5.2: the most significant bit of a 64-bit length MUST
        be 0.  A protocol error (1002), not a size error (1009), also on
        a route without a message size limit."""
        for path in ("/sink", "/unlimited"):
            for n in (1 << 63, (1 << 64) - 1, (1 << 63) + 5):
                with self.subTest(path=path, length=n):
                    c = self.open(path)
                    c.send(frame(OP_BINARY, b"ok") +
                           frame(OP_BINARY, b"", length=n) + TRAILER)
                    self.fails(c, 1002, b"ok")

    def test_non_minimal_lengths_data(self):
        """RFC 6455 5.2 asks for the minimal length encoding but does not
        make a longer one an error: lengths in a 16- or 64-bit field are
        accepted for any value."""
        c = self.open("/sink")
        want = bytearray()
        for n in (0, 1, 5, 125):
            for width in (2, 8):
                data = os.urandom(n)
                c.send_frame(OP_BINARY, data, len_bytes=width)
                want += data
        for n in (126, 300, 65535):
            data = b"u" * n
            c.send_frame(OP_TEXT, data, len_bytes=8)
            want += data
        # Fragments too.
        c.send_frame(OP_TEXT, b"frag", fin=False, len_bytes=8)
        c.send_frame(OP_CONT, b"ment", len_bytes=2)
        want += b"fragment"
        self.ping_sync(c)
        self.closes(c, backend_got=bytes(want))

    def test_non_minimal_lengths_control(self):
        """Control frames are judged by their length value (<= 125), not
        by the width of the field that carries it."""
        c = self.open("/sink")
        for n, width in ((0, 2), (5, 2), (5, 8), (125, 2), (125, 8)):
            p = os.urandom(n)
            c.send_frame(OP_PING, p, len_bytes=width)
            f = c.recv_frame()
            self.assertEqual((f.opcode, f.payload), (OP_PONG, p))
        c.send_frame(OP_PONG, b"ignored", len_bytes=8)
        self.ping_sync(c)
        self.closes(c, payload=None, backend_got=b"")
        # A close frame with a 64-bit length field is a close too.
        c = self.open("/sink")
        c.send_frame(OP_CLOSE, h.close_payload(4001, "wide"), len_bytes=8)
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 4001))
        self.assertEqual(c.expect_eof(), b"")

    def test_zero_length_frames(self):
        """Empty frames of every kind are valid and relay nothing."""
        c = self.open("/sink")
        c.send(frame(OP_BINARY, b"") + frame(OP_TEXT, b"") +
               frame(OP_TEXT, b"", fin=False) + frame(OP_CONT, b"", fin=False) +
               frame(OP_CONT, b"x", fin=False) + frame(OP_CONT, b"") +
               frame(OP_BINARY, b"", fin=False) + frame(OP_CONT, b"") +
               frame(OP_PONG, b""))
        c.send_frame(OP_PING, b"")
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.payload), (OP_PONG, b""))
        self.assert_server_frame(f)
        c.send_frame(OP_BINARY, b"end")
        self.closes(c, backend_got=b"xend")


class Fragmentation(Case):
    """Autobahn 5; RFC 6455 5.4."""

    def test_continuation_without_message_1002(self):
        cases = {
            "first frame, fin": (frame(OP_CONT, b"x"), b""),
            "first frame, not fin": (frame(OP_CONT, b"x", fin=False), b""),
            "after a whole message": (
                frame(OP_TEXT, b"a") + frame(OP_CONT, b"x"), b"a"),
            "after a whole fragmented message": (
                frame(OP_TEXT, b"a", fin=False) + frame(OP_CONT, b"b") +
                frame(OP_CONT, b"x", fin=False), b"ab"),
            "empty, after a message": (
                frame(OP_BINARY, b"z") + frame(OP_CONT, b""), b"z"),
        }
        for what, (data, got) in cases.items():
            with self.subTest(what):
                c = self.open()
                c.send(data + TRAILER)
                self.fails(c, 1002, got)

    def test_new_data_frame_inside_fragmented_message_1002(self):
        for first in (OP_TEXT, OP_BINARY):
            for second in (OP_TEXT, OP_BINARY):
                for fin in (True, False):
                    with self.subTest(first=first, second=second, fin=fin):
                        c = self.open()
                        c.send(frame(first, b"abc", fin=False) +
                               frame(OP_CONT, b"def", fin=False) +
                               frame(second, b"new", fin=fin) + TRAILER)
                        self.fails(c, 1002, b"abcdef")

    def test_pings_between_fragments_answered_at_once(self):
        """Autobahn 5.6-5.9: a ping inside a fragmented message is
        answered before the message goes on (we wait for each pong before
        sending the next fragment), and the message arrives intact."""
        c = self.open("/sink")
        c.send_frame(OP_TEXT, b"Hello, ", fin=False)
        self.ping_sync(c, b"first")
        c.send_frame(OP_CONT, b"wor", fin=False)
        c.send_frame(OP_PONG, b"unsolicited")
        self.ping_sync(c, b"second")
        self.ping_sync(c, b"")
        c.send_frame(OP_CONT, b"ld", fin=True)
        c.send_frame(OP_BINARY, b"!")
        self.closes(c, backend_got=b"Hello, world!")

    def test_ping_splits_a_utf8_character(self):
        """The ping sits between two halves of one 4-byte character."""
        text = "x\U0001F600y".encode()
        c = self.open("/sink")
        c.send_frame(OP_TEXT, text[:3], fin=False)
        self.ping_sync(c, b"mid-character")
        c.send_frame(OP_CONT, text[3:])
        self.closes(c, backend_got=text)

    def test_one_byte_fragments(self):
        """Autobahn 5.19-like: messages as one-byte fragments (multi-byte
        characters split everywhere), with pings among them."""
        text = "a\u00e9\u20ac\U0001F600z \u00fc".encode()
        blob = os.urandom(40)
        data = bytearray()
        for msg, op in ((text, OP_TEXT), (blob, OP_BINARY)):
            for i in range(len(msg)):
                data += frame(op if i == 0 else OP_CONT, msg[i:i + 1],
                              fin=(i == len(msg) - 1))
                if i == 3:
                    data += frame(OP_PING, b"p")
        c = self.open("/sink")
        c.send(bytes(data))
        for _ in range(2):
            f = c.recv_frame()
            self.assertEqual((f.opcode, f.payload), (OP_PONG, b"p"))
        self.closes(c, backend_got=text + blob)

    def test_close_inside_fragmented_message(self):
        """A close may come while a message is open: echoed, and the
        fragments before it were relayed."""
        c = self.open("/sink")
        c.send(frame(OP_TEXT, b"abc", fin=False) +
               frame(OP_CLOSE, h.close_payload(1000)) +
               frame(OP_CONT, b"def"))
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1000))
        self.assertEqual(c.expect_eof(), b"")
        self.assertTrue(c.bconn.eof.wait(h.timeout(5)))
        self.assertEqual(c.bconn.data(), b"abc")


class ControlFrames(Case):
    """Autobahn 2; RFC 6455 5.5."""

    def test_ping_every_payload_size_echoed(self):
        """Pings of 0..125 bytes, all in one write: one pong each, same
        payload, same order, unmasked."""
        payloads = [os.urandom(n) for n in range(126)]
        c = self.open("/sink")
        c.send(b"".join(frame(OP_PING, p) for p in payloads))
        for p in payloads:
            f = c.recv_frame()
            self.assertEqual((f.opcode, f.payload), (OP_PONG, p))
            self.assert_server_frame(f)
        self.closes(c, backend_got=b"")

    def test_ten_pings_in_a_row(self):
        """Autobahn 2.10/2.11: ten pings, sent back to back and then one
        per write: ten pongs each time, in order."""
        c = self.open("/sink")
        c.send(b"".join(frame(OP_PING, b"ping %d" % i) for i in range(10)))
        got = [c.recv_frame() for _ in range(10)]
        self.assertEqual([(f.opcode, f.payload) for f in got],
                         [(OP_PONG, b"ping %d" % i) for i in range(10)])
        for i in range(10):
            c.send_frame(OP_PING, b"again %d" % i)
        got = [c.recv_frame() for _ in range(10)]
        self.assertEqual([f.payload for f in got],
                         [b"again %d" % i for i in range(10)])
        self.closes(c, backend_got=b"")

    def test_control_over_125_bytes_1002(self):
        """Autobahn 2.5: RFC 6455 5.5, control payloads are <= 125 bytes:
        126 fails, in any length encoding, for ping, pong and close."""
        cases = {
            "ping 126": frame(OP_PING, b"p" * 126),
            "ping 126, 64-bit length": frame(OP_PING, b"p" * 126,
                                             len_bytes=8),
            "ping 65535": frame(OP_PING, b"p" * 65535),
            "pong 126": frame(OP_PONG, b"p" * 126),
            "close 126": frame(OP_CLOSE, h.close_payload(1000, "r" * 124)),
        }
        for what, data in cases.items():
            with self.subTest(what):
                c = self.open()
                c.send(frame(OP_BINARY, b"ok") + data + TRAILER)
                self.fails(c, 1002, b"ok")

    def test_fragmented_control_1002(self):
        """RFC 6455 5.5: control frames are never fragmented."""
        cases = {
            "ping": frame(OP_PING, b"x", fin=False),
            "empty ping": frame(OP_PING, b"", fin=False),
            "pong": frame(OP_PONG, b"x", fin=False),
            "close": frame(OP_CLOSE, h.close_payload(1000), fin=False),
            "ping inside a message": frame(OP_TEXT, b"y", fin=False) +
            frame(OP_PING, b"x", fin=False) + frame(OP_CONT, b"z"),
            "ping then continuation": frame(OP_PING, b"x", fin=False) +
            frame(OP_CONT, b"x"),
        }
        for what, data in cases.items():
            with self.subTest(what):
                c = self.open()
                c.send(frame(OP_BINARY, b"ok") + data + TRAILER)
                self.fails(c, 1002,
                           b"oky" if "message" in what else b"ok")

    def test_unsolicited_pongs_ignored(self):
        """Autobahn 2.8/2.9: pongs nobody asked for get no answer and
        relay nothing."""
        c = self.open("/sink")
        c.send(frame(OP_PONG, b"unsolicited") + frame(OP_PONG, b"") +
               frame(OP_PONG, os.urandom(125)) + frame(OP_BINARY, b"data"))
        # The first thing back answers this ping: nothing for the pongs.
        self.ping_sync(c, b"mine")
        self.closes(c, backend_got=b"data")

    def test_no_pong_after_close(self):
        """A ping behind the client's close is not answered: the close
        echo is the last frame."""
        c = self.open("/sink")
        c.send(frame(OP_CLOSE, h.close_payload(1000)) +
               frame(OP_PING, b"late"))
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1000))
        self.assertEqual(c.expect_eof(), b"")

    def test_no_pong_after_server_close(self):
        """Once wsgate has sent its close (backend gone), a ping gets no
        pong: after a close frame, nothing but TCP's end."""
        b = self.backend(h.CloseBackend)
        gw = self.gateway({"r": {"path": "/", "backend": b.addr}})
        c = self.raw(gw)
        c.handshake("/")
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1000))
        c.send(frame(OP_PING, b"late") + frame(OP_BINARY, b"late data") +
               frame(OP_CLOSE, h.close_payload(1000)))
        self.assertEqual(c.expect_eof(), b"")
        gw.wait_log(r"close .*code=1000 by=backend")


class Utf8(Case):
    """Autobahn 6; RFC 6455 5.6, 8.1."""

    VALID = [
        "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!",
        "\u03ba\u1f79\u03c3\u03bc\u03b5",       # Autobahn 6.2-6.3
        # Boundaries of every sequence length, and the edges around the
        # surrogates and above U+FFFF.
        "\u0000\u007f\u0080\u07ff\u0800\uffff",
        "\U00010000\U0010ffff\ud7ff\ue000\ufffd",
        "\ufeff\ufffe\U0001fffe",                # BOM, noncharacters
    ]

    def test_valid_text_relayed_as_bytes(self):
        """Text is checked, never changed: the backend gets its UTF-8
        bytes (also in a fragmented message)."""
        c = self.open("/sink")
        want = bytearray()
        for s in self.VALID:
            b = s.encode("utf-8", "surrogatepass")
            c.send_frame(OP_TEXT, b)
            want += b
        b = self.VALID[1].encode()
        c.send_frame(OP_TEXT, b[:5], fin=False)
        c.send_frame(OP_CONT, b[5:])
        want += b
        self.closes(c, backend_got=bytes(want))

    def test_split_at_every_position(self):
        """Autobahn 6.4-like: a 2-, 3- and 4-byte character split across
        fragments at every position (two and three fragments, and one
        byte per fragment): all valid."""
        c = self.open("/sink")
        want = bytearray()
        for ch in ("\u00e9", "\u20ac", "\U0001F600", "\U0010FFFF"):
            msg = ("<" + ch + ">").encode()
            cuts = [(i,) for i in range(1, len(msg))]
            cuts += [(i, j) for i in range(1, len(msg))
                     for j in range(i + 1, len(msg))]
            cuts.append(tuple(range(1, len(msg))))
            for cut in cuts:
                parts = [msg[a:b] for a, b in
                         zip((0,) + cut, cut + (len(msg),))]
                for k, part in enumerate(parts):
                    c.send_frame(OP_TEXT if k == 0 else OP_CONT, part,
                                 fin=(k == len(parts) - 1))
                want += msg
        self.ping_sync(c)
        self.closes(c, backend_got=bytes(want))

    # (valid start, rest): the text becomes invalid at the first byte of
    # rest (rest empty: the message ends inside a character).
    INVALID = {
        "lone continuation 80": (b"", b"\x80"),
        "lone continuation BF": (b"", b"\xbf"),
        "overlong C0 80": (b"", b"\xc0\x80"),
        "overlong C1 BF": (b"", b"\xc1\xbf"),
        "overlong E0 80 80": (b"\xe0", b"\x80\x80"),
        "overlong E0 9F BF": (b"\xe0", b"\x9f\xbf"),
        "overlong F0 80 80 80": (b"\xf0", b"\x80\x80\x80"),
        "overlong F0 8F BF BF": (b"\xf0", b"\x8f\xbf\xbf"),
        "surrogate D800": (b"\xed", b"\xa0\x80"),
        "surrogate DFFF": (b"\xed", b"\xbf\xbf"),
        "above U+10FFFF F4 90": (b"\xf4", b"\x90\x80\x80"),
        "lead F5": (b"", b"\xf5\x80\x80\x80"),
        "5-byte form F8": (b"", b"\xf8\x88\x80\x80\x80"),
        "6-byte form FC": (b"", b"\xfc\x84\x80\x80\x80\x80"),
        "FE": (b"", b"\xfe"),
        "FF": (b"", b"\xff"),
        "missing continuation C2 41": (b"\xc2", b"A"),
        "missing continuation E2 82 41": (b"\xe2\x82", b"A"),
        "missing continuation F0 9F 98 41": (b"\xf0\x9f\x98", b"A"),
        "ends inside a 2-byte character": (b"\xc3", b""),
        "ends inside a 3-byte character": (b"\xe2\x82", b""),
        "ends inside a 4-byte character": (b"\xf0\x9f\x98", b""),
    }

    def test_invalid_sequences_1007(self):
        """Autobahn 6.x: each malformed sequence fails with 1007.  The
        backend gets no byte from the bad one on (here the whole frame
        arrives at once: nothing of it)."""
        for what, (start, rest) in self.INVALID.items():
            with self.subTest(what):
                # After an invalid byte more text; after a cut character
                # the end of the message.
                text = b"text " + start + (rest + b" more" if rest else b"")
                c = self.open()
                c.send(frame(OP_BINARY, b"ok") + frame(OP_TEXT, text) +
                       TRAILER)
                f = c.recv_frame()
                self.assertEqual(f.opcode, OP_CLOSE, f)
                self.assertEqual(f.close_code, 1007, what)
                self.assertEqual(c.expect_eof(), b"")
                self.assertTrue(c.bconn.eof.wait(h.timeout(5)))
                got = c.bconn.data()
                self.assertTrue((b"ok" + b"text " + start).startswith(got),
                                "backend got %r" % got)
                self.gw.wait_log(r"close client=127\.0\.0\.1:%d .* "
                                 r"code=1007 by=client" % c.port)

    def test_invalid_across_fragments_1007(self):
        cases = {
            "bad byte in a later fragment": (
                frame(OP_TEXT, b"fine", fin=False) +
                frame(OP_CONT, b"\xf8", fin=False), b"fine"),
            "surrogate split between fragments": (
                frame(OP_TEXT, b"a\xed", fin=False) +
                frame(OP_CONT, b"\xa0\x80"), b"a\xed"),
            "4-byte character cut by an end of message": (
                frame(OP_TEXT, b"b\xf0\x9f", fin=False) +
                frame(OP_CONT, b"\x98"), b"b\xf0\x9f\x98"),
            "lead byte then a new character": (
                frame(OP_TEXT, b"c\xe2", fin=False) +
                frame(OP_CONT, b"\x82", fin=False) +
                frame(OP_CONT, b"d"), b"c\xe2\x82"),
        }
        for what, (data, most) in cases.items():
            with self.subTest(what):
                c = self.open()
                c.send(data + TRAILER)
                f = c.recv_frame()
                self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1007))
                self.assertEqual(c.expect_eof(), b"")
                self.assertTrue(c.bconn.eof.wait(h.timeout(5)))
                self.assertTrue(most.startswith(c.bconn.data()))

    def test_fail_fast(self):
        """RFC 6455 8.1: fail as soon as the bytes cannot become valid.
        The rest of the frame or message is never sent: the 1007 must
        come while the gateway still waits for it."""
        def hdr(op, n, fin=True):
            # A header declaring n payload bytes, and its mask key.
            key = b"\x00\x00\x00\x00"
            return frame(op, b"", fin=fin, key=key, length=n)

        cases = {
            "bad byte at the start of a long frame":
                hdr(OP_TEXT, 1000) + b"ok \xff",
            "surrogate seen at its second byte":
                hdr(OP_TEXT, 100) + b"ok \xed\xa0",
            "overlong seen at its second byte":
                hdr(OP_TEXT, 100) + b"\xe0\x80",
            "above U+10FFFF seen at its second byte":
                hdr(OP_TEXT, 100) + b"\xf4\x90",
            "bad byte in a continuation frame":
                frame(OP_TEXT, b"abc", fin=False) + hdr(OP_CONT, 100) +
                b"\xc0",
            "bad continuation of a character begun in the last frame":
                frame(OP_TEXT, b"abc\xf0", fin=False) + hdr(OP_CONT, 100) +
                b"\x8f",
            "bad byte in a whole non-final fragment":
                frame(OP_TEXT, b"x\xff", fin=False),
        }
        for what, data in cases.items():
            with self.subTest(what):
                c = self.open()
                c.send(data)
                f = c.recv_frame(limit=5)
                self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1007))
                self.assertEqual(c.expect_eof(), b"")

    def test_text_streams_before_the_message_ends(self):
        """Valid text goes to the backend as it arrives, not held until
        the message is complete (and validated)."""
        c = self.open("/sink")
        c.send(frame(OP_TEXT, b"", key=b"\0\0\0\0", length=11) + b"hello")
        self.sink.wait_received(5)
        self.assertEqual(c.bconn.data(), b"hello")
        c.send(b" world")
        self.closes(c, backend_got=b"hello world")

    def test_binary_is_not_checked(self):
        """Invalid UTF-8 in binary messages is just bytes."""
        bad = b"\xff\xfe\xed\xa0\x80\xc0\x80\xf8"
        c = self.open("/sink")
        c.send_frame(OP_BINARY, bad, fin=False)
        c.send_frame(OP_CONT, bad)
        self.closes(c, backend_got=bad + bad)


class CloseHandling(Case):
    """Autobahn 7; RFC 6455 5.5.1, 7."""

    def test_one_byte_payload_1002(self):
        """RFC 6455 5.5.1: a code is two bytes.  (The ping leaves 03 E8
        in the gateway's control buffer: a reader taking a second byte
        from there would see code 1000.)"""
        c = self.open()
        c.send_frame(OP_BINARY, b"ok")
        self.ping_sync(c, b"\x03\xe8")
        c.send(frame(OP_CLOSE, b"\x03") + TRAILER)
        self.fails(c, 1002, b"ok")

    def test_invalid_codes_1002(self):
        """Autobahn 7.9.x: codes that must not appear on the wire."""
        for code in INVALID_CLOSE_CODES:
            with self.subTest(code=code):
                c = self.open()
                c.send(frame(OP_BINARY, b"ok") +
                       frame(OP_CLOSE, h.close_payload(code)) + TRAILER)
                self.fails(c, 1002, b"ok")

    def test_invalid_code_with_reason_1002(self):
        c = self.open()
        c.send(frame(OP_CLOSE, h.close_payload(1005, "reason")) + TRAILER)
        self.fails(c, 1002, b"")

    def test_valid_codes_echoed(self):
        """Autobahn 7.7.x: every valid code, with a reason, is echoed;
        the log line carries it."""
        for code in VALID_CLOSE_CODES:
            with self.subTest(code=code):
                c = self.open()
                c.send_frame(OP_BINARY, b"ok")
                self.closes(c, code, h.close_payload(code, "bye \u00e9"),
                            backend_got=b"ok")
                self.gw.wait_log(r"close client=127\.0\.0\.1:%d .* "
                                 r"code=%d by=client" % (c.port, code))

    def test_invalid_utf8_reason_1007(self):
        for reason in (b"\xff", b"ok\xed\xa0\x80", b"\xc0\xaf",
                       b"cut \xe2\x82"):
            with self.subTest(reason=reason):
                c = self.open()
                c.send(frame(OP_BINARY, b"ok") +
                       frame(OP_CLOSE, h.close_payload(1000, reason)) +
                       TRAILER)
                self.fails(c, 1007, b"ok")

    def test_longest_reason_echoed(self):
        """A 123-byte UTF-8 reason (the most a close frame holds)."""
        reason = ("\u00e9" * 61 + "x").encode()
        self.assertEqual(len(reason), 123)
        c = self.open()
        self.closes(c, 1000, h.close_payload(1000, reason))

    def test_empty_close_echoed_empty(self):
        """RFC 6455 5.5.1: a close without a code is answered by a close
        without a code (1005 is only for the log, never on the wire)."""
        c = self.open()
        c.send_frame(OP_CLOSE, b"")
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.payload), (OP_CLOSE, b""))
        self.assert_server_frame(f)
        self.assertEqual(c.expect_eof(), b"")
        self.gw.wait_log(r"close client=127\.0\.0\.1:%d .* code=1005 "
                         r"by=client" % c.port)

    def test_data_after_close_discarded(self):
        """RFC 6455 1.4, 5.5.1: after its close the client sends nothing
        more; what it sends anyway is not relayed (nor answered)."""
        c = self.open("/sink")
        c.send(frame(OP_BINARY, b"before") +
               frame(OP_CLOSE, h.close_payload(1000)) +
               frame(OP_BINARY, b"after") + frame(OP_TEXT, b"after2") +
               frame(OP_PING, b"p") +
               frame(OP_CLOSE, h.close_payload(1000)))
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1000))
        # More data after the echo (the gateway may be gone already).
        try:
            c.send(frame(OP_BINARY, b"later"))
        except OSError:
            pass
        self.assertEqual(c.expect_eof(), b"")
        self.assertTrue(c.bconn.eof.wait(h.timeout(5)))
        self.assertEqual(c.bconn.data(), b"before")
        self.gw.wait_log(r"close client=127\.0\.0\.1:%d .* up=6 .* "
                         r"code=1000 by=client" % c.port)

    def test_server_closes_tcp_after_close_handshake(self):
        """RFC 6455 7.1.1: after the close handshake the server closes TCP
        first, at once: not after close_timeout (set long here), and
        without waiting for the client to close."""
        sink = self.backend(h.SinkBackend)
        gw = self.gateway({"r": {"path": "/", "backend": sink.addr,
                                 "close_timeout": "60"}})
        c = self.raw(gw)
        c.handshake("/")
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        f = c.recv_frame()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1000))
        self.assertEqual(c.expect_eof(limit=5, close=False), b"")
        c.close()
        gw.wait_log(r"close .*code=1000 by=client")

    def test_close_timeout_client_never_answers(self):
        """wsgate closes (its backend left) and the client never answers
        nor closes: TCP is closed at close_timeout, not before, and the
        session is gone (descriptors back)."""
        b = self.backend(h.CloseBackend)
        gw = self.gateway({"r": {"path": "/", "backend": b.addr,
                                 "close_timeout": "1"}})
        base = gw.fd_count()
        c = self.raw(gw)
        c.handshake("/")
        f = c.recv_frame()
        t0 = time.monotonic()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1000))
        self.assertEqual(c.expect_eof(limit=10, close=False), b"")
        waited = time.monotonic() - t0
        self.assertGreaterEqual(waited, 0.8, "closed before close_timeout")
        gw.wait_log(r"close .*code=1000 by=backend")
        h.wait_until(lambda: gw.fd_count() <= base, 5, "fds back to %d" %
                     base)
        c.close()

    def test_linger_bounded_by_close_timeout(self):
        """After failing a connection wsgate closes its side; a client
        that never closes its own cannot hold the session longer than
        close_timeout."""
        sink = self.backend(h.SinkBackend)
        gw = self.gateway({"r": {"path": "/", "backend": sink.addr,
                                 "close_timeout": "0.5"}})
        base = gw.fd_count()
        c = self.raw(gw)
        c.handshake("/")
        c.send_frame(OP_BINARY, b"x", mask=False)
        self.assertEqual(c.recv_frame().close_code, 1002)
        self.assertEqual(c.expect_eof(close=False), b"")
        # The client keeps its socket open; the gateway lets go anyway.
        gw.wait_log(r"close .*code=1002 by=client", 5)
        h.wait_until(lambda: gw.fd_count() <= base, 5, "fds back to %d" %
                     base)
        c.close()

    def test_no_data_frames_after_close(self):
        """A backend still streaming when the client fails the protocol
        or closes: data frames before the close, none after it."""
        src = self.backend(h.ChunkSourceBackend, os.urandom(64 * KiB), 2000)
        gw = self.gateway({"r": {"path": "/", "backend": src.addr,
                                 "max_buffer": "64k"}})
        for how in ("protocol error", "client close"):
            with self.subTest(how):
                c = self.raw(gw)
                c.handshake("/")
                got, _ = c.recv_data(200 * KiB, limit=10)
                self.assertGreaterEqual(len(got), 200 * KiB)
                if how == "client close":
                    c.send_frame(OP_CLOSE, h.close_payload(1000))
                    want = 1000
                else:
                    c.send_frame(OP_BINARY, b"x", mask=False)
                    want = 1002
                f = c.recv_close(limit=10)
                self.assertEqual(f.close_code, want)
                self.assertEqual(c.expect_eof(), b"",
                                 "bytes after the close frame")


class MessageSize(Case):
    """max_message_size (RFC 6455 10.4): the total of a message, judged
    by declared lengths before payload arrives."""

    def test_limit_applies_to_the_whole_fragmented_message(self):
        """/small allows 1 KiB per message: 4 fragments of 256 B pass,
        twice (the limit is per message, not per connection); a fifth
        fragment fails at its header with 1009."""
        c = self.open("/small")
        data = bytearray()
        for letter in b"ab":
            for k in range(4):
                data += frame(OP_BINARY if k == 0 else OP_CONT,
                              bytes([letter]) * 256, fin=(k == 3))
        for k in range(5):
            data += frame(OP_TEXT if k == 0 else OP_CONT, b"c" * 256,
                          fin=(k == 4))
        c.send(bytes(data) + TRAILER)
        self.fails(c, 1009, b"a" * 1024 + b"b" * 1024 + b"c" * 1024)

    def test_one_byte_over_in_the_last_fragment(self):
        c = self.open("/small")
        c.send(frame(OP_BINARY, b"x" * 1024, fin=False) +
               frame(OP_CONT, b"", fin=False) + frame(OP_CONT, b"y"))
        self.fails(c, 1009, b"x" * 1024)

    def test_declared_2_63_minus_1_costs_nothing(self):
        """A header claiming 2^63-1 bytes (the largest legal length) on
        the default 16 MiB limit: 1009 at once - without a payload byte
        sent - and no memory taken."""
        c = self.open("/sink")
        rss0 = self.gw.rss_kb()
        c.send(frame(OP_BINARY, b"", length=(1 << 63) - 1))
        f = c.recv_frame(limit=5)
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1009))
        if not h.VALGRIND:
            self.assertLess(self.gw.rss_kb() - rss0, 512)
        self.assertEqual(c.expect_eof(), b"")
        self.assertTrue(c.bconn.eof.wait(h.timeout(5)))
        self.assertEqual(c.bconn.data(), b"")

    def test_declared_2_63_minus_1_unlimited_streams(self):
        """With no message limit, a 2^63-1 byte frame simply streams:
        4 MiB of it reach the backend and memory stays flat (nothing was
        allocated for the declared length)."""
        block = os.urandom(256 * KiB)
        count = 16
        c = self.open("/unlimited")
        rss0 = self.gw.rss_kb()
        key = os.urandom(4)
        c.send(frame(OP_BINARY, b"", key=key, length=(1 << 63) - 1))
        for i in range(count):
            c.send(h.mask_bytes(block, key))
        got = self.sink.wait_received(len(block) * count,
                                      index=self.nconns[id(self.sink)] - 1,
                                      limit=20)
        self.assertEqual(len(got), len(block) * count)
        self.assertEqual(got[:len(block)], block)
        if not (h.VALGRIND or h.SANITIZER):
            self.assertLess(self.gw.rss_kb() - rss0, 2 * 1024)
        c.close()
        self.assertTrue(c.bconn.eof.wait(h.timeout(5)))
        self.gw.wait_log(r"close .*route=unlimited up=%d .*code=1006" %
                         (len(block) * count))
