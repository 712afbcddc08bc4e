"""test_downloads.py -- web_root files sent to slow, stalled and TLS
clients (issue 9, items 2 and 3): a file truncated or rewritten during a
download ends that download (short body, warning) and never the process;
a download lasts as long as the client keeps taking bytes, not
close_timeout; a client that stops reading is closed after send_timeout;
one log line per web_root and health response.

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate \\
        -k test_downloads
"""

import os
import shutil
import signal
import socket
import ssl
import tempfile
import threading
import time

import harness as H
from harness import OP_BINARY

from tls_support import PKI

PKI_DIR = None
pki = None

MiB = 1 << 20


def setUpModule():
    global PKI_DIR, pki
    PKI_DIR = tempfile.mkdtemp(prefix="wsgate-pki-")
    pki = PKI(PKI_DIR)


def tearDownModule():
    shutil.rmtree(PKI_DIR, ignore_errors=True)


class Download:
    """A GET whose body the test reads at its own pace, over plain TCP or
    TLS.  A small receive buffer keeps the kernel from taking most of the
    file off the gateway's hands at once."""

    def __init__(self, port, path, tls=False, rcvbuf=32768, limit=10):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.settimeout(H.timeout(limit))
        raw.connect(("127.0.0.1", port))
        self.sock = (pki.client_ctx().wrap_socket(
            raw, server_hostname="localhost") if tls else raw)
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n"
                           "Connection: close\r\n\r\n" %
                           path).encode())
        self.body = bytearray()
        self.eof = False
        head = bytearray()
        while b"\r\n\r\n" not in head:
            b = self.sock.recv(65536)
            if not b:
                raise AssertionError("EOF before the response head: %r" %
                                     bytes(head))
            head += b
        head, _, rest = bytes(head).partition(b"\r\n\r\n")
        self.head_len = len(head) + 4
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1])
        self.length = None
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            if k.strip().lower() == "content-length":
                self.length = int(v)
        self.body += rest

    def close(self):
        self.sock.close()

    def _recv(self, n):
        try:
            b = self.sock.recv(n)
        except (ConnectionResetError, ssl.SSLEOFError,
                ssl.SSLZeroReturnError):
            b = b""
        if not b:
            self.eof = True
        self.body += b
        return len(b)

    def read(self, n):
        """Read until at least n body bytes arrived (or EOF)."""
        while len(self.body) < n and not self.eof:
            self._recv(min(65536, n - len(self.body)))

    def read_paced(self, rate, n=None, chunk=16384):
        """Read at about rate bytes/s until n bytes (default: all) or
        EOF."""
        n = self.length if n is None else n
        t0 = time.monotonic()
        start = len(self.body)
        while len(self.body) < n and not self.eof:
            self._recv(min(chunk, n - len(self.body)))
            ahead = (len(self.body) - start) / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)

    def read_to_eof(self, limit=10):
        """Read everything until the gateway closes (AssertionError after
        limit seconds, scaled)."""
        deadline = time.monotonic() + H.timeout(limit)
        while not self.eof:
            if time.monotonic() > deadline:
                raise AssertionError("no EOF within %.0fs (%d of %s bytes)"
                                     % (H.timeout(limit), len(self.body),
                                        self.length))
            self._recv(65536)
        return bytes(self.body)


class Downloads(H.GatewayTestCase):
    SIZE = 16 * MiB

    def start(self, gateway=None):
        """A gateway with a plain and a TLS listener, web_root www with
        big.bin (SIZE random bytes) and index.html, an echo route and a
        health path."""
        echo = self.backend(H.EchoBackend)
        gw = {"listen": ["127.0.0.1:0", "127.0.0.1:0 tls"],
              "tls_cert": pki.server.cert, "tls_key": pki.server.key,
              "web_root": "www", "health_path": "/healthz"}
        gw.update(gateway or {})
        self.gw = self.gateway({"echo": {"path": "/echo",
                                         "backend": echo.addr}}, gw,
                               extra_files={"www/index.html": "<p>hi</p>\n"})
        self.plain_port, self.tls_port = self.gw.ports
        self.big_path = os.path.join(self.gw.dir, "www", "big.bin")
        self.big = os.urandom(self.SIZE)
        with open(self.big_path, "wb") as f:
            f.write(self.big)
        return self.gw

    def download(self, path="/big.bin", tls=False, **kw):
        d = Download(self.tls_port if tls else self.plain_port, path,
                     tls=tls, **kw)
        self.addCleanup(d.close)
        return d

    def echo_session(self):
        c = self.raw(self.plain_port)
        c.handshake("/echo")
        return c

    def assert_echo(self, c, data=b"still here"):
        c.send_frame(OP_BINARY, data)
        self.assertEqual(c.recv_data(len(data))[0], data)

    def assert_prefix(self, d):
        self.assertBytesEqual(bytes(d.body), self.big[:len(d.body)],
                              "the body received (a prefix of the file)")

    # ---- item 2: a file that changes during a download

    def truncated_during_download(self, tls, truncate):
        self.start()
        other = self.echo_session()
        d = self.download(tls=tls)
        self.assertEqual((d.status, d.length), (200, self.SIZE))
        d.read(256 * 1024)
        mark = self.gw.mark()
        truncate(self.big_path)
        body = d.read_to_eof()
        self.assertLess(len(body), self.SIZE)
        self.assert_prefix(d)
        self.assertTrue(self.gw.running(), "the gateway died")
        self.gw.wait_log(r"warn web client=127\.0\.0\.1:\d+ status=200 "
                         r"path=\"/big\.bin\" bytes=\d+ duration=[\d.]+s "
                         r"reason=\"file changed during the download",
                         start=mark)
        # The other session, and new requests, go on.
        self.assert_echo(other)
        again = self.download("/index.html", tls=tls)
        self.assertEqual(again.read_to_eof(), b"<p>hi</p>\n")

    @staticmethod
    def empty(path):
        with open(path, "wb"):         # ": > file"
            pass

    @staticmethod
    def cp_smaller(path):
        with open(path, "wb") as f:    # "cp small file": truncate, write
            f.write(os.urandom(100 * 1024))

    def test_tls_file_emptied_during_download(self):
        self.truncated_during_download(True, self.empty)

    def test_tls_file_replaced_by_smaller_copy(self):
        self.truncated_during_download(True, self.cp_smaller)

    def test_plain_file_emptied_during_download(self):
        self.truncated_during_download(False, self.empty)

    def test_plain_file_replaced_by_smaller_copy(self):
        self.truncated_during_download(False, self.cp_smaller)

    def test_rewritten_in_place_with_the_same_size(self):
        """Same length, other bytes: the body would be a mix of both."""
        self.start()
        d = self.download(tls=True)
        d.read(256 * 1024)
        with open(self.big_path, "r+b") as f:
            f.seek(self.SIZE - 4096)
            f.write(b"\0" * 4096)
        body = d.read_to_eof()
        self.assertLess(len(body), self.SIZE)
        self.assert_prefix(d)
        self.gw.wait_log(r"warn web .* reason=\"file changed during the "
                         r"download")

    def test_atomic_replace_keeps_serving_the_old_file(self):
        """A deploy that renames a new file over the old one leaves the
        open file whole: the download completes, with the old bytes."""
        self.start()
        d = self.download(tls=True)
        d.read(256 * 1024)
        tmp = self.big_path + ".new"
        with open(tmp, "wb") as f:
            f.write(b"new")
        os.replace(tmp, self.big_path)
        body = d.read_to_eof()
        self.assertBytesEqual(body, self.big)
        self.gw.wait_log(r"debug web .* status=200 path=\"/big\.bin\" "
                         r"bytes=%d duration=[\d.]+s$" %
                         (d.head_len + self.SIZE))

    # ---- item 3: slow clients, stalled clients

    def test_slow_download_outlives_close_timeout(self):
        """8 MiB at 2 MB/s (plain) and 4 MiB at 1 MB/s (TLS) take about
        4 s each, with close_timeout = 1: both complete (they used to
        stop a second and a few kernel buffers in)."""
        self.start({"close_timeout": "1"})
        plain = self.download(tls=False)
        tls = self.download(tls=True)
        results = {}

        def run(name, d, n, rate):
            try:
                d.read_paced(rate, n)
                results[name] = None
            except Exception as e:        # reported below
                results[name] = e

        threads = [threading.Thread(target=run, args=a) for a in (
            ("plain", plain, 8 * MiB, 2e6), ("tls", tls, 4 * MiB, 1e6))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(H.timeout(30))
        self.assertEqual(results, {"plain": None, "tls": None})
        cut = ["%s at %d of %d bytes" % (name, len(d.body), n)
               for name, d, n in (("plain", plain, 8 * MiB),
                                  ("tls", tls, 4 * MiB))
               if d.eof or len(d.body) < n]
        self.assertEqual(cut, [], "downloads cut off")
        self.assert_prefix(plain)
        self.assert_prefix(tls)

    def test_stalled_clients_closed_after_send_timeout(self):
        """Clients that stop reading: bounded memory each, then closed
        after send_timeout (not close_timeout), one line each."""
        self.start({"send_timeout": "1", "close_timeout": "30"})
        other = self.echo_session()
        time.sleep(0.2)
        rss0 = self.gw.rss_kb()
        fds0 = self.gw.fd_count()
        mark = self.gw.mark()
        stalled = [self.download(tls=(i % 2 == 1)) for i in range(10)]
        for d in stalled:
            d.read(64 * 1024)
        t0 = time.monotonic()
        H.wait_until(lambda: len(self.gw.find_log(
            r"info web client=.* status=200 path=\"/big\.bin\" bytes=\d+ "
            r"duration=[\d.]+s reason=\"send_timeout", mark)) == 10,
            10, "ten send_timeout lines")
        took = time.monotonic() - t0
        self.assertLess(took, H.timeout(6), "closed only after %.1fs" % took)
        # While stalled each held at most its queue (256 KiB) and the TLS
        # state, not the file: 10 x 16 MiB would be 160 MiB.
        grown = self.gw.rss_kb() - rss0
        if not (H.SANITIZER or H.VALGRIND):
            self.assertLess(grown, 10 * 1024, "RSS grew %d KiB" % grown)
        H.wait_until(lambda: self.gw.fd_count() <= fds0, 5,
                     "the connections closed")
        for d in stalled:
            d.read_to_eof()
            self.assertLess(len(d.body), self.SIZE)
            self.assert_prefix(d)
        self.assert_echo(other)

    def test_client_leaving_mid_download_is_logged(self):
        self.start()
        d = self.download(tls=True)
        d.read(128 * 1024)
        mark = self.gw.mark()
        d.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          b"\1\0\0\0\0\0\0\0")
        d.close()
        self.gw.wait_log(r"info web client=.* status=200 path=\"/big\.bin\" "
                         r"bytes=\d+ duration=[\d.]+s reason=\"client gone",
                         start=mark)

    def test_half_closed_client_gets_the_whole_file(self):
        """A client may shut its sending side after the request (HTTP
        allows it) and still read the answer."""
        self.start()
        for tls in (False, True):
            with self.subTest(tls=tls):
                d = self.download(tls=tls)
                # The socket's own shutdown: SSLSocket's drops TLS.
                socket.socket.shutdown(d.sock, socket.SHUT_WR)
                d.read(512 * 1024)
                time.sleep(0.3)
                self.assertBytesEqual(d.read_to_eof(), self.big)

    def test_drain_ends_downloads_after_drain_timeout(self):
        """SIGTERM: a download goes on for drain_timeout, then is cut
        short (logged) and the gateway exits."""
        self.start({"drain_timeout": "1"})
        d = self.download()
        d.read(256 * 1024)
        mark = self.gw.mark()
        t0 = time.monotonic()
        self.gw.send_signal(signal.SIGTERM)
        d.read_paced(2e6)           # 8 s for the whole file
        took = time.monotonic() - t0
        self.assertTrue(d.eof)
        self.assertLess(len(d.body), self.SIZE)
        self.assertGreater(took, 0.9, "cut before drain_timeout")
        d.close()                   # linger ends at our EOF
        self.assert_prefix(d)
        self.gw.wait_log(r"info web client=.* status=200 path=\"/big\.bin\" "
                         r"bytes=\d+ duration=[\d.]+s "
                         r"reason=\"server shutting down\"", start=mark)
        self.assertEqual(self.gw.wait_exit(10), 0)

    # ---- item 3: one line per response

    def test_response_lines(self):
        self.start()
        cases = [
            ("/index.html", False, 200, r"debug web client=127\.0\.0\.1:\d+ "
             r"status=200 path=\"/index\.html\" bytes=\d+ "
             r"duration=[\d.]+s$"),
            ("/", True, 200, r"debug web client=.* status=200 path=\"/\" "),
            ("/healthz", False, 200, r"debug web client=.* status=200 "
             r"path=\"/healthz\" bytes=\d+ duration=[\d.]+s$"),
            ("/no%22such%0a", False, 404, r"info web client=.* status=404 "
             r"path=\"/no%22such%0a\" bytes=\d+ duration=[\d.]+s "
             r"reason=\"No such file or directory\"$"),
            ("/big.bin", False, 200, r"debug web client=.* status=200 "
             r"path=\"/big\.bin\" bytes=(\d+) duration=[\d.]+s$"),
        ]
        for path, tls, status, line in cases:
            with self.subTest(path=path):
                mark = self.gw.mark()
                d = self.download(path, tls=tls, rcvbuf=1 << 20)
                self.assertEqual(d.status, status)
                body = d.read_to_eof()
                self.assertEqual(len(body), d.length)
                m = self.gw.wait_log(line, start=mark)
                if path == "/big.bin":
                    # Head and body, every byte handed to the client.
                    self.assertEqual(int(m.group(1)),
                                     d.head_len + self.SIZE)
                    self.assertBytesEqual(body, self.big)
