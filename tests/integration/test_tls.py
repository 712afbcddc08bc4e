"""test_tls.py -- TLS (issue 4): wss listeners, SNI, plain requests on a
TLS port, certificate reload on SIGHUP, client certificates, TLS to
backends, 16 MiB each way, abrupt disconnects, key file permissions.

Keys and certificates are made at test time with the openssl command
(tls_support.PKI).  Run by run.py with the other integration tests:

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate -k TLS
"""

import asyncio
import hashlib
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import harness as H
import websockets
from websockets.exceptions import InvalidStatusCode, WebSocketException

from tls_support import (PKI, TLSEchoBackend, peer_subject,
                         s_client_subject)

PKI_DIR = None
pki = None


def setUpModule():
    global PKI_DIR, pki
    PKI_DIR = tempfile.mkdtemp(prefix="wsgate-pki-")
    pki = PKI(PKI_DIR)
    # SNI and reload certificates.
    pki.a = pki.leaf("a", "a.example", ["DNS:a.example"])
    pki.b = pki.leaf("b", "*.b.example", ["DNS:*.b.example"])
    pki.server2 = pki.leaf("server2", "localhost",
                           ["DNS:localhost", "IP:127.0.0.1"],
                           subject_extra="/O=reloaded")


def tearDownModule():
    shutil.rmtree(PKI_DIR, ignore_errors=True)


def tls_gateway(routes, gateway=None, plain=True):
    """Config text: a plain and a TLS listener (ports[0], ports[1]), or
    only the TLS one (ports[0]) when plain is False."""
    gw = {"listen": (["127.0.0.1:0"] if plain else []) +
          ["127.0.0.1:0 tls"],
          "tls_cert": pki.server.cert, "tls_key": pki.server.key}
    gw.update(gateway or {})
    return H.config(routes, gw)


def wss_connect(port, path="/echo", ctx=None, hostname="localhost",
                **kw):
    """websockets client to the TLS port at 127.0.0.1, verifying the
    certificate for hostname against the test root."""
    return websockets.connect(
        "wss://127.0.0.1:%d%s" % (port, path),
        ssl=ctx if ctx is not None else pki.client_ctx(),
        server_hostname=hostname, compression=None, max_size=None,
        open_timeout=H.timeout(10), close_timeout=H.timeout(5),
        ping_interval=None, **kw)


async def echo_exact(ws, data):
    """Send data as one message; read the echo (which the gateway may
    split into several messages) back; return it."""
    await ws.send(data)
    got = bytearray()
    while len(got) < len(data):
        got += await ws.recv()
    return bytes(got)


def wss_echo(port, path="/echo", sizes=(1, 125, 126, 65536), **kw):
    async def run():
        async with wss_connect(port, path, **kw) as ws:
            for n in sizes:
                data = os.urandom(n)
                assert await echo_exact(ws, data) == data, n
            return ws.transport.get_extra_info("ssl_object")
    return H.run_async(run())


def wss_status(port, path, **kw):
    """The HTTP status of a refused wss upgrade (101 if it opened)."""
    async def run():
        try:
            async with wss_connect(port, path, **kw):
                return 101
        except InvalidStatusCode as e:
            return e.status_code
    return H.run_async(run())


def wss_fails(port, path="/echo", **kw):
    """True if the TLS connection or the upgrade fails (not a status)."""
    async def run():
        try:
            async with wss_connect(port, path, **kw) as ws:
                await ws.send(b"x")
                await ws.recv()
        except InvalidStatusCode:
            raise
        except (ssl.SSLError, OSError, EOFError, WebSocketException,
                asyncio.TimeoutError):
            return True
        return False
    return H.run_async(run())


def raw_request(port, data, limit=5):
    """Send bytes on a plain TCP connection; everything read until the
    gateway closes (or limit seconds)."""
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=H.timeout(limit)) as s:
        s.sendall(data)
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            out += b
        return out


def rst_close(sock):
    """Close with RST (SO_LINGER 0): the abrupt way."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()


def client_hello():
    """The bytes of a real TLS ClientHello (from a memory BIO)."""
    ctx = ssl.create_default_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


UPGRADE = (b"GET /echo HTTP/1.1\r\nHost: localhost\r\n"
           b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")


class TLSListener(unittest.TestCase):
    def test_wss_echo_verifies_the_full_chain(self):
        # The client trusts only the root: the gateway must send the
        # intermediate too (tls_cert is a full chain).  Plain and TLS
        # listeners serve side by side.
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_gateway({"e": {"path": "/echo",
                                                   "backend": be.addr}})) \
                as gw:
            obj = wss_echo(gw.ports[1], sizes=(1, 125, 126, 65535, 65536,
                                               1 << 20))
            self.assertEqual(obj.version(), "TLSv1.3")
            self.assertEqual(peer_subject(obj), "localhost")
            gw.wait_log(r"close client=\S+ route=e up=1179899 "
                        r"down=1179899 .* code=1000")

            async def plain():
                async with websockets.connect(
                        "ws://127.0.0.1:%d/echo" % gw.ports[0],
                        compression=None) as ws:
                    return await echo_exact(ws, b"plain")
            self.assertEqual(H.run_async(plain()), b"plain")
            # The certificate's expiry is logged; 2 days left: a warning.
            gw.wait_log(r" warn tls \[gateway\]: certificate CN=localhost "
                        r"valid until \S+ \S+ UTC \(\d days? left\)")

    def test_alpn_and_close_notify(self):
        # "tls http1_only": h2 offered, http/1.1 chosen (a plain "tls"
        # listener would choose h2: test_h2.py).
        with H.Gateway(None, tls_gateway({"e": {"path": "/echo",
                                                "backend": "x:1"}},
                                         {"listen": "127.0.0.1:0 tls "
                                          "http1_only"},
                                         plain=False)) as gw:
            ctx = pki.client_ctx()
            ctx.set_alpn_protocols(["h2", "http/1.1"])
            # Python ignores a missing close_notify by default.
            ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
            raw = socket.create_connection(("127.0.0.1", gw.port),
                                           timeout=H.timeout(5))
            # suppress_ragged_eofs=False: a close without close_notify
            # would raise SSLEOFError below.
            s = ctx.wrap_socket(raw, server_hostname="localhost",
                                suppress_ragged_eofs=False)
            self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
            s.sendall(b"GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n")
            out = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                out += b
            self.assertTrue(out.startswith(b"HTTP/1.1 404 "), out)
            s.close()
            # No ALPN offered: none chosen, still fine.
            with pki.client_ctx().wrap_socket(
                    socket.create_connection(("127.0.0.1", gw.port)),
                    server_hostname="localhost") as s2:
                self.assertIsNone(s2.selected_alpn_protocol())

    def test_no_renegotiation(self):
        # (Session resumption: test_tls_resume.py.)
        with H.Gateway(None, tls_gateway({"e": {"path": "/echo",
                                                "backend": "x:1"}},
                                         plain=False)) as gw:
            # s_client asks for a renegotiation on the line "R".
            p = subprocess.Popen(
                ["openssl", "s_client", "-connect", "127.0.0.1:%d" %
                 gw.port, "-tls1_2", "-CAfile", pki.ca],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT)
            time.sleep(H.timeout(0.5))
            out, _ = p.communicate(b"R\n", timeout=H.timeout(10))
            self.assertIn(b"RENEGOTIATING", out)
            self.assertIn(b"no renegotiation", out)

    def test_curves(self):
        with H.Gateway(None, tls_gateway({"e": {"path": "/echo",
                                                "backend": "x:1"}},
                                         plain=False)) as gw:
            for groups, ok in (("X25519", True), ("P-256", True),
                               ("P-384", True), ("P-521", False)):
                p = subprocess.run(
                    ["openssl", "s_client", "-connect",
                     "127.0.0.1:%d" % gw.port, "-groups", groups,
                     "-tls1_3"], stdin=subprocess.DEVNULL,
                    capture_output=True, timeout=H.timeout(10))
                out = p.stdout.decode(errors="replace")
                self.assertEqual("Cipher is TLS_" in out, ok, groups)

    def test_expired_listener_certificate_warned(self):
        gwcfg = H.config({"e": {"path": "/echo", "backend": "x:1"}},
                         {"listen": "127.0.0.1:0 tls",
                          "tls_cert": pki.expired.cert,
                          "tls_key": pki.expired.key})
        with H.Gateway(None, gwcfg) as gw:
            gw.wait_log(r" warn tls \[gateway\]: certificate "
                        r"CN=backend.test EXPIRED on 2020-02-01")

    def test_last_day_of_a_certificate_is_not_expired(self):
        # Hours left is a warning with "0 days left": the notBefore check
        # once overwrote the seconds of the notAfter one, so such a
        # certificate was logged as EXPIRED on a future date.
        now = time.time()
        fmt = lambda t: time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t))
        leaf = pki.leaf("lastday", "lastday.test", ["DNS:lastday.test"],
                        dates=(fmt(now - 3600), fmt(now + 12 * 3600)))
        gwcfg = H.config({"e": {"path": "/echo", "backend": "x:1"}},
                         {"listen": "127.0.0.1:0 tls",
                          "tls_cert": leaf.cert, "tls_key": leaf.key})
        with H.Gateway(None, gwcfg) as gw:
            gw.wait_log(r" warn tls \[gateway\]: certificate "
                        r"CN=lastday\.test valid until \S+ \S+ UTC "
                        r"\(0 days left\)")
            self.assertFalse([l for l in gw.lines if "EXPIRED" in l])

    def test_pipelined_frame_in_the_request_record(self):
        # The upgrade request and a 12 KiB frame in one TLS record, more
        # than max_request_bytes: all of it must be relayed, though the
        # client sends nothing more.  (With max_request_bytes as a read
        # watermark, libevent 2.1 stopped reading mid-record and the
        # rest stayed inside OpenSSL: this test hung.)
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_gateway(
                    {"e": {"path": "/echo", "backend": be.addr}},
                    {"max_request_bytes": "1k"}, plain=False)) as gw:
            payload = os.urandom(12 << 10)
            frame = (b"\x82\xfe" + struct.pack("!H", len(payload)) +
                     b"\x00" * 4 + payload)
            raw = socket.create_connection(("127.0.0.1", gw.port),
                                           timeout=H.timeout(5))
            with pki.client_ctx().wrap_socket(
                    raw, server_hostname="localhost") as s:
                s.sendall(UPGRADE + frame)      # one SSL_write: one record
                got = b""
                while b"\r\n\r\n" not in got:
                    got += s.recv(65536)
                head, _, rest = got.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 101"))
                echoed = bytearray()
                while len(echoed) < len(payload):
                    f, used = H.parse_frame(rest)
                    if f is None:
                        rest += s.recv(65536)
                        continue
                    echoed += f.payload
                    rest = rest[used:]
                self.assertEqual(bytes(echoed), payload)

    def test_tls12_allowed_older_versions_refused(self):
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_gateway({"e": {"path": "/echo",
                                                   "backend": be.addr}},
                                            plain=False)) as gw:
            ctx = pki.client_ctx(maximum=ssl.TLSVersion.TLSv1_2)
            obj = wss_echo(gw.port, ctx=ctx, sizes=(10,))
            self.assertEqual(obj.version(), "TLSv1.2")
            # Mozilla intermediate: forward secret AEAD suites only.
            self.assertRegex(obj.cipher()[0],
                             r"^ECDHE-(RSA|ECDSA)-(AES\d+-GCM|CHACHA20)")
            for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
                mark = gw.mark()
                ctx = pki.client_ctx(minimum=version, maximum=version)
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                self.assertTrue(wss_fails(gw.port, ctx=ctx), version)
                gw.wait_log(r"tls client=\S+ handshake failed: "
                            r"unsupported protocol", start=mark)

    def test_min_version_13(self):
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_gateway(
                    {"e": {"path": "/echo", "backend": be.addr}},
                    {"tls_min_version": "1.3"}, plain=False)) as gw:
            ctx = pki.client_ctx(maximum=ssl.TLSVersion.TLSv1_2)
            self.assertTrue(wss_fails(gw.port, ctx=ctx))
            self.assertEqual(wss_echo(gw.port, sizes=(3,)).version(),
                             "TLSv1.3")

    def test_tls12_ciphers_and_13_suites_configurable(self):
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_gateway(
                    {"e": {"path": "/echo", "backend": be.addr}},
                    {"tls_ciphers": "ECDHE-RSA-CHACHA20-POLY1305",
                     "tls_ciphersuites": "TLS_CHACHA20_POLY1305_SHA256"},
                    plain=False)) as gw:
            obj = wss_echo(gw.port, sizes=(3,),
                           ctx=pki.client_ctx(
                               maximum=ssl.TLSVersion.TLSv1_2))
            self.assertEqual(obj.cipher()[0], "ECDHE-RSA-CHACHA20-POLY1305")
            obj = wss_echo(gw.port, sizes=(3,))
            self.assertEqual(obj.cipher()[0], "TLS_CHACHA20_POLY1305_SHA256")

    def test_plain_request_on_tls_port_gets_400(self):
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_gateway({"e": {"path": "/echo",
                                                   "backend": be.addr}},
                                            plain=False)) as gw:
            out = raw_request(gw.port, UPGRADE)
            self.assertTrue(out.startswith(b"HTTP/1.1 400 "), out)
            self.assertIn(b"use https:// or wss://", out)
            gw.wait_log(r"reject client=\S+ status=400 .*reason=\"this "
                        r"port speaks TLS")
            self.assertEqual(wss_status_plain(gw.port), 400)
            # Still a TLS port afterwards.
            wss_echo(gw.port, sizes=(5,))

    def test_sni_selects_the_certificate(self):
        gwcfg = tls_gateway({"e": {"path": "/echo", "backend": "x:1"}},
                            plain=False)
        gwcfg += ("\n[tls:a]\nserver_names = a.example\n"
                  "tls_cert = %s\ntls_key = %s\n"
                  "\n[tls:b]\nserver_names = *.b.example, c.example\n"
                  "tls_cert = %s\ntls_key = %s\n" % (
                      pki.a.cert, pki.a.key, pki.b.cert, pki.b.key))
        with H.Gateway(None, gwcfg) as gw:
            cases = [("a.example", "a.example"),
                     ("A.Example", "a.example"),
                     ("x.b.example", r"\*.b.example"),
                     ("c.example", r"\*.b.example"),
                     ("b.example", "localhost"),        # not *.b.example
                     ("y.x.b.example", "localhost"),    # one label only
                     ("unknown.test", "localhost"),
                     (None, "localhost")]
            for name, cn in cases:
                subject = s_client_subject(gw.port, name)
                self.assertRegex(subject, r"CN ?= ?%s$" % cn, name)

    def test_abrupt_disconnects_mid_handshake(self):
        # Every path must free its OpenSSL objects: the sanitizer run's
        # leak check at exit catches those that do not.
        hello = client_hello()
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_gateway(
                    {"e": {"path": "/echo", "backend": be.addr}},
                    {"handshake_timeout": "1"}, plain=False)) as gw:
            addr = ("127.0.0.1", gw.port)
            socket.create_connection(addr).close()
            rst_close(socket.create_connection(addr))
            for cut in (1, 5, len(hello) // 2, len(hello)):
                s = socket.create_connection(addr)
                s.sendall(hello[:cut])
                time.sleep(0.02)
                rst_close(s) if cut % 2 else s.close()
            # Handshake done, then gone: before, during and after the
            # upgrade request, and in the middle of a session.
            ctx = pki.client_ctx()
            for extra in (b"", UPGRADE[:20], UPGRADE):
                raw = socket.create_connection(addr)
                s = ctx.wrap_socket(raw, server_hostname="localhost")
                if extra:
                    s.sendall(extra)
                if extra == UPGRADE:
                    s.settimeout(H.timeout(5))
                    self.assertTrue(s.recv(4096).startswith(
                        b"HTTP/1.1 101"))
                    s.sendall(b"\x82\x85abcd" + b"\x00" * 3)  # half frame
                time.sleep(0.02)
                rst_close(s)
            gw.wait_log(r"close client=\S+ route=e .* code=1006")
            fds = gw.fd_count()
            # A client that stalls inside the handshake is dropped at
            # handshake_timeout.
            s = socket.create_connection(addr, timeout=H.timeout(10))
            s.sendall(hello[:10])
            try:
                self.assertEqual(s.recv(10), b"")
            except ConnectionResetError:
                pass
            s.close()
            wss_echo(gw.port, sizes=(7,))
            H.wait_until(lambda: gw.fd_count() <= fds, 5, "fds released")
            self.assertGreaterEqual(
                len(gw.find_log(r"tls client=\S+ handshake failed")), 3)

    def test_drain_closes_wss_with_1001(self):
        with H.EchoBackend() as be:
            gw = H.Gateway(None, tls_gateway({"e": {"path": "/echo",
                                                    "backend": be.addr}},
                                             plain=False))

            async def run():
                async with wss_connect(gw.port) as ws:
                    self.assertEqual(await echo_exact(ws, b"y"), b"y")
                    gw.send_signal(signal.SIGTERM)
                    try:
                        while True:
                            await ws.recv()
                    except websockets.exceptions.ConnectionClosed as e:
                        return e.code
            with gw:
                self.assertEqual(H.run_async(run(), 30), 1001)
                self.assertEqual(gw.wait_exit(), 0)
                gw.wait_log(r"close client=\S+ route=e .*code=1001 "
                            r"by=gateway")

    def test_forced_exit_with_open_sessions(self):
        # A second SIGTERM exits at once, freeing every session as it is
        # (wss, ws, one mid-TLS-handshake): the sanitizer run checks that
        # nothing leaks, relay events and OpenSSL objects included.
        with H.EchoBackend() as be:
            gw = H.Gateway(None, tls_gateway({"e": {"path": "/echo",
                                                    "backend": be.addr}}))

            async def run():
                conns = []
                for port, url in ((gw.ports[1], None),
                                  (gw.ports[1], None),
                                  (gw.ports[0], "ws://127.0.0.1:%d/echo")):
                    ws = await (wss_connect(port) if url is None else
                                websockets.connect(url % port)).__aenter__()
                    self.assertEqual(await echo_exact(ws, b"x"), b"x")
                    conns.append(ws)
                raw = socket.create_connection(("127.0.0.1", gw.ports[1]))
                raw.sendall(client_hello()[:20])
                mark = gw.mark()
                gw.send_signal(signal.SIGTERM)
                gw.wait_log("draining", start=mark)
                gw.send_signal(signal.SIGTERM)
                self.assertEqual(gw.wait_exit(), 0)
                raw.close()
            with gw:
                H.run_async(run(), 60)

    def test_idle_tls_connection_memory(self):
        n = 100
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_gateway({"e": {"path": "/echo",
                                                   "backend": be.addr}},
                                            plain=False)) as gw:
            async def run():
                conns = [await wss_connect(gw.port).__aenter__()]
                await echo_exact(conns[0], b"warm up")
                before = gw.rss_kb()
                for _ in range(n):
                    ws = await wss_connect(gw.port).__aenter__()
                    await echo_exact(ws, b"x")
                    conns.append(ws)
                await asyncio.sleep(0.2)
                after = gw.rss_kb()
                for ws in conns:
                    await ws.close()
                return before, after
            before, after = H.run_async(run(), 120)
            per = (after - before) / n
            print("idle wss connection: %.1f KiB RSS each (%d -> %d KiB "
                  "for %d)" % (per, before, after, n))
            sys.stderr.write("# TLS memory: %.1f KiB per idle wss "
                             "connection (gateway + backend side)\n" % per)
            if not H.SANITIZER:
                self.assertLess(per, 96)


def wss_status_plain(port):
    """A ws:// (plain) upgrade to port: its HTTP status."""
    async def run():
        try:
            async with websockets.connect("ws://127.0.0.1:%d/echo" % port,
                                          open_timeout=H.timeout(5)):
                return 101
        except InvalidStatusCode as e:
            return e.status_code
    return H.run_async(run())


class ClientCertificates(unittest.TestCase):
    def test_required(self):
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_gateway(
                    {"e": {"path": "/echo", "backend": be.addr}},
                    {"tls_client_ca": pki.ca,
                     "tls_verify_client": "required"}, plain=False)) as gw:
            mark = gw.mark()
            self.assertTrue(wss_fails(gw.port))
            gw.wait_log(r"tls client=\S+ handshake failed: peer did not "
                        r"return a certificate", start=mark)
            mark = gw.mark()
            self.assertTrue(wss_fails(gw.port,
                                      ctx=pki.client_ctx(pki.mallory)))
            gw.wait_log(r"tls client=\S+ handshake failed: certificate "
                        r"verify failed", start=mark)
            wss_echo(gw.port, ctx=pki.client_ctx(pki.alice), sizes=(9,))

    def test_optional_with_allowed_client_cns(self):
        routes = {
            "pub": {"path": "/pub", "backend": None},
            # SAN DNS name match.
            "alice": {"path": "/alice", "backend": None,
                      "allowed_client_cns": "alice.clients.test"},
            # Subject CN match; comma-separated, names may have blanks.
            "bob": {"path": "/bob", "backend": None,
                    "allowed_client_cns": "Jane Doe, bob"},
        }
        with H.EchoBackend() as be:
            for r in routes.values():
                r["backend"] = be.addr
            with H.Gateway(None, tls_gateway(
                    routes, {"tls_client_ca": pki.ca,
                             "tls_verify_client": "optional"})) as gw:
                plain, port = gw.ports
                wss_echo(port, "/pub", sizes=(4,))
                self.assertEqual(wss_status(port, "/alice"), 403)
                gw.wait_log(r"reject client=\S+ status=403 path=\"/alice\""
                            r".* route=alice reason=\"this route needs a "
                            r"client certificate")
                alice = pki.client_ctx(pki.alice)
                wss_echo(port, "/alice", ctx=alice, sizes=(4,))
                wss_echo(port, "/pub", ctx=alice, sizes=(4,))
                self.assertEqual(wss_status(port, "/bob", ctx=alice), 403)
                gw.wait_log(r"reject client=\S+ status=403 path=\"/bob\".*"
                            r"reason=\"client certificate CN=alice matches "
                            r"no allowed_client_cns name\"")
                wss_echo(port, "/bob", ctx=pki.client_ctx(pki.bob),
                         sizes=(4,))
                # A certificate from an unknown CA fails the handshake
                # even when certificates are optional.
                self.assertTrue(wss_fails(port, "/pub",
                                          ctx=pki.client_ctx(pki.mallory)))

                async def plain_alice():
                    try:
                        async with websockets.connect(
                                "ws://127.0.0.1:%d/alice" % plain):
                            return 101
                    except InvalidStatusCode as e:
                        return e.status_code
                self.assertEqual(H.run_async(plain_alice()), 403)


class BackendTLS(unittest.TestCase):
    def route(self, backend, **keys):
        r = {"path": "/echo", "backend": backend.addr, "backend_tls": "yes",
             "backend_tls_ca": pki.ca}
        r.update(keys)
        return H.config({"t": r})

    def status(self, gw):
        return wss_status_plain_path(gw.port, "/echo")

    def test_verified_by_name_and_by_ip(self):
        with TLSEchoBackend(pki.server_ctx(pki.backend)) as be:
            for keys in ({"backend_tls_name": "backend.test"}, {}):
                with H.Gateway(None, self.route(be, **keys)) as gw:
                    fds = gw.fd_count()
                    self.assertEqual(plain_echo(gw.port, b"hi" * 1000),
                                     b"hi" * 1000)
                    gw.wait_log(r"close client=\S+ route=t up=2000 "
                                r"down=2000 .* code=1000")
                    # The TCP-then-TLS hand-over leaks no descriptor.
                    H.wait_until(lambda: gw.fd_count() == fds, 5,
                                 "fds back to %d" % fds)

    def test_refused_wrong_name_expired_untrusted(self):
        cases = [(pki.other, {"backend_tls_name": "backend.test"},
                  "hostname mismatch"),
                 (pki.expired, {}, "certificate has expired"),
                 (pki.backend, {"backend_tls_ca": None},
                  "unable to get local issuer certificate")]
        for leaf, keys, why in cases:
            with TLSEchoBackend(pki.server_ctx(leaf)) as be, \
                    H.Gateway(None, self.route(be, **keys)) as gw:
                self.assertEqual(self.status(gw), 502, why)
                gw.wait_log(r"reject client=\S+ status=502 .*TLS handshake "
                            r"failed: certificate verify failed \(%s\)" %
                            why)

    def test_verify_off(self):
        with TLSEchoBackend(pki.server_ctx(pki.other)) as be, \
                H.Gateway(None, self.route(be, backend_tls_verify="no",
                                           backend_tls_ca=None)) as gw:
            self.assertEqual(plain_echo(gw.port, b"unverified"),
                             b"unverified")

    def test_client_certificate_to_backend(self):
        ctx = pki.server_ctx(pki.backend, client_ca=pki.ca)
        with TLSEchoBackend(ctx) as be, \
                H.Gateway(None, self.route(
                    be, backend_tls_cert=pki.alice.cert,
                    backend_tls_key=pki.alice.key)) as gw:
            self.assertEqual(plain_echo(gw.port, b"mutual"), b"mutual")
            self.assertEqual(be.peer_cns, ["alice"])

    def test_silent_backend_times_out_504(self):
        # TCP accepted, TLS never answered: backend_connect_timeout
        # covers the TLS handshake too.
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(4)
        addr = "127.0.0.1:%d" % lsock.getsockname()[1]
        try:
            cfg = H.config({"t": {"path": "/echo", "backend": addr,
                                  "backend_tls": "yes",
                                  "backend_tls_ca": pki.ca,
                                  "backend_connect_timeout": "0.5"}})
            with H.Gateway(None, cfg) as gw:
                self.assertEqual(self.status(gw), 504)
                gw.wait_log(r"status=504 .*connect timed out")
        finally:
            lsock.close()

    def test_backend_refused_is_502_not_tls_error(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        addr = "127.0.0.1:%d" % sock.getsockname()[1]
        try:
            cfg = H.config({"t": {"path": "/echo", "backend": addr,
                                  "backend_tls": "yes",
                                  "backend_tls_ca": pki.ca}})
            with H.Gateway(None, cfg) as gw:
                self.assertEqual(self.status(gw), 502)
                gw.wait_log(r"status=502 .*Connection refused")
        finally:
            sock.close()


def wss_status_plain_path(port, path):
    async def run():
        try:
            async with websockets.connect("ws://127.0.0.1:%d%s" % (
                    port, path), open_timeout=H.timeout(10)):
                return 101
        except InvalidStatusCode as e:
            return e.status_code
    return H.run_async(run())


def plain_echo(port, data, path="/echo"):
    async def run():
        async with websockets.connect("ws://127.0.0.1:%d%s" % (port, path),
                                      compression=None, max_size=None,
                                      open_timeout=H.timeout(10)) as ws:
            return await echo_exact(ws, data)
    return H.run_async(run())


class Reload(unittest.TestCase):
    def test_sighup_reloads_certificates(self):
        with H.EchoBackend() as be:
            gwcfg = H.config({"e": {"path": "/echo", "backend": be.addr}},
                             {"listen": "127.0.0.1:0 tls",
                              "tls_cert": "cert.pem", "tls_key": "key.pem"})
            gw = H.Gateway(None, gwcfg)

            def install(leaf, key=None):
                shutil.copy(leaf.cert, os.path.join(gw.dir, "cert.pem"))
                shutil.copy(key or leaf.key, os.path.join(gw.dir,
                                                          "key.pem"))
                os.chmod(os.path.join(gw.dir, "key.pem"), 0o600)

            install(pki.server)

            def org(obj):
                for rdn in obj.getpeercert()["subject"]:
                    for k, v in rdn:
                        if k == "organizationName":
                            return v
                return None

            async def run():
                old = await wss_connect(gw.port).__aenter__()
                self.assertEqual(await echo_exact(old, b"1"), b"1")
                self.assertIsNone(org(old.transport.get_extra_info(
                    "ssl_object")))
                install(pki.server2)
                self.assertIn("reloaded", gw.reload().group(0))
                async with wss_connect(gw.port) as new:
                    self.assertEqual(org(new.transport.get_extra_info(
                        "ssl_object")), "reloaded")
                    self.assertEqual(await echo_exact(new, b"2"), b"2")
                # The established connection goes on.
                self.assertEqual(await echo_exact(old, b"3"), b"3")

                # Broken files: the reload fails, saying why, and the
                # running certificate stays.
                for broken, why in (("garbage", "cannot load a PEM "
                                     "certificate chain"),
                                    ("mismatch", "does not match")):
                    mark = gw.mark()
                    if broken == "garbage":
                        with open(os.path.join(gw.dir, "cert.pem"),
                                  "w") as f:
                            f.write("-----BEGIN CERTIFICATE-----\nnot\n")
                    else:
                        install(pki.server2, key=pki.server.key)
                    self.assertIn("reload failed", gw.reload().group(0))
                    gw.wait_log(why, start=mark)
                    async with wss_connect(gw.port) as new:
                        self.assertEqual(org(new.transport.get_extra_info(
                            "ssl_object")), "reloaded")
                self.assertEqual(await echo_exact(old, b"4"), b"4")
                await old.close()
            with gw:
                H.run_async(run(), 60)


def first_pem_block(path):
    """The first certificate of a PEM chain file, as text."""
    with open(path) as f:
        text = f.read()
    end = "-----END CERTIFICATE-----\n"
    return text[:text.index(end) + len(end)]


def handshake_verdict(port, hostname="localhost"):
    """True if a client trusting only the test root verifies the
    gateway's chain; else OpenSSL's verify message."""
    ctx = pki.client_ctx()
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=H.timeout(5)) as s:
        try:
            with ctx.wrap_socket(s, server_hostname=hostname):
                return True
        except ssl.SSLCertVerificationError as e:
            return e.verify_message


class CertificateChain(unittest.TestCase):
    """Issue 9.11: tls_cert (leaf + intermediate) copied in place is
    read whole PEM blocks at a time, so a SIGHUP that comes while only the
    leaf is written used to load a chain without the intermediate, and
    every client that lacks it failed until the next good reload."""

    def gateway(self, backend, chain, env=None):
        gwcfg = H.config({"e": {"path": "/echo", "backend": backend.addr}},
                         {"listen": "127.0.0.1:0 tls",
                          "tls_cert": "cert.pem", "tls_key": "key.pem"})
        gw = H.Gateway(None, gwcfg, env=env)
        self.write(gw, chain)
        shutil.copy(pki.server.key, os.path.join(gw.dir, "key.pem"))
        os.chmod(os.path.join(gw.dir, "key.pem"), 0o600)
        return gw

    def write(self, gw, text):
        """Rewrite cert.pem in place, as cp does (not atomically)."""
        with open(os.path.join(gw.dir, "cert.pem"), "w") as f:
            f.write(text)

    def chain(self, *paths):
        text = ""
        for p in paths:
            with open(p) as f:
                text += f.read()
        return text

    def test_reload_refuses_a_chain_cut_after_the_leaf(self):
        full = self.chain(pki.server.cert)
        with H.EchoBackend() as be, self.gateway(be, full) as gw:
            self.assertIs(handshake_verdict(gw.port), True)
            # The copy has written the leaf, not yet the intermediate.
            self.write(gw, first_pem_block(pki.server.cert))
            mark = gw.mark()
            self.assertIn("reload failed", gw.reload().group(0))
            gw.wait_log(r"\[gateway\] tls_cert: \S+cert.pem: the chain \(1 "
                        r"certificate\) stops at issuer CN=wsgate test "
                        r"intermediate, which is neither in the file nor "
                        r"in the system CA store, while the running chain "
                        r"includes that certificate", start=mark)
            # The running chain is still served, intermediate included.
            self.assertIs(handshake_verdict(gw.port), True)
            # The copy ends: the whole file reloads.
            self.write(gw, full)
            self.assertIn("configuration reloaded", gw.reload().group(0))
            self.assertIs(handshake_verdict(gw.port), True)
            self.assertEqual(wss_echo(gw.port, sizes=(10,)).version(),
                             "TLSv1.3")
            # A private root: each start and reload says where the chain
            # ends.
            gw.wait_log(r" info tls \[gateway\]: the chain \(2 "
                        r"certificates\) ends at issuer CN=wsgate test "
                        r"root, which is not in the system CA store")

    def test_reload_refuses_a_cut_chain_of_a_system_ca(self):
        # The test root stands in for a public CA in the system store.
        env = dict(os.environ, SSL_CERT_FILE=pki.root_cert)
        full = self.chain(pki.server.cert)
        with H.EchoBackend() as be, self.gateway(be, full, env) as gw:
            self.write(gw, first_pem_block(pki.server.cert))
            mark = gw.mark()
            self.assertIn("reload failed", gw.reload().group(0))
            gw.wait_log(r"stops at issuer CN=wsgate test intermediate, .* "
                        r"while the running chain reaches a CA of the "
                        r"system store", start=mark)
            self.assertIs(handshake_verdict(gw.port), True)
            self.assertEqual(gw.find_log(r"the chain .* ends at issuer"), [])

    def test_sni_section_checked_by_name(self):
        # A [tls:NAME] certificate is held to its own running chain.
        with H.EchoBackend() as be:
            gw = self.gateway(be, self.chain(pki.server.cert))
            a = os.path.join(gw.dir, "a.pem")
            shutil.copy(pki.a.cert, a)
            gw.write_config(H.config(
                {"e": {"path": "/echo", "backend": be.addr}},
                {"listen": "127.0.0.1:0 tls", "tls_cert": "cert.pem",
                 "tls_key": "key.pem"}) +
                "\n[tls:a]\nserver_names = a.example\ntls_cert = a.pem\n"
                "tls_key = %s\n" % pki.a.key)
            with gw:
                self.assertIs(handshake_verdict(gw.port, "a.example"), True)
                with open(a, "w") as f:
                    f.write(first_pem_block(pki.a.cert))
                mark = gw.mark()
                self.assertIn("reload failed", gw.reload().group(0))
                gw.wait_log(r"\[tls:a\] tls_cert: \S+a.pem: the chain \(1 "
                            r"certificate\) stops at issuer CN=wsgate test "
                            r"intermediate", start=mark)
                self.assertEqual(gw.find_log(r"\[gateway\] tls_cert",
                                             start=mark), [])
                self.assertIs(handshake_verdict(gw.port, "a.example"), True)

    def test_chain_length_change_warned(self):
        two = self.chain(pki.server.cert)
        three = self.chain(pki.server.cert, pki.root_cert)
        with H.EchoBackend() as be, self.gateway(be, two) as gw:
            self.write(gw, three)
            mark = gw.mark()
            self.assertIn("configuration reloaded", gw.reload().group(0))
            gw.wait_log(r" warn tls \[gateway\]: \S+cert.pem now holds a "
                        r"chain of 3 certificates \(2 before\)", start=mark)
            # Leaving out a self-signed root is fine: clients have it.
            self.write(gw, two)
            mark = gw.mark()
            self.assertIn("configuration reloaded", gw.reload().group(0))
            gw.wait_log(r"now holds a chain of 2 certificates \(3 before\)",
                        start=mark)
            self.assertIs(handshake_verdict(gw.port), True)

    def test_private_ca_leaf_only_renewals_reload(self):
        # A leaf straight from a private CA (as the README makes): the
        # chain always stops at that CA, which is fine, and renewals
        # reload.
        with H.EchoBackend() as be, \
                self.gateway(be, first_pem_block(pki.server.cert)) as gw:
            gw.wait_log(r"the chain \(1 certificate\) ends at issuer "
                        r"CN=wsgate test intermediate")
            self.write(gw, first_pem_block(pki.server2.cert))
            shutil.copy(pki.server2.key, os.path.join(gw.dir, "key.pem"))
            self.assertIn("configuration reloaded", gw.reload().group(0))
            self.assertEqual(gw.find_log(r" warn tls \[gateway\]: \S+ now "
                                         r"holds"), [])


class LargeTransfers(unittest.TestCase):
    SIZE = 16 << 20

    def big_echo(self, port, path="/echo", plain=False):
        data = os.urandom(self.SIZE)

        async def run():
            conn = (websockets.connect("ws://127.0.0.1:%d%s" % (port, path),
                                       compression=None, max_size=None)
                    if plain else wss_connect(port, path))
            async with conn as ws:
                # Read while sending, or both sides' buffers fill up.
                got = bytearray()

                async def reader():
                    while len(got) < len(data):
                        got.extend(await ws.recv())
                task = asyncio.ensure_future(reader())
                await ws.send(data)
                await task
                return bytes(got)
        got = H.run_async(run(), 120)
        self.assertEqual(len(got), len(data))
        self.assertEqual(hashlib.sha256(got).digest(),
                         hashlib.sha256(data).digest())

    def test_16mib_each_way_over_wss(self):
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_gateway({"e": {"path": "/echo",
                                                   "backend": be.addr}},
                                            plain=False)) as gw:
            self.big_echo(gw.port)
            gw.wait_log(r"close client=\S+ route=e up=%d down=%d " %
                        (self.SIZE, self.SIZE))

    def test_16mib_each_way_over_tls_backend(self):
        with TLSEchoBackend(pki.server_ctx(pki.backend)) as be, \
                H.Gateway(None, tls_gateway(
                    {"t": {"path": "/echo", "backend": be.addr,
                           "backend_tls": "yes",
                           "backend_tls_ca": pki.ca}},
                    plain=True)) as gw:
            self.big_echo(gw.ports[1])
            self.big_echo(gw.ports[0], plain=True)


class TLSFarewell(H.Backend):
    """A TLS service for one connection: reads until the gateway's end of
    stream (close_notify), then answers "bye N" (N: bytes read) and
    closes.  .errors: what went wrong (an EOF without close_notify
    too)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.nread = 0
        self.errors = []
        self.done = threading.Event()
        super().__init__()

    def handle(self, conn):
        try:
            conn.sock.settimeout(H.timeout(10))
            with self.ctx.wrap_socket(conn.sock, server_side=True) as tls:
                while True:
                    b = tls.recv(65536)
                    if not b:
                        break
                    self.nread += len(b)
                tls.sendall(b"bye %d" % self.nread)
        except (ssl.SSLError, OSError) as e:
            self.errors.append(repr(e))
        finally:
            self.done.set()


class Shutdown(unittest.TestCase):
    """A shutdown close (test_signals.ShutdownLosesNothing) with TLS on
    both sides: the client's TLS side is no longer read, the backend's
    write side is shut with close_notify, and the backend's answer still
    reaches the wss client before the 1001."""

    def test_sigint_wss_client_tls_backend(self):
        be = TLSFarewell(pki.server_ctx(pki.backend))
        self.addCleanup(be.stop)
        cfg = tls_gateway({"r": {"path": "/r", "backend": be.addr,
                                 "backend_tls": "yes",
                                 "backend_tls_ca": pki.ca,
                                 "backend_tls_name": "backend.test"}},
                          {"drain_timeout": "30"}, plain=False)
        with H.Gateway(None, cfg) as gw:
            c = H.RawClient(gw.port)
            c.sock = pki.client_ctx().wrap_socket(
                c.sock, server_hostname="localhost")
            c.handshake("/r")
            c.send_frame(H.OP_BINARY, b"x" * 100000)
            H.wait_until(lambda: be.nread == 100000, 5,
                         "100000 bytes at the backend")
            mark = gw.mark()
            gw.send_signal(signal.SIGINT)
            got, others = c.recv_data(100, limit=5)
            self.assertEqual(got, b"bye 100000")
            self.assertEqual([f.close_code for f in others], [1001])
            c.send_frame(H.OP_CLOSE, H.close_payload(1001))
            c.expect_eof()
            self.assertEqual(gw.wait_exit(5), 0)
            gw.wait_log(r"close .*route=r up=100000 down=10 .*code=1001 "
                        r"by=gateway", start=mark)
        self.assertTrue(be.done.wait(H.timeout(5)))
        self.assertEqual(be.errors, [])


class Config(unittest.TestCase):
    """Certificate problems are configuration errors (-t, startup,
    SIGHUP), reported as file:line: [section] key: problem."""

    def check(self, gateway_keys, routes=None, extra=""):
        d = tempfile.mkdtemp(prefix="wsgate-tlscfg-")
        try:
            text = H.config(routes or {"e": {"path": "/e",
                                              "backend": "127.0.0.1:1"}},
                            gateway_keys) + extra
            path = os.path.join(d, "wsgate.ini")
            with open(path, "w") as f:
                f.write(text)
            return H.run_binary(["-t", "-c", path])
        finally:
            shutil.rmtree(d)

    def tls(self, **keys):
        gw = {"listen": "127.0.0.1:0 tls", "tls_cert": pki.server.cert,
              "tls_key": pki.server.key}
        gw.update(keys)
        return gw

    def assertError(self, result, regex):
        rc, out, err = result
        self.assertEqual(rc, 1, out + err)
        self.assertRegex(err, regex)

    def test_valid(self):
        rc, out, err = self.check(self.tls())
        self.assertEqual(rc, 0, err)

    def test_readme_commands_and_example(self):
        # The README's certificate commands, run as written, then
        # etc/tls.ini.example on what they made.
        repo = H.REPO
        with open(os.path.join(repo, "README.md")) as f:
            readme = f.read()
        start = readme.index("mkdir -p etc/tls && cd etc/tls")
        block = readme[start:readme.index("```", start)]
        d = tempfile.mkdtemp(prefix="wsgate-readme-")
        try:
            p = subprocess.run(["sh", "-ec", block], cwd=d,
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            shutil.copy(os.path.join(repo, "etc", "tls.ini.example"),
                        os.path.join(d, "etc"))
            os.symlink(os.path.join(repo, "web"), os.path.join(d, "web"))
            rc, out, err = H.run_binary(["-t", "-c", os.path.join(
                d, "etc", "tls.ini.example")])
            self.assertEqual(rc, 0, out + err)
        finally:
            shutil.rmtree(d)

    def test_tls_sections_only_in_main_file(self):
        d = tempfile.mkdtemp(prefix="wsgate-tlscfg-")
        try:
            os.mkdir(os.path.join(d, "routes.d"))
            with open(os.path.join(d, "routes.d", "x.ini"), "w") as f:
                f.write("[tls:x]\nserver_names = a.example\n")
            self.assertError(self.check(self.tls(routes_dir=os.path.join(
                d, "routes.d"))), r"x.ini:1: \[tls:x\]: only \[route:NAME\] "
                r"sections belong in routes_dir files")
        finally:
            shutil.rmtree(d)

    def test_chain_must_build(self):
        # Issue 9.11: signed by a certificate that is not a CA.
        notca = pki.leaf("notca", "localhost", ["DNS:localhost"],
                         issuer="other")
        self.assertError(self.check(self.tls(tls_cert=notca.cert,
                                             tls_key=notca.key)),
                         r":\d+: \[gateway\] tls_cert: .*notca.pem: the "
                         r"certificate chain does not build: certificate 2 "
                         r"\(CN=other.test\): invalid CA certificate")
        # A self-signed certificate, and a leaf without its issuer, load.
        ss_cert, ss_key = pki.path("ss.pem"), pki.path("ss.key")
        if not os.path.exists(ss_cert):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                            "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-keyout", ss_key, "-out", ss_cert, "-days", "2",
                            "-subj", "/CN=localhost"], check=True,
                           capture_output=True)
            os.chmod(ss_key, 0o600)
        rc, out, err = self.check(self.tls(tls_cert=ss_cert, tls_key=ss_key))
        self.assertEqual(rc, 0, err)
        leaf = pki.path("server-leaf.pem")
        with open(leaf, "w") as f:
            f.write(first_pem_block(pki.server.cert))
        rc, out, err = self.check(self.tls(tls_cert=leaf))
        self.assertEqual(rc, 0, err)

    def test_world_readable_key_refused(self):
        d = tempfile.mkdtemp(prefix="wsgate-perm-")
        try:
            os.chmod(d, 0o755)
            key = os.path.join(d, "key.pem")
            shutil.copy(pki.server.key, key)
            os.chmod(key, 0o644)
            self.assertError(self.check(self.tls(tls_key=key)),
                             r"wsgate.ini:\d+: \[gateway\] tls_key: .*key.pem"
                             r": private key readable by every user "
                             r"\(mode 0644\); run chmod 600")
            # A private directory protects it.
            os.chmod(d, 0o750)
            self.assertEqual(self.check(self.tls(tls_key=key))[0], 0)
            os.chmod(d, 0o755)
            os.chmod(key, 0o640)
            self.assertEqual(self.check(self.tls(tls_key=key))[0], 0)
        finally:
            shutil.rmtree(d)

    def test_certificate_problems(self):
        self.assertError(self.check(self.tls(tls_key=pki.a.key)),
                         r":\d+: \[gateway\] tls_key: .*a.key does not "
                         r"match the certificate in .*server.pem")
        enc = os.path.join(PKI_DIR, "encrypted.key")
        if not os.path.exists(enc):
            subprocess.run(["openssl", "pkey", "-in", pki.server.key,
                            "-aes256", "-passout", "pass:secret", "-out",
                            enc], check=True, capture_output=True)
            os.chmod(enc, 0o600)
        self.assertError(self.check(self.tls(tls_key=enc)),
                         r":\d+: \[gateway\] tls_key: .*encrypted.key: "
                         r"cannot load a PEM private key \(without a "
                         r"passphrase\)")
        self.assertError(self.check(self.tls(tls_cert=pki.server.key)),
                         r":\d+: \[gateway\] tls_cert: .*: cannot load a "
                         r"PEM certificate chain")
        self.assertError(self.check(self.tls(tls_cert="/nonexistent.pem")),
                         r":\d+: \[gateway\] tls_cert: /nonexistent.pem: No "
                         r"such file")
        self.assertError(self.check({"listen": "127.0.0.1:0 tls"}),
                         r":\d+: \[gateway\] listen: \"127.0.0.1:0 tls\" "
                         r"needs the default certificate")
        self.assertError(self.check(self.tls(tls_min_version="1.1")),
                         r":\d+: \[gateway\] tls_min_version: \"1.1\": "
                         r"expected 1.2 or 1.3")
        self.assertError(self.check(self.tls(tls_ciphersuites="NOPE")),
                         r":\d+: \[gateway\] tls_ciphersuites: \"NOPE\"")
        self.assertError(self.check(self.tls(tls_ciphers="NOPE")),
                         r":\d+: \[gateway\] tls_ciphers: \"NOPE\": no "
                         r"usable cipher")
        self.assertError(self.check(self.tls(tls_verify_client="required")),
                         r":\d+: \[gateway\] tls_verify_client: needs "
                         r"tls_client_ca")
        self.assertError(self.check(self.tls(tls_client_ca=pki.ca)),
                         r":\d+: \[gateway\] tls_client_ca: client "
                         r"certificates are not asked for")
        self.assertError(self.check(self.tls(), {"e": {
            "path": "/e", "backend": "127.0.0.1:1",
            "allowed_client_cns": "alice"}}),
            r":\d+: \[route:e\] allowed_client_cns: client certificates "
            r"are not asked for")
        self.assertError(self.check(self.tls(), {"e": {
            "path": "/e", "backend": "127.0.0.1:1",
            "backend_tls_ca": pki.ca}}),
            r":\d+: \[route:e\] backend_tls_ca: only used with "
            r"backend_tls = yes")
        self.assertError(self.check(self.tls(), extra=(
            "[tls:x]\nserver_names = a.example\ntls_cert = %s\n"
            "tls_key = %s\n[tls:y]\nserver_names = A.example *.bad*\n"
            "tls_cert = %s\ntls_key = %s\n" % (
                pki.a.cert, pki.a.key, pki.a.cert, pki.a.key))),
            r"(?s):\d+: \[tls:y\] server_names: \"\*.bad\*\": .*"
            r":\d+: \[tls:y\] server_names: \"a.example\" is already "
            r"listed in \[tls:x\]")

