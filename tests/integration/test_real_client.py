"""test_real_client.py -- trusted_proxies: the client address a trusted
proxy names in Forwarded or X-Forwarded-For replaces the peer's in the
logs and /sessions; anyone else's headers are ignored; a malformed
header from a trusted proxy is a 400.
"""

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import urllib.request

import harness as h
from harness import OP_BINARY, OP_CLOSE


class RealClient(h.GatewayTestCase):
    def start(self, trusted):
        self.echo = self.backend(h.EchoBackend)
        self.gw = self.gateway(
            {"echo": {"path": "/echo", "backend": self.echo.addr}},
            {"trusted_proxies": trusted, "metrics_listen": "127.0.0.1:0"})
        m = self.gw.wait_log(r"metrics: serving on 127\.0\.0\.1:(\d+)")
        self.mport = int(m.group(1))

    def session(self, headers):
        c = self.raw(self.gw)
        c.request(h.upgrade_request("/echo") .replace(
            b"\r\n\r\n", b"\r\n" + headers + b"\r\n\r\n"))
        c.send_frame(OP_BINARY, b"hi")
        self.assertEqual(c.recv_data(2)[0], b"hi")
        return c

    def listed_clients(self):
        url = "http://127.0.0.1:%d/sessions" % self.mport
        with urllib.request.urlopen(url, timeout=h.timeout(5)) as r:
            return [s["client"] for s in json.loads(r.read())["sessions"]]

    def end(self, c, client):
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.recv_close()
        self.gw.wait_log(r"close client=%s route=echo " % re.escape(client))

    def test_x_forwarded_for_from_trusted_peer(self):
        """The rightmost untrusted entry is the client; a spoofed entry to
        its left is never reached."""
        self.start("127.0.0.1, 10.0.0.0/8")
        c = self.session(b"X-Forwarded-For: 6.6.6.6, 198.51.100.7\r\n"
                         b"X-Forwarded-For: 10.1.2.3")
        self.gw.wait_log(r"open client=198\.51\.100\.7 route=echo ")
        self.assertEqual(self.listed_clients(), ["198.51.100.7"])
        self.end(c, "198.51.100.7")

    def test_forwarded_wins_and_keeps_the_port(self):
        self.start("127.0.0.1")
        c = self.session(b'Forwarded: for="[2001:db8::1]:4711";proto=https'
                         b"\r\nX-Forwarded-For: 192.0.2.99")
        self.gw.wait_log(r"open client=\[2001:db8::1\]:4711 route=echo ")
        self.end(c, "[2001:db8::1]:4711")

    def test_untrusted_peer_is_its_own_client(self):
        self.start("10.0.0.0/8")
        c = self.session(b"X-Forwarded-For: 198.51.100.7")
        port = c.sock.getsockname()[1]
        self.gw.wait_log(r"open client=127\.0\.0\.1:%d route=echo " % port)
        self.assertEqual(self.listed_clients(), ["127.0.0.1:%d" % port])
        self.end(c, "127.0.0.1:%d" % port)

    def test_malformed_header_from_trusted_proxy_is_400(self):
        self.start("127.0.0.1")
        c = self.raw(self.gw)
        r = c.request(h.upgrade_request("/echo").replace(
            b"\r\n\r\n", b"\r\nX-Forwarded-For: 198.51.100.7, not-an-ip"
            b"\r\n\r\n"))
        self.assertEqual(r.status, 400)
        self.gw.wait_log(r"reject client=127\.0\.0\.1:\d+ status=400 ")


class ProxyHeaderBeforeTLS(h.GatewayTestCase):
    """`listen = ADDR tls proxy_protocol`: the PROXY header comes first,
    then the TLS handshake; /sessions shows the header's client with the
    TLS version and server name."""

    def test_v1_header_then_tls(self):
        d = tempfile.mkdtemp(prefix="wsgate-pptls-")
        self.addCleanup(shutil.rmtree, d, True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", "k.pem", "-out", "c.pem", "-days", "1",
                        "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost"],
                       cwd=d, check=True, capture_output=True,
                       timeout=h.timeout(20))
        os.chmod(os.path.join(d, "k.pem"), 0o600)
        echo = self.backend(h.EchoBackend)
        gw = self.gateway(
            {"echo": {"path": "/echo", "backend": echo.addr}},
            {"listen": "127.0.0.1:0 tls proxy_protocol",
             "tls_cert": os.path.join(d, "c.pem"),
             "tls_key": os.path.join(d, "k.pem"),
             "metrics_listen": "127.0.0.1:0"})
        mport = int(gw.wait_log(r"metrics: serving on 127\.0\.0\.1:(\d+)")
                    .group(1))
        ctx = ssl.create_default_context(cafile=os.path.join(d, "c.pem"))
        raw = socket.create_connection(("127.0.0.1", gw.port),
                                       timeout=h.timeout(5))
        raw.sendall(b"PROXY TCP4 203.0.113.7 198.51.100.9 40000 443\r\n")
        c = h.RawClient.__new__(h.RawClient)
        c.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        c.limit, c.buf, c.eof = 5.0, bytearray(), False
        self.addCleanup(c.close)
        c.handshake("/echo")
        c.send_frame(h.OP_BINARY, b"tls")
        self.assertEqual(c.recv_data(3)[0], b"tls")
        gw.wait_log(r"open client=203\.0\.113\.7:40000 route=echo ")
        url = "http://127.0.0.1:%d/sessions" % mport
        with urllib.request.urlopen(url, timeout=h.timeout(5)) as r:
            (s,) = json.loads(r.read())["sessions"]
        self.assertEqual((s["client"], s["tls_version"], s["sni"]),
                         ("203.0.113.7:40000", "TLSv1.3", "localhost"))
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.recv_close()
        # Plain HTTP after the header: 400, a TLS failure "not_tls".
        p = self.raw(gw.port)
        r = p.request(b"PROXY TCP4 203.0.113.8 198.51.100.9 40001 443\r\n"
                      + h.upgrade_request("/echo"))
        self.assertEqual(r.status, 400)
        url = "http://127.0.0.1:%d/metrics" % mport
        with urllib.request.urlopen(url, timeout=h.timeout(5)) as r:
            text = r.read().decode()
        self.assertIn("\nwsgate_tls_handshakes_total 1\n", text)
        self.assertIn('\nwsgate_tls_handshake_failures_total'
                      '{reason="not_tls"} 1\n', text)


class KeptAlive(h.GatewayTestCase):
    def test_each_request_names_its_own_client(self):
        """A proxy may send several clients' requests over one kept-alive
        connection: each request's client is its own headers' (or the
        proxy itself without them), never the previous request's."""
        gw = self.gateway({"echo": {"path": "/echo",
                                    "backend": "127.0.0.1:9"}},
                          {"trusted_proxies": "127.0.0.1",
                           "health_path": "/health"})
        c = self.raw(gw)
        port = c.sock.getsockname()[1]
        for xff in (b"198.51.100.1", b"198.51.100.2", None):
            mark = gw.mark()
            hdr = b"X-Forwarded-For: " + xff + b"\r\n" if xff else b""
            r = c.request(b"GET /health HTTP/1.1\r\nHost: x\r\n" + hdr +
                          b"\r\n")
            self.assertEqual(r.status, 200)
            c.read_body(r)
            who = xff.decode() if xff else "127.0.0.1:%d" % port
            gw.wait_log(r"web client=%s status=200 " % re.escape(who),
                        start=mark)
