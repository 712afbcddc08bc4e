"""test_cli_compat.py -- the same command line run with Debian's websockify
(0.10, when installed) and with wsgate: same backend, same bytes, same
page, same Origin verdicts; and wsgate's documented improvement where
websockify is wrong (502 for a target that is down, not 101 then 1011)."""

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import harness as h
from harness import OP_BINARY, OP_CLOSE

from test_cli_websockify import make_pem, tokens_supported

WEBSOCKIFY = "/usr/bin/websockify"
HAVE_WEBSOCKIFY = os.access(WEBSOCKIFY, os.X_OK)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, proc, limit=10.0):
    deadline = time.monotonic() + h.timeout(limit)
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError("exited %s before listening" %
                                 proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError("nothing listening on %d" % port)


@unittest.skipUnless(HAVE_WEBSOCKIFY, "websockify not installed")
class SameCommandLine(h.GatewayTestCase):
    """Each test runs one command line through both programs."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="wsgate-compat-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.echo = self.backend(h.EchoBackend)
        self.blob = os.urandom(3000)    # the same for both programs
        self.procs = {}                 # port -> wait(timeout) for exit

    def start_websockify(self, args, port):
        log = open(os.path.join(self.dir, "websockify.log"), "wb")
        self.addCleanup(log.close)
        p = subprocess.Popen([WEBSOCKIFY] + args, cwd=self.dir,
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=log)

        def stop():
            p.terminate()
            try:
                p.wait(h.timeout(5))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.addCleanup(stop)
        wait_listening(port, p)
        self.procs[port] = p.wait

    def start_wsgate(self, args, port):
        gw = h.Gateway(h.BINARY, argv=args)
        shutil.rmtree(gw.dir, ignore_errors=True)
        gw.dir = self.dir       # relative paths as websockify sees them
        self.addCleanup(self._finish_gateway_keep_dir, gw)
        gw.start()
        self.procs[port] = lambda timeout: gw.wait_exit(timeout)

    def _finish_gateway_keep_dir(self, gw):
        if gw.proc is None:
            return
        try:
            if gw.returncode is None:
                gw.stop()
            gw.check_exit()
        finally:
            gw._dump()

    def each(self, options, target=None):
        """(name, port) for websockify then wsgate, each started with
        options + 127.0.0.1:PORT TARGET."""
        target = [target or self.echo.addr] if target is not False else []
        for name, start in (("websockify", self.start_websockify),
                            ("wsgate", self.start_wsgate)):
            port = free_port()
            start(list(options) + ["127.0.0.1:%d" % port] + target, port)
            yield name, port

    def echo_bytes(self, port, origin="http://page.example", wrap=None):
        """Three binary messages through; the bytes that came back."""
        sent = [b"RFB 003.008\n", bytes(range(256)), self.blob]
        if wrap is None:
            c = self.raw(port)
            c.handshake("/websockify", origin=origin)
            for m in sent:
                c.send_frame(OP_BINARY, m)
            got = c.recv_data(sum(map(len, sent)))[0]
            c.close()
            return got
        return wrap(port, sent)

    def test_echo(self):
        got = {name: self.echo_bytes(port) for name, port in self.each([])}
        self.assertEqual(got["websockify"], got["wsgate"])
        self.assertEqual(len(got["wsgate"]), 12 + 256 + 3000)

    def test_verbose_echo(self):
        got = {name: self.echo_bytes(port)
               for name, port in self.each(["-v"])}
        self.assertEqual(got["websockify"], got["wsgate"])

    def test_web_same_page(self):
        page = b"<!doctype html><title>vnc</title>\n" + bytes(range(32, 127))
        os.makedirs(os.path.join(self.dir, "www"))
        with open(os.path.join(self.dir, "www", "vnc.html"), "wb") as f:
            f.write(page)
        for name, port in self.each(["--web", "www"]):
            with self.subTest(program=name):
                c = self.raw(port)
                r = c.request(b"GET /vnc.html HTTP/1.1\r\nHost: a\r\n\r\n")
                self.assertEqual(r.status, 200)
                self.assertEqual(c.read_body(r), page)
                c.close()
                # The WebSocket on the same port.
                self.assertEqual(len(self.echo_bytes(port)), 3268)

    def test_expect_origin(self):
        opts = ["--auth-plugin", "ExpectOrigin", "--auth-source",
                "http://good.example https://other.example"]
        for name, port in self.each(opts):
            with self.subTest(program=name):
                self.assertEqual(len(self.echo_bytes(
                    port, origin="https://other.example")), 3268)
                for origin in ("http://evil.example", None):
                    c = self.raw(port)
                    c.send(h.upgrade_request("/websockify", origin=origin))
                    self.assertEqual(c.read_response().status, 403)
                    c.close()

    def test_cert(self):
        make_pem(self.dir)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def over_tls(port, sent):
            s = ctx.wrap_socket(socket.create_connection(
                ("127.0.0.1", port), h.timeout(5)))
            s.settimeout(h.timeout(5))
            try:
                s.sendall(h.upgrade_request("/websockify"))
                buf = b""
                while b"\r\n\r\n" not in buf:
                    b = s.recv(4096)
                    self.assertTrue(b, "EOF before the 101")
                    buf += b
                self.assertTrue(buf.startswith(b"HTTP/1.1 101"), buf)
                buf = buf.split(b"\r\n\r\n", 1)[1]
                for m in sent:
                    s.sendall(h.build_frame(OP_BINARY, m))
                got = b""
                want = sum(map(len, sent))
                while len(got) < want:
                    try:
                        frame, n = h.parse_frame(buf)
                    except Exception:
                        frame = None
                    if frame is None:
                        b = s.recv(65536)
                        self.assertTrue(b, "EOF")
                        buf += b
                        continue
                    got += frame.payload
                    buf = buf[n:]
                return got
            finally:
                s.close()
        got = {name: self.echo_bytes(port, wrap=over_tls)
               for name, port in self.each(["--cert", "self.pem",
                                            "--ssl-only"])}
        self.assertEqual(got["websockify"], got["wsgate"])
        # --key-password: an encrypted key, the same for both.
        key = os.path.join(self.dir, "enc.key")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
                        "-pass", "pass:pw", "-out", key],
                       check=True, capture_output=True, timeout=30)
        subprocess.run(["openssl", "req", "-x509", "-key", key, "-passin",
                        "pass:pw", "-days", "2", "-subj", "/CN=localhost",
                        "-out", key + ".crt"], check=True,
                       capture_output=True, timeout=30)
        os.chmod(key, 0o600)
        got = {name: self.echo_bytes(port, wrap=over_tls)
               for name, port in self.each(["--cert", "enc.key.crt",
                                            "--key", "enc.key",
                                            "--key-password", "pw",
                                            "--ssl-only"])}
        self.assertEqual(got["websockify"], got["wsgate"])
        self.assertEqual(len(got["wsgate"]), 12 + 256 + 3000)

    def test_target_down(self):
        dead = self.closed_port()
        seen = {}
        for name, port in self.each([], target=dead.addr):
            c = self.raw(port)
            c.send(h.upgrade_request("/websockify"))
            r = c.read_response()
            code = None
            if r.status == 101:
                f = c.recv_frame()
                self.assertEqual(f.opcode, OP_CLOSE)
                code = int.from_bytes(f.payload[:2], "big")
            seen[name] = (r.status, code)
            c.close()
        # websockify says 101, then closes with 1011: a page sees a
        # WebSocket open to a backend that was never there.  wsgate
        # connects first, and answers 502.
        self.assertEqual(seen["websockify"], (101, 1011))
        self.assertEqual(seen["wsgate"], (502, None))

    def test_run_once(self):
        for name, port in self.each(["--run-once"]):
            with self.subTest(program=name):
                c = self.raw(port)
                c.handshake("/websockify")
                c.send_frame(OP_BINARY, b"one")
                self.assertEqual(c.recv_data(3)[0], b"one")
                c.send_frame(OP_CLOSE, h.close_payload(1000))
                c.expect_eof()
                # Both exit by themselves after the one session.
                self.assertEqual(self.procs[port](h.timeout(10)), 0)

    def test_token_file(self):
        if not tokens_supported():
            self.skipTest("no token routes in this build")
        vm1 = self.backend(h.SourceBackend, b"I am vm1", close_after=False)
        vm2 = self.backend(h.SourceBackend, b"I am vm2", close_after=False)
        with open(os.path.join(self.dir, "tokens"), "w") as f:
            f.write("vm1: %s\nvm2: %s\n" % (vm1.addr, vm2.addr))
        seen = {}
        for name, port in self.each(["--token-plugin", "TokenFile",
                                     "--token-source", "tokens"],
                                    target=False):
            got = []
            for token in ("vm2", "vm1"):
                c = self.raw(port)
                c.handshake("/websockify?token=" + token)
                got.append(c.recv_data(8)[0])
                c.close()
            seen[name] = got
        self.assertEqual(seen["websockify"], [b"I am vm2", b"I am vm1"])
        self.assertEqual(seen["wsgate"], seen["websockify"])

    def test_basic_auth(self):
        from test_cli_websockify import basic
        seen = {}
        for name, port in self.each(["--auth-plugin", "BasicHTTPAuth",
                                     "--auth-source", "alice:pw:x"]):
            got = []
            for auth in (None, basic("alice", "pw"), basic("alice", "pw:x")):
                c = self.raw(port)
                c.send(h.upgrade_request(
                    "/websockify",
                    headers=[("Authorization", auth)] if auth else []))
                got.append(c.read_response().status)
                c.close()
            seen[name] = got
        self.assertEqual(seen["websockify"], [401, 401, 101])
        self.assertEqual(seen["wsgate"], seen["websockify"])

    def test_jwt_token(self):
        from test_targets_jwt import Keys
        keys = Keys()
        self.addCleanup(keys.close)
        vm = self.backend(h.SourceBackend, b"I am vm", close_after=False)
        claims = {"host": "127.0.0.1", "port": vm.port}
        # jwcrypto takes the whole file as the base64url secret: no
        # newline at its end.
        secret = os.path.join(keys.dir, "hs.nonl")
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600)
        with open(keys.path["hs"], "rb") as f:
            os.write(fd, f.read().strip())
        os.close(fd)
        for alg, key in (("RS256", keys.path["rsa"] + ".pub"),
                         ("ES256", keys.path["ec"] + ".pub"),
                         ("HS256", secret)):
            token = keys.sign(alg, claims)
            seen = {}
            for name, port in self.each(["--token-plugin", "JWTTokenApi",
                                         "--token-source", key],
                                        target=False):
                c = self.raw(port)
                c.handshake("/websockify?token=" + token)
                seen[name] = c.recv_data(7)[0]
                c.close()
            self.assertEqual(seen["websockify"], b"I am vm", alg)
            self.assertEqual(seen["wsgate"], seen["websockify"], alg)

    def test_unknown_token(self):
        if not tokens_supported():
            self.skipTest("no token routes in this build")
        with open(os.path.join(self.dir, "tokens"), "w") as f:
            f.write("vm1: %s\n" % self.echo.addr)
        seen = {}
        for name, port in self.each(["--token-plugin", "TokenFile",
                                     "--token-source", "tokens"],
                                    target=False):
            c = self.raw(port)
            c.send(h.upgrade_request("/websockify?token=nope"))
            head = c.expect_eof()
            seen[name] = head.split(b"\r\n", 1)[0]
        # websockify drops the connection without a word; wsgate says
        # 404 (and logs a hash of the token, never the token).
        self.assertEqual(seen["websockify"], b"")
        self.assertTrue(seen["wsgate"].startswith(b"HTTP/1.1 404"),
                        seen["wsgate"])

    def test_chat_binary(self):
        seen = {}
        for name, port in self.each([]):
            c = self.raw(port)
            c.send(h.upgrade_request("/websockify",
                                     protocols="chat, binary"))
            r = c.read_response()
            seen[name] = (r.status, r.header("sec-websocket-protocol"))
            c.close()
        # websockify 0.10 refuses a list with binary in second place;
        # wsgate selects binary.
        self.assertEqual(seen["websockify"][0], 400)
        self.assertEqual(seen["wsgate"], (101, "binary"))

    def test_heartbeat(self):
        rc, out, err = h.run_binary(["-t", "--heartbeat", "1", "6080",
                                     "h:1"])
        if "not supported yet" in err:
            self.skipTest("no heartbeats in this build")
        for name, port in self.each(["--heartbeat", "1"]):
            with self.subTest(program=name):
                c = self.raw(port)
                c.handshake("/websockify")
                f = c.recv_frame(limit=5)
                self.assertEqual(f.opcode, h.OP_PING)
                c.send_frame(h.OP_PONG, f.payload)
                c.send_frame(OP_BINARY, b"after ping")
                self.assertEqual(c.recv_data(10)[0], b"after ping")
                c.close()

    def test_unix_target(self):
        from test_routing import UnixEcho
        path = os.path.join(self.dir, "vnc.sock")
        echo = UnixEcho(path)
        self.addCleanup(echo.stop)
        got = {name: self.echo_bytes(port)
               for name, port in self.each(["--unix-target", "vnc.sock"],
                                           target=False)}
        self.assertEqual(got["websockify"], got["wsgate"])
        self.assertEqual(len(got["wsgate"]), 3268)
