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
        self.gw = self.gateway({"vnc": {
            "path": "/websockify", "targets": "tokens.txt",
            "allowed_targets": "127.0.0.1:%d 127.0.0.1:%d" % (
                self.b1.port, self.b2.port)}},
            extra_files={"tokens.txt": tokens})
        self.wport = free_port()
        self.ws = subprocess.Popen(
            [WEBSOCKIFY, "--token-plugin", "TokenFile", "--token-source",
             os.path.join(self.gw.dir, "tokens.txt"),
             "127.0.0.1:%d" % self.wport],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        self.addCleanup(self._stop_websockify)
        deadline = time.monotonic() + timeout(10)
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.wport),
                                         0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.ws.poll() is not None:
                    raise AssertionError("websockify did not start")
                time.sleep(0.05)

    def _stop_websockify(self):
        self.ws.terminate()
        try:
            self.ws.wait(timeout(5))
        except subprocess.TimeoutExpired:
            self.ws.kill()
            self.ws.wait(5)
        self.ws.stderr.close()

    def outcome(self, port, path):
        """The backend's greeting, or the HTTP status, or "dropped"."""
        c = RawClient(port)
        try:
            c.send(upgrade_request(path))
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
