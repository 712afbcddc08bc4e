"""test_targets_websockify.py -- the same token file through Debian's
websockify (0.10) and through wsgate: the same requests reach the same
backends.  Skipped when /usr/bin/websockify is not installed.

Where they differ on purpose: an unknown or missing token gets wsgate's
404 (and a log line naming the token by a hash), where websockify drops
the connection without an answer (and logs the token itself); websockify
0.10 reads no cookie (later versions and OpenStack's proxy do).
"""

import os
import socket
import subprocess
import time
import unittest

from harness import (GatewayTestCase, RawClient, SourceBackend,
                     timeout, upgrade_request)

WEBSOCKIFY = "/usr/bin/websockify"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@unittest.skipUnless(os.access(WEBSOCKIFY, os.X_OK), "websockify missing")
class WebsockifyCompat(GatewayTestCase):
    def setUp(self):
        self.b1 = self.backend(SourceBackend, b"B1", close_after=False)
        self.b2 = self.backend(SourceBackend, b"B2", close_after=False)
        # A websockify token file as deployments write it, read as-is.
        tokens = ("# noVNC consoles\n"
                  "vm1: 127.0.0.1:%d\n"
                  "\n"
                  "vm-2.example: %s\n"
                  "  vm3 : 127.0.0.1:%d  \n"
                  "a:b: %s\n" % (self.b1.port, self.b2.addr, self.b1.port,
                                 self.b2.addr))
        allow = "127.0.0.1:%d 127.0.0.1:%d" % (self.b1.port, self.b2.port)
        self.gw = self.gateway({
            "vnc": {"path": "/websockify", "targets": "tokens.txt",
                    "allowed_targets": allow},
            "host": {"path": "/host", "targets": "tokens.txt",
                     "token_source": "host", "allowed_targets": allow}},
            extra_files={"tokens.txt": tokens})
        source = os.path.join(self.gw.dir, "tokens.txt")
        self.wport = self.websockify(source)
        self.hport = self.websockify(source, "--host-token")

    def websockify(self, source, *extra):
        port = free_port()
        ws = subprocess.Popen(
            [WEBSOCKIFY, "--token-plugin", "TokenFile", "--token-source",
             source] + list(extra) + ["127.0.0.1:%d" % port],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.addCleanup(self._stop_websockify, ws)
        deadline = time.monotonic() + timeout(10)
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return port
            except OSError:
                if time.monotonic() > deadline or ws.poll() is not None:
                    raise AssertionError("websockify did not start")
                time.sleep(0.05)

    @staticmethod
    def _stop_websockify(ws):
        ws.terminate()
        try:
            ws.wait(timeout(5))
        except subprocess.TimeoutExpired:
            ws.kill()
            ws.wait(5)

    def outcome(self, port, path, host="127.0.0.1"):
        """The backend's greeting, or the HTTP status, or "dropped"."""
        c = RawClient(port)
        try:
            c.send(upgrade_request(path, host=host))
            try:
                resp = c.read_response()
            except AssertionError:
                return "dropped"
            if resp.status != 101:
                return resp.status
            data, _ = c.recv_data(2)
            return data
        finally:
            c.close()

    def test_same_backends(self):
        cases = {
            "/websockify?token=vm1": b"B1",
            "/websockify?token=vm-2.example": b"B2",
            # The token is what precedes ": ", its blank included.
            "/websockify?token=vm3+": b"B1",
            "/websockify?token=a%3Ab": b"B2",       # split at ': '
            "/websockify?x=1&token=vm1&token=vm3": b"B1",   # the first
            "/websockify?token=vm1%0A": b"B1",      # rstrip('\n')
        }
        for path, want in cases.items():
            self.assertEqual(self.outcome(self.wport, path), want,
                             "websockify " + path)
            self.assertEqual(self.outcome(self.gw.port, path), want,
                             "wsgate " + path)

    def test_host_token(self):
        """--host-token and token_source = host: the Host name, without
        its port, is the token."""
        for host, want in (("vm1", b"B1"), ("vm-2.example:8080", b"B2"),
                           ("nosuch", None)):
            ws = self.outcome(self.hport, "/", host)
            gw = self.outcome(self.gw.port, "/host", host)
            if want is None:
                self.assertEqual((ws, gw), ("dropped", 404), host)
            else:
                self.assertEqual((ws, gw), (want, want), host)

    def test_unknown_refused_by_both(self):
        for path in ("/websockify?token=nosuch", "/websockify",
                     "/websockify?token=VM1", "/websockify?token=vm3"):
            self.assertEqual(self.outcome(self.wport, path), "dropped",
                             "websockify " + path)
            self.assertEqual(self.outcome(self.gw.port, path), 404,
                             "wsgate " + path)
        self.assertEqual(len(self.b1.conns) + len(self.b2.conns), 0)


if __name__ == "__main__":
    unittest.main()
