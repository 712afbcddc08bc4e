"""test_listen_web.py -- several listeners, IPv6, static files (web_root)."""

import os
import socket
import unittest

import harness as h
from harness import OP_BINARY


def have_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


class Listeners(h.GatewayTestCase):
    def test_two_listeners(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"r": {"path": "/", "backend": echo.addr}},
                          {"listen": ["127.0.0.1:0", "127.0.0.2:0"]})
        self.assertEqual(len(gw.ports), 2)
        for host, port in (("127.0.0.1", gw.ports[0]),
                           ("127.0.0.2", gw.ports[1])):
            with self.subTest(host=host):
                c = self.raw(port, host=host)
                c.handshake("/")
                c.send_frame(OP_BINARY, host.encode())
                self.assertEqual(c.recv_data(len(host))[0], host.encode())

    @unittest.skipUnless(have_ipv6_loopback(), "no IPv6 loopback")
    def test_ipv6_listener(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"r": {"path": "/", "backend": echo.addr}},
                          {"listen": "[::1]:0"})
        s = socket.create_connection(("::1", gw.port), h.timeout(5))
        self.addCleanup(s.close)
        s.sendall(h.upgrade_request("/", host="[::1]:%d" % gw.port))
        self.assertTrue(s.recv(12).startswith(b"HTTP/1.1 101"))
        gw.wait_log(r"open client=\[::1\]:\d+ route=r")


class WebRoot(h.GatewayTestCase):
    def setUp(self):
        echo = self.backend(h.EchoBackend)
        self.big = os.urandom(2 * 1024 * 1024 + 3)
        self.gw = self.gateway(
            {"ws": {"path": "/ws", "backend": echo.addr}},
            {"web_root": "www"},
            extra_files={"www/index.html": "<p>hello</p>\n",
                         "www/sub/app.js": "let x = 1;\n",
                         "www/empty.txt": "",
                         "secret.txt": "do not serve\n"})
        with open(os.path.join(self.gw.dir, "www", "big.bin"), "wb") as f:
            f.write(self.big)

    def get(self, path):
        c = self.raw(self.gw)
        r = c.request(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path)
                      .encode())
        body = c.read_body(r, limit=20)
        c.expect_eof()
        return r, body

    def test_index(self):
        r, body = self.get("/")
        self.assertEqual(r.status, 200)
        self.assertEqual(body, b"<p>hello</p>\n")
        self.assertTrue(r.header("content-type").startswith("text/html"))

    def test_file_type_and_query(self):
        r, body = self.get("/sub/app.js?v=3")
        self.assertEqual(r.status, 200)
        self.assertEqual(body, b"let x = 1;\n")
        self.assertTrue(r.header("content-type").startswith(
            "text/javascript"))

    def test_empty_and_big_files(self):
        r, body = self.get("/empty.txt")
        self.assertEqual((r.status, body), (200, b""))
        r, body = self.get("/big.bin")
        self.assertEqual(r.status, 200)
        self.assertBytesEqual(body, self.big)

    def test_directory_redirects(self):
        r, _ = self.get("/sub")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("location"), "/sub/")

    def test_directory_redirect_is_never_protocol_relative(self):
        # "Location: //sub/" would send the browser to host "sub".
        for path, want in (("//sub", "/sub/"), ("///sub", "/sub/"),
                           ("http://x//sub", "/sub/"),
                           ("//sub//", None)):
            with self.subTest(path=path):
                r, _ = self.get(path)
                if want is None:        # a directory with a final '/'
                    self.assertEqual(r.status, 404)
                    continue
                self.assertEqual(r.status, 301)
                self.assertEqual(r.header("location"), want)

    def test_not_found_and_escapes(self):
        for path in ("/missing.html", "/../secret.txt",
                     "/sub/../../secret.txt",
                     "/%2e%2e/secret.txt", "/sub/%2E%2E/%2e%2e/secret.txt",
                     "/..%2fsecret.txt", "/%00", "/sub/app.js%00.html",
                     "/..\\secret.txt"):
            with self.subTest(path=path):
                r, body = self.get(path)
                self.assertIn(r.status, (400, 404))
                self.assertNotIn(b"do not serve", body)

    def test_websocket_route_still_upgrades(self):
        c = self.raw(self.gw)
        c.handshake("/ws")
        r, _ = self.get("/ws")
        self.assertEqual(r.status, 426)
