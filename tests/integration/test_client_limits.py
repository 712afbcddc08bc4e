"""test_client_limits.py -- per-client limits: max_connections_per_client
and new_connections_per_client answer 429 with Retry-After, per client
address (the real one behind trusted_proxies), IPv6 grouped by
client_ipv6_prefix; other clients are not held back.
"""

import harness as h
from harness import OP_CLOSE


class ClientLimits(h.GatewayTestCase):
    def start(self, **gateway):
        self.echo = self.backend(h.EchoBackend)
        self.gw = self.gateway(
            {"echo": {"path": "/echo", "backend": self.echo.addr}}, gateway)

    def upgrade(self, expect, xff=None):
        c = self.raw(self.gw)
        headers = {} if xff is None else {"X-Forwarded-For": xff}
        extra = "".join("%s: %s\r\n" % kv for kv in headers.items())
        r = c.request(h.upgrade_request("/echo").replace(
            b"\r\n\r\n", b"\r\n" + extra.encode() + b"\r\n"))
        self.assertEqual(r.status, expect, r.raw)
        return c, r

    def test_sessions_per_client(self):
        """Two sessions each; the third gets 429 (Retry-After) until one
        of the first two ends."""
        self.start(max_connections_per_client="2")
        a, _ = self.upgrade(101)
        b, _ = self.upgrade(101)
        _, r = self.upgrade(429)
        self.assertEqual(r.header("retry-after"), "5")
        self.gw.wait_log(r"reject client=127\.0\.0\.1:\d+ status=429 .*"
                         r"max_connections_per_client")
        a.send_frame(OP_CLOSE, h.close_payload(1000))
        a.recv_close()
        a.expect_eof()
        h.wait_until(lambda: self.try_upgrade(), what="a place back")
        b.send_frame(OP_CLOSE, h.close_payload(1000))
        b.recv_close()

    def third_refused(self):
        """An upgrade on another connection: 429 with Retry-After (a 101
        is a session the client should not have had)."""
        c = self.raw(self.gw)
        r = c.request(h.upgrade_request("/echo"))
        c.close()
        self.assertNotEqual(r.status, 101, "a session beyond "
                            "max_connections_per_client")
        self.assertEqual(r.status, 429, r.raw)
        self.assertEqual(r.header("retry-after"), "5")

    def half_open(self):
        """A connection surely accepted (one page answered on it) that
        then sends half a request: a handshake in progress."""
        c = self.raw(self.gw)
        r = c.request(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(r.status, 200, r.raw)
        c.read_body(r)
        c.send(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        return c

    def test_handshakes_in_progress_count(self):
        """max_connections_per_client counts connections from accept:
        a client holding two half-sent requests cannot open a session
        (429, Retry-After); it can once they are closed."""
        self.start(max_connections_per_client="2", health_path="/health")
        held = [self.half_open() for _ in range(2)]
        self.third_refused()
        self.gw.wait_log(r"reject client=127\.0\.0\.1:\d+ status=429 .*"
                         r"max_connections_per_client")
        for c in held:
            c.close()
        h.wait_until(lambda: self.try_upgrade(), what="the places back")

    def test_keepalive_connection_holds_one_place(self):
        """A kept-alive connection that asks three pages and then upgrades
        holds one place all along: with a half-sent request elsewhere,
        that is the client's two; a third connection is refused."""
        self.start(max_connections_per_client="2", health_path="/health")
        held = self.half_open()
        ka = self.raw(self.gw)
        for _ in range(3):
            r = ka.request(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(r.status, 200, r.raw)
            ka.read_body(r)
        r = ka.request(h.upgrade_request("/echo"))
        self.assertEqual(r.status, 101, r.raw)
        self.third_refused()
        ka.send_frame(OP_CLOSE, h.close_payload(1000))
        ka.recv_close()
        held.close()
        h.wait_until(lambda: self.try_upgrade(), what="the places back")

    def try_upgrade(self):
        c = self.raw(self.gw)
        r = c.request(h.upgrade_request("/echo"))
        if r.status == 101:
            c.send_frame(OP_CLOSE, h.close_payload(1000))
            c.recv_close()
            return True
        self.assertEqual(r.status, 429)
        c.close()
        return False

    def test_new_connections_rate_per_real_client(self):
        """A burst of 2 a minute per client: the third is refused with a
        Retry-After of up to 30 s; another client behind the same trusted
        proxy is not; an IPv6 client's /64 is one client."""
        self.start(new_connections_per_client="2/m 2",
                   trusted_proxies="127.0.0.1")
        for xff in ("198.51.100.7", "198.51.100.7"):
            c, _ = self.upgrade(101, xff)
            c.close()
        _, r = self.upgrade(429, "198.51.100.7")
        self.assertIn(int(r.header("retry-after")), range(1, 31))
        self.gw.wait_log(r"reject client=198\.51\.100\.7 status=429 .*"
                         r"new_connections_per_client")
        c, _ = self.upgrade(101, "198.51.100.8")
        c.close()
        for xff in ("2001:db8::1", "2001:db8::2"):
            c, _ = self.upgrade(101, xff)
            c.close()
        self.upgrade(429, "2001:db8::ffff")
        c, _ = self.upgrade(101, "2001:db8:0:1::1")
        c.close()
