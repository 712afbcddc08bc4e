"""test_basic_auth.py -- auth_basic_file on a route: 401 with a challenge,
101 with good credentials (SHA-512-crypt from `openssl passwd -6`,
bcrypt from Python's crypt, yescrypt from `mkpasswd` when installed), 429
after repeated failures, plain-text passwords refused at load time, the
file read again on SIGHUP, and neither the password nor the header in the
log.
"""

import base64
import os
import shutil
import subprocess
import time
import unittest
import warnings

import harness as h
from harness import OP_BINARY

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt    # Debian's Python 3.11 still has it (libxcrypt)

PASSWORD = "s3cret pa\u00df"


def sha512(pw):
    return subprocess.run(["openssl", "passwd", "-6", "-stdin"],
                          input=pw.encode(), capture_output=True,
                          check=True).stdout.decode().strip()


def bcrypt(pw):
    return crypt.crypt(pw, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32))


def yescrypt(pw):
    return subprocess.run(["mkpasswd", "-m", "yescrypt", "--stdin"],
                          input=pw.encode(), capture_output=True,
                          check=True).stdout.decode().strip()


def basic(user, pw):
    return "Basic " + base64.b64encode(
        ("%s:%s" % (user, pw)).encode()).decode()


class BasicAuth(h.GatewayTestCase):

    def start(self, users, realm=None, workers=None, handshake_timeout=None,
              close_timeout=None, **gw_kw):
        self.echo = self.backend(h.EchoBackend)
        route = {"path": "/r", "backend": self.echo.addr,
                 "auth_basic_file": "users.htpasswd"}
        if realm:
            route["auth_basic_realm"] = realm
        text = h.config({"r": route}, {"workers": workers,
                                       "handshake_timeout": handshake_timeout,
                                       "close_timeout": close_timeout})
        lines = "".join("%s:%s\n" % u for u in users)
        self.gw = self.gateway(text=text,
                               extra_files={"users.htpasswd": lines},
                               **gw_kw)
        return self.gw

    def upgrade(self, auth=None, expect=101):
        c = self.raw(self.gw)
        headers = [("Authorization", auth)] if auth else []
        resp = c.handshake("/r", expect=expect, headers=headers)
        return c, resp

    def test_challenge_then_good_login(self):
        # One worker: the success cache is per worker.
        self.start([("alice", sha512(PASSWORD))], realm="consoles",
                   workers="1")
        c, resp = self.upgrade(expect=401)
        self.assertEqual(resp.header("www-authenticate"),
                         'Basic realm="consoles", charset="UTF-8"')
        c, resp = self.upgrade(basic("alice", PASSWORD))
        c.send_frame(OP_BINARY, b"hello")
        self.assertEqual(c.recv_data(5)[0], b"hello")
        self.gw.wait_log(r'auth client=\S+ route=r user="alice": '
                         r'password checked')
        # The same credentials again: from the cache, no crypt.
        c2, _ = self.upgrade(basic("alice", PASSWORD))
        self.gw.wait_log(r'auth client=\S+ route=r user="alice": cached')
        # No connection reached the backend for the 401.
        self.echo.wait_conn(1)
        self.assertEqual(len(self.echo.conns), 2)

    def test_each_hash_kind(self):
        users = [("sha", sha512("pw-sha")), ("bf", bcrypt("pw-bf"))]
        if shutil.which("mkpasswd"):
            users.append(("yes", yescrypt("pw-yes")))
        self.start(users)
        for user, _ in users:
            with self.subTest(user):
                self.upgrade(basic(user, "pw-" + user))
                self.upgrade(basic(user, "wrong"), expect=401)

    def test_wrong_password_never_logged(self):
        self.start([("alice", sha512(PASSWORD))])
        bad = basic("alice", "hunter2-typo")
        c, resp = self.upgrade(bad, expect=401)
        self.assertIsNotNone(resp.header("www-authenticate"))
        self.gw.wait_log(r'reject client=\S+ status=401 path="/r" .*route=r '
                         r'reason="wrong user name or password"')
        c, resp = self.upgrade(basic("alice", PASSWORD))
        self.gw.wait_log(r'user="alice": password checked')
        log = "\n".join(self.gw.lines)
        for secret in ("hunter2", bad.split()[1], PASSWORD,
                       basic("alice", PASSWORD).split()[1]):
            self.assertNotIn(secret, log)
        # A failed user name is not logged either.
        self.assertNotIn("nobody-here", log)
        self.upgrade(basic("nobody-here", "x"), expect=401)
        self.assertNotIn("nobody-here", "\n".join(self.gw.lines))

    def test_malformed_header_is_a_failure(self):
        self.start([("alice", sha512(PASSWORD))])
        self.upgrade("Basic !!!notbase64", expect=401)
        self.upgrade("Bearer abc", expect=401)

    def test_failures_limited_429(self):
        self.start([("alice", sha512(PASSWORD))])
        for i in range(10):
            self.upgrade(basic("alice", "wrong%d" % i), expect=401)
        c, resp = self.upgrade(basic("alice", "wrong"), expect=429)
        self.assertGreaterEqual(int(resp.header("retry-after")), 1)
        # Even the right password: no crypt for a limited address.
        self.upgrade(basic("alice", PASSWORD), expect=429)
        self.gw.wait_log(r"status=429 .*too many failed logins")

    def test_reload_reads_the_file_again(self):
        gw = self.start([("alice", sha512(PASSWORD)),
                         ("bob", sha512("bobpw"))])
        self.upgrade(basic("bob", "bobpw"))
        gw.write_file("users.htpasswd", "alice:%s\n" % sha512(PASSWORD))
        self.assertIn("configuration reloaded", gw.reload().group(0))
        self.upgrade(basic("bob", "bobpw"), expect=401)
        self.upgrade(basic("alice", PASSWORD))
        # A plain-text password: the reload fails, the old users stay.
        gw.write_file("users.htpasswd", "alice:%s\neve:plain\n" %
                      sha512(PASSWORD))
        self.assertIn("reload failed", gw.reload().group(0))
        self.upgrade(basic("alice", PASSWORD))

    def test_request_gone_during_check(self):
        """A slow hash (bcrypt cost 12): the request times out (408) and
        its connection goes while the check runs on a pool thread; the
        answer that comes back later finds nobody, and the gateway goes
        on (ASan and valgrind runs check the job's memory)."""
        slow = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH,
                                                  rounds=1 << 12))
        self.start([("alice", slow)], handshake_timeout="50ms",
                   close_timeout="100ms")
        c, resp = self.upgrade(basic("alice", PASSWORD), expect=408)
        c.close()
        # Gone before its check: never logged as checked.
        c = self.raw(self.gw)
        c.close()
        self.gw.wait_log(r"status=408")
        # The gateway still answers; a good login still works.
        c, resp = self.upgrade(expect=401)

    def test_each_kept_alive_request_shows_its_own_credentials(self):
        """Keep-alive: a login holds for its request only.  A proxy in
        front may carry several users' requests on one connection, and
        web_root and a route may have different files."""
        echo = self.backend(h.EchoBackend)
        text = h.config({"r": {"path": "/r", "backend": echo.addr,
                               "origins": "*",
                               "auth_basic_file": "admins"}},
                        {"web_root": "web", "auth_basic_file": "users"})
        self.gw = self.gateway(text=text, extra_files={
            "users": "alice:%s\n" % sha512(PASSWORD),
            "admins": "root:%s\n" % sha512("other"),
            "web/index.html": "<p>page</p>\n"})
        c = self.raw(self.gw)
        for auth, want in ((basic("alice", PASSWORD), 200), (None, 401)):
            req = "GET /index.html HTTP/1.1\r\nHost: x\r\n"
            if auth:
                req += "Authorization: %s\r\n" % auth
            r = c.request((req + "\r\n").encode())
            c.read_body(r)
            self.assertEqual(r.status, want)
        c.expect_eof()
        # alice's web_root login does not open the route (root's file).
        c = self.raw(self.gw)
        r = c.request(b"GET /index.html HTTP/1.1\r\nHost: x\r\n"
                      b"Authorization: " + basic("alice", PASSWORD).encode()
                      + b"\r\n\r\n")
        c.read_body(r)
        self.assertEqual(r.status, 200)
        c.handshake("/r", expect=401,
                    headers=[("Authorization", basic("alice", PASSWORD))])

    def test_web_root_behind_the_same_login(self):
        """[gateway] auth_basic_file: web_root's files ask too (the same
        file and realm as the route: the browser asks once); the
        health_path never does."""
        echo = self.backend(h.EchoBackend)
        users = "alice:%s\n" % sha512(PASSWORD)
        text = h.config({"r": {"path": "/r", "backend": echo.addr,
                               "auth_basic_file": "users",
                               "auth_basic_realm": "novnc"}},
                        {"web_root": "web", "health_path": "/healthz",
                         "auth_basic_file": "users",
                         "auth_basic_realm": "novnc"})
        self.gw = self.gateway(text=text, extra_files={
            "users": users, "web/index.html": "<p>page</p>\n"})

        def get(path, auth=None):
            c = self.raw(self.gw)
            req = "GET %s HTTP/1.1\r\nHost: x\r\n" % path
            if auth:
                req += "Authorization: %s\r\n" % auth
            r = c.request((req + "\r\n").encode())
            return r, c.read_body(r)

        r, body = get("/index.html")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header("www-authenticate"),
                         'Basic realm="novnc", charset="UTF-8"')
        r, body = get("/index.html", basic("alice", "nope"))
        self.assertEqual(r.status, 401)
        r, body = get("/index.html", basic("alice", PASSWORD))
        self.assertEqual((r.status, body), (200, b"<p>page</p>\n"))
        r, body = get("/healthz")
        self.assertEqual((r.status, body), (200, b"ok\n"))
        self.upgrade(basic("alice", PASSWORD))

    def test_checks_queue_is_bounded_503(self):
        """More logins at once than the pool's queue (64) and its two
        threads hold: the rest get 503 with Retry-After at once, and no
        check is started for them."""
        import select
        import socket
        slow = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH,
                                                  rounds=1 << 12))
        self.start([("alice", slow)])
        req = h.upgrade_request("/r", headers=[
            ("Authorization", basic("alice", PASSWORD))])
        socks = []
        for _ in range(90):
            s = socket.create_connection(("127.0.0.1", self.gw.port))
            self.addCleanup(s.close)
            s.sendall(req)
            socks.append(s)
        answers = {}
        deadline = time.monotonic() + h.timeout(3)
        while time.monotonic() < deadline and len(answers) < 10:
            ready, _, _ = select.select(
                [s for s in socks if s not in answers], [], [], 0.1)
            for s in ready:
                answers[s] = s.recv(4096)
        busy = [a for a in answers.values() if a.startswith(
            b"HTTP/1.1 503 ")]
        self.assertGreaterEqual(len(busy), 10, answers.values())
        self.assertIn(b"\r\nRetry-After: 1\r\n", busy[0])
        self.gw.wait_log(r"status=503 .*too many logins being checked")

    def test_leaving_before_the_answer_counts_as_failed(self):
        """A client that leaves before its (slow) check is answered has
        made an attempt: otherwise leaving early would be a way round
        the failure limit that still makes the gateway run crypt."""
        import socket
        slow = crypt.crypt("x", crypt.mksalt(crypt.METHOD_BLOWFISH,
                                             rounds=1 << 12))
        self.start([("alice", slow), ("bob", sha512("bobpw"))])
        req = h.upgrade_request("/r", headers=[
            ("Authorization", basic("alice", "guess"))])
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", self.gw.port))
            s.sendall(req)
            s.close()

        def limited():
            c = self.raw(self.gw)
            resp = c.request(h.upgrade_request("/r", headers=[
                ("Authorization", basic("bob", "bobpw"))]))
            c.close()
            self.assertIn(resp.status, (101, 429))
            return resp.status == 429
        h.wait_until(limited, 5, "429 for the address", interval=0.1)

    def test_load_errors(self):
        d = self.enterContext_tmp()
        ini = os.path.join(d, "w.ini")
        cases = [
            ("alice:plaintext\n", r"users: line 1: "),
            ("", r"no users"),
        ]
        for text, want in cases:
            with self.subTest(want):
                with open(os.path.join(d, "users"), "w") as f:
                    f.write(text)
                with open(ini, "w") as f:
                    f.write(h.config({"r": {
                        "path": "/r", "backend": "127.0.0.1:9",
                        "auth_basic_file": "users"}}))
                rc, out, err = h.run_binary(["-t", "-c", ini])
                self.assertNotEqual(rc, 0)
                self.assertRegex(err, r"w\.ini:\d+: \[route:r\] "
                                 r"auth_basic_file: .*" + want)
        # In [gateway] it guards web_root: without one it is a mistake.
        with open(os.path.join(d, "users"), "w") as f:
            f.write("alice:%s\n" % sha512(PASSWORD))
        with open(ini, "w") as f:
            f.write(h.config({"r": {"path": "/r", "backend": "127.0.0.1:9"}},
                             {"auth_basic_file": "users"}))
        rc, out, err = h.run_binary(["-t", "-c", ini])
        self.assertNotEqual(rc, 0)
        self.assertIn("[gateway] auth_basic_file: in [gateway] it protects "
                      "web_root's files, and there is no web_root", err)
        os.mkfifo(os.path.join(d, "fifo"))
        with open(ini, "w") as f:
            f.write(h.config({"r": {"path": "/r", "backend": "127.0.0.1:9",
                                    "auth_basic_file": "fifo"}}))
        rc, out, err = h.run_binary(["-t", "-c", ini])
        self.assertNotEqual(rc, 0)
        self.assertIn("not a regular file", err)

    def enterContext_tmp(self):
        import tempfile
        d = tempfile.mkdtemp(prefix="wsgate-auth-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


if __name__ == "__main__":
    unittest.main()
