"""test_metrics_listen.py -- the metrics listener (metrics_listen): /metrics
after a known workload (exact deltas, read by Debian's prometheus_client
parser), /healthz and /readyz through a drain, metrics_allow, /sessions
and POST /sessions/ID/close, and the listener across a reload.
"""

import json
import re
import shutil
import signal
import socket
import urllib.error
import urllib.request

import harness as h
from harness import OP_BINARY, OP_CLOSE

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # reported by the tests that need it
    text_string_to_metric_families = None

SERVING = re.compile(r"metrics: serving on 127\.0\.0\.1:(\d+)")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(port, path, method="GET", limit=5.0):
    """(status, headers, body) of one request to the metrics listener."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=h.timeout(limit)) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class MetricsCase(h.GatewayTestCase):
    def start(self, routes, **gateway):
        gateway.setdefault("metrics_listen", "127.0.0.1:0")
        self.gw = self.gateway(routes, gateway)
        m = self.gw.wait_log(SERVING)
        self.mport = int(m.group(1))
        return self.gw

    def scrape(self):
        """{(name, frozenset(labels)): value}, strictly parsed."""
        if text_string_to_metric_families is None:
            self.fail("prometheus_client is missing: apt-get install "
                      "python3-prometheus-client (scripts/deps.sh test)")
        status, headers, body = http(self.mport, "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"],
                         "text/plain; version=0.0.4; charset=utf-8")
        out = {}
        for fam in text_string_to_metric_families(body.decode("utf-8")):
            for s in fam.samples:
                key = (s.name, frozenset(s.labels.items()))
                self.assertNotIn(key, out, "series twice: %s" % (key,))
                out[key] = s.value
        return out

    @staticmethod
    def v(samples, name, **labels):
        return samples.get((name, frozenset(labels.items())), 0)

    def session(self, path="/echo", messages=(b"hello",)):
        """A WebSocket session that sends each message, waits for its echo
        and closes with 1000."""
        c = self.raw(self.gw)
        c.handshake(path)
        for m in messages:
            c.send_frame(OP_BINARY, m)
            self.assertEqual(c.recv_data(len(m))[0], m)
        return c


class Counters(MetricsCase):
    def test_known_workload_exact_counts(self):
        """Three sessions of two 5-byte messages each way, a 404, a 403
        (Origin), a 502 (backend refused), a health answer: each counter
        moves by exactly that much, on two workers."""
        echo = self.backend(h.EchoBackend)
        dead = self.closed_port()
        self.start({"echo": {"path": "/echo", "backend": echo.addr},
                    "strict": {"path": "/strict", "backend": echo.addr,
                               "origins": "https://ok.example",
                               "allow_missing_origin": "no"},
                    "dead": {"path": "/dead",
                             "backend": "127.0.0.1:%d" % dead.port}},
                   workers="2", health_path="/health")
        before = self.scrape()
        # Both protocols' series are there from the start, at 0.
        for proto in ("h1", "h2"):
            self.assertIn(("wsgate_sessions_total",
                           frozenset({"route": "echo",
                                      "proto": proto}.items())), before)
            self.assertEqual(self.v(before, "wsgate_sessions_total",
                                    route="echo", proto=proto), 0)
        for _ in range(3):
            c = self.session(messages=(b"one..", b"two.."))
            c.send_frame(OP_CLOSE, h.close_payload(1000))
            self.assertEqual(c.recv_close().close_code, 1000)
            c.close()
        # While one is open, the gauge says so.
        held = self.session()
        # (The closed ones count until wsgate has seen their TCP close.)
        h.wait_until(lambda: self.v(self.scrape(), "wsgate_sessions_open",
                                    route="echo", proto="h1") == 1,
                     what="one session open")
        held.send_frame(OP_CLOSE, h.close_payload(1000))
        held.recv_close()
        held.close()
        self.raw(self.gw).handshake("/nowhere", expect=404)
        self.raw(self.gw).handshake("/strict", expect=403,
                                    origin="https://evil.example")
        self.raw(self.gw).handshake("/dead", expect=502)
        hc = self.raw(self.gw)
        self.assertEqual(hc.request(b"GET /health HTTP/1.1\r\nHost: x\r\n"
                                    b"\r\n").status, 200)
        self.gw.wait_log(r"close client=.* route=echo .*code=1000", )

        def settled():
            s = self.scrape()
            return s if (self.v(s, "wsgate_sessions_open", route="echo",
                                proto="h1") == 0
                         and self.v(s, "wsgate_session_closes_total",
                                    code="1000", side="client") == 4) \
                else None
        s = h.wait_until(settled, what="the four closes counted")
        v = self.v
        self.assertEqual(v(s, "wsgate_sessions_total", route="echo",
                           proto="h1"), 4)
        self.assertEqual(v(s, "wsgate_sessions_total", route="echo",
                           proto="h2"), 0)
        self.assertEqual(v(s, "wsgate_sessions_total", route="dead",
                           proto="h1"), 0)
        self.assertEqual(v(s, "wsgate_payload_bytes_total", route="echo",
                           direction="up"), 35)
        self.assertEqual(v(s, "wsgate_payload_bytes_total", route="echo",
                           direction="down"), 35)
        self.assertEqual(v(s, "wsgate_messages_total", route="echo",
                           direction="up"), 7)
        self.assertEqual(v(s, "wsgate_messages_total", route="echo",
                           direction="down"), 7)
        self.assertEqual(v(s, "wsgate_handshake_rejections_total",
                           status="404", reason="no_route"), 1)
        self.assertEqual(v(s, "wsgate_handshake_rejections_total",
                           status="403", reason="origin"), 1)
        self.assertEqual(v(s, "wsgate_handshake_rejections_total",
                           status="502", reason="backend"), 1)
        self.assertEqual(v(s, "wsgate_backend_connect_failures_total",
                           route="dead", reason="refused"), 1)
        self.assertEqual(v(s, "wsgate_backend_connect_duration_seconds_count"),
                         4)
        self.assertEqual(v(s, "wsgate_backend_connect_duration_seconds_bucket",
                           le="+Inf"), 4)
        self.assertEqual(v(s, "wsgate_web_responses_total", status="200"), 1)
        # 4 sessions, 3 rejected, 1 health check; scrapes are not counted.
        self.assertEqual(v(s, "wsgate_connections_accepted_total"), 8)
        self.assertEqual(v(s, "wsgate_config_reloads_total", result="ok"), 0)
        self.assertEqual(v(s, "wsgate_draining"), 0)
        self.assertGreater(v(s, "process_open_fds"), 0)
        info = [k for k in s if k[0] == "wsgate_build_info"]
        self.assertEqual(len(info), 1)
        self.assertIn(("libevent", "2.1.12-stable"), info[0][1])
        # The health check's connection is kept alive: a connection in
        # the handshake phase until it goes.
        self.assertGreaterEqual(v(s, "wsgate_connections_in_handshake"), 1)
        hc.close()
        h.wait_until(lambda: self.v(self.scrape(),
                                    "wsgate_connections_in_handshake") == 0,
                     what="no connection left in the handshake phase")


class Health(MetricsCase):
    def test_ready_then_draining(self):
        """/healthz and /readyz answer 200; during a drain /readyz says
        503 draining while /healthz stays 200 and the gauge is 1."""
        echo = self.backend(h.EchoBackend)
        self.start({"echo": {"path": "/echo", "backend": echo.addr}},
                   drain_timeout="10")
        self.assertEqual(http(self.mport, "/healthz")[:1], (200,))
        status, _, body = http(self.mport, "/readyz")
        self.assertEqual((status, body), (200, b"ready\n"))
        c = self.session()
        self.gw.send_signal(signal.SIGTERM)
        self.gw.wait_log(r"draining: stopped accepting")
        status, _, body = http(self.mport, "/readyz")
        self.assertEqual((status, body), (503, b"draining\n"))
        self.assertEqual(http(self.mport, "/healthz")[0], 200)
        self.assertEqual(self.v(self.scrape(), "wsgate_draining"), 1)
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.recv_close()
        c.close()
        self.assertEqual(self.gw.wait_exit(), 0)

    def test_unknown_paths_and_methods(self):
        echo = self.backend(h.EchoBackend)
        self.start({"echo": {"path": "/echo", "backend": echo.addr}})
        self.assertEqual(http(self.mport, "/nope")[0], 404)
        status, headers, _ = http(self.mport, "/metrics", method="POST")
        self.assertEqual(status, 405)
        self.assertIn("GET", headers["Allow"])
        # A request too big for the listener's own limit.
        c = self.raw(self.mport)
        r = c.request(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 +
                      b"\r\n\r\n")
        self.assertEqual(r.status, 431)


class Allow(MetricsCase):
    def test_metrics_allow_refuses_other_peers(self):
        """metrics_allow lists who may ask: loopback is not in it here,
        so the answer is 403 and the refusal is logged."""
        echo = self.backend(h.EchoBackend)
        self.start({"echo": {"path": "/echo", "backend": echo.addr}},
                   metrics_allow="10.0.0.0/8")
        status, _, _ = http(self.mport, "/metrics")
        self.assertEqual(status, 403)
        self.gw.wait_log(r"metrics: client=127\.0\.0\.1:\d+ refused: not "
                         r"in metrics_allow")

    def test_public_address_needs_metrics_allow(self):
        gw = h.Gateway(h.BINARY, h.config(
            {"r": {"path": "/r", "backend": "127.0.0.1:9"}},
            {"metrics_listen": "0.0.0.0:0"}))
        try:
            rc, _, err = h.run_binary(["-t", "-c", gw.config_path])
        finally:
            shutil.rmtree(gw.dir, ignore_errors=True)
        self.assertEqual(rc, 1)
        self.assertIn("metrics_listen: 0.0.0.0:0 is not a loopback address",
                      err)


class Sessions(MetricsCase):
    def test_list_filter_and_close(self):
        echo = self.backend(h.EchoBackend)
        self.start({"echo": {"path": "/echo", "backend": echo.addr},
                    "other": {"path": "/other", "backend": echo.addr}},
                   workers="2")
        a = self.session(messages=(b"abc",))
        b = self.session(path="/other")
        status, headers, body = http(self.mport, "/sessions")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/json")
        doc = json.loads(body)
        self.assertEqual(doc["count"], 2)
        self.assertFalse(doc["truncated"])
        by_route = {s["route"]: s for s in doc["sessions"]}
        sa = by_route["echo"]
        sb_id = by_route["other"]["id"]
        self.assertEqual(sa["client"], "127.0.0.1:%d" %
                         a.sock.getsockname()[1])
        self.assertEqual(sa["target"], echo.addr)
        self.assertEqual(sa["state"], "open")
        self.assertEqual((sa["bytes_up"], sa["bytes_down"]), (3, 3))
        self.assertIsNone(sa["tls_version"])
        doc = json.loads(http(self.mport, "/sessions?route=other")[2])
        self.assertEqual([s["route"] for s in doc["sessions"]], ["other"])
        doc = json.loads(http(self.mport, "/sessions?limit=1")[2])
        self.assertEqual((doc["count"], doc["truncated"]), (1, True))

        status, _, body = http(self.mport, "/sessions/%d/close?code=4000&"
                               "reason=maintenance+now" % sa["id"],
                               method="POST")
        self.assertEqual(status, 200, body)
        f = a.recv_close()
        self.assertEqual((f.close_code, f.close_reason),
                         (4000, "maintenance now"))
        self.gw.wait_log(r"closing with 4000 reason=\"maintenance now\" "
                         r"\(POST /sessions/%d/close\)" % sa["id"])
        a.send_frame(OP_CLOSE, h.close_payload(4000))
        self.assertEqual(http(self.mport, "/sessions/999999/close",
                              method="POST")[0], 404)
        # A web page's cross-site POST (browsers send Origin) is refused.
        c = self.raw(self.mport)
        r = c.request(b"POST /sessions/%d/close HTTP/1.1\r\nHost: x\r\n"
                      b"Origin: https://evil.example\r\n\r\n" % sb_id)
        self.assertEqual(r.status, 403)
        self.assertEqual(http(self.mport, "/sessions/%d/close?code=1006"
                              % sa["id"], method="POST")[0], 400)
        b.send_frame(OP_CLOSE, h.close_payload(1000))
        b.recv_close()


class Reload(MetricsCase):
    def test_rebound_on_reload_counts_kept(self):
        """A changed metrics_listen closes the old address and binds the
        new one; counters by route outlive the reload."""
        echo = self.backend(h.EchoBackend)
        routes = {"echo": {"path": "/echo", "backend": echo.addr}}
        self.start(routes)
        c = self.session()
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.recv_close()
        old = self.mport
        # The same address: kept open, not bound again.
        mark = self.gw.mark()
        self.gw.reload(h.config(routes, {"metrics_listen": "127.0.0.1:0"}))
        self.assertEqual(self.gw.find_log(r"metrics: (serving|no longer)",
                                          start=mark), [])
        self.assertEqual(http(old, "/readyz")[0], 200)
        new = free_port()
        mark = self.gw.mark()
        text = h.config(routes, {"metrics_listen": "127.0.0.1:%d" % new})
        self.gw.reload(text)
        self.gw.wait_log(r"configuration reloaded", start=mark)
        self.gw.wait_log(r"metrics: serving on 127\.0\.0\.1:%d" % new,
                         start=mark)
        self.mport = new
        s = self.scrape()
        self.assertEqual(self.v(s, "wsgate_sessions_total", route="echo",
                                proto="h1"), 1)
        self.assertEqual(self.v(s, "wsgate_config_reloads_total",
                                result="ok"), 2)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", old), timeout=2).close()
        # A refused reload is counted, and changes nothing.
        self.gw.reload("[gateway]\nlisten = nonsense\n")
        # The loader logs the failure; the main thread counts it next.
        s = h.wait_until(lambda: (lambda s: s if self.v(
            s, "wsgate_config_reloads_total", result="failed") == 1
            else None)(self.scrape()), what="the failed reload counted")
        self.assertEqual(self.v(s, "wsgate_config_last_reload_successful"),
                         0)
