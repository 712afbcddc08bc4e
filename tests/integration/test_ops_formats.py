"""test_ops_formats.py -- the /metrics, /sessions and JSON log writers,
read by parsers that are not wsgate's own.

build/ops-sample (tests/unit/ops_sample.c; build/asan/ops-sample under
--sanitizer) prints what the pure writers make of a known state:

- metrics: Prometheus text format 0.0.4, parsed by Debian's
  python3-prometheus-client (text_string_to_metric_families) and checked
  line by line against the format's grammar here (that parser is lax: it
  accepts samples of undeclared families and repeated series);
- sessions: the /sessions JSON, read by Python's json module;
- log: log_format = json lines, one object each.

The values are those ops_sample.c counted; strings hold hostile bytes
(quotes, backslashes, newlines, controls, a bidi override, invalid
UTF-8) and must come back as the original text (U+FFFD for the invalid
bytes).  No gateway is started.
"""

import json
import os
import re
import subprocess
import unittest

import harness as h

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # reported by the test, with the package to install
    text_string_to_metric_families = None

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (-?[0-9]+(?:\.[0-9]+)?)$" %
                    (NAME, LABEL, LABEL))


def tool_path():
    return os.path.join(os.path.dirname(os.path.abspath(h.BINARY)),
                        "ops-sample")


def run_sample(what):
    p = subprocess.run([tool_path(), what], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=h.timeout(20))
    err = p.stderr.decode("utf-8", "replace")
    if any(m in err for m in h.SANITIZER_MARKS):
        raise AssertionError("sanitizer report from ops-sample:\n" + err)
    if p.returncode != 0:
        raise AssertionError("ops-sample %s exited %d:\n%s" %
                             (what, p.returncode, err))
    return p.stdout, p.stderr


class Metrics(unittest.TestCase):
    def setUp(self):
        if text_string_to_metric_families is None:
            self.fail("prometheus_client is missing: apt-get install "
                      "python3-prometheus-client (scripts/deps.sh test)")
        if not os.access(tool_path(), os.X_OK):
            self.fail("%s is missing: make unit builds it" % tool_path())
        out, _ = run_sample("metrics")
        self.text = out.decode("utf-8")
        self.families = {f.name: f for f in
                         text_string_to_metric_families(self.text)}

    def samples(self, name):
        """{frozenset(labels.items()): value} of one sample name."""
        out = {}
        for f in self.families.values():
            for s in f.samples:
                if s.name == name:
                    key = frozenset(s.labels.items())
                    self.assertNotIn(key, out, "series twice: %s" % name)
                    out[key] = s.value
        return out

    def value(self, name, **labels):
        return self.samples(name)[frozenset(labels.items())]

    def test_grammar(self):
        """Every line is HELP, TYPE or a sample of the family last
        declared; each family declared once, TYPE right after HELP;
        no series twice; ends with a newline."""
        self.assertTrue(self.text.endswith("\n"))
        declared, series = set(), set()
        family = ftype = None
        lines = self.text.split("\n")[:-1]
        for i, line in enumerate(lines):
            if line.startswith("# HELP "):
                name = line.split(" ")[2]
                self.assertRegex(name, "^%s$" % NAME)
                self.assertNotIn(name, declared)
                declared.add(name)
                self.assertTrue(lines[i + 1].startswith(
                    "# TYPE %s " % name), lines[i + 1])
                family = name
                continue
            if line.startswith("# TYPE "):
                parts = line.split(" ")
                self.assertEqual(parts[2], family)
                ftype = parts[3]
                self.assertIn(ftype, ("counter", "gauge", "histogram"))
                if ftype == "counter":
                    self.assertTrue(family.endswith("_total"), family)
                continue
            m = SAMPLE.match(line)
            self.assertIsNotNone(m, "not a sample line: %r" % line)
            name = m.group(1)
            allowed = ([family + s for s in ("_bucket", "_sum", "_count")]
                       if ftype == "histogram" else [family])
            self.assertIn(name, allowed, line)
            key = (name, m.group(2))
            self.assertNotIn(key, series, line)
            series.add(key)
        self.assertEqual(len(declared), 21)
        for name in declared:
            self.assertTrue(name.startswith(("wsgate_", "process_")), name)

    def test_parsed_families(self):
        f = self.families
        types = {
            "wsgate_build_info": "gauge",
            "process_start_time_seconds": "gauge",
            "process_open_fds": "gauge",
            "process_max_fds": "gauge",
            "wsgate_draining": "gauge",
            # prometheus_client names counters without _total
            "wsgate_connections_accepted": "counter",
            "wsgate_connections_in_handshake": "gauge",
            "wsgate_handshake_rejections": "counter",
            "wsgate_sessions_open": "gauge",
            "wsgate_sessions": "counter",
            "wsgate_session_closes": "counter",
            "wsgate_payload_bytes": "counter",
            "wsgate_messages": "counter",
            "wsgate_backend_connect_failures": "counter",
            "wsgate_backend_connect_duration_seconds": "histogram",
            "wsgate_tls_handshakes": "counter",
            "wsgate_tls_handshake_failures": "counter",
            "wsgate_web_responses": "counter",
            "wsgate_config_reloads": "counter",
            "wsgate_config_last_reload_successful": "gauge",
            "wsgate_config_last_reload_success_timestamp_seconds": "gauge",
        }
        self.assertEqual(sorted(f), sorted(types))
        for name, t in types.items():
            self.assertEqual(f[name].type, t, name)
            self.assertTrue(f[name].documentation, name)

    def test_values(self):
        """What ops_sample.c counted in two workers, summed."""
        v = self.value
        self.assertEqual(v("wsgate_connections_accepted_total"), 10)
        self.assertEqual(v("wsgate_connections_in_handshake"), 2)
        self.assertEqual(v("wsgate_sessions_total", route="echo",
                           proto="h1"), 4)
        self.assertEqual(v("wsgate_sessions_total", route="echo",
                           proto="h2"), 2)
        self.assertEqual(v("wsgate_sessions_open", route="echo",
                           proto="h1"), 0)
        self.assertEqual(v("wsgate_sessions_open", route="echo",
                           proto="h2"), 2)
        self.assertEqual(v("wsgate_sessions_total", route="vnc.1",
                           proto="h1"), 0)
        self.assertEqual(v("wsgate_sessions_total", route="vnc.1",
                           proto="h2"), 0)
        self.assertEqual(v("wsgate_payload_bytes_total", route="echo",
                           direction="up"), 2000)
        self.assertEqual(v("wsgate_payload_bytes_total", route="echo",
                           direction="down"), 4000)
        self.assertEqual(v("wsgate_messages_total", route="echo",
                           direction="down"), 40)
        self.assertEqual(v("wsgate_backend_connect_failures_total",
                           route="echo", reason="timeout"), 2)
        self.assertEqual(v("wsgate_handshake_rejections_total",
                           status="403", reason="origin"), 2)
        self.assertEqual(v("wsgate_handshake_rejections_total",
                           status="other", reason="bad_request"), 2)
        self.assertEqual(v("wsgate_session_closes_total", code="1000",
                           side="client"), 2)
        self.assertEqual(v("wsgate_session_closes_total", code="4xxx",
                           side="gateway"), 2)
        self.assertEqual(v("wsgate_tls_handshakes_total"), 6)
        self.assertEqual(v("wsgate_tls_handshake_failures_total",
                           reason="not_tls"), 2)
        self.assertEqual(v("wsgate_web_responses_total", status="304"), 2)
        self.assertEqual(v("wsgate_config_reloads_total", result="ok"), 1)
        self.assertEqual(v("wsgate_config_reloads_total",
                           result="failed"), 1)
        self.assertEqual(v("wsgate_config_last_reload_successful"), 0)
        self.assertAlmostEqual(v("wsgate_config_last_reload_success_"
                                 "timestamp_seconds"), 1764133000.25)
        self.assertAlmostEqual(v("process_start_time_seconds"),
                               1764132914.682)
        self.assertEqual(v("process_open_fds"), 12)
        self.assertEqual(v("process_max_fds"), 65536)
        self.assertEqual(v("wsgate_draining"), 0)
        # Outcome series appear once non-zero only.
        self.assertNotIn(frozenset({"status": "404",
                                    "reason": "no_route"}.items()),
                         self.samples("wsgate_handshake_rejections_total"))

    def test_histogram(self):
        b = {dict(k)["le"]: val for k, val in self.samples(
            "wsgate_backend_connect_duration_seconds_bucket").items()}
        bounds = sorted((float(le), n) for le, n in b.items())
        self.assertEqual(bounds[-1][0], float("inf"))
        counts = [n for _, n in bounds]
        self.assertEqual(counts, sorted(counts), "buckets are cumulative")
        self.assertEqual(b["0.0005"], 2)
        self.assertEqual(b["0.05"], 2)
        self.assertEqual(b["0.1"], 4)
        self.assertEqual(b["10"], 4)
        self.assertEqual(b["+Inf"], 6)
        self.assertEqual(
            self.value("wsgate_backend_connect_duration_seconds_count"), 6)
        self.assertAlmostEqual(
            self.value("wsgate_backend_connect_duration_seconds_sum"),
            2 * (0.0003 + 0.075 + 60))

    def test_label_escaping(self):
        """Backslash, quote and newline come back; invalid UTF-8 is
        U+FFFD."""
        routes = {dict(k)["route"] for k in
                  self.samples("wsgate_sessions_total")}
        self.assertIn('we"ird\\\nname \u00e9\ufffd', routes)
        info = dict(next(iter(self.samples("wsgate_build_info"))))
        self.assertEqual(info["version"], '1.0 "quoted" \\ back')
        self.assertEqual(info["openssl"], "OpenSSL 3.0.11 19 Sep 2023")


HOSTILE_SNI = ('caf\u00e9.example "q" \\ \x01\x1b[2J\u202e\U0001f600'
               '\ufffd\ufffd')


class Sessions(unittest.TestCase):
    def test_parse(self):
        out, _ = run_sample("sessions")
        text = out.decode("ascii")  # JSON escapes: ASCII only
        doc = json.loads(text)
        self.assertEqual(doc["count"], 3)
        self.assertIs(doc["truncated"], True)
        s = doc["sessions"]
        self.assertEqual([x["id"] for x in s], [1, 2, 3])
        self.assertEqual(s[0], {
            "id": 1, "worker": 0, "route": "echo",
            "client": "127.0.0.1:40000", "target": "127.0.0.1:7000",
            "state": "open", "protocol": "h1", "tls_version": "TLSv1.3",
            "sni": HOSTILE_SNI, "age_seconds": 61.001, "bytes_up": 5,
            "bytes_down": 7})
        self.assertIsNone(s[1]["tls_version"])
        self.assertIsNone(s[1]["sni"])
        self.assertEqual(s[1]["state"], "connecting")
        self.assertEqual((s[2]["worker"], s[2]["state"], s[2]["protocol"],
                          s[2]["client"]),
                         (1, "closing", "h2", "[2001:db8::1]:443"))
        for line in text.splitlines():
            self.assertTrue(all(0x20 <= ord(c) < 0x7f for c in line))


class Logs(unittest.TestCase):
    def test_lines(self):
        _, err = run_sample("log")
        lines = err.decode("ascii").splitlines()
        self.assertEqual(len(lines), 5)
        objs = [json.loads(x) for x in lines]
        for o in objs:
            self.assertRegex(o["ts"],
                             r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual({k: v for k, v in objs[0].items() if k != "ts"}, {
            "level": "info", "event": "close", "client": "127.0.0.1:1",
            "route": "echo", "up": 17, "down": 0, "duration": "1.280s",
            "code": 1000, "by": "client", "reason": "client sent close"})
        self.assertEqual(objs[1]["level"], "warn")
        self.assertEqual(objs[1]["status"], 503)
        # log_escape()'s \xNN undone: the client's path again.
        self.assertEqual(objs[1]["path"], '/a"b\\c\n\x1b[31m\u00e9\ufffd')
        self.assertEqual(objs[1]["origin"], "")
        self.assertEqual(objs[2]["event"], "tls")
        self.assertEqual(objs[2]["msg"],
                         "handshake failed: unsupported protocol")
        self.assertNotIn("event", objs[3])
        self.assertEqual(objs[3]["msg"], "listening on 127.0.0.1:8080")
        # A line cannot set level or ts.
        self.assertEqual(objs[4]["level"], "info")
        self.assertEqual(objs[4]["msg"], "level=debug ts=0")


if __name__ == "__main__":
    unittest.main()
