"""test_probe.py -- wsgate --probe URL [TIMEOUT], the health check client of
the container image: exit 0 on 2xx, 1 on any other answer or none in
time, 2 on a bad command line; the request it sends, and bounded work
against servers that misbehave."""

import signal
import socket
import time

import harness as h


class HttpReply(h.Backend):
    """Reads a request head, records it, answers `reply` and shuts its
    side down (Connection: close), then reads until EOF; or, `hold`,
    holds the connection without a word."""

    def __init__(self, reply, hold=False, **kw):
        self.reply = reply
        self.hold = hold
        super().__init__(**kw)

    def handle(self, conn):
        while b"\r\n\r\n" not in conn.data() and not self.expired():
            if self.recv_some(conn, 4096) == b"":
                return
        if self.reply is not None:
            self.send_all(conn, self.reply)
        if self.hold:
            while not self.expired():
                time.sleep(0.05)
            return
        conn.sock.shutdown(socket.SHUT_WR)
        self.drain_until_eof(conn)


def probe(*args, limit=15):
    return h.run_binary(["--probe"] + list(args), limit=limit)


class Probe(h.GatewayTestCase):
    def test_health_path_of_a_gateway(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"echo": {"path": "/echo", "backend": echo.addr}},
                          {"health_path": "/healthz", "drain_timeout": "10"})
        url = "http://127.0.0.1:%d/healthz" % gw.port
        rc, out, err = probe(url)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "wsgate: probe %s: 200 OK\n" % url)
        gw.wait_log(r"debug web client=127\.0\.0\.1:\d+ status=200 "
                    r"path=\"/healthz\"", 2)

        rc, out, err = probe("http://127.0.0.1:%d/nope" % gw.port)
        self.assertEqual((rc, out), (1, ""))
        self.assertRegex(err, r"/nope: 404 Not Found\n$")

        # Draining: health_path answers 503, the probe fails.
        c = self.raw(gw)
        c.handshake("/echo")
        gw.send_signal(signal.SIGTERM)
        gw.wait_log(r"draining", 2)
        # 503 until the listener is closed, then refused: fails either way.
        rc, out, err = probe(url)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"healthz: (503 |connect 127\.0\.0\.1:\d+: "
                         r"Connection refused)")
        c.close()
        self.assertEqual(gw.wait_exit(), 0)

    def test_ipv6(self):
        try:
            s = socket.socket(socket.AF_INET6)
            s.bind(("::1", 0))
            s.close()
        except OSError:
            self.skipTest("no IPv6 loopback")
        srv = HttpReply(b"HTTP/1.1 200 OK\r\n\r\n")
        self.addCleanup(srv.stop)
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"echo": {"path": "/echo", "backend": echo.addr}},
                          {"listen": "[::1]:0", "health_path": "/h"})
        rc, out, err = probe("http://[::1]:%d/h" % gw.port)
        self.assertEqual(rc, 0, err)

    def test_request_sent(self):
        srv = self.backend(HttpReply, b"HTTP/1.1 204 No Content\r\n\r\n")
        url = "http://127.0.0.1:%d/readyz?verbose=1#frag" % srv.port
        rc, out, err = probe(url)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "wsgate: probe %s: 204 No Content\n" % url)
        self.assertEqual(srv.wait_conn().data().decode(),
                         "GET /readyz?verbose=1 HTTP/1.1\r\n"
                         "Host: 127.0.0.1:%d\r\n"
                         "User-Agent: wsgate-probe\r\n"
                         "Accept: */*\r\n"
                         "Connection: close\r\n\r\n" % srv.port)

    def test_answers_that_fail(self):
        cases = [
            (b"HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n", "301 Moved"),
            (b"HTTP/1.1 503 Service Unavailable\r\n\r\ndraining\n",
             "503 Service Unavailable"),
            (b"SSH-2.0-OpenSSH_9.2\r\n", "the answer is not HTTP/1.x"),
            (b"HTTP/1.1 2x0 OK\r\n", "malformed status code"),
            (b"", "closed the connection without an answer"),
            (b"HTTP/1.1 200 O", "closed the connection inside the status "
             "line"),
        ]
        for reply, why in cases:
            with self.subTest(reply=reply[:20]):
                srv = self.backend(HttpReply, reply)
                rc, out, err = probe("http://127.0.0.1:%d/" % srv.port)
                self.assertEqual((rc, out), (1, ""), err)
                self.assertIn(why, err)

    def test_reason_is_escaped(self):
        srv = self.backend(HttpReply, b"HTTP/1.1 200 \x1b[31mOK\"\r\n\r\n")
        rc, out, err = probe("http://127.0.0.1:%d/" % srv.port)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.endswith(": 200 \\x1b[31mOK\\x22\n"), out)

    def test_refused(self):
        port = self.closed_port().port
        rc, out, err = probe("http://127.0.0.1:%d/healthz" % port)
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("connect 127.0.0.1:%d: Connection refused" % port, err)
        # The timeout takes the config's durations (a bad one exits 2).
        rc, out, err = probe("http://127.0.0.1:%d/healthz" % port, "1m")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("Connection refused", err)

    def test_silent_server_times_out(self):
        srv = self.backend(HttpReply, None, hold=True)
        t0 = time.monotonic()
        rc, out, err = probe("http://127.0.0.1:%d/" % srv.port, "0.5")
        took = time.monotonic() - t0
        self.assertEqual(rc, 1)
        self.assertIn("no answer within 0.5s", err)
        self.assertLess(took, h.timeout(3))

    def test_endless_status_line_is_bounded(self):
        # 1 MiB without a line end: the probe stops after 512 bytes.
        srv = self.backend(HttpReply, b"HTTP/1.1 200 " + b"x" * (1 << 20))
        t0 = time.monotonic()
        rc, out, err = probe("http://127.0.0.1:%d/" % srv.port)
        self.assertEqual(rc, 1)
        self.assertIn("status line too long", err)
        self.assertLess(time.monotonic() - t0, h.timeout(3))

    def test_command_line_errors_exit_2(self):
        for args, why in (
                ([], "usage: wsgate --probe URL [TIMEOUT]"),
                (["http://127.0.0.1:1/", "1", "x"], "usage: wsgate --probe"),
                (["https://127.0.0.1:1/"], "https:// is not supported"),
                (["127.0.0.1:8080/healthz"], "expected http://"),
                (["http://127.0.0.1:1/", "0"], "timeout \"0\""),
                (["http://127.0.0.1:1/", "soon"], "timeout \"soon\""),
                (["http://127.0.0.1:1/", "1h30"], "write 1h30m"),
                (["http://127.0.0.1:1/", "2d"], "up to 1d"),
                (["http://127.0.0.1:1/a b"], "blank or a control")):
            with self.subTest(args=args):
                rc, out, err = probe(*args)
                self.assertEqual((rc, out), (2, ""))
                self.assertIn(why, err)
