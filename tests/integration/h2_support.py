"""h2_support.py -- an HTTP/2 client for the tests of WebSockets over
HTTP/2 (RFC 8441): Debian's python3-h2 (the framing and HPACK) on a TLS
socket with ALPN h2, and just enough RFC 6455 to send and read frames.

    c = H2Client(port, ctx)            # TLS, ALPN h2, SETTINGS exchanged
    sid = c.websocket("/echo")         # extended CONNECT; c.status[sid]
    c.send_ws(sid, b"hello")           # a masked binary frame
    c.read_ws(sid, 5)                  # payload bytes of server frames
"""

import os
import socket
import ssl
import struct
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings


def ws_frame(payload, opcode=2, fin=True):
    """A client frame (masked, RFC 6455 5.3)."""
    mask = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + body


def ws_close(code=1000, reason=b""):
    return ws_frame(struct.pack("!H", code) + reason, opcode=8)


def ws_parse(buf):
    """Server frames at the start of buf: [(opcode, payload)], rest."""
    out = []
    while len(buf) >= 2:
        op, n = buf[0] & 0x0F, buf[1] & 0x7F
        at = 2
        if n == 126:
            if len(buf) < 4:
                break
            n, at = struct.unpack("!H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, at = struct.unpack("!Q", buf[2:10])[0], 10
        if len(buf) < at + n:
            break
        out.append((op, bytes(buf[at:at + n])))
        buf = buf[at + n:]
    return out, buf


class H2Client:
    """One HTTP/2 connection.  Received DATA is acknowledged (the window
    given back) as it is read, unless the stream is in self.hold: then
    only the connection's window is."""

    def __init__(self, port, ctx, host="127.0.0.1", authority="localhost",
                 settings_wait=5.0):
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        raw = socket.create_connection((host, port), timeout=5)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.alpn = self.sock.selected_alpn_protocol()
        self.authority = authority
        cfg = h2.config.H2Configuration(client_side=True,
                                        header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=cfg)
        self.status = {}
        self.headers = {}
        self.data = {}
        self.ended = set()
        self.reset = {}
        self.goaway = None
        self.closed = False
        self.hold = set()
        self.frames = {}
        self.server_settings = {}
        if self.alpn != "h2":
            return
        self.conn.initiate_connection()
        self.flush()
        end = time.monotonic() + settings_wait
        while (h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL
               not in self.server_settings):
            if time.monotonic() > end or self.closed:
                raise AssertionError("no SETTINGS from the server")
            self.pump(0.2)

    def flush(self):
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def send_raw(self, b):
        self.sock.sendall(b)

    def pump(self, wait=0.1):
        """Read what the server sent within wait seconds; False on EOF."""
        if self.closed:
            return False
        self.sock.settimeout(wait)
        try:
            b = self.sock.recv(1 << 16)
        except (socket.timeout, ssl.SSLWantReadError):
            return True
        except (ConnectionError, ssl.SSLError, OSError):
            self.closed = True
            return False
        if not b:
            self.closed = True
            return False
        try:
            events = self.conn.receive_data(b)
        except h2.exceptions.ProtocolError:
            self.closed = True
            return False
        for ev in events:
            self._event(ev)
        self.flush()
        return True

    def _event(self, ev):
        if isinstance(ev, h2.events.RemoteSettingsChanged):
            for k, v in ev.changed_settings.items():
                self.server_settings[k] = v.new_value
        elif isinstance(ev, h2.events.ResponseReceived):
            hd = dict(ev.headers)
            self.headers[ev.stream_id] = hd
            self.status[ev.stream_id] = int(hd[":status"])
        elif isinstance(ev, h2.events.DataReceived):
            self.data.setdefault(ev.stream_id, bytearray()).extend(ev.data)
            if ev.stream_id not in self.hold:
                self.conn.acknowledge_received_data(
                    ev.flow_controlled_length, ev.stream_id)
            elif ev.flow_controlled_length > 0:
                # A held stream keeps its window shut, not the
                # connection's (as a browser does).
                self.conn.increment_flow_control_window(
                    ev.flow_controlled_length)
        elif isinstance(ev, h2.events.StreamEnded):
            self.ended.add(ev.stream_id)
        elif isinstance(ev, h2.events.StreamReset):
            self.reset[ev.stream_id] = ev.error_code
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.goaway = ev

    def until(self, pred, limit=5.0, what="condition"):
        end = time.monotonic() + limit
        while not pred():
            if time.monotonic() > end:
                raise AssertionError("timed out waiting for " + what)
            if not self.pump(0.05) and not pred():
                raise AssertionError("connection closed waiting for " +
                                     what)

    def request(self, method, path, extra=(), end_stream=True):
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(":method", method), (":scheme", "https"),
                (":path", path), (":authority", self.authority)]
        self.conn.send_headers(sid, hdrs + list(extra),
                               end_stream=end_stream)
        self.flush()
        return sid

    def websocket(self, path, origin=None, protocol=None, wait=True,
                  extra=()):
        """An extended CONNECT (RFC 8441 4); waits for the answer."""
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(":method", "CONNECT"), (":protocol", "websocket"),
                (":scheme", "https"), (":path", path),
                (":authority", self.authority),
                ("sec-websocket-version", "13")]
        if origin is not None:
            hdrs.append(("origin", origin))
        if protocol is not None:
            hdrs.append(("sec-websocket-protocol", protocol))
        self.conn.send_headers(sid, hdrs + list(extra))
        self.flush()
        if wait:
            self.until(lambda: sid in self.status or sid in self.reset,
                       what="the answer to stream %d" % sid)
        return sid

    def send(self, sid, data, end_stream=False, limit=10.0):
        """DATA as the windows allow."""
        end = time.monotonic() + limit
        while data:
            room = min(self.conn.local_flow_control_window(sid),
                       self.conn.max_outbound_frame_size)
            if room <= 0:
                if time.monotonic() > end:
                    raise AssertionError("stream %d window stays shut" %
                                         sid)
                self.pump(0.05)
                continue
            self.conn.send_data(sid, data[:room])
            data = data[room:]
            self.flush()
        if end_stream:
            self.conn.end_stream(sid)
            self.flush()

    def send_ws(self, sid, payload, opcode=2):
        self.send(sid, ws_frame(payload, opcode))

    def read_frames(self, sid):
        """Complete server frames on sid so far (consumed)."""
        frames, rest = ws_parse(self.data.get(sid, bytearray()))
        self.data[sid] = bytearray(rest)
        self.frames.setdefault(sid, []).extend(frames)
        return frames

    def read_ws(self, sid, n, limit=10.0):
        """n bytes of binary payload from sid's server frames."""
        got = bytearray()
        end = time.monotonic() + limit
        while len(got) < n:
            for op, p in self.read_frames(sid):
                if op in (1, 2, 0):
                    got.extend(p)
            if len(got) >= n:
                break
            if time.monotonic() > end:
                raise AssertionError("stream %d: %d of %d bytes" %
                                     (sid, len(got), n))
            if not self.pump(0.05):
                raise AssertionError("connection closed")
        return bytes(got)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
