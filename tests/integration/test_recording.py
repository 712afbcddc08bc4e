"""test_recording.py -- record = DIR: each session's bytes written by the
gateway in docs/record-format.md's format, read back by wsgate-record
(dump, and replay against a real echo backend), and the caps:
record_max_bytes per session, record_dir_max_bytes for the directory.
"""

import glob
import os
import re
import subprocess
import tempfile
import shutil

import harness as h
from harness import OP_BINARY, OP_CLOSE, OP_TEXT


def tool():
    return os.path.join(os.path.dirname(os.path.abspath(h.BINARY)),
                        "wsgate-record")


def dump(path):
    p = subprocess.run([tool(), "dump", "-n", "0", path],
                       capture_output=True, timeout=h.timeout(10))
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


class Recording(h.GatewayTestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="wsgate-rec-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def start(self, **keys):
        self.echo = self.backend(h.EchoBackend)
        route = {"path": "/r", "backend": self.echo.addr,
                 "record": self.dir}
        route.update(keys)
        self.gw = self.gateway({"r": route})
        return self.gw

    def ended_file(self, n=1):
        """The recordings, once n have their end record (the writer is
        a thread: poll)."""
        def ready():
            files = sorted(glob.glob(os.path.join(self.dir, "*.wsrec")))
            if len(files) < n:
                return None
            outs = [dump(f) for f in files]
            if all(rc == 0 and "no end record" not in out
                   for rc, out, _ in outs):
                return list(zip(files, outs))
            return None
        return h.wait_until(ready, 5, "%d ended recordings" % n)

    def test_session_recorded_and_replayed(self):
        self.start()
        c = self.raw(self.gw)
        c.handshake("/r", protocols="chat, binary")
        c.send_frame(OP_BINARY, b"hello")
        self.assertEqual(c.recv_data(5)[0], b"hello")
        c.send_frame(OP_TEXT, b"\x00 two")
        self.assertEqual(c.recv_data(5)[0], b"\x00 two")
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.recv_close()
        c.expect_eof()
        [(path, (rc, out, err))] = self.ended_file()
        self.assertRegex(os.path.basename(path),
                         r"^\d{8}T\d{6}\.\d{6}Z-r-\d+\.wsrec$")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        self.assertIn('route       "r"', out)
        self.assertIn('target      "%s"' % self.echo.addr, out)
        self.assertRegex(out, r'client      "127\.0\.0\.1:\d+"')
        self.assertIn('subprotocol "binary"', out)
        self.assertNotIn("path", out)   # may hold a token: not written
        self.assertRegex(out, r'\+\d+\.\d{6} c>b 5 "hello"')
        self.assertRegex(out, r'\+\d+\.\d{6} b>c 5 "hello"')
        self.assertRegex(out, r'\+\d+\.\d{6} end \d+ "code=1000 by=client"')
        self.assertIn("c>b 10 bytes, b>c 10 bytes", out)
        # The client's bytes, replayed against a real echo backend,
        # bring back what the recording's backend sent.
        echo2 = self.backend(h.EchoBackend)
        p = subprocess.run([tool(), "replay", "-s", "0", "-w", "0.3", "-c",
                            path, echo2.addr], capture_output=True,
                           timeout=h.timeout(10))
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_record_max_bytes(self):
        self.start(record_max_bytes="1k")
        c = self.raw(self.gw)
        c.handshake("/r")
        for i in range(4):
            c.send_frame(OP_BINARY, b"x" * 400)
            self.assertEqual(len(c.recv_data(400)[0]), 400)
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.recv_close()
        c.expect_eof()
        [(path, (rc, out, err))] = self.ended_file()
        self.assertIn('stop 24 "record_max_bytes reached"', out)
        m = re.search(r"c>b (\d+) bytes, b>c (\d+) bytes", out)
        self.assertLessEqual(int(m.group(1)) + int(m.group(2)), 1024)
        # The session itself went on: every echo arrived above.

    def test_record_dir_max_bytes(self):
        with open(os.path.join(self.dir, "old.wsrec"), "wb") as f:
            f.write(b"\0" * (1 << 20))
        self.start(record_dir_max_bytes="1M")
        c = self.raw(self.gw)
        c.handshake("/r")
        c.send_frame(OP_BINARY, b"hello")
        self.assertEqual(c.recv_data(5)[0], b"hello")
        self.gw.wait_log(r"record_dir_max_bytes \(1048576\) reached in "
                         r"\S+: new sessions are not recorded")
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.recv_close()
        c.expect_eof()
        self.gw.wait_log(r"close client=\S+ route=r ")
        self.assertEqual(os.listdir(self.dir), ["old.wsrec"])

    def test_directory_fills_during_a_session(self):
        with open(os.path.join(self.dir, "old"), "wb") as f:
            f.write(b"\0" * ((1 << 20) - 2000))
        self.start(record_dir_max_bytes="1M")
        c = self.raw(self.gw)
        c.handshake("/r")
        for i in range(6):
            c.send_frame(OP_BINARY, b"y" * 500)
            self.assertEqual(len(c.recv_data(500)[0]), 500)
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.recv_close()
        c.expect_eof()
        [(path, (rc, out, err))] = self.ended_file()
        self.assertIn('stop 21 "record directory full"', out)
        self.assertIn('end 19 "code=1000 by=client"', out)
        total = sum(os.path.getsize(os.path.join(self.dir, f))
                    for f in os.listdir(self.dir))
        # Over by at most the stop and end records.
        self.assertLessEqual(total, (1 << 20) + 100)

    def test_unwritable_directory_said_once(self):
        self.start()
        # Take the directory away under the running gateway.
        shutil.rmtree(self.dir)
        for i in range(3):
            c = self.raw(self.gw)
            c.handshake("/r")
            c.send_frame(OP_BINARY, b"x")
            self.assertEqual(c.recv_data(1)[0], b"x")
            c.send_frame(OP_CLOSE, h.close_payload(1000))
            c.recv_close()
            c.expect_eof()
        h.wait_until(lambda: len(self.gw.find_log(r"close client=")) == 3,
                     5, "3 sessions closed")
        h.wait_until(lambda: self.gw.find_log(r"sessions are not recorded"),
                     5, "the warning")
        self.assertEqual(len(self.gw.find_log(
            r"recording \S+: No such file or directory: sessions are not "
            r"recorded until files can be made there")), 1)

    def test_bad_record_dir(self):
        gw_text = h.config({"r": {"path": "/r", "backend": "127.0.0.1:9",
                                  "record": "/nonexistent/rec"}})
        path = os.path.join(self.dir, "w.ini")
        with open(path, "w") as f:
            f.write(gw_text)
        rc, out, err = h.run_binary(["-t", "-c", path])
        self.assertNotEqual(rc, 0)
        self.assertRegex(err, r"w\.ini:\d+: \[route:r\] record: "
                         r"/nonexistent/rec: No such file or directory")
