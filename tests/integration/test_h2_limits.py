"""test_h2_limits.py -- the HTTP/2 limits and the known HTTP/2 attacks
(issue 16): concurrent streams, header list size, rapid reset
(CVE-2023-44487), CONTINUATION floods, SETTINGS/PING/empty-frame floods,
the memory of one connection.  Each limit is set low, hit, and the
answer checked on the wire and in the log; a well-behaved connection
next to it is unharmed.

Raw frames come from hyperframe and hpack (python3-h2's own parts).

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate -k test_h2_limits
"""

import shutil
import tempfile
import time
import unittest

import h2.settings
import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, HeadersFrame,
                              PingFrame, SettingsFrame)

import harness as H
from h2_support import H2Client
from test_h2 import h2_config
import test_h2

ENHANCE_YOUR_CALM = 11
PROTOCOL_ERROR = 1
INTERNAL_ERROR = 2


def setUpModule():
    test_h2.setUpModule()


def tearDownModule():
    test_h2.tearDownModule()


def client(gw):
    return H2Client(gw.port, test_h2.pki.client_ctx())


def connect_block(path="/echo", extra=()):
    """An HPACK block for an extended CONNECT, from a fresh encoder: for a
    connection whose own encoder is not used again."""
    hdrs = [(":method", "CONNECT"), (":protocol", "websocket"),
            (":scheme", "https"), (":path", path),
            (":authority", "localhost"), ("sec-websocket-version", "13")]
    return hpack.Encoder().encode(hdrs + list(extra))


def wait_goaway(c, limit=5.0):
    """The connection ends (GOAWAY, or closed): the GOAWAY's code, or
    None when none came."""
    end = time.monotonic() + limit
    while c.goaway is None and not c.closed:
        if time.monotonic() > end:
            raise AssertionError("the connection goes on")
        c.pump(0.05)
    return c.goaway.error_code if c.goaway is not None else None


class H2Limits(unittest.TestCase):

    def routes(self, be):
        return {"echo": {"path": "/echo", "backend": be.addr}}

    def test_h2_max_concurrent_streams(self):
        """h2_max_concurrent_streams is advertised; a client that opens
        more than it was told ends its connection (nghttp2: GOAWAY
        PROTOCOL_ERROR), its sessions with 1006; others go on."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                self.routes(be), {"h2_max_concurrent_streams": "2"})) as gw:
            other = client(gw)
            osid = other.websocket("/echo")
            c = client(gw)
            self.assertEqual(c.server_settings[
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS], 2)
            a = c.websocket("/echo")
            b = c.websocket("/echo")
            for sid in (a, b):
                c.send_ws(sid, b"ok")
                self.assertEqual(c.read_ws(sid, 2), b"ok")
            # Past what python3-h2 itself allows, as an attacker would.
            c.conn.remote_settings[
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] = 100
            c.conn.remote_settings.acknowledge()
            c.websocket("/echo", wait=False)
            self.assertEqual(wait_goaway(c), PROTOCOL_ERROR)
            gw.wait_log(r"HTTP/2 connection ends: GOAWAY PROTOCOL_ERROR: "
                        r".*max concurrent streams exceeded")
            self.assertEqual(len(be.conns), 3)
            other.send_ws(osid, b"fine")
            self.assertEqual(other.read_ws(osid, 4), b"fine")
            other.close()
            c.close()

    def test_h2_header_list_size(self):
        """A request over max_request_bytes (the header list size, RFC
        9113 6.5.2, advertised) gets 431 on its stream."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                self.routes(be), {"max_request_bytes": "2k"})) as gw:
            c = client(gw)
            self.assertEqual(c.server_settings[
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE], 2048)
            sid = c.websocket("/echo", extra=[("x-big", "a" * 3000)])
            self.assertEqual(c.status[sid], 431)
            ok = c.websocket("/echo")
            self.assertEqual(c.status[ok], 200)
            gw.wait_log(r"reject .*status=431 .*proto=h2")
            c.close()

    def test_h2_rapid_reset(self):
        """CVE-2023-44487: streams opened and reset at once, past
        h2_max_resets, end the connection (GOAWAY)."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                self.routes(be), {"h2_max_resets": "10"})) as gw:
            c = client(gw)
            for _ in range(60):
                sid = c.conn.get_next_available_stream_id()
                c.conn.send_headers(sid, [
                    (":method", "CONNECT"), (":protocol", "websocket"),
                    (":scheme", "https"), (":path", "/echo"),
                    (":authority", "localhost"),
                    ("sec-websocket-version", "13")])
                c.conn.reset_stream(sid)
                c.flush()
                c.pump(0.001)
                if c.closed or c.goaway is not None:
                    break
            # nghttp2's GOAWAY code for it.
            self.assertEqual(wait_goaway(c), INTERNAL_ERROR)
            gw.wait_log(r"HTTP/2 connection ends: too many streams reset "
                        r"by the client \(h2_max_resets; CVE-2023-44487\)")
            c.close()

    def test_h2_continuation_flood(self):
        """A header block in more CONTINUATION frames than
        h2_max_continuations ends the connection."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                self.routes(be), {"h2_max_continuations": "4",
                                  "max_request_bytes": "64k"})) as gw:
            c = client(gw)
            block = connect_block(extra=[("x-pad", "p" * 200)])
            # HEADERS and 6 CONTINUATION frames: past the limit (4), not
            # past nghttp2's default (8).
            step = -(-len(block) // 7)
            parts = [block[i:i + step] for i in range(0, len(block), step)]
            self.assertEqual(len(parts), 7)
            raw = HeadersFrame(1, data=parts[0]).serialize()
            for i, p in enumerate(parts[1:]):
                fl = ["END_HEADERS"] if i == len(parts) - 2 else []
                raw += ContinuationFrame(1, data=p, flags=fl).serialize()
            c.send_raw(raw)
            self.assertIn(wait_goaway(c), (None, ENHANCE_YOUR_CALM, 1))
            gw.wait_log(r"HTTP/2 connection ends: .*CONTINUATION")
            self.assertEqual(len(be.conns), 0)

            # Within the limit a request in CONTINUATION frames is
            # served: python3-h2 splits a header block larger than a
            # frame (16 KiB).
            ok = client(gw)
            sid = ok.websocket("/echo", extra=[("x-pad", "p" * 20000)])
            self.assertEqual(ok.status[sid], 200)
            c.close()
            ok.close()

    def flood(self, make_frame, what):
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                self.routes(be), {"h2_max_control_frames": "50"})) as gw:
            bystander = client(gw)
            sid = bystander.websocket("/echo")
            c = client(gw)
            victim = c.websocket("/echo")
            raw = b"".join(make_frame(victim, i) for i in range(200))
            c.send_raw(raw)
            self.assertEqual(wait_goaway(c), ENHANCE_YOUR_CALM, what)
            gw.wait_log(r"HTTP/2 connection ends: too many control or "
                        r"empty frames \(h2_max_control_frames\)")
            gw.wait_log(r"close .*code=1006 .*proto=h2")
            # Another connection is not touched.
            bystander.send_ws(sid, b"fine")
            self.assertEqual(bystander.read_ws(sid, 4), b"fine")
            bystander.close()
            c.close()

    def test_h2_ping_flood(self):
        self.flood(lambda sid, i: PingFrame(0, opaque_data=b"%08d" % i)
                   .serialize(), "PING")

    def test_h2_settings_flood(self):
        self.flood(lambda sid, i: SettingsFrame(0, settings={
            h2.settings.SettingCodes.ENABLE_PUSH: 0}).serialize(),
            "SETTINGS")

    def test_h2_empty_data_flood(self):
        self.flood(lambda sid, i: DataFrame(sid, data=b"").serialize(),
                   "empty DATA")

    def test_h2_max_memory(self):
        """A connection whose streams make nghttp2 hold more than
        h2_max_memory ends; others are not affected."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                self.routes(be), {"h2_max_memory": "64k"})) as gw:
            c = client(gw)
            enc = hpack.Encoder()
            raw = b""
            # Streams that send headers and wait: each holds nghttp2
            # state (and the HPACK table fills).
            for i in range(100):
                raw += HeadersFrame(2 * i + 1, data=enc.encode([
                    (":method", "CONNECT"), (":protocol", "websocket"),
                    (":scheme", "https"), (":path", "/echo"),
                    (":authority", "localhost"),
                    ("sec-websocket-version", "13"),
                    ("x-fill-%d" % i, "v" * 1000)]),
                    flags=["END_HEADERS"]).serialize()
            c.send_raw(raw)
            wait_goaway(c, limit=10)
            gw.wait_log(r"HTTP/2 connection ends: .*h2_max_memory")
            ok = client(gw)
            sid = ok.websocket("/echo")
            self.assertEqual(ok.status[sid], 200)
            ok.close()
            c.close()


    def test_h2_idle_connections_count_as_handshakes(self):
        """An HTTP/2 connection holds a max_handshakes slot until its
        first WebSocket: idle ones give way to new connections, one with
        a WebSocket does not."""
        with H.EchoBackend() as be, H.Gateway(config_text=h2_config(
                self.routes(be), {"max_handshakes": "2",
                                  "workers": "1"})) as gw:
            busy = client(gw)
            sid = busy.websocket("/echo")
            idle = client(gw)
            second = client(gw)
            # A third connection not yet upgraded pushes out the oldest
            # idle one: not the busy one.
            newest = client(gw)
            end = time.monotonic() + 5
            while not idle.closed and time.monotonic() < end:
                idle.pump(0.05)
            self.assertTrue(idle.closed)
            busy.send_ws(sid, b"kept")
            self.assertEqual(busy.read_ws(sid, 4), b"kept")
            self.assertFalse(newest.closed or second.closed)
            gw.wait_log(r"max_handshakes \(2\) reached: closing client=")
            for c in (busy, idle, second, newest):
                c.close()

if __name__ == "__main__":
    unittest.main()
