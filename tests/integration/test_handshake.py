"""test_handshake.py -- the upgrade: statuses, Origin, routes, backends."""

import os
import time

import websockets

import harness as h
from harness import OP_BINARY, ws_connect


class Statuses(h.GatewayTestCase):
    """Every refusal is an HTTP error (never a 101 first), closes the
    connection, and is logged once as a reject line."""

    def setUp(self):
        self.echo = self.backend(h.EchoBackend)
        self.gw = self.gateway(
            {"open": {"path": "/open", "backend": self.echo.addr},
             "strict": {"path": "/strict", "backend": self.echo.addr,
                        "origins": "http://localhost",
                        "allow_missing_origin": "no"}},
            {"health_path": "/healthz"})

    def expect(self, request, status, reason_log=None):
        mark = self.gw.mark()
        c = self.raw(self.gw)
        r = c.request(request)
        self.assertEqual(r.status, status, r.raw)
        self.assertEqual(r.header("connection"), "close")
        body = c.read_body(r)
        self.assertTrue(body.startswith(b"%d " % status), body)
        self.assertNotIn(b"101", r.raw.split(b"\r\n")[0])
        c.expect_eof()
        m = self.gw.wait_log(r"reject client=\S+ status=(\d+) .*"
                             r"reason=\"(.*)\"", start=mark)
        self.assertEqual(int(m.group(1)), status)
        if reason_log:
            self.assertIn(reason_log, m.group(2))
        return r

    def test_unknown_path_404(self):
        self.expect(h.upgrade_request("/nope"), 404)
        self.expect(h.upgrade_request("/open/x"), 404)

    def test_query_string_ignored(self):
        c = self.raw(self.gw)
        c.handshake("/open?token=abc&x=1")

    def test_origin_not_allowed_403(self):
        self.expect(h.upgrade_request("/strict",
                                      origin="http://evil.example"), 403,
                    "origin not allowed")

    def test_origin_missing_403_when_not_allowed(self):
        self.expect(h.upgrade_request("/strict"), 403, "no Origin")

    def test_origin_missing_allowed_with_yes(self):
        c = self.raw(self.gw)
        c.handshake("/open")

    def test_wrong_version_426(self):
        for v in ("8", "12", "14", "13, 8"):
            with self.subTest(version=v):
                r = self.expect(h.upgrade_request("/open", version=v), 426)
                self.assertEqual(r.header("sec-websocket-version"), "13")
        r = self.expect(h.upgrade_request(
            "/open", omit=["Sec-WebSocket-Version"]), 426)
        self.assertEqual(r.header("sec-websocket-version"), "13")

    def test_missing_key_400(self):
        self.expect(h.upgrade_request("/open", omit=["Sec-WebSocket-Key"]),
                    400, "Sec-WebSocket-Key")

    def test_invalid_key_400(self):
        for key in ("abc", "dGhlIHNhbXBsZSBub25jZQ", "!" * 22 + "==",
                    "dGhlIHNhbXBsZSBub25jZQ==dGhl"):
            with self.subTest(key=key):
                self.expect(h.upgrade_request("/open", key=key), 400)

    def test_missing_upgrade_400(self):
        self.expect(h.upgrade_request("/open", omit=["Upgrade"]), 400,
                    "Upgrade")
        self.expect(h.upgrade_request("/open", omit=["Upgrade"],
                                      headers=[("Upgrade", "h2c")]), 400)

    def test_missing_connection_400(self):
        self.expect(h.upgrade_request("/open", omit=["Connection"]), 400,
                    "Connection")
        self.expect(h.upgrade_request(
            "/open", omit=["Connection"],
            headers=[("Connection", "keep-alive")]), 400)

    def test_connection_token_list_any_case(self):
        for value in ("keep-alive, Upgrade", "UPGRADE", "foo,upgrade , x"):
            with self.subTest(connection=value):
                c = self.raw(self.gw)
                c.handshake("/open", omit=["Connection"],
                            headers=[("Connection", value)])
                c.close()

    def test_upgrade_value_any_case(self):
        c = self.raw(self.gw)
        c.handshake("/open", omit=["Upgrade"],
                    headers=[("Upgrade", "WebSocket")])

    def test_missing_host_400(self):
        self.expect(h.upgrade_request("/open", omit=["Host"]), 400, "Host")

    def test_http10_400(self):
        self.expect(h.upgrade_request("/open", http="HTTP/1.0"), 400)

    def test_malformed_request_400(self):
        self.expect(b"GARBAGE\r\n\r\n", 400)
        self.expect(b"GET /open HTTP/1.1\r\nNo colon here\r\n\r\n", 400)

    def test_header_block_too_large_431(self):
        pad = ("X-Pad", "x" * 9000)     # default max_request_bytes = 8k
        self.expect(h.upgrade_request("/open", headers=[pad]), 431)

    def test_too_many_headers_431(self):
        many = [("X-H%d" % i, "v") for i in range(70)]  # max_headers 64
        self.expect(h.upgrade_request("/open", headers=many), 431,
                    "too many")

    def test_just_under_header_limits(self):
        few = [("X-H%d" % i, "v") for i in range(64 - 5)]  # 5 standard
        c = self.raw(self.gw)
        c.handshake("/open", headers=few)

    def test_upgrade_with_body_400(self):
        # After a 101 every byte is a frame: a proxy in front that reads
        # the body as HTTP would disagree on where the frames start.
        body = "an upgrade request must not have a body"
        self.expect(h.upgrade_request(
            "/open", headers=[("Content-Length", "5")]) + b"hello", 400,
            body)
        self.expect(h.upgrade_request(
            "/open", headers=[("Transfer-Encoding", "chunked")]) +
            b"5\r\nhello\r\n0\r\n\r\n", 400, body)
        self.expect(h.upgrade_request(
            "/open", headers=[("Content-Length", "5, 5")]) + b"hello", 400,
            "invalid Content-Length")
        self.expect(h.upgrade_request(
            "/open", headers=[("Transfer-Encoding", "chunked"),
                              ("Content-Length", "0")]), 400,
            "both Transfer-Encoding and Content-Length")
        self.assertEqual(self.echo.conns, [])

    def test_upgrade_with_empty_body_101(self):
        # RFC 9110 8.6: Content-Length: 0 declares no body.
        c = self.raw(self.gw)
        c.handshake("/open", headers=[("Content-Length", "0")])
        c.send_frame(OP_BINARY, b"x")
        self.assertEqual(c.recv_data(1)[0], b"x")

    def test_post_405(self):
        r = self.expect(h.upgrade_request("/open", method="POST"), 405)
        self.assertEqual(r.header("allow"), "GET, HEAD")

    def test_plain_get_on_route_426(self):
        self.expect(b"GET /open HTTP/1.1\r\nHost: x\r\n\r\n", 426)

    def test_plain_get_elsewhere_404(self):
        self.expect(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n", 404)

    def test_health_path_200(self):
        c = self.raw(self.gw)
        r = c.request(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
        self.assertEqual(r.status, 200)
        self.assertEqual(c.read_body(r), b"ok\n")
        c.expect_eof()

    def test_request_a_byte_at_a_time(self):
        key = h.new_key()
        req = h.upgrade_request("/open", key=key)
        c = self.raw(self.gw)
        for i in range(len(req)):
            c.send(req[i:i + 1])
        r = c.read_response()
        self.assertEqual(r.status, 101)
        self.assertEqual(r.header("sec-websocket-accept"), h.accept_key(key))

    def test_request_size_limit_boundary(self):
        """max_request_bytes (8k) is the whole request head: exactly 8192
        bytes pass, 8193 get 431."""
        base = len(h.upgrade_request("/open", headers=[("X-Pad", "")]))
        for size, status in ((8192, 101), (8193, 431)):
            with self.subTest(size=size):
                req = h.upgrade_request("/open", headers=[
                    ("X-Pad", "p" * (size - base))])
                self.assertEqual(len(req), size)
                c = self.raw(self.gw)
                self.assertEqual(c.request(req).status, status)
                c.close()

    def test_lower_case_header_names_and_absolute_target(self):
        key = h.new_key()
        req = ("GET http://127.0.0.1/open HTTP/1.1\r\nhost: x\r\n"
               "upgrade: websocket\r\nconnection: upgrade\r\n"
               "sec-websocket-key: %s\r\nsec-websocket-version: 13\r\n"
               "\r\n" % key).encode()
        c = self.raw(self.gw)
        r = c.request(req)
        self.assertEqual(r.status, 101)
        self.assertEqual(r.header("sec-websocket-accept"), h.accept_key(key))

    def test_duplicate_headers_400(self):
        for name, value in (("Sec-WebSocket-Key", h.new_key()),
                            ("Host", "other"),
                            ("Sec-WebSocket-Version", "13")):
            with self.subTest(name):
                self.expect(h.upgrade_request(
                    "/open", headers=[(name, value)]), 400, "duplicate")
        self.expect(h.upgrade_request(
            "/strict", origin="http://localhost",
            headers=[("Origin", "http://localhost")]), 400, "duplicate")

    def test_extensions_not_accepted(self):
        c = self.raw(self.gw)
        r = c.handshake("/open", headers=[
            ("Sec-WebSocket-Extensions",
             "permessage-deflate; client_max_window_bits")])
        self.assertIsNone(r.header("sec-websocket-extensions"))

        async def go():
            async with ws_connect(self.gw, "/open",
                                  compression="deflate") as ws:
                self.assertEqual(ws.extensions, [])
                await ws.send(b"plain")
                self.assertEqual(await ws.recv(), b"plain")

        h.run_async(go())

    def test_no_reject_line_for_success(self):
        c = self.raw(self.gw)
        c.handshake("/open")
        c.send_frame(h.OP_CLOSE, h.close_payload(1000))
        c.recv_close()
        c.expect_eof()
        self.gw.wait_log(r"close client=")
        self.assertEqual(self.gw.find_log(r"reject client="), [])


class Timeouts(h.GatewayTestCase):
    def test_incomplete_request_408(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"r": {"path": "/", "backend": echo.addr}},
                          {"handshake_timeout": "0.3"})
        c = self.raw(gw)
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 408)
        c.expect_eof()

    def test_silent_connection_closed(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"r": {"path": "/", "backend": echo.addr}},
                          {"handshake_timeout": "0.3"})
        c = self.raw(gw)
        self.assertEqual(c.expect_eof(), b"")


class Origins(h.GatewayTestCase):
    def setUp(self):
        self.echo = self.backend(h.EchoBackend)
        self.gw = self.gateway(
            {"r": {"path": "/r", "backend": self.echo.addr,
                   "allow_missing_origin": "no",
                   "origins": ["http://localhost, https://app.example.com",
                               "https://secure.example:443",
                               "http://[::1]:8080"]},
             "any": {"path": "/any", "backend": self.echo.addr,
                     "origins": "*", "allow_missing_origin": "no"}})

    def status(self, path, origin):
        c = self.raw(self.gw)
        r = c.request(h.upgrade_request(path, origin=origin))
        c.close()
        return r.status

    def test_allowed(self):
        for origin in ("http://localhost", "http://localhost:80",
                       "http://LocalHost", "HTTP://LOCALHOST:80",
                       "https://app.example.com",
                       "https://app.example.com:443",
                       "https://secure.example",
                       "https://secure.example:443",
                       "http://[::1]:8080"):
            with self.subTest(origin=origin):
                self.assertEqual(self.status("/r", origin), 101)

    def test_denied(self):
        for origin in ("http://evil.example", "http://localhost:8080",
                       "https://localhost", "http://localhost:443",
                       "http://app.example.com", "null",
                       "http://localhost/", "http://localhost.evil.example",
                       "http://[::1]", "ws://localhost", ""):
            with self.subTest(origin=origin):
                self.assertEqual(self.status("/r", origin), 403)

    def test_star_allows_any_but_not_missing(self):
        self.assertEqual(self.status("/any", "http://anything.example:1"),
                         101)
        self.assertEqual(self.status("/any", "null"), 101)
        self.assertEqual(self.status("/any", None), 403)

    def test_websockets_client_with_origin(self):
        async def go():
            async with ws_connect(self.gw, "/r",
                                  origin="http://localhost") as ws:
                await ws.send(b"hi")
                self.assertEqual(await ws.recv(), b"hi")
            with self.assertRaises(websockets.InvalidStatusCode) as cm:
                async with ws_connect(self.gw, "/r",
                                      origin="http://evil.example"):
                    pass
            self.assertEqual(cm.exception.status_code, 403)

        h.run_async(go())


class RoutesDir(h.GatewayTestCase):
    def test_routes_from_routes_dir(self):
        a = self.backend(h.EchoBackend)
        b = self.backend(h.SourceBackend, b"from b", close_after=False)
        route = "[route:%s]\npath = %s\nbackend = %s\norigins = *\n" \
                "allow_missing_origin = yes\n"
        gw = self.gateway(
            {"main": {"path": "/main", "backend": a.addr}},
            {"routes_dir": "routes.d"},
            extra_files={
                "routes.d/10-a.ini": route % ("a", "/a", a.addr),
                "routes.d/20-b.ini": route % ("b", "/b", b.addr) +
                "\n" + route % ("b2", "/b2", a.addr),
                "routes.d/README": "not an ini file: [ignored\n",
                "routes.d/old.ini.bak": "[route:x]\npath = /a\n",
            })
        for name in ("main", "a", "b", "b2"):
            gw.wait_log(r"route %s: " % name)
        c = self.raw(gw)
        c.handshake("/a")
        c.send_frame(OP_BINARY, b"to a")
        self.assertEqual(c.recv_data(4)[0], b"to a")
        c2 = self.raw(gw)
        c2.handshake("/b")
        self.assertEqual(c2.recv_data(6)[0], b"from b")
        c3 = self.raw(gw)
        c3.handshake("/b2")
        c4 = self.raw(gw)
        c4.handshake("/main")


class Backends(h.GatewayTestCase):
    def test_backend_refused_502(self):
        closed = self.closed_port()
        gw = self.gateway({"r": {"path": "/", "backend": closed.addr}})
        c = self.raw(gw)
        r = c.request(h.upgrade_request("/"))
        self.assertEqual(r.status, 502)
        # Nothing else: no 101 was ever sent, no frames follow.
        c.read_body(r)
        self.assertEqual(c.expect_eof(), b"")
        gw.wait_log(r"reject client=\S+ status=502 .*route=r "
                    r"reason=\"backend 127.0.0.1:%d: " % closed.port)

    def test_backend_refused_websockets_client(self):
        closed = self.closed_port()
        gw = self.gateway({"r": {"path": "/", "backend": closed.addr}})

        async def go():
            with self.assertRaises(websockets.InvalidStatusCode) as cm:
                async with ws_connect(gw, "/"):
                    pass
            return cm.exception.status_code

        self.assertEqual(h.run_async(go()), 502)

    def test_backend_connect_timeout_504(self):
        hole = h.Blackhole()
        self.addCleanup(hole.close)
        gw = self.gateway({"r": {"path": "/", "backend": hole.addr,
                                 "backend_connect_timeout": "0.3"}})
        c = self.raw(gw)
        t0 = time.monotonic()
        r = c.request(h.upgrade_request("/"), limit=10)
        self.assertEqual(r.status, 504)
        self.assertGreaterEqual(time.monotonic() - t0, 0.25)
        c.read_body(r)
        self.assertEqual(c.expect_eof(), b"")
        gw.wait_log(r"reject .*status=504 .*backend_connect_timeout")

    def test_backend_by_hostname(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"r": {"path": "/", "backend":
                                 "localhost:%d" % echo.port}})
        c = self.raw(gw)
        c.handshake("/")
        c.send_frame(OP_BINARY, b"named")
        self.assertEqual(c.recv_data(5)[0], b"named")

    def test_backend_unresolvable(self):
        """A backend name that does not resolve: 502 (or 504 where the
        resolver is slower than backend_connect_timeout)."""
        gw = self.gateway({"r": {"path": "/",
                                 "backend": "wsgate-test.invalid:80",
                                 "backend_connect_timeout": "0.5"}})
        for _ in range(3):
            c = self.raw(gw)
            r = c.request(h.upgrade_request("/"), limit=10)
            self.assertIn(r.status, (502, 504))
            c.expect_eof()

    def test_client_leaves_while_connecting(self):
        hole = h.Blackhole()
        self.addCleanup(hole.close)
        gw = self.gateway({"r": {"path": "/", "backend": hole.addr,
                                 "backend_connect_timeout": "0.5"}})
        c = self.raw(gw)
        c.send(h.upgrade_request("/"))
        time.sleep(0.1)
        c.close()
        # The gateway answers the (gone) client 504 and carries on.
        gw.wait_log(r"reject .*status=504", 5)
        c2 = self.raw(gw)
        self.assertEqual(c2.request(h.upgrade_request("/"),
                                    limit=10).status, 504)

    def test_max_connections_503(self):
        sink = self.backend(h.SinkBackend)
        gw = self.gateway({"r": {"path": "/", "backend": sink.addr,
                                 "max_connections": "1"}})
        c1 = self.raw(gw)
        c1.handshake("/")
        c2 = self.raw(gw)
        self.assertEqual(c2.request(h.upgrade_request("/")).status, 503)
        c1.send_frame(h.OP_CLOSE, h.close_payload(1000))
        c1.recv_close()
        c1.expect_eof()
        # The slot is free again once the first session has ended.
        gw.wait_log(r"close client=")
        c3 = self.raw(gw)
        c3.handshake("/")


class FileDescriptors(h.GatewayTestCase):
    def test_no_fd_leak(self):
        """Sessions of every kind end without leaving descriptors."""
        echo = self.backend(h.EchoBackend)
        closed = self.closed_port()
        gw = self.gateway({"echo": {"path": "/echo", "backend": echo.addr},
                           "down": {"path": "/down",
                                    "backend": closed.addr}})
        base = gw.fd_count()
        for i in range(20):
            c = h.RawClient(gw.port)
            kind = i % 4
            if kind == 0:
                c.handshake("/echo")
                c.send_frame(OP_BINARY, os.urandom(1000))
                c.recv_data(1000)
                c.send_frame(h.OP_CLOSE, h.close_payload(1000))
                c.recv_close()
                c.expect_eof()
            elif kind == 1:
                c.request(h.upgrade_request("/down"))
                c.expect_eof()
            elif kind == 2:
                c.handshake("/echo")
                c.close()               # vanish without a close frame
            else:
                c.request(h.upgrade_request("/nope"))
                c.expect_eof()
        h.wait_until(lambda: gw.fd_count() <= base, 10,
                     "fd count back to %d (now %d)" % (base, gw.fd_count()))
