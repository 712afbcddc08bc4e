"""test_record_tool.py -- wsgate-record (tools/wsgate_record.c) on
recordings written here, in Python, from docs/record-format.md alone: an
independent writer for the C decoder.  No gateway involved.

- dump: the documented example byte for byte, escaping, truncation,
  totals, cut-short files, and refusals (a websockify recording, a newer
  version, time going backwards);
- replay: against a real echo backend over TCP and over a unix socket,
  raw output and -c comparison, large records (partial writes), timing
  scaled by -s, and a backend that is not there.

build/wsgate-record, or build/asan/wsgate-record under --sanitizer (any
sanitizer report fails the test).
"""

import os
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import harness as h

C2B, B2C, STOP, END = 1, 2, 3, 4
MAGIC = b"\x89WSGREC\n"


def tool_path():
    return os.path.join(os.path.dirname(os.path.abspath(h.BINARY)),
                        "wsgate-record")


def header(route=b"vnc", client=b"192.0.2.7:400", target=b"127.0.0.1:5900",
           start=1704067200000000, extra=(), version=1):
    fields = b""
    for t, v in ((1, route), (2, client), (3, target)) + tuple(extra):
        fields += struct.pack(">BH", t, len(v)) + v
    return MAGIC + struct.pack(">HHIQ", version, 24 + len(fields), 0,
                               start) + fields


def record(rtype, offset_us, data):
    return struct.pack(">BQI", rtype, offset_us, len(data)) + data


def run_tool(*args, limit=20):
    p = subprocess.run([tool_path()] + [str(a) for a in args],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=h.timeout(limit))
    err = p.stderr.decode("utf-8", "replace")
    if any(m in err for m in h.SANITIZER_MARKS):
        raise AssertionError("sanitizer report from wsgate-record:\n" + err)
    return p.returncode, p.stdout, err


class UnixEcho:
    """An echo service on a unix socket in a private directory."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "echo.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(h.timeout(10))
        self.received = bytearray()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(h.timeout(10))
            while True:
                try:
                    b = conn.recv(65536)
                except OSError:
                    return
                if not b:
                    return
                self.received += b
                conn.sendall(b)

    def close(self):
        self.sock.close()
        self.thread.join(h.timeout(5))


class RecordTool(unittest.TestCase):
    def setUp(self):
        if not os.access(tool_path(), os.X_OK):
            self.fail("%s is missing (make all / make asan)" % tool_path())
        self.dir = tempfile.mkdtemp(prefix="wsgate-record-test-")

    def tearDown(self):
        for f in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, f))
        os.rmdir(self.dir)

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    # ---- dump

    def test_dump_documented_example(self):
        path = self.write("ex", header() + record(C2B, 123456, b"RFB"))
        rc, out, err = run_tool("dump", path)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.decode(), (
            "wsgate recording, version 1\n"
            "start       2024-01-01T00:00:00.000000Z\n"
            "route       \"vnc\"\n"
            "client      \"192.0.2.7:400\"\n"
            "target      \"127.0.0.1:5900\"\n"
            "+0.123456 c>b 3 \"RFB\"\n"
            "records 1, c>b 3 bytes, b>c 0 bytes, no end record (the "
            "recording was cut short)\n"))

    def test_dump_session(self):
        extra = ((4, b"s-42"), (5, b"/ws?token=a\"b"), (6, b"binary"),
                 (99, b"a later field: skipped"))
        data = (header(client=b"[2001:db8::7]:40000",
                       target=b"unix:/run/vnc.sock", extra=extra) +
                record(C2B, 0, b"hello\r\n\t\"\\") +
                record(B2C, 1500, bytes([0, 1, 0x7f, 0x80, 0xff])) +
                record(B2C, 1500, b"") +
                record(C2B, 2000000, b"x" * 100) +
                record(STOP, 2000001, b"record_max_bytes reached") +
                record(END, 61000000, b"code=1000 by=backend"))
        path = self.write("s", data)
        rc, out, err = run_tool("dump", path)
        self.assertEqual(rc, 0, err)
        lines = out.decode().splitlines()
        self.assertEqual(lines[2:8], [
            "route       \"vnc\"",
            "client      \"[2001:db8::7]:40000\"",
            "target      \"unix:/run/vnc.sock\"",
            "session     \"s-42\"",
            "path        \"/ws?token=a\\\"b\"",
            "subprotocol \"binary\""])
        self.assertEqual(lines[8:], [
            "+0.000000 c>b 10 \"hello\\r\\n\\t\\\"\\\\\"",
            "+0.001500 b>c 5 \"\\x00\\x01\\x7f\\x80\\xff\"",
            "+0.001500 b>c 0 \"\"",
            "+2.000000 c>b 100 \"" + "x" * 64 + "\"...(+36)",
            "+2.000001 stop 24 \"record_max_bytes reached\"",
            "+61.000000 end 20 \"code=1000 by=backend\"",
            "records 6, c>b 110 bytes, b>c 5 bytes"])
        rc, out, err = run_tool("dump", "-n", "0", path)
        self.assertIn("+2.000000 c>b 100 \"" + "x" * 100 + "\"\n",
                      out.decode())

    def test_dump_cut_short(self):
        good = header() + record(C2B, 5, b"abc")
        path = self.write("cut", good + record(B2C, 9, b"defgh")[:-2])
        rc, out, err = run_tool("dump", path)
        self.assertEqual(rc, 0, err)
        self.assertIn("file ends inside a record at byte %d (cut short)" %
                      len(good), err)
        self.assertTrue(out.decode().endswith(
            "records 1, c>b 3 bytes, b>c 0 bytes, no end record (the "
            "recording was cut short)\n"), out)

    def test_dump_refuses(self):
        cases = [
            (b"var VNC_frame_data = [\n'{0{AAAA',\n'EOF'];\n",
             "not a wsgate recording (bad magic)"),
            (header(version=2), "unsupported recording version"),
            (header()[:30], "file ends inside the header"),
            (header() + record(C2B, 10, b"a") + record(B2C, 9, b"b"),
             "byte %d: timestamp goes backwards" % (len(header()) + 14)),
            (header() + record(END, 1, b"") + record(C2B, 2, b"a"),
             "data after the end record"),
            (header() + record(7, 1, b""), "unknown record type"),
            (header() + struct.pack(">BQI", C2B, 0, (1 << 20) + 1),
             "record longer than the format allows"),
        ]
        for i, (data, why) in enumerate(cases):
            with self.subTest(why=why):
                rc, out, err = run_tool("dump", self.write("r%d" % i, data))
                self.assertEqual(rc, 1, out)
                self.assertIn(why, err)
        rc, out, err = run_tool("dump", self.dir)
        self.assertEqual(rc, 1)
        self.assertIn("not a regular file", err)
        rc, out, err = run_tool("dump", os.path.join(self.dir, "absent"))
        self.assertEqual(rc, 1)
        rc, out, err = run_tool("frobnicate")
        self.assertEqual(rc, 2)
        self.assertIn("usage:", err)

    # ---- replay

    def session(self, chunks, answer=None):
        """A recording of c>b chunks [(offset_us, bytes)] whose b>c bytes
        are `answer` (default: an echo of them), in one record."""
        data = header()
        last = 0
        for off, b in chunks:
            data += record(C2B, off, b)
            last = off
        sent = b"".join(b for _, b in chunks)
        answer = sent if answer is None else answer
        for i in range(0, len(answer), 1 << 20):   # records of <= 1 MiB
            data += record(B2C, last, answer[i:i + (1 << 20)])
        data += record(END, last, b"code=1000 by=client")
        return self.write("replay", data), sent

    def test_replay_raw_echo(self):
        # A 1 MiB record and a 300 KiB one: more than socket buffers hold,
        # so the tool must read the echo while it writes.
        big = bytes(range(256)) * 4096
        path, sent = self.session([(0, b"hello "), (1000, big),
                                   (2000, b"\x00end" * 75000)])
        with h.EchoBackend() as be:
            rc, out, err = run_tool("replay", "-r", "-s", "0", "-w", "0.5",
                                    path, be.addr, limit=60)
            self.assertEqual(rc, 0, err)
            self.assertEqual(be.wait_received(len(sent)), sent)
        self.assertEqual(len(out), len(sent))
        self.assertEqual(out, sent)

    def test_replay_compare(self):
        path, sent = self.session([(0, b"ping\n"), (100, b"pong\n")])
        with h.EchoBackend() as be:
            rc, out, err = run_tool("replay", "-c", "-w", "0.5", path,
                                    be.addr)
        self.assertEqual(rc, 0, err)
        self.assertIn("received the 10 recorded bytes", err)
        lines = out.decode().splitlines()
        self.assertEqual(lines[-1], "sent 10 bytes")
        self.assertTrue(any(" b>c " in ln and "ping" in ln for ln in lines),
                        out)
        # The recording says the backend answered something else.
        path, sent = self.session([(0, b"ping\n"), (100, b"pong\n")],
                                  answer=b"ping\npang\n")
        with h.EchoBackend() as be:
            rc, out, err = run_tool("replay", "-c", "-w", "0.5", path,
                                    be.addr)
        self.assertEqual(rc, 1, err)
        self.assertIn("received 10 bytes, recorded 10; they differ from "
                      "byte 6", err)

    def test_replay_unix_socket(self):
        path, sent = self.session([(0, b"over a unix socket")])
        echo = UnixEcho(self.dir)
        try:
            rc, out, err = run_tool("replay", "-r", "-c", "-w", "0.5", path,
                                    "unix:" + echo.path)
        finally:
            echo.close()
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, sent)
        self.assertEqual(bytes(echo.received), sent)

    def test_replay_timing(self):
        # 0.6 s between the two records: never sooner, scaled by -s.
        path, sent = self.session([(0, b"a"), (600000, b"b")])
        for speed, at_least in (("1", 0.6), ("3", 0.2)):
            with self.subTest(speed=speed), h.EchoBackend() as be:
                t0 = time.monotonic()
                rc, out, err = run_tool("replay", "-r", "-s", speed, "-w",
                                        "0.2", path, be.addr)
                took = time.monotonic() - t0
                self.assertEqual(rc, 0, err)
                self.assertEqual(out, b"ab")
                self.assertGreaterEqual(took, at_least)
        # -s 0: no waiting; 30 s of recorded time replays at once.
        path, sent = self.session([(0, b"a"), (30000000, b"b")])
        with h.EchoBackend() as be:
            t0 = time.monotonic()
            rc, out, err = run_tool("replay", "-r", "-s", "0", "-w", "0.2",
                                    path, be.addr)
            self.assertEqual(rc, 0, err)
            self.assertLess(time.monotonic() - t0, 15)

    def test_replay_no_backend(self):
        path, sent = self.session([(0, b"a")])
        with h.ClosedPort() as port:
            rc, out, err = run_tool("replay", path, port.addr)
        self.assertEqual(rc, 1)
        self.assertIn("cannot connect to", err)
        rc, out, err = run_tool("replay", path, "no-port-here")
        self.assertEqual(rc, 1)
        rc, out, err = run_tool("replay", "-s", "-1", path, "127.0.0.1:9")
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    unittest.main()
