"""test_dns.py -- backend names: one lookup per name however many sessions
want it, answers cached for their TTL, failures briefly, bounds per name
and per worker, and a name whose DNS server never answers holds up no
other name.  A fake DNS server (dns_support.py) is named by dns_servers.
"""

import os
import shutil
import signal
import tempfile
import time

import harness as h
from dns_support import FakeDNS, TYPE_A, TYPE_AAAA

# One worker: lookups, their bounds and the cache are per worker.
GW = {"workers": "1"}


class DNSTestCase(h.GatewayTestCase):
    def dns(self):
        d = FakeDNS()
        self.addCleanup(d.stop)
        return d

    def dns_gateway(self, dns, routes, **gateway):
        gw = dict(GW, dns_servers=dns.addr)
        gw.update(gateway)
        return self.gateway(routes, gateway=gw)

    def pending(self, gw, path, n):
        """n clients whose upgrade requests are sent, not answered."""
        cs = []
        for _ in range(n):
            c = self.raw(gw)
            c.send(h.upgrade_request(path))
            cs.append(c)
        return cs

    def status(self, gw, path, limit=10):
        c = self.raw(gw)
        return c.request(h.upgrade_request(path), limit=limit).status

    def stop_now(self, gw):
        """Sessions waiting for a lookup would last until the drain's
        deadline: a second SIGTERM ends them at once."""
        mark = gw.mark()
        gw.send_signal(signal.SIGTERM)
        gw.wait_log(r"draining", start=mark)
        self.assertEqual(gw.stop(signal.SIGTERM), 0)


class Isolation(DNSTestCase):
    def test_dead_name_does_not_block_other_names(self):
        """70 sessions wait for a name whose DNS server never answers
        (once: 2 x 70 queries filled evdns's 64 slots, and every other
        name got 504); a name that resolves at once still connects."""
        echo = self.backend(h.EchoBackend)
        dns = self.dns()
        dns.silent("dead.test")
        dns.answer("live.test", ["127.0.0.1"])
        gw = self.dns_gateway(dns, {
            "dead": {"path": "/dead", "backend": "dead.test:%d" % echo.port,
                     "backend_connect_timeout": "20"},
            "live": {"path": "/live", "backend": "live.test:%d" % echo.port,
                     "backend_connect_timeout": "3"}},
            dns_timeout="20")
        self.pending(gw, "/dead", 70)
        h.wait_until(lambda: dns.queries("dead.test") > 0, 5,
                     "the first query for dead.test")
        time.sleep(h.timeout(0.3))  # every one of the 70 has asked
        c = self.raw(gw)
        t0 = time.monotonic()
        c.handshake("/live")
        self.assertLess(time.monotonic() - t0, h.timeout(2))
        c.send_frame(h.OP_BINARY, b"alive")
        self.assertEqual(c.recv_data(5)[0], b"alive")
        # 70 sessions, one A and one AAAA query.
        self.assertEqual(dns.queries("dead.test", TYPE_A), 1)
        self.assertEqual(dns.queries("dead.test", TYPE_AAAA), 1)
        self.stop_now(gw)

    def test_session_gives_up_lookup_goes_on(self):
        """backend_connect_timeout ends a session that waits for a slow
        lookup (504); the lookup goes on, and the next session waits for
        that same lookup rather than sending queries of its own."""
        dns = self.dns()
        dns.silent("dead.test")
        gw = self.dns_gateway(dns, {
            "r": {"path": "/", "backend": "dead.test:80",
                  "backend_connect_timeout": "0.3"}},
            dns_timeout="20")
        for _ in range(2):
            self.assertEqual(self.status(gw, "/"), 504)
        gw.wait_log(r"reject .*status=504 .*connect timed out")
        self.assertEqual(dns.queries("dead.test", TYPE_A), 1)
        self.assertEqual(dns.queries("dead.test", TYPE_AAAA), 1)
        self.stop_now(gw)

    def test_concurrent_upgrades_share_one_lookup(self):
        echo = self.backend(h.EchoBackend, backlog=64)
        dns = self.dns()
        dns.answer("slow.test", ["127.0.0.1"], delay=0.3)
        gw = self.dns_gateway(dns, {
            "r": {"path": "/", "backend": "slow.test:%d" % echo.port}})
        cs = self.pending(gw, "/", 20)
        for c in cs:
            self.assertEqual(c.read_response(10).status, 101)
        self.assertEqual(dns.queries("slow.test", TYPE_A), 1)
        self.assertEqual(dns.queries("slow.test", TYPE_AAAA), 1)

    def test_lookups_per_worker_bounded(self):
        """64 names in flight at once per worker; the 65th name gets 503
        at once, while cached names and /etc/hosts still work."""
        echo = self.backend(h.EchoBackend)
        dns = self.dns()
        routes = {}
        for i in range(65):
            dns.silent("dead%d.test" % i)
            routes["d%d" % i] = {"path": "/d%d" % i,
                                 "backend": "dead%d.test:9" % i,
                                 "backend_connect_timeout": "20"}
        routes["local"] = {"path": "/local",
                           "backend": "localhost:%d" % echo.port}
        gw = self.dns_gateway(dns, routes, dns_timeout="20")
        for i in range(64):
            self.pending(gw, "/d%d" % i, 1)
        h.wait_until(lambda: all(dns.queries("dead%d.test" % i) == 2
                                 for i in range(64)), 10,
                     "64 lookups in flight")
        t0 = time.monotonic()
        self.assertEqual(self.status(gw, "/d64"), 503)
        self.assertLess(time.monotonic() - t0, h.timeout(1))
        gw.wait_log(r"reject .*status=503 .*too many other names being "
                    r"looked up")
        self.assertEqual(dns.queries("dead64.test"), 0)
        self.raw(gw).handshake("/local")
        self.assertEqual(dns.queries("localhost"), 0)   # /etc/hosts
        self.stop_now(gw)

    def test_waiters_per_name_bounded(self):
        dns = self.dns()
        dns.silent("dead.test")
        gw = self.dns_gateway(dns, {
            "dead": {"path": "/dead", "backend": "dead.test:9",
                     "backend_connect_timeout": "30"}},
            dns_timeout="30")
        self.pending(gw, "/dead", 1024)
        h.wait_until(lambda: dns.queries("dead.test") == 2, 5,
                     "the lookup")
        time.sleep(h.timeout(0.5))  # every one of the 1024 has asked
        over = self.pending(gw, "/dead", 1)[0]
        r = over.read_response(5)
        self.assertEqual(r.status, 503)
        gw.wait_log(r"reject .*status=503 .*too many sessions waiting "
                    r"for this name")
        # Every earlier session is still waiting, none was answered.
        self.assertEqual(len(gw.find_log(r"reject .*status=503")), 1)
        self.stop_now(gw)


class Cache(DNSTestCase):
    def test_answer_cached_for_its_ttl(self):
        echo = self.backend(h.EchoBackend)
        dns = self.dns()
        dns.answer("ttl.test", ["127.0.0.1"], ttl=1)
        gw = self.dns_gateway(dns, {
            "r": {"path": "/", "backend": "ttl.test:%d" % echo.port}})
        self.raw(gw).handshake("/")
        self.assertEqual(dns.queries("ttl.test", TYPE_A), 1)
        self.raw(gw).handshake("/")
        self.assertEqual(dns.queries("ttl.test", TYPE_A), 1)
        time.sleep(1.2)
        self.raw(gw).handshake("/")
        self.assertEqual(dns.queries("ttl.test", TYPE_A), 2)

    def test_failure_cached_briefly(self):
        dns = self.dns()
        gw = self.dns_gateway(dns, {
            "r": {"path": "/", "backend": "nowhere.test:80"}})
        for _ in range(3):
            self.assertEqual(self.status(gw, "/"), 502)
        gw.wait_log(r"reject .*status=502 .*nowhere\.test:80: name lookup: "
                    r"no such name")
        self.assertEqual(dns.queries("nowhere.test", TYPE_A), 1)
        self.assertEqual(dns.queries("nowhere.test", TYPE_AAAA), 1)

    def test_dns_timeout(self):
        """A name not answered within dns_timeout gets 502 (not 504 at
        backend_connect_timeout), and the next session is told at once."""
        dns = self.dns()
        dns.silent("dead.test")
        gw = self.dns_gateway(dns, {
            "r": {"path": "/", "backend": "dead.test:80",
                  "backend_connect_timeout": "10"}},
            dns_timeout="0.6")
        t0 = time.monotonic()
        self.assertEqual(self.status(gw, "/"), 502)
        self.assertGreater(time.monotonic() - t0, 0.5)
        self.assertLess(time.monotonic() - t0, h.timeout(3))
        gw.wait_log(r"reject .*status=502 .*no answer within dns_timeout")
        sent = dns.queries("dead.test")
        t0 = time.monotonic()
        self.assertEqual(self.status(gw, "/"), 502)
        self.assertLess(time.monotonic() - t0, h.timeout(0.5))
        self.assertEqual(dns.queries("dead.test"), sent)

    def test_cache_bounded(self):
        """1024 names per worker: the least recently used goes first."""
        closed = self.closed_port()
        dns = self.dns()
        n = 1030
        routes = {}
        for i in range(n):
            dns.answer("n%d.test" % i, ["127.0.0.1"])
            routes["r%d" % i] = {"path": "/r%d" % i,
                                 "backend": "n%d.test:%d" % (i, closed.port)}
        gw = self.dns_gateway(dns, routes)
        for i in range(n):
            self.assertEqual(self.status(gw, "/r%d" % i), 502)
        self.assertEqual(dns.queries("n%d.test" % (n - 1), TYPE_A), 1)
        # The most recent are still there, the oldest are not.
        self.assertEqual(self.status(gw, "/r%d" % (n - 1)), 502)
        self.assertEqual(dns.queries("n%d.test" % (n - 1), TYPE_A), 1)
        self.assertEqual(self.status(gw, "/r0"), 502)
        self.assertEqual(dns.queries("n0.test", TYPE_A), 2)

    def test_next_address_after_a_refusal(self):
        echo = self.backend(h.EchoBackend)
        dns = self.dns()
        # Nothing listens on 127.0.0.2 at the echo port: refused.
        dns.answer("two.test", ["127.0.0.2", "127.0.0.1"])
        gw = self.dns_gateway(dns, {
            "r": {"path": "/", "backend": "two.test:%d" % echo.port}})
        c = self.raw(gw)
        c.handshake("/")
        c.send_frame(h.OP_BINARY, b"second")
        self.assertEqual(c.recv_data(6)[0], b"second")
        gw.wait_log(r"backend 127\.0\.0\.2:%d: .*trying its next address"
                    % echo.port)

    def test_ipv4_first_and_a_late_aaaa_not_awaited(self):
        """The echo backend listens on 127.0.0.1 only: the IPv4 address is
        tried first, and an AAAA answer 5 s late delays nobody by more
        than half a second."""
        echo = self.backend(h.EchoBackend)
        dns = self.dns()
        dns.answer("both.test", ["127.0.0.1"], ["::1"], delay_aaaa=5)
        gw = self.dns_gateway(dns, {
            "r": {"path": "/", "backend": "both.test:%d" % echo.port}})
        c = self.raw(gw)
        t0 = time.monotonic()
        c.handshake("/")
        self.assertLess(time.monotonic() - t0, h.timeout(2))
        self.assertGreater(time.monotonic() - t0, 0.4)
        self.assertEqual(gw.find_log(r"trying its next address"), [])

    def test_reload_applies_dns_servers_and_forgets_answers(self):
        echo = self.backend(h.EchoBackend)
        dns1, dns2 = self.dns(), self.dns()
        for d in (dns1, dns2):
            d.answer("a.test", ["127.0.0.1"])
        routes = {"r": {"path": "/", "backend": "a.test:%d" % echo.port}}
        gw = self.dns_gateway(dns1, routes)
        self.raw(gw).handshake("/")
        self.assertEqual(dns1.queries("a.test", TYPE_A), 1)
        gw.reload(h.config(routes, dict(GW, dns_servers=dns2.addr)))
        self.raw(gw).handshake("/")
        self.assertEqual(dns1.queries("a.test", TYPE_A), 1)
        self.assertEqual(dns2.queries("a.test", TYPE_A), 1)


class Exit(DNSTestCase):
    def test_exit_during_lookups(self):
        """Stopping while sessions wait for a lookup frees everything (the
        ASan and valgrind runs check the leaks)."""
        dns = self.dns()
        dns.silent("dead.test")
        gw = self.dns_gateway(dns, {
            "r": {"path": "/", "backend": "dead.test:80",
                  "backend_connect_timeout": "20"}},
            dns_timeout="20")
        self.pending(gw, "/", 5)
        h.wait_until(lambda: dns.queries("dead.test") == 2, 5, "the lookup")
        self.stop_now(gw)
        gw.check_exit()


class Config(h.GatewayTestCase):
    def test_dns_servers_takes_addresses_only(self):
        d = tempfile.mkdtemp(prefix="wsgate-dns-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "bad.ini")
        with open(path, "w") as f:
            f.write(h.config({"r": {"path": "/", "backend": "a.test:80"}},
                             {"dns_servers": "127.0.0.1:5353 ns.example"}))
        rc, _, err = h.run_binary(["-t", "-c", path])
        self.assertNotEqual(rc, 0)
        self.assertIn('[gateway] dns_servers: "ns.example": expected an '
                      'IP address', err)
