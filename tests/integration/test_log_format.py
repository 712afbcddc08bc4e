"""test_log_format.py -- log_format and log_level, from the configuration
file, at start and on SIGHUP, and how -v/-q combine with them."""

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import harness as h


def run_gateway(text, args=(), until=None, extra=None, limit=10):
    """Start the binary with text as config (no -v unless in args), let
    until(lines) say when to act (default: a ready line), run extra(proc,
    lines, port) then SIGTERM; return the stderr lines."""
    d = tempfile.mkdtemp(prefix="wsgate-lf-")
    path = os.path.join(d, "wsgate.ini")
    with open(path, "w") as f:
        f.write(text)
    cmd = h.wrapper_prefix(d) + [os.path.abspath(h.BINARY), "-c", path]
    cmd += list(args)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd=d)
    lines = []
    try:
        deadline = time.monotonic() + h.timeout(limit)
        os.set_blocking(proc.stderr.fileno(), False)
        buf = b""
        acted = False
        while time.monotonic() < deadline:
            try:
                chunk = proc.stderr.read()
            except BlockingIOError:
                chunk = None
            if chunk:
                buf += chunk
                *done, buf = buf.split(b"\n")
                lines += [x.decode() for x in done]
            if not acted and (until or (lambda ls: any(
                    "ready" in x for x in ls)))(lines):
                acted = True
                if extra is not None:
                    extra(proc, lines, path)
                proc.send_signal(signal.SIGTERM)
            if proc.poll() is not None:
                rest = proc.stderr.read() or b""
                buf += rest
                lines += [x.decode() for x in buf.split(b"\n") if x]
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    return lines, proc.returncode


BASE = """[gateway]
listen = 127.0.0.1:0
%s
[route:e]
path = /e
backend = 127.0.0.1:9
origins = *
"""


class LogFormat(unittest.TestCase):
    def test_json_lines(self):
        """log_format = json: every line is one JSON object with ts and
        level; an event line (reject, close, ...) has its event and each
        key=value as a field, with the client's bytes as they were sent;
        other lines keep their text in msg."""
        def reject(proc, lines, path):
            port = None
            for x in lines:
                o = json.loads(x)
                if o.get("msg", "").startswith("listening on "):
                    port = int(o["msg"].rsplit(":", 1)[1])
            c = h.RawClient(port)
            c.send(b"GET /no\"pe HTTP/1.1\r\nHost: x\r\n"
                   b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   b"Sec-WebSocket-Version: 13\r\n\r\n")
            c.read_response()
            c.close()
            time.sleep(h.timeout(0.3))
        lines, rc = run_gateway(BASE % "log_format = json",
                                until=lambda ls: any("ready" in x
                                                     for x in ls),
                                extra=reject)
        self.assertEqual(rc, 0, "\n".join(lines))
        objs = [json.loads(x) for x in lines]
        for o in objs:
            self.assertIn("ts", o)
            self.assertIn(o["level"], ("error", "warn", "info", "debug"))
            self.assertTrue("event" in o or "msg" in o, o)
        rejects = [o for o in objs if o.get("event") == "reject"]
        self.assertEqual(len(rejects), 1, lines)
        self.assertEqual(rejects[0]["status"], 404)
        self.assertEqual(rejects[0]["path"], '/no"pe')
        self.assertTrue(any(o.get("msg", "").startswith("listening on")
                            for o in objs), lines)

    def test_text_is_the_default(self):
        lines, rc = run_gateway(BASE % "")
        self.assertEqual(rc, 0)
        self.assertTrue(lines)
        for x in lines:
            self.assertFalse(x.startswith("{"), x)
            self.assertRegex(x, r"^\d{4}-\d\d-\d\dT")

    def test_log_level_warn_hides_info(self):
        lines, rc = run_gateway(BASE % "log_level = warn",
                                until=lambda ls: True,
                                extra=lambda p, ls, path: time.sleep(
                                    h.timeout(1)))
        self.assertEqual(rc, 0)
        self.assertFalse([x for x in lines if " info " in x], lines)

    def test_command_line_wins(self):
        """-v shows debug lines whatever log_level says."""
        lines, rc = run_gateway(BASE % "log_level = error", args=["-v"])
        self.assertEqual(rc, 0)
        self.assertTrue([x for x in lines if " info " in x], lines)

    def test_reload_applies(self):
        """A SIGHUP that changes log_format switches the lines after it."""
        def reload_json(proc, lines, path):
            with open(path, "w") as f:
                f.write(BASE % "log_format = json")
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + h.timeout(5)
            while time.monotonic() < deadline:
                time.sleep(0.1)
                try:
                    chunk = proc.stderr.read()
                except BlockingIOError:
                    chunk = None
                if chunk:
                    lines += [x.decode() for x in chunk.split(b"\n") if x]
                if any(x.startswith("{") for x in lines):
                    return
        lines, rc = run_gateway(BASE % "", extra=reload_json)
        self.assertEqual(rc, 0, "\n".join(lines))
        first_json = next(i for i, x in enumerate(lines)
                          if x.startswith("{"))
        self.assertTrue(first_json > 0)
        for x in lines[first_json:]:
            json.loads(x)


if __name__ == "__main__":
    unittest.main()
