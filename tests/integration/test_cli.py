"""test_cli.py -- command line: -t, -V, -h, bad options, exit codes."""

import os
import re
import shutil
import socket
import tempfile
import time

import harness as h


class CheckConfig(h.GatewayTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="wsgate-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, rel, text):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_shipped_example_is_valid(self):
        rc, out, err = h.run_binary(
            ["-t", "-c", os.path.join(h.REPO, "etc", "wsgate.ini")])
        self.assertEqual(rc, 0, err)
        self.assertIn("configuration OK", out)
        self.assertRegex(out, r"\(1 listener, 2 routes\)")

    def test_bad_config_reports_every_problem_with_file_and_line(self):
        main = self.write("gw.ini", "\n".join([
            "[gateway]",                                # 1
            "listen = 127.0.0.1:0",                     # 2
            "routes_dir = more",                        # 3
            "max_message_size = lots",                  # 4
            "no_such_key = 1",                          # 5
            "",                                         # 6
            "[route:a]",                                # 7
            "path = /a",                                # 8
            "backend = 127.0.0.1:7000",                 # 9
            "origins = http://ok.example/with/path",    # 10
            "allow_missing_origin = maybe",             # 11
            "",                                         # 12
            "[route:b]",                                # 13
            "path = /b",                                # 14
            "backend = 127.0.0.1:7001",                 # 15
        ]) + "\n")
        extra = self.write("more/x.ini", "\n".join([
            "; comment",                                # 1
            "[route:c]",                                # 2
            "path = /a",                                # 3
            "backend = nowhere",                        # 4
            "origins = *",                              # 5
        ]) + "\n")
        rc, out, err = h.run_binary(["-t", "-c", main])
        self.assertEqual(rc, 1, err)
        want = [
            (main, 4, r"\[gateway\] max_message_size: "),
            (main, 5, r"\[gateway\] no_such_key: unknown key"),
            (main, 10, r"\[route:a\] origins: "),
            (main, 11, r"\[route:a\] allow_missing_origin: "),
            (main, 13, r"\[route:b\] origins: missing"),
            (extra, 3, r"\[route:c\] path: .*already used"),
            (extra, 4, r"\[route:c\] backend: "),
        ]
        for path, line, rest in want:
            with self.subTest(line="%s:%d" % (os.path.basename(path),
                                                line)):
                self.assertRegex(err, r"(?m)^%s:%d: %s" % (
                    re.escape(path), line, rest))
        self.assertRegex(err, r"configuration invalid \(\d+ problems\)")

    def test_first_run_mistakes_get_the_line_to_write(self):
        # A first configuration as a new user writes it: each mistake is
        # one error, at its line, with what to write instead.
        main = self.write("gw.ini", "\n".join([
            "[gatway]",                                 # 1
            "[gateway]",                                # 2
            "listen = 8080",                            # 3
            "idle_timout = 5m",                         # 4
            "idle_timeout = 5m # five minutes",         # 5
            "drain_timeout = 1h30",                     # 6
            "[route:vnc]",                              # 7
            "path = /websockify",                       # 8
            "backend = localhost",                      # 9
            "origins = https://example.com/",           # 10
        ]) + "\n")
        rc, out, err = h.run_binary(["-t", "-c", main])
        self.assertEqual(rc, 1, err)
        want = [
            (1, r"\[gatway\]: unknown section; did you mean \[gateway\]\?$"),
            (3, r"\[gateway\] listen: \"8080\": .*write \*:8080 "
                r"\(every address\) or 127\.0\.0\.1:8080"),
            (4, r"\[gateway\] idle_timout: unknown key; did you mean "
                r"idle_timeout\?$"),
            (5, r"\[gateway\] idle_timeout: .*only \" ;\" starts a comment"
                r".*write idle_timeout = 5m ; five minutes$"),
            (6, r"\[gateway\] drain_timeout: .*write 1h30m.*0 to 1d$"),
            (9, r"\[route:vnc\] backend: \"localhost\": no port: .*"
                r"backend = localhost:5900$"),
            (10, r"\[route:vnc\] origins: .*write https://example\.com$"),
        ]
        for line, rest in want:
            with self.subTest(line=line):
                self.assertRegex(err, r"(?m)^%s:%d: %s" % (
                    re.escape(main), line, rest))
        # Nothing else: the trailing '/' is one error, not two.
        self.assertIn("configuration invalid (%d problems)" % len(want), err)

    def test_durations_with_units_pass_check(self):
        main = self.write("gw.ini", h.config(
            {"a": {"path": "/a", "backend": "127.0.0.1:9",
                   "idle_timeout": "1h30m", "close_timeout": "1.5s"}},
            {"handshake_timeout": "1m", "drain_timeout": "1d",
             "dns_timeout": "250ms", "send_timeout": "2m30s"}))
        rc, out, err = h.run_binary(["-t", "-c", main])
        self.assertEqual(rc, 0, err)
        self.assertIn("configuration OK", out)

    def routes_dir_main(self):
        os.makedirs(os.path.join(self.dir, "routes.d"))
        return self.write("gw.ini", h.config(
            {"main": {"path": "/main", "backend": "127.0.0.1:9"}},
            {"routes_dir": "routes.d"}))

    def check_refused_promptly(self, main, bad, why):
        t0 = time.monotonic()
        rc, out, err = h.run_binary(["-t", "-c", main], limit=10)
        took = time.monotonic() - t0
        self.assertEqual(rc, 1, err)
        self.assertLess(took, h.timeout(3))
        self.assertRegex(err, r"(?m)^%s:0: cannot read: %s, not a regular "
                         r"file; routes_dir reads regular \.ini files only"
                         % (re.escape(bad), why))

    def test_fifo_in_routes_dir_is_refused_not_waited_for(self):
        # Opening a FIFO waits for a writer: -t (and SIGHUP) hung.
        main = self.routes_dir_main()
        fifo = os.path.join(self.dir, "routes.d", "fifo.ini")
        os.mkfifo(fifo)
        self.check_refused_promptly(main, fifo, "a FIFO")

    def test_device_in_routes_dir_is_refused_not_read(self):
        # /dev/zero never ends: -t spun forever.
        main = self.routes_dir_main()
        zero = os.path.join(self.dir, "routes.d", "zero.ini")
        os.symlink("/dev/zero", zero)
        self.check_refused_promptly(main, zero, "a character device")

    def test_backend_forms_only_listen_understands(self):
        # Each passed -t before, then every upgrade got 502.
        main = self.write("gw.ini", h.config({
            "star": {"path": "/star", "backend": "*:80"},
            "pct": {"path": "/pct", "backend": "%:80"},
            "zone": {"path": "/zone", "backend": "127.0.0.1%lo:5900"}}))
        rc, out, err = h.run_binary(["-t", "-c", main])
        self.assertEqual(rc, 1, err)
        for line, name, value, why in (
                (11, "star", "*:80", "is for listen"),
                (17, "pct", "%:80", "in brackets"),
                (23, "zone", "127.0.0.1%lo:5900", "in brackets")):
            with self.subTest(backend=value):
                self.assertRegex(err, r"(?m)^%s:%d: \[route:%s\] backend: "
                                 r"\"%s\": .*%s" % (
                                     re.escape(main), line, name,
                                     re.escape(value), why))
        self.assertIn("configuration invalid (3 problems)", err)
        # A zone inside brackets is an address libevent connects to.
        ok = self.write("ok.ini", h.config({
            "v6": {"path": "/v6", "backend": "[fe80::1%lo]:5900"}}))
        rc, out, err = h.run_binary(["-t", "-c", ok])
        self.assertEqual(rc, 0, err)

    def test_many_routes_check_fast(self):
        # Duplicate names and paths were found by O(n^2) scans: 50,000
        # routes took 7 s.  Now a tree: well under a second.  (Under
        # valgrind fewer: it checks memory here, not time.)
        n = 5000 if h.VALGRIND else 50000
        lines = ["[gateway]", "listen = 127.0.0.1:0", ""]
        for i in range(n):
            lines += ["[route:r%d]" % i, "path = /r%d" % i,
                      "backend = 127.0.0.1:9", "origins = *", ""]
        main = self.write("big.ini", "\n".join(lines))
        t0 = time.monotonic()
        rc, out, err = h.run_binary(["-t", "-c", main], limit=30)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, err)
        self.assertIn("(1 listener, %d routes)" % n, out)
        self.assertLess(took, h.timeout(2))
        # And the duplicates are still found, against the first.
        with open(main, "a") as f:
            f.write("[route:r17]\npath = /x\n\n[route:dup]\n"
                    "path = /r%d\nbackend = 127.0.0.1:9\norigins = *\n"
                    % (n - 1))
        rc, out, err = h.run_binary(["-t", "-c", main], limit=30)
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"\[route:r17\]: route declared twice "
                         r"\(first at .*big\.ini:\d+\)")
        self.assertRegex(err, r"\[route:dup\] path: \"/r%d\" is already "
                         r"used by \[route:r%d\]" % (n - 1, n - 1))

    def test_missing_file(self):
        rc, out, err = h.run_binary(
            ["-t", "-c", os.path.join(self.dir, "nope.ini")])
        self.assertEqual(rc, 1)
        self.assertIn("nope.ini", err)

    def test_start_with_bad_config_exits_1(self):
        path = self.write("bad.ini", "[gateway]\nlisten = 127.0.0.1:0\n")
        rc, out, err = h.run_binary(["-c", path])
        self.assertEqual(rc, 1)
        self.assertIn("no routes", err)

    def test_listen_address_in_use_exits_3(self):
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        path = self.write("gw.ini", h.config(
            {"r": {"path": "/", "backend": "127.0.0.1:9"}},
            {"listen": "127.0.0.1:%d" % port}))
        rc, out, err = h.run_binary(["-c", path])
        self.assertEqual(rc, 3, err)
        self.assertRegex(err, r"gw\.ini:2: listen = 127\.0\.0\.1:%d: "
                         r"cannot listen" % port)


class Options(h.GatewayTestCase):
    def test_version(self):
        rc, out, err = h.run_binary(["-V"])
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^wsgate \d+\.\d+")

    def test_help(self):
        rc, out, err = h.run_binary(["-h"])
        self.assertEqual(rc, 0)
        self.assertIn("usage: wsgate", out)
        self.assertIn("-t", out)

    def test_unknown_option_exits_2(self):
        rc, out, err = h.run_binary(["-Z"])
        self.assertEqual(rc, 2)
        self.assertIn("usage: wsgate", err)
        self.assertEqual(out, "")

    def test_missing_option_argument_exits_2(self):
        rc, out, err = h.run_binary(["-c"])
        self.assertEqual(rc, 2)

    def test_stray_argument_exits_2(self):
        rc, out, err = h.run_binary(["extra"])
        self.assertEqual(rc, 2)
        self.assertIn("extra", err)

    def test_quiet_logs_no_info(self):
        echo = self.backend(h.EchoBackend)
        # -q after the harness's -v: the later option wins.  Nothing
        # says "ready" then, so just let it run a moment.
        with h.Gateway(h.BINARY, h.config({"r": {"path": "/", "backend":
                                                  echo.addr}}),
                       args=["-q"], wait_ready=False) as gw:
            h.time.sleep(h.timeout(0.3))     # valgrind starts slowly
            self.assertTrue(gw.running())
        self.assertEqual(gw.returncode, 0)
        self.assertEqual([ln for ln in gw.lines
                          if " info " in ln or " debug " in ln], [])


class NoConfiguration(h.GatewayTestCase):
    """Without a configuration file wsgate says where it looked, how to
    point at one, and where the examples are; exit status 1."""

    def help_paths(self):
        rc, out, err = h.run_binary(["-h"])
        default = re.search(r"\(default (/\S+)\)", out).group(1)
        examples = re.search(r"commented examples in (/\S+)", out).group(1)
        return default, examples

    def check_hint(self, err, where, examples):
        self.assertIn("wsgate: no configuration file at %s" % where, err)
        self.assertIn("Point wsgate at one with -c FILE", err)
        self.assertIn("Commented examples: %s/" % examples, err)
        self.assertIn("wsgate.ini(5)", err)
        self.assertIn("Or give websockify's arguments: wsgate 6080 "
                      "localhost:5900", err)
        self.assertNotIn("configuration invalid", err)

    def test_missing_file_given_with_c(self):
        default, examples = self.help_paths()
        d = tempfile.mkdtemp(prefix="wsgate-cli-")
        self.addCleanup(shutil.rmtree, d, True)
        for args in (["-c", "nope.ini"], ["-t", "-c", "nope.ini"]):
            with self.subTest(args=args):
                rc, out, err = h.run_binary(args, cwd=d)
                self.assertEqual((rc, out), (1, ""))
                self.check_hint(err, "nope.ini (in %s)" %
                                os.path.realpath(d), examples)
                self.assertNotIn("(the default)", err)

    def test_no_file_at_the_default_path(self):
        default, examples = self.help_paths()
        if os.path.exists(default):
            self.skipTest("%s exists on this machine" % default)
        rc, out, err = h.run_binary([])
        self.assertEqual((rc, out), (1, ""))
        self.check_hint(err, "%s (the default)" % default, examples)
