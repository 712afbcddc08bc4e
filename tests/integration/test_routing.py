"""test_routing.py -- where a session goes (issue 11, routing half):
routes chosen by Host (hosts), 404 for an unknown Host, 421 for a Host
that is not the TLS server name; unix socket backends and listeners;
several backends (failover, round robin, passive health, 502).

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate \\
        -k test_routing
"""

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import harness as H
from harness import OP_BINARY

TMP = None
CERT = KEY = None


def setUpModule():
    global TMP, CERT, KEY
    TMP = tempfile.mkdtemp(prefix="wsgate-routing-")
    CERT = os.path.join(TMP, "cert.pem")
    KEY = os.path.join(TMP, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", KEY, "-out", CERT, "-days", "2",
                    "-subj", "/CN=a.example",
                    "-addext", "subjectAltName=DNS:a.example,"
                    "DNS:b.example"],
                   check=True, capture_output=True, timeout=30)
    os.chmod(KEY, 0o600)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


class Marker(H.Backend):
    """Sends its name on connect, then echoes until EOF: which backend
    a session reached is the first thing it reads."""

    def __init__(self, name, **kw):
        self.name = name.encode()
        super().__init__(**kw)

    def handle(self, conn):
        if not self.send_all(conn, self.name):
            return
        while not self.expired():
            b = self.recv_some(conn)
            if b is None:
                continue
            if not b or not self.send_all(conn, b):
                return


def reached(c, path, host, n=1):
    """Upgrade on RawClient c with this Host; the backend's marker."""
    c.handshake(path, host=host)
    return c.recv_data(n)[0]


class HostRouting(H.GatewayTestCase):
    def setUp(self):
        self.a = self.backend(Marker, "A")
        self.b = self.backend(Marker, "B")
        self.d = self.backend(Marker, "D")
        self.routes = {
            "con-a": {"path": "/console", "hosts": "a.example",
                      "backend": self.a.addr},
            "con-vm": {"path": "/console", "hosts": "*.vm.example",
                       "backend": self.b.addr},
            "con-any": {"path": "/console", "backend": self.d.addr},
            "only": {"path": "/only", "hosts": "a.example b.example",
                     "backend": self.a.addr},
            "plain": {"path": "/plain", "backend": self.d.addr},
        }

    def test_host_chooses_route(self):
        gw = self.gateway(self.routes)
        for host, want in [("a.example", b"A"), ("A.Example:8080", b"A"),
                           ("x.vm.example", b"B"), ("vm.example", b"D"),
                           ("127.0.0.1", b"D")]:
            with H.RawClient(gw.port) as c:
                self.assertEqual(reached(c, "/console", host), want, host)
        with H.RawClient(gw.port) as c:
            self.assertEqual(reached(c, "/only", "b.example"), b"A")

    def test_unknown_host_404_escaped(self):
        gw = self.gateway(self.routes)
        with H.RawClient(gw.port) as c:
            r = c.handshake("/only", expect=404, host='c.example"\\')
        self.assertEqual(r.status, 404)
        gw.wait_log(r'reject client=\S+ status=404 path="/only" .*'
                    r'reason="no route for this path and Host '
                    r'c\.example\\x22\\x5c"')
        self.assertEqual(len(self.a.conns), 0)

    def _tls(self, port, sni, host, path="/console"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c = self.raw(port)
        c.sock = ctx.wrap_socket(c.sock, server_hostname=sni)
        return c

    def test_tls_host_must_be_sni_421(self):
        gw = self.gateway(self.routes, {
            "listen": "127.0.0.1:0 tls", "tls_cert": CERT,
            "tls_key": KEY})
        # The name the connection was made for: admitted.
        c = self._tls(gw.port, "a.example", "a.example")
        self.assertEqual(reached(c, "/console", "a.example:443"), b"A")
        # Another name, even one the certificate covers: 421.
        c = self._tls(gw.port, "a.example", "b.example")
        r = c.handshake("/only", expect=421, host="b.example")
        self.assertEqual(r.reason, "Misdirected Request")
        gw.wait_log(r'reject client=\S+ status=421 path="/only" .*'
                    r'reason="Host b\.example is not the TLS server '
                    r'name \(SNI\) a\.example of this connection"')
        # A path whose routes list no hosts is not compared (clients
        # that connect by address keep working) ...
        c = self._tls(gw.port, "a.example", "127.0.0.1")
        self.assertEqual(reached(c, "/plain", "127.0.0.1"), b"D")
        # ... and neither is a client that sent no server name.
        c = self._tls(gw.port, None, "x")
        self.assertEqual(reached(c, "/console", "x.vm.example"), b"B")
