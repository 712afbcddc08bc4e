"""test_proxy_haproxy.py -- wsgate's PROXY protocol codec against Debian's
HAProxy, both ways; no gateway involved.

build/proxy-header (tools/proxy_header.c) runs the encoder and decoder of
src/proxy_proto.c; the sanitized one (build/asan/) under --sanitizer.

- HAProxy as the sender: frontends pin the connection's addresses
  (tcp-request connection set-src/set-dst/...-port) and relay to a Python
  listener with send-proxy, send-proxy-v2 and send-proxy-v2 + crc32c.  The
  bytes HAProxy writes must equal what our encoder writes for the same
  addresses, and decode to them.
- HAProxy as the receiver: our headers go to an accept-proxy frontend,
  which logs the client and destination it understood and relays them
  with its own send-proxy-v2 (crc32c, authority) to the listener.

Frontends listen on unix sockets in a private directory: no port to race
for with other tests.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import harness as h

# name, source, source port, destination, destination port
CASES = [
    ("ipv4", "203.0.113.7", 40000, "198.51.100.9", 443),
    ("ipv6", "2001:db8::7", 40000, "2001:db8:1::9", 443),
    ("mixed", "203.0.113.7", 65535, "2001:db8:1::9", 0),
]
SEND = {
    "v1": "send-proxy",
    "v2": "send-proxy-v2",
    "v2crc": "send-proxy-v2 proxy-v2-options crc32c",
}
END = b"|end-of-payload"


def hostport(host, port):
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def haproxy_path():
    return shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK)
        else None)


def tool_path():
    return os.path.join(os.path.dirname(os.path.abspath(h.BINARY)),
                        "proxy-header")


def tool(*args, data=None):
    p = subprocess.run([tool_path()] + list(args), input=data,
                       capture_output=True, timeout=h.timeout(10))
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


class HAProxy:
    """One haproxy -db on a generated configuration; log on stderr."""

    def __init__(self, workdir, config):
        self.dir = workdir
        self.cfg = os.path.join(workdir, "haproxy.cfg")
        self.log = os.path.join(workdir, "haproxy.log")
        with open(self.cfg, "w") as f:
            f.write(config)
        self.proc = None

    def start(self, sockets):
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen([haproxy_path(), "-db", "-f",
                                          self.cfg], stdout=logf,
                                         stderr=subprocess.STDOUT)
        h.wait_until(lambda: all(os.path.exists(self.sock(s))
                                 for s in sockets) or
                     self.proc.poll() is not None,
                     what="haproxy's listeners")
        if self.proc.poll() is not None:
            raise AssertionError("haproxy exited %d:\n%s" %
                                 (self.proc.returncode, self.log_text()))

    def sock(self, name):
        return os.path.join(self.dir, name + ".sock")

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=h.timeout(10))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Listener:
    """Where HAProxy's backends connect: one connection at a time."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(h.timeout(10))
        self.port = self.sock.getsockname()[1]

    def take(self):
        """The bytes before END on the next connection."""
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(h.timeout(10))
            data = b""
            while not data.endswith(END) and len(data) < 65536:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        if not data.endswith(END):
            raise AssertionError("connection ended early: %r" % data)
        return data[:-len(END)]

    def close(self):
        self.sock.close()


class HAProxyInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if haproxy_path() is None:
            raise AssertionError("haproxy is not installed "
                                 "(scripts/deps.sh test installs it)")
        if not os.access(tool_path(), os.X_OK):
            raise AssertionError("%s is missing (make all / make asan "
                                 "builds it)" % tool_path())
        cls.dir = tempfile.mkdtemp(prefix="wsgate-pp-")
        cls.listener = Listener()
        cfg = [
            "global",
            "    log stderr format raw local0 info",
            "defaults",
            "    mode tcp",
            "    timeout connect 5s",
            "    timeout client 10s",
            "    timeout server 10s",
        ]
        sockets = []
        for mode, opt in SEND.items():
            cfg += ["backend b-%s" % mode,
                    "    server s 127.0.0.1:%d %s" %
                    (cls.listener.port, opt)]
            for name, src, sport, dst, dport in CASES:
                fe = "f-%s-%s" % (name, mode)
                fam = lambda a: "ipv6" if ":" in a else "ipv4"
                cfg += ["frontend " + fe,
                        "    bind unix@%s" % os.path.join(cls.dir,
                                                         fe + ".sock"),
                        "    tcp-request connection set-src %s(%s)" %
                        (fam(src), src),
                        "    tcp-request connection set-src-port int(%d)" %
                        sport,
                        "    tcp-request connection set-dst %s(%s)" %
                        (fam(dst), dst),
                        "    tcp-request connection set-dst-port int(%d)" %
                        dport,
                        "    default_backend b-" + mode]
                sockets.append(fe)
            # A unix-socket client has no IP address to send.
            fe = "f-unix-" + mode
            cfg += ["frontend " + fe,
                    "    bind unix@%s" % os.path.join(cls.dir, fe + ".sock"),
                    "    default_backend b-" + mode]
            sockets.append(fe)
        cfg += ["frontend accept",
                "    bind unix@%s accept-proxy" %
                os.path.join(cls.dir, "accept.sock"),
                "    log global",
                '    log-format "accepted client=%ci:%cp dst=%fi:%fp"',
                "    default_backend b-relay",
                "backend b-relay",
                "    server s 127.0.0.1:%d send-proxy-v2 "
                "proxy-v2-options crc32c,authority" % cls.listener.port]
        sockets.append("accept")
        cls.haproxy = HAProxy(cls.dir, "\n".join(cfg) + "\n")
        try:
            cls.haproxy.start(sockets)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.haproxy.stop()
        cls.listener.close()
        shutil.rmtree(cls.dir, True)

    def through(self, frontend, data=b""):
        """Connect to a frontend, send data and the payload; return what
        HAProxy wrote to its backend before the payload."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(h.timeout(10))
            c.connect(self.haproxy.sock(frontend))
            c.sendall(data + END)
            return self.listener.take()

    def decode(self, data):
        rc, out, err = tool("decode", data=data)
        self.assertEqual(rc, 0, out + err.encode())
        self.assertEqual(err, "")
        return out.decode().strip()

    def encode(self, mode, src, dst, authority=None):
        args = ["encode", mode, src, dst] + ([authority] if authority else [])
        rc, out, err = tool(*args)
        self.assertEqual(rc, 0, err)
        return out

    def test_haproxy_sender_bytes_equal_our_encoder(self):
        for name, src, sport, dst, dport in CASES:
            for mode in SEND:
                with self.subTest(case=name, mode=mode):
                    got = self.through("f-%s-%s" % (name, mode))
                    ours = self.encode(mode, hostport(src, sport),
                                       hostport(dst, dport))
                    self.assertEqual(got.hex(), ours.hex())
                    # Mixed families: both sent as IPv6.
                    shown = "::ffff:" + src if name == "mixed" else src
                    line = self.decode(got)
                    self.assertIn("PROXY STREAM src=%s dst=%s" % (
                        hostport(shown, sport), hostport(dst, dport)), line)
                    self.assertEqual("crc32c" in line.split(),
                                     mode == "v2crc")
        for mode in SEND:
            with self.subTest(case="unix", mode=mode):
                got = self.through("f-unix-" + mode)
                self.assertEqual(got, self.encode(mode, "-", "-"))
                self.assertRegex(self.decode(got), r"^v[12] LOCAL UNSPEC ")

    def accepted_log(self, since, client, dst):
        pattern = "accepted client=%s dst=%s" % (client, dst)
        h.wait_until(lambda: pattern in self.haproxy.log_text()[since:],
                     what="haproxy's log line %r" % pattern)

    def test_haproxy_receiver_understands_our_headers(self):
        sent = [
            ("v1", "203.0.113.7", 40000, "198.51.100.9", 443, None),
            ("v1", "2001:db8::7", 1, "2001:db8:1::9", 65535, None),
            ("v2", "203.0.113.7", 0, "198.51.100.9", 80, None),
            ("v2", "2001:db8::7", 40000, "2001:db8:1::9", 443, None),
            ("v2crc", "192.0.2.10", 5900, "192.0.2.11", 5901,
             "console.example"),
            ("v2", "203.0.113.7", 7, "2001:db8:1::9", 8, "a.example"),
        ]
        for mode, src, sport, dst, dport, auth in sent:
            with self.subTest(mode=mode, src=src, authority=auth):
                ours = self.encode(mode, hostport(src, sport),
                                   hostport(dst, dport), auth)
                since = len(self.haproxy.log_text())
                relayed = self.decode(self.through("accept", ours))
                if ":" in dst and ":" not in src:
                    src = "::ffff:" + src
                self.assertIn("v2 PROXY STREAM src=%s dst=%s" % (
                    hostport(src, sport), hostport(dst, dport)), relayed)
                # HAProxy checks and sends a checksum of its own.
                self.assertIn(" crc32c", relayed)
                if auth:
                    self.assertIn(" authority=" + auth, relayed)
                else:
                    self.assertNotIn("authority=", relayed)
                self.accepted_log(since, "%s:%d" % (src, sport),
                                  "%s:%d" % (dst, dport))

    def test_haproxy_receiver_takes_local_and_unknown(self):
        # No addresses: HAProxy keeps the connection's own (a unix
        # socket here), so it sends LOCAL on.
        for mode in ("v1", "v2", "v2crc"):
            with self.subTest(mode=mode):
                ours = self.encode(mode, "-", "-")
                relayed = self.decode(self.through("accept", ours))
                self.assertRegex(relayed, r"^v2 LOCAL UNSPEC ")

    def test_haproxy_receiver_rejects_a_bad_checksum(self):
        good = self.encode("v2crc", "192.0.2.1:1", "192.0.2.2:2")
        bad = bytearray(good)
        bad[-1] ^= 0x01
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(h.timeout(10))
            c.connect(self.haproxy.sock("accept"))
            c.sendall(bytes(bad) + END)
            try:
                self.assertEqual(c.recv(100), b"")  # closed on us
            except ConnectionResetError:
                pass
        # The listener's next connection is the good header's: the bad
        # one never got through.
        relayed = self.decode(self.through("accept", good))
        self.assertIn("src=192.0.2.1:1 dst=192.0.2.2:2", relayed)
        # And our decoder agrees about the bad one.
        rc, out, _ = tool("decode", data=bytes(bad))
        self.assertEqual(rc, 1)
        self.assertIn(b"CRC32C checksum does not match", out)


if __name__ == "__main__":
    unittest.main()


# ------------------------------------------------------------ the gateway

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class UnixClient(h.RawClient):
    """RawClient over a unix socket (HAProxy's frontends here)."""

    def __init__(self, path, limit=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(h.timeout(limit))
        self.sock.connect(path)
        self.limit = limit
        self.buf = bytearray()
        self.eof = False


class GatewayBetweenHAProxies(h.GatewayTestCase):
    """wsgate with `listen = ... proxy_protocol` behind HAProxy's
    send-proxy / send-proxy-v2, and a route with proxy_protocol = v1 / v2
    in front of an accept-proxy HAProxy that logs what it understood and
    relays to an echo backend: the client address HAProxy was told is the
    one wsgate logs and the one the backend side learns."""

    def setUp(self):
        if haproxy_path() is None:
            self.fail("haproxy is not installed (scripts/deps.sh test "
                      "installs it)")
        self.dir = tempfile.mkdtemp(prefix="wsgate-ppgw-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.echo = self.backend(h.EchoBackend)
        self.accept_v1, self.accept_v2 = free_port(), free_port()
        self.gw = self.gateway(
            {"v1": {"path": "/v1", "proxy_protocol": "v1",
                    "backend": "127.0.0.1:%d" % self.accept_v1},
             "v2": {"path": "/v2", "proxy_protocol": "v2",
                    "backend": "127.0.0.1:%d" % self.accept_v2}},
            {"listen": ["127.0.0.1:0 proxy_protocol", "127.0.0.1:0"],
             "handshake_timeout": "1"})
        cfg = ["global",
               "    log stderr format raw local0 info",
               "defaults",
               "    mode tcp",
               "    timeout connect 5s",
               "    timeout client 10s",
               "    timeout server 10s"]
        for mode, opt in (("v1", "send-proxy"), ("v2", "send-proxy-v2")):
            cfg += ["frontend f-" + mode,
                    "    bind unix@%s" % os.path.join(self.dir,
                                                     mode + ".sock"),
                    "    tcp-request connection set-src ipv4(203.0.113.7)",
                    "    tcp-request connection set-src-port int(40000)",
                    "    tcp-request connection set-dst ipv4(198.51.100.9)",
                    "    tcp-request connection set-dst-port int(443)",
                    "    default_backend b-" + mode,
                    "backend b-" + mode,
                    "    server s 127.0.0.1:%d %s" % (self.gw.ports[0], opt)]
        for mode, port in (("v1", self.accept_v1), ("v2", self.accept_v2)):
            cfg += ["frontend accept-" + mode,
                    "    bind 127.0.0.1:%d accept-proxy" % port,
                    "    log global",
                    '    log-format "accepted-%s client=%%ci:%%cp '
                    'dst=%%fi:%%fp"' % mode,
                    "    default_backend echo",
                    ]
        cfg += ["backend echo",
                "    server s %s" % self.echo.addr]
        self.haproxy = HAProxy(self.dir, "\n".join(cfg) + "\n")
        self.addCleanup(self.haproxy.stop)
        self.haproxy.start(["v1", "v2"])
        h.wait_until(lambda: all(self.port_open(p) for p in
                                 (self.accept_v1, self.accept_v2)),
                     what="haproxy's accept-proxy frontends")

    @staticmethod
    def port_open(port):
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    def session_through(self, front, route):
        c = UnixClient(self.haproxy.sock(front))
        self.addCleanup(c.close)
        c.handshake("/" + route)
        c.send_frame(h.OP_BINARY, b"ping")
        self.assertEqual(c.recv_data(4)[0], b"ping")
        return c

    def test_client_address_through_both(self):
        for front in ("v1", "v2"):
            for route in ("v1", "v2"):
                mark = self.gw.mark()
                c = self.session_through(front, route)
                self.gw.wait_log(r"open client=203\.0\.113\.7:40000 "
                                 r"route=%s " % route, start=mark)
                h.wait_until(lambda: ("accepted-%s client=203.0.113.7:40000"
                                      " dst=198.51.100.9:443" % route)
                             in self.haproxy.log_text(),
                             what="haproxy's accepted-%s line" % route)
                c.send_frame(h.OP_CLOSE, h.close_payload(1000))
                c.recv_close()

    def test_direct_client_header_names_the_listener(self):
        """No PROXY header in: the header out names the client and the
        address it connected to (asked of the socket only when a route
        sends a header)."""
        for route in ("v1", "v2"):
            c = self.raw(self.gw.ports[1])
            c.handshake("/" + route)
            c.send_frame(h.OP_BINARY, b"ping")
            self.assertEqual(c.recv_data(4)[0], b"ping")
            port = c.sock.getsockname()[1]
            line = ("accepted-%s client=127.0.0.1:%d dst=127.0.0.1:%d" %
                    (route, port, self.gw.ports[1]))
            h.wait_until(lambda: line in self.haproxy.log_text(),
                         what="haproxy's line " + line)

    def test_missing_or_bad_header_closes(self):
        """Straight to the proxy_protocol listener: a request is not a
        header (closed, logged); silence past handshake_timeout too."""
        c = self.raw(self.gw.ports[0])
        c.send(h.upgrade_request("/v1"))
        c.expect_eof()
        self.gw.wait_log(r"client=127\.0\.0\.1:\d+: bad PROXY header")
        quiet = self.raw(self.gw.ports[0])
        quiet.expect_eof(limit=5)
        self.gw.wait_log(r"no complete PROXY header within "
                         r"handshake_timeout")

    def test_header_on_a_plain_listener_is_not_trusted(self):
        """A PROXY header sent to a listener without the word is just
        bytes of a bad request: 400, and the peer's own address."""
        c = self.raw(self.gw.ports[1])
        r = c.request(b"PROXY TCP4 203.0.113.7 198.51.100.9 40000 443\r\n" +
                      h.upgrade_request("/v1"))
        self.assertEqual(r.status, 400)
        self.gw.wait_log(r"reject client=127\.0\.0\.1:\d+ status=400")
