"""test_tls_resume.py -- TLS session resumption (issue 15): session
tickets for TLS 1.2 and 1.3, seen resuming by `openssl s_client` and by
Python's ssl; resumption across SIGHUP, not across changed client
certificate settings nor across [tls:NAME] sections; tls_session_tickets
= no; key rotation (tls_ticket_lifetime); a shared key file
(tls_ticket_key_file) between two gateways, its rotation by SIGHUP and
its checks.

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate \
        -k test_tls_resume
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import harness as H
from tls_support import PKI

PKI_DIR = None
pki = None

REQUEST = b"GET /none HTTP/1.1\r\nHost: localhost\r\n\r\n"
V12, V13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3


def setUpModule():
    global PKI_DIR, pki
    PKI_DIR = tempfile.mkdtemp(prefix="wsgate-pki-")
    pki = PKI(PKI_DIR)
    pki.a = pki.leaf("a", "a.example", ["DNS:a.example"])


def tearDownModule():
    shutil.rmtree(PKI_DIR, ignore_errors=True)


def tls_config(backend="127.0.0.1:1", extra=None, sections=""):
    """One TLS listener with the test server certificate, a route /echo."""
    gw = {"listen": "127.0.0.1:0 tls", "tls_cert": pki.server.cert,
          "tls_key": pki.server.key}
    gw.update(extra or {})
    return H.config({"e": {"path": "/echo", "backend": backend}},
                    gw) + sections


def s_client(port, version, sess_out=None, sess_in=None,
             servername="localhost"):
    """One `openssl s_client` connection: sends a request, reads until the
    gateway closes; returns what s_client printed."""
    args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
            "-tls1_2" if version == V12 else "-tls1_3", "-ign_eof",
            "-CAfile", pki.ca, "-servername", servername]
    if sess_out:
        args += ["-sess_out", sess_out]
    if sess_in:
        args += ["-sess_in", sess_in]
    p = subprocess.run(args, input=REQUEST, capture_output=True,
                       timeout=H.timeout(15))
    out = p.stdout.decode(errors="replace")
    if "HTTP/1.1 404" not in out:
        raise AssertionError("no answer through s_client:\n%s%s" % (
            out, p.stderr.decode(errors="replace")))
    return out


def s_client_reused(out):
    """True for "Reused, TLSv1.x", False for "New, TLSv1.x"."""
    m = re.search(r"^(New|Reused), TLSv1\.[23]", out, re.M)
    if m is None:
        raise AssertionError("no New/Reused line from s_client:\n" + out)
    return m.group(1) == "Reused"


def ticket_key_name(sess_file):
    """The first 16 bytes of the ticket in an s_client -sess_out file:
    the name of the key that encrypted it (hex)."""
    p = subprocess.run(["openssl", "sess_id", "-in", sess_file, "-text",
                        "-noout"], capture_output=True, timeout=10)
    text = p.stdout.decode()
    m = re.search(r"TLS session ticket:\n\s*0000 - ((?:[0-9a-f]{2}[ -])"
                  r"{16})", text)
    if m is None:
        raise AssertionError("no ticket in the session:\n" + text)
    return m.group(1).replace(" ", "").replace("-", "")


def ticket_lifetime_hint(sess_file):
    p = subprocess.run(["openssl", "sess_id", "-in", sess_file, "-text",
                        "-noout"], capture_output=True, timeout=10)
    m = re.search(r"ticket lifetime hint: (\d+)", p.stdout.decode())
    return int(m.group(1)) if m else None


class PyClient:
    """Python ssl connections of one TLS version (one SSLContext: Python
    offers a session only on the context that made it)."""

    def __init__(self, version, hostname="localhost"):
        self.ctx = pki.client_ctx(minimum=version, maximum=version)
        self.hostname = hostname

    def connect(self, port, session=None, hostname=None):
        """One connection and request: (session to offer next time,
        whether this one was resumed)."""
        raw = socket.create_connection(("127.0.0.1", port),
                                       timeout=H.timeout(5))
        with self.ctx.wrap_socket(raw, server_hostname=hostname or
                                  self.hostname, session=session) as s:
            s.sendall(REQUEST)
            out = b""
            while True:      # TLS 1.3 tickets come with the answer
                b = s.recv(4096)
                if not b:
                    break
                out += b
            assert out.startswith(b"HTTP/1.1 404"), out
            return s.session, s.session_reused


def wss_echo_resumed(port, ctx, session, data=b"resumed echo"):
    """A WebSocket echo over a connection offering session; returns
    (echoed payload, session_reused)."""
    c = H.RawClient(port)
    c.sock = ctx.wrap_socket(c.sock, server_hostname="localhost",
                             session=session)
    try:
        c.handshake("/echo", host="localhost")
        c.send_frame(H.OP_BINARY, data)
        got, _ = c.recv_data(len(data))
        return got, c.sock.session_reused
    finally:
        c.close()


class Resumption(unittest.TestCase):
    def test_s_client_resumes_tls12_and_tls13(self):
        with H.Gateway(None, tls_config()) as gw:
            d = tempfile.mkdtemp(prefix="wsgate-sess-", dir=gw.dir)
            for v in (V12, V13):
                f = os.path.join(d, "sess-%s.pem" % v.name)
                self.assertFalse(s_client_reused(s_client(gw.port, v,
                                                          sess_out=f)), v.name)
                self.assertEqual(ticket_lifetime_hint(f), 3600)
                f2 = f + ".2"
                self.assertTrue(s_client_reused(s_client(
                    gw.port, v, sess_in=f, sess_out=f2)), v.name)
                if v == V13:
                    # A fresh ticket after a resumption: clients use
                    # each TLS 1.3 ticket once (RFC 8446 C.4).
                    self.assertTrue(os.path.exists(f2), "no new ticket")
                    with open(f) as a, open(f2) as b:
                        self.assertNotEqual(a.read(), b.read())
                    self.assertTrue(s_client_reused(s_client(
                        gw.port, v, sess_in=f2)), v.name)
            # -v logs which handshakes resumed.
            gw.wait_log(r"tls client=\S+ TLSv1\.2 .* alpn=- resumed$")
            gw.wait_log(r"tls client=\S+ TLSv1\.3 .* alpn=- resumed$")

    def test_python_session_reuse_and_wss_over_it(self):
        with H.EchoBackend() as be, \
                H.Gateway(None, tls_config(be.addr)) as gw:
            for v in (V12, V13):
                c = PyClient(v)
                session, reused = c.connect(gw.port)
                self.assertFalse(reused, v.name)
                self.assertTrue(session.has_ticket, v.name)
                session2, reused = c.connect(gw.port, session)
                self.assertTrue(reused, v.name)
                # The WebSocket on a resumed connection works as ever.
                got, reused = wss_echo_resumed(gw.port, c.ctx, session2)
                self.assertTrue(reused, v.name)
                self.assertEqual(got, b"resumed echo")

    def test_tickets_off(self):
        with H.Gateway(None, tls_config(extra={
                "tls_session_tickets": "no"})) as gw:
            for v in (V12, V13):
                c = PyClient(v)
                session, reused = c.connect(gw.port)
                self.assertFalse(session.has_ticket, v.name)
                self.assertFalse(c.connect(gw.port, session)[1], v.name)
                f = os.path.join(gw.dir, "s-%s.pem" % v.name)
                s_client(gw.port, v, sess_out=f)
                # No ticket, no session ID (no session cache either):
                # s_client had no session to save.
                self.assertFalse(os.path.exists(f), v.name)

    def test_resumes_after_sighup_unless_client_checks_change(self):
        with H.Gateway(None, tls_config()) as gw:
            clients = {v: PyClient(v) for v in (V12, V13)}
            sessions = {v: clients[v].connect(gw.port)[0] for v in clients}
            self.assertIn("reloaded", gw.reload().group(0))
            for v, c in clients.items():
                sessions[v], reused = c.connect(gw.port, sessions[v])
                self.assertTrue(reused, "%s after SIGHUP" % v.name)
            # The certificate renewed (another file, same settings):
            # sessions go on.
            shutil.copy(pki.server.cert, os.path.join(gw.dir, "c.pem"))
            shutil.copy(pki.server.key, os.path.join(gw.dir, "k.pem"))
            os.chmod(os.path.join(gw.dir, "k.pem"), 0o600)
            self.assertIn("reloaded", gw.reload(tls_config(extra={
                "tls_cert": "c.pem", "tls_key": "k.pem"})).group(0))
            for v, c in clients.items():
                sessions[v], reused = c.connect(gw.port, sessions[v])
                self.assertTrue(reused, "%s after renewal" % v.name)
            # Client certificates now asked for: a session made without
            # that check must not skip it.
            self.assertIn("reloaded", gw.reload(tls_config(extra={
                "tls_verify_client": "optional",
                "tls_client_ca": pki.ca})).group(0))
            for v, c in clients.items():
                self.assertFalse(c.connect(gw.port, sessions[v])[1],
                                 "%s after tls_verify_client" % v.name)

    def test_sessions_stay_in_their_sni_section(self):
        section = ("\n[tls:a]\nserver_names = a.example\n"
                   "tls_cert = %s\ntls_key = %s\n" % (pki.a.cert, pki.a.key))
        with H.Gateway(None, tls_config(sections=section)) as gw:
            for v in (V12, V13):
                c = PyClient(v, hostname="a.example")
                sa, reused = c.connect(gw.port)
                self.assertFalse(reused)
                sa2, reused = c.connect(gw.port, sa)
                self.assertTrue(reused, "%s: a.example again" % v.name)
                # a.example's session offered for the default certificate.
                self.assertFalse(c.connect(gw.port, sa2,
                                           hostname="localhost")[1], v.name)
                sd, _ = c.connect(gw.port, hostname="localhost")
                self.assertTrue(c.connect(gw.port, sd,
                                          hostname="localhost")[1], v.name)
                self.assertFalse(c.connect(gw.port, sd)[1], v.name)

    def test_rotation(self):
        # tls_ticket_lifetime = 2: a new key every 2 s (at the first
        # ticket after that); the previous one still opens its tickets.
        with H.Gateway(None, tls_config(extra={
                "tls_ticket_lifetime": "2"})) as gw:
            d = tempfile.mkdtemp(prefix="wsgate-sess-", dir=gw.dir)
            first = os.path.join(d, "first.pem")
            s_client(gw.port, V13, sess_out=first)
            self.assertEqual(ticket_lifetime_hint(first), 2)
            key1 = ticket_key_name(first)
            prev = first
            deadline = time.monotonic() + H.timeout(10)
            n = 0
            while True:
                cur = os.path.join(d, "s%d.pem" % n)
                n += 1
                s_client(gw.port, V13, sess_out=cur)
                if ticket_key_name(cur) != key1:
                    break
                prev = cur
                self.assertLess(time.monotonic(), deadline,
                                "the ticket key never changed")
                time.sleep(0.1)
            # The last ticket of the old key, a moment old: it resumes.
            self.assertTrue(s_client_reused(s_client(gw.port, V13,
                                                     sess_in=prev)))
            # Past two lifetimes, neither the ticket nor its key is valid.
            time.sleep(4.5)
            self.assertFalse(s_client_reused(s_client(gw.port, V13,
                                                      sess_in=first)))


class KeyFile(unittest.TestCase):
    def keyfile(self, d, *keys, mode=0o600):
        path = os.path.join(d, "ticket.key")
        with open(path + ".tmp", "wb") as f:
            f.write(b"".join(keys))
        os.chmod(path + ".tmp", mode)
        os.replace(path + ".tmp", path)
        return path

    def test_two_gateways_share_sessions(self):
        d = tempfile.mkdtemp(prefix="wsgate-keys-")
        try:
            old, new = os.urandom(80), os.urandom(80)
            path = self.keyfile(d, old)
            cfg = tls_config(extra={"tls_ticket_key_file": path})
            with H.Gateway(None, cfg) as gw1, H.Gateway(None, cfg) as gw2, \
                    H.Gateway(None, tls_config()) as lone:
                for v in (V12, V13):
                    c = PyClient(v)
                    s1, _ = c.connect(gw1.port)
                    s2, reused = c.connect(gw2.port, s1)
                    self.assertTrue(reused, "%s: gw1's session on gw2" % v.name)
                    self.assertTrue(c.connect(gw1.port, s2)[1], v.name)
                    # A gateway with keys of its own cannot open them.
                    self.assertFalse(c.connect(lone.port, s1)[1], v.name)
                c = PyClient(V13)
                s_old, _ = c.connect(gw1.port)
                # Rotation: the new key first, the old one kept to
                # decrypt; gw2 reloads, gw1 not yet.
                self.keyfile(d, new, old)
                self.assertIn("reloaded", gw2.reload().group(0))
                s_new, reused = c.connect(gw2.port, s_old)
                self.assertTrue(reused, "old key still decrypts")
                self.assertTrue(c.connect(gw2.port, s_new)[1])
                # The old key dropped: its sessions are over.
                self.keyfile(d, new)
                self.assertIn("reloaded", gw2.reload().group(0))
                self.assertFalse(c.connect(gw2.port, s_old)[1])
                self.assertTrue(c.connect(gw2.port, s_new)[1])
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def check(self, d, extra):
        path = os.path.join(d, "wsgate.ini")
        with open(path, "w") as f:
            f.write(tls_config(extra=extra))
        return H.run_binary(["-t", "-c", path])

    def test_key_file_checks(self):
        d = tempfile.mkdtemp(prefix="wsgate-keys-")
        try:
            k = os.urandom(80)
            good = self.keyfile(d, k, os.urandom(80))
            rc, out, err = self.check(d, {"tls_ticket_key_file": good})
            self.assertEqual(rc, 0, err)
            for body, why in (
                    (k[:48], r"not a whole number of 80-byte keys; .*"
                     r"openssl rand 80 >"),
                    (b"", "the file is empty"),
                    (k * 9, "more than 8 keys"),
                    (k + k, "the same name")):
                path = self.keyfile(d, body)
                rc, out, err = self.check(d, {"tls_ticket_key_file": path})
                self.assertEqual(rc, 1, err)
                self.assertRegex(err, r"wsgate\.ini:\d+: \[gateway\] "
                                 r"tls_ticket_key_file: .*ticket\.key: "
                                 r"\d+ bytes: .*" + why)
            # Readable by every user: 0644 in a directory anyone may
            # search (in a 0700 one, it is not).
            path = self.keyfile(d, k, mode=0o644)
            rc, out, err = self.check(d, {"tls_ticket_key_file": path})
            self.assertEqual(rc, 0, err)
            os.chmod(d, 0o755)
            rc, out, err = self.check(d, {"tls_ticket_key_file": path})
            self.assertEqual(rc, 1, err)
            self.assertRegex(err, r"readable by every user \(mode 0644\)")
            rc, out, err = self.check(d, {"tls_ticket_key_file": d})
            self.assertEqual(rc, 1, err)
            self.assertIn("tls_ticket_key_file", err)
            path = self.keyfile(d, k)
            rc, out, err = self.check(d, {"tls_ticket_key_file": path,
                                          "tls_session_tickets": "no"})
            self.assertEqual(rc, 1, err)
            self.assertIn("session tickets are off", err)
            for bad in ("0", "86401", "1h1"):
                rc, out, err = self.check(d, {"tls_ticket_lifetime": bad})
                self.assertEqual(rc, 1, err)
                self.assertIn("tls_ticket_lifetime", err)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_reload_with_a_broken_key_file_keeps_the_running_keys(self):
        d = tempfile.mkdtemp(prefix="wsgate-keys-")
        try:
            path = self.keyfile(d, os.urandom(80))
            with H.Gateway(None, tls_config(extra={
                    "tls_ticket_key_file": path})) as gw:
                c = PyClient(V12)
                s, _ = c.connect(gw.port)
                self.keyfile(d, b"short")
                self.assertIn("reload failed", gw.reload().group(0))
                gw.wait_log(r"tls_ticket_key_file: .*5 bytes")
                self.assertTrue(c.connect(gw.port, s)[1])
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
