"""test_cli_websockify.py -- websockify's command line: the positional
form relays bytes, --web, --cert, ExpectOrigin, --print-config read back
by -t -c, --log-file, SIGHUP, refused options and mapped errors."""

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile

import harness as h
from harness import OP_BINARY


def make_pem(directory):
    """A self-signed certificate with its key in the same file (as
    websockify's self.pem), mode 0600."""
    pem = os.path.join(directory, "self.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "2", "-subj", "/CN=localhost",
                    "-keyout", pem + ".key", "-out", pem],
                   check=True, capture_output=True, timeout=30)
    with open(pem, "a") as out, open(pem + ".key") as key:
        out.write(key.read())
    os.chmod(pem, 0o600)
    return pem


class Positional(h.GatewayTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="wsgate-wsfy-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.echo = self.backend(h.EchoBackend)

    def start(self, *argv):
        gw = h.Gateway(h.BINARY, argv=list(argv))
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        return gw

    def echo_through(self, port, path, data=b"hello websockify",
                     origin=None):
        c = self.raw(port)
        c.handshake(path, origin=origin)
        c.send_frame(OP_BINARY, data)
        self.assertEqual(c.recv_data(len(data))[0], data)
        c.close()

    def test_relays_on_any_path(self):
        gw = self.start("127.0.0.1:0", self.echo.addr)
        for path in ("/websockify", "/", "/websockify?token=vm1",
                     "/any/where"):
            with self.subTest(path=path):
                self.echo_through(gw.port, path)
        gw.wait_log(r"route websockify: \* -> 127\.0\.0\.1:\d+ "
                    r"\(any origin")
        # websockify checks no Origin: said once, with the way out.
        gw.wait_log(r"warn.*any web page may connect .*--auth-plugin "
                    r"ExpectOrigin --auth-source")
        self.assertFalse(gw.find_log(r"plain ws://"))     # loopback
        # A plain GET without --web: this is a WebSocket endpoint.
        c = self.raw(gw)
        c.send(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertEqual(c.read_response().status, 426)

    def test_inetd_takes_the_listening_socket_on_stdin(self):
        # websockify's --inetd: inetd ("wait") or a service manager opened
        # the socket and passes it as fd 0.
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(16)
        port = lsock.getsockname()[1]
        gw = h.Gateway(h.BINARY, argv=["--inetd", self.echo.addr])
        gw.stdin = lsock.fileno()
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        lsock.close()           # the gateway holds its own copy
        gw.wait_log(r"listening on 127\.0\.0\.1:%d \(descriptor 0\)" % port)
        self.echo_through(port, "/websockify")
        # stdin that is not a listening socket: said at start, exit 3.
        rc, out, err = h.run_binary(["--inetd", self.echo.addr])
        self.assertEqual(rc, 3, err)
        self.assertIn("listen = fd:0: descriptor 0 is not a socket", err)

    def test_syslog(self):
        rc, out, err = h.run_binary(["--print-config", "--syslog",
                                     "/dev/log", "127.0.0.1:0",
                                     self.echo.addr])
        self.assertEqual(rc, 0, err)
        self.assertIn("\nlog_target = syslog\n", out)
        rc, out, err = h.run_binary(["--syslog", "127.0.0.1:514",
                                     "127.0.0.1:0", self.echo.addr])
        self.assertEqual(rc, 2)
        self.assertIn("give --syslog /dev/log", err)
        # syslog(3) writes to /dev/log: without a syslog daemon here, a
        # datagram socket of the test's own stands in for one.
        if os.path.exists("/dev/log") or os.geteuid() != 0:
            self.skipTest("/dev/log is a real syslog (or not root): the "
                          "lines are not checked")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind("/dev/log")
        except OSError as e:
            sock.close()
            self.skipTest("cannot make /dev/log: %s" % e)
        self.addCleanup(os.unlink, "/dev/log")
        self.addCleanup(sock.close)
        gw = h.Gateway(h.BINARY, argv=["--syslog", "/dev/log",
                                       "127.0.0.1:0", self.echo.addr],
                       wait_ready=False)
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        sock.settimeout(h.timeout(10))
        got = []
        while not any(b" ready (" in m for m in got):
            got.append(sock.recv(4096))
        text = b"\n".join(got).decode("utf-8", "replace")
        # LOG_DAEMON (3 << 3) | LOG_INFO (6) = 30; ident wsgate[PID].
        self.assertRegex(text, r"<30>.*wsgate\[%d\]: .*wsgate \S+ ready "
                         r"\(" % gw.proc.pid)
        self.assertRegex(text, r"<28>.*wsgate\[\d+\]: any web page may "
                         r"connect")                    # LOG_WARNING
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)",
                             text).group(1))
        self.echo_through(port, "/websockify")
        self.assertEqual(gw.lines, [])                  # not on stderr

    def test_record_into_the_directory_of_file(self):
        rec = os.path.join(self.dir, "rec")
        os.mkdir(rec)
        gw = self.start("--record", os.path.join(rec, "session"),
                        "127.0.0.1:0", self.echo.addr)
        gw.wait_log(r"warn.*--record: wsgate writes one file per session "
                    r"into the directory of FILE")
        self.echo_through(gw.port, "/websockify", data=b"recorded bytes")
        h.wait_until(lambda: [f for f in os.listdir(rec)
                              if f.endswith(".wsrec")], 10, "a recording")
        name = [f for f in os.listdir(rec) if f.endswith(".wsrec")][0]
        self.assertIn("websockify", name)
        self.assertFalse(os.path.exists(os.path.join(rec, "session.1")))
        rc, out, err = h.run_binary(["--record", "/nonexistent/d/session",
                                     "127.0.0.1:0", self.echo.addr])
        self.assertEqual(rc, 1, err)
        self.assertIn("--record /nonexistent/d/session: ", err)
        self.assertIn("/nonexistent/d", err)

    def test_web_serves_files_and_websocket(self):
        # A relative --web, from the working directory (the gateway's).
        gw = h.Gateway(h.BINARY, argv=["--web", "www", "127.0.0.1:0",
                                       self.echo.addr],
                       extra_files={"www/vnc.html": "<title>vnc</title>\n"})
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        c = self.raw(gw)
        c.send(b"GET /vnc.html HTTP/1.1\r\nHost: a\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(c.read_body(r), b"<title>vnc</title>\n")
        c.close()
        self.echo_through(gw.port, "/websockify")

    def test_expect_origin(self):
        gw = self.start("--auth-plugin", "ExpectOrigin", "--auth-source",
                        "http://good.example https://other.example",
                        "127.0.0.1:0", self.echo.addr)
        self.echo_through(gw.port, "/websockify",
                          origin="http://good.example")
        self.echo_through(gw.port, "/", origin="https://other.example")
        for origin in ("http://evil.example", None):
            with self.subTest(origin=origin):
                c = self.raw(gw)
                c.handshake("/websockify", expect=403, origin=origin)
        self.assertFalse(gw.find_log(r"any web page may connect"))

    def test_cert_ssl_only(self):
        pem = make_pem(self.dir)
        gw = self.start("--cert", pem, "--ssl-only", "127.0.0.1:0",
                        self.echo.addr)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", gw.port),
                                       h.timeout(5))
        s = ctx.wrap_socket(raw)
        self.addCleanup(s.close)
        s.sendall(h.upgrade_request("/websockify"))
        head = b""
        while b"\r\n\r\n" not in head:
            b = s.recv(4096)
            self.assertTrue(b, "EOF before the 101")
            head += b
        self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
        rest = head.split(b"\r\n\r\n", 1)[1]
        s.sendall(h.build_frame(OP_BINARY, b"over tls"))
        while len(rest) < 10:
            rest += s.recv(4096)
        frame, _ = h.parse_frame(rest)
        self.assertEqual(frame.payload, b"over tls")
        # No certificate warning: TLS; the key came from the same file.
        self.assertFalse(gw.find_log(r"plain ws://"))

    def test_key_password(self):
        key = os.path.join(self.dir, "enc.key")
        cert = os.path.join(self.dir, "cert.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
                        "-pass", "pass:x y", "-out", key],
                       check=True, capture_output=True, timeout=30)
        subprocess.run(["openssl", "req", "-x509", "-key", key, "-passin",
                        "pass:x y", "-days", "2", "-subj", "/CN=localhost",
                        "-out", cert], check=True, capture_output=True,
                       timeout=30)
        os.chmod(key, 0o600)
        with open(key) as f:
            self.assertIn("ENCRYPTED PRIVATE KEY", f.read())
        gw = self.start("--cert", cert, "--key", key, "--key-password",
                        "x y", "127.0.0.1:0", self.echo.addr)
        gw.wait_log(r"warn.*--key-password: the password was visible in "
                    r"the process list")
        with open("/proc/%d/cmdline" % gw.proc.pid, "rb") as f:
            cmdline = f.read()
        if cmdline.split(b"\0")[0].endswith(b"/wsgate"):   # not valgrind
            self.assertIn(b"--key-password", cmdline)
            self.assertNotIn(b"x y", cmdline)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cert)
        raw = socket.create_connection(("127.0.0.1", gw.port),
                                       h.timeout(5))
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        self.addCleanup(s.close)
        s.sendall(h.upgrade_request("/websockify"))
        head = b""
        while b"\r\n\r\n" not in head:
            b = s.recv(4096)
            self.assertTrue(b, "EOF before the 101")
            head += b
        self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
        # SIGHUP reads the key again, with the same password.
        mark = gw.mark()
        gw.send_signal(signal.SIGHUP)
        gw.wait_log(r"configuration reloaded", start=mark)
        for pw, why in (("wrong", "with --key-password"),
                        (None, "without a passphrase")):
            rc, out, err = h.run_binary(
                ["-t", "--cert", cert, "--key", key] +
                (["--key-password", pw] if pw else []) +
                ["127.0.0.1:0", self.echo.addr])
            self.assertEqual(rc, 1, err)
            self.assertIn("--key %s: " % key, err)
            self.assertIn(why, err)
        rc, out, err = h.run_binary(["--print-config", "--cert", cert,
                                     "--key", key, "--key-password", "x y",
                                     "127.0.0.1:0", self.echo.addr])
        self.assertEqual(rc, 0, err)
        self.assertNotIn("x y", out)
        self.assertIn("--key-password is not in this INI", err)

    def test_print_config_reads_back_and_behaves_the_same(self):
        pem = make_pem(self.dir)
        argv = ["--print-config", "--cert", "self.pem", "--web", ".",
                "--auth-plugin", "ExpectOrigin", "--auth-source",
                "https://good.example", "127.0.0.1:0", self.echo.addr]
        rc, out, err = h.run_binary(argv, cwd=self.dir)
        self.assertEqual(rc, 0, err)
        self.assertIn("tls_cert = %s\n" % pem, out)      # made absolute
        self.assertIn("web_root = %s\n" % self.dir, out)
        self.assertIn("origins = https://good.example\n", out)
        ini = os.path.join(self.dir, "moved.ini")
        with open(ini, "w") as f:
            f.write(out)
        rc, out2, err = h.run_binary(["-t", "-c", ini], cwd="/")
        self.assertEqual(rc, 0, err)
        self.assertIn("configuration OK (1 listener, 1 route)", out2)
        # The same command line checked with -t: the same verdict.
        rc, out3, err = h.run_binary(["-t"] + argv[1:], cwd=self.dir)
        self.assertEqual(rc, 0, err)
        self.assertIn("command line: configuration OK", out3)

    def test_print_config_plain_runs_the_same(self):
        rc, out, err = h.run_binary(["--print-config", "127.0.0.1:0",
                                     self.echo.addr])
        self.assertEqual(rc, 0, err)
        # The warnings go to stderr, the INI alone to stdout.
        self.assertIn("warning: any web page may connect", err)
        self.assertTrue(out.startswith("; wsgate configuration from "
                                       "websockify's command line"), out)
        gw = self.gateway(text=out)
        self.echo_through(gw.port, "/websockify")
        self.echo_through(gw.port, "/other")

    def test_log_file_and_reload(self):
        log = os.path.join(self.dir, "ws.log")
        gw = h.Gateway(h.BINARY, argv=["--log-file", log, "-v",
                                       "127.0.0.1:0", self.echo.addr],
                       wait_ready=False)
        self.addCleanup(self._finish_gateway, gw)
        gw.start()

        def log_text():
            try:
                with open(log) as f:
                    return f.read()
            except FileNotFoundError:
                return ""
        h.wait_until(lambda: " ready (" in log_text(), 10, "ready line")
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)",
                             log_text()).group(1))
        self.echo_through(port, "/websockify")
        # SIGHUP re-reads the command line's configuration.
        gw.send_signal(signal.SIGHUP)
        h.wait_until(lambda: "configuration reloaded" in log_text(), 10,
                     "reload")
        self.echo_through(port, "/websockify")
        # -v: a connection that leaves without a request is a debug line
        # (a session's open line is at info).
        socket.create_connection(("127.0.0.1", port),
                                 timeout=h.timeout(5)).close()
        h.wait_until(lambda: " debug " in log_text(), 10, "a debug line")
        self.assertEqual(gw.lines, [])                  # not on stderr

    def test_help_and_version(self):
        for opt in ("--help", "-h"):
            rc, out, err = h.run_binary([opt])
            self.assertEqual((rc, err), (0, ""))
            self.assertIn("[source_addr:]source_port [target_addr:"
                          "target_port]", out)
            self.assertIn("--print-config", out)
        for opt in ("--version", "-V"):
            rc, out, err = h.run_binary([opt])
            self.assertEqual((rc, err), (0, ""))
            self.assertRegex(out, r"^wsgate \d+\.\d+\.\d+ \(libevent ")

    def test_refused_and_bad_options(self):
        cases = [
            (["-D", "6080", "h:1"], r"-D \(--daemon\): wsgate does not "
             r"daemonize: run it under systemd"),
            (["6080", "h:1", "--", "Xvnc"], r"does not start or wrap"),
            (["--key-password", "x", "6080", "h:1"],
             r"--key-password needs --cert FILE"),
            (["--inetd", "6080", "h:1"], r"--inetd: the listening socket "
             r"comes on stdin, so only target_addr:target_port follows"),
            (["--token-plugin", "my.Plugin", "--token-source", "x",
              "6080"], r"wsgate runs no Python plugins"),
            (["--cerrt", "x", "6080", "h:1"], r"did you mean --cert\?"),
            (["6080"], r"a target is needed"),
            (["--ssl-only", "6080", "h:1"], r"--ssl-only needs --cert"),
            (["-c", "x.ini", "6080", "h:1"], r"not both"),
            (["--log-file", "/l"], r"--log-file is websockify's"),
        ]
        for argv, want in cases:
            with self.subTest(argv=argv):
                rc, out, err = h.run_binary(argv)
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, "")
                self.assertRegex(err, r"^wsgate: .*" + want)
                self.assertIn("usage: wsgate", err)

    def test_log_file_that_cannot_be_opened_exits_3(self):
        rc, out, err = h.run_binary(["--log-file", "/nonexistent/dir/ws.log",
                                     "127.0.0.1:0", "127.0.0.1:1"])
        self.assertEqual(rc, 3, err)
        self.assertIn("wsgate: --log-file /nonexistent/dir/ws.log: No such "
                      "file or directory", err)
        rc, out, err = h.run_binary(["--log-file", "/dev/null",
                                     "127.0.0.1:0", "127.0.0.1:1"])
        self.assertEqual(rc, 3, err)
        self.assertIn("not a regular file", err)

    def test_config_errors_name_the_option(self):
        rc, out, err = h.run_binary(["--cert", "/nonexistent/c.pem",
                                     "6080", "a..b:5900"])
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"(?m)^wsgate: --cert /nonexistent/c\.pem: "
                         r"\[gateway\] tls_cert: ")
        self.assertRegex(err, r"(?m)^wsgate: target_addr:target_port "
                         r"a\.\.b:5900: \[route:websockify\] backend: ")
        self.assertIn("wsgate: command line: configuration invalid", err)

    def test_check_warns_about_plain_ws(self):
        rc, out, err = h.run_binary(["-t", "6080", "localhost:5900"])
        self.assertEqual(rc, 0, err)
        self.assertIn("command line: configuration OK (1 listener, "
                      "1 route)", out)
        self.assertIn("warning: plain ws:// (no TLS) on an address other "
                      "machines can reach", err)
        self.assertIn("warning: any web page may connect", err)


class Lifecycle(h.GatewayTestCase):
    """--run-once, --timeout, --idle-timeout: websockify's meanings
    (run_once, exit_after, exit_when_idle)."""

    def setUp(self):
        self.echo = self.backend(h.EchoBackend)

    def start(self, *argv):
        gw = h.Gateway(h.BINARY, argv=list(argv) + ["-v", "127.0.0.1:0",
                                                    self.echo.addr])
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        return gw

    def session(self, gw):
        c = self.raw(gw)
        c.handshake("/websockify")
        c.send_frame(OP_BINARY, b"once")
        self.assertEqual(c.recv_data(4)[0], b"once")
        return c

    def end(self, c):
        c.send_frame(h.OP_CLOSE, h.close_payload(1000))
        c.expect_eof()

    def test_run_once(self):
        gw = self.start("--run-once")
        c = self.session(gw)
        gw.wait_log(r"run_once: a WebSocket session began; stopping "
                    r"accepting")
        # The session goes on until it ends by itself.
        c.send_frame(OP_BINARY, b"still")
        self.assertEqual(c.recv_data(5)[0], b"still")
        self.assertTrue(gw.running())
        self.end(c)
        self.assertEqual(gw.wait_exit(10), 0)

    def test_plain_gets_do_not_end_run_once(self):
        gw = self.start("--run-once")
        c = self.raw(gw)
        c.send(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertEqual(c.read_response().status, 426)
        c.close()
        h.time.sleep(h.timeout(0.2))            # a few ticks
        self.assertTrue(gw.running())
        self.end(self.session(gw))
        self.assertEqual(gw.wait_exit(10), 0)

    def test_idle_timeout_exits_without_connections(self):
        gw = self.start("--idle-timeout", "300ms")
        t0 = h.time.monotonic()
        self.assertEqual(gw.wait_exit(10), 0)
        self.assertGreaterEqual(h.time.monotonic() - t0, 0.2)
        gw.wait_log(r"exit_when_idle: no connection for 0\.3s")

    def test_idle_timeout_waits_for_sessions(self):
        gw = self.start("--idle-timeout", "0.3")
        c = self.session(gw)
        h.time.sleep(h.timeout(0.6))
        self.assertTrue(gw.running())           # a session is open
        c.send_frame(OP_BINARY, b"later")
        self.assertEqual(c.recv_data(5)[0], b"later")
        self.end(c)
        self.assertEqual(gw.wait_exit(10), 0)

    def test_timeout_stops_accepting_and_lets_the_session_end(self):
        gw = self.start("--timeout", "0.4")
        c = self.session(gw)
        gw.wait_log(r"exit_after 0\.4s reached", 5)
        gw.wait_log(r"draining: stopped accepting; 1 session open; "
                    r"exiting when it ends")
        c.send_frame(OP_BINARY, b"after")
        self.assertEqual(c.recv_data(5)[0], b"after")
        self.end(c)
        self.assertEqual(gw.wait_exit(10), 0)

    def test_reload_keeps_the_start_values(self):
        # An INI file: exit_when_idle set at start; a reload that drops
        # it is said to need a restart, and the gateway still exits.
        cfg = h.config({"r": {"path": "/", "backend": self.echo.addr}},
                       {"exit_when_idle": "2s"})
        gw = self.gateway(text=cfg)
        gw.write_config(h.config({"r": {"path": "/",
                                        "backend": self.echo.addr}}))
        gw.reload()
        gw.wait_log(r"run_once, exit_after and exit_when_idle changes "
                    r"take effect after a restart")
        self.assertEqual(gw.wait_exit(10), 0)
        gw.wait_log(r"exit_when_idle: no connection for 2s")

    def test_sigterm_after_run_once_drains(self):
        gw = self.start("--run-once")
        c = self.session(gw)
        gw.wait_log(r"run_once: a WebSocket session began")
        gw.send_signal(signal.SIGTERM)
        gw.wait_log(r"draining: 1 session open; waiting up to 30\.0s")
        self.end(c)
        self.assertEqual(gw.wait_exit(10), 0)


class ReadmeExample(h.GatewayTestCase):
    @h.unittest.skipUnless(os.path.isdir("/usr/share/novnc"),
                           "Debian's novnc not installed")
    def test_print_config_block_is_what_wsgate_prints(self):
        with open(os.path.join(h.REPO, "README.md")) as f:
            md = f.read()
        sec = md[md.index("## Migrating from websockify"):]
        block = re.search(r"which prints .*?\n\n```ini\n(.*?)```", sec,
                          re.S).group(1)
        d = tempfile.mkdtemp(prefix="wsgate-readme-")
        self.addCleanup(shutil.rmtree, d, True)
        pem = make_pem(d)
        rc, out, err = h.run_binary([
            "--print-config", "--web", "/usr/share/novnc", "--cert", pem,
            "--auth-plugin", "ExpectOrigin", "--auth-source",
            "https://vnc.example.com:6080", "6080", "localhost:5900"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.replace(pem, "/etc/wsgate/novnc.pem"), block)


def tokens_supported():
    """Whether this build has token routes (the targets key)."""
    rc, out, err = h.run_binary(["-t", "--token-plugin", "TokenFile",
                                 "--token-source", "/t", "127.0.0.1:0"])
    return "not supported yet" not in err


class Tokens(h.GatewayTestCase):
    """--token-plugin TokenFile --token-source FILE: the token picks the
    target, as websockify does; 404 for an unknown token."""

    def setUp(self):
        if not tokens_supported():
            rc, out, err = h.run_binary(["--token-plugin", "TokenFile",
                                         "--token-source", "t", "6080"])
            self.assertEqual(rc, 2)
            self.assertIn("--token-plugin: not supported yet", err)
            self.skipTest("no token routes in this build (refused as "
                          "not supported yet, checked)")
        self.vm1 = self.backend(h.SourceBackend, b"I am vm1",
                                close_after=False)
        self.vm2 = self.backend(h.SourceBackend, b"I am vm2",
                                close_after=False)
        self.tokens = "vm1: %s\nvm2: %s\n" % (self.vm1.addr, self.vm2.addr)

    def start(self, *argv):
        gw = h.Gateway(h.BINARY, argv=list(argv) + ["127.0.0.1:0"],
                       extra_files={"tokens": self.tokens})
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        return gw

    def greeting(self, gw, path, **kw):
        c = self.raw(gw)
        c.handshake(path, **kw)
        got = c.recv_data(8)[0]
        c.close()
        return got

    def test_query_token(self):
        gw = self.start("--web", ".", "--token-plugin", "TokenFile",
                        "--token-source", "tokens")
        self.assertEqual(self.greeting(gw, "/websockify?token=vm1"),
                         b"I am vm1")
        self.assertEqual(self.greeting(gw, "/?token=vm2"), b"I am vm2")
        c = self.raw(gw)
        c.handshake("/websockify?token=nope", expect=404)
        gw.wait_log(r"warn.*tokens may lead to loopback and private "
                    r"addresses only")

    def test_host_token(self):
        gw = self.start("--token-plugin", "ReadOnlyTokenFile",
                        "--token-source", "tokens", "--host-token",
                        "--allowed-targets", "127.0.0.1:*")
        self.assertEqual(self.greeting(gw, "/websockify",
                                       host="vm2:%d" % gw.port),
                         b"I am vm2")
        self.assertFalse(gw.find_log(r"tokens may lead"))


def basic(user, pw):
    import base64
    return "Basic " + base64.b64encode(
        ("%s:%s" % (user, pw)).encode()).decode()


class BasicHTTPAuth(h.GatewayTestCase):
    """--auth-plugin BasicHTTPAuth --auth-source USER:PASS [--web-auth]:
    the password hashed in memory, wiped from argv, kept across SIGHUP."""

    PW = "pw:with colon"

    def setUp(self):
        self.echo = self.backend(h.EchoBackend)

    def start(self, *argv):
        gw = h.Gateway(h.BINARY, argv=list(argv) + [
            "--auth-plugin", "BasicHTTPAuth", "--auth-source",
            "alice:" + self.PW, "127.0.0.1:0", self.echo.addr],
            extra_files={"www/vnc.html": "<title>vnc</title>\n"})
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        return gw

    def upgrade(self, gw, auth=None, expect=101):
        c = self.raw(gw)
        c.handshake("/websockify", expect=expect,
                    headers=[("Authorization", auth)] if auth else [])
        if expect == 101:
            c.send_frame(OP_BINARY, b"hi")
            self.assertEqual(c.recv_data(2)[0], b"hi")
        c.close()

    def get(self, gw, path, auth=None):
        c = self.raw(gw)
        req = "GET %s HTTP/1.1\r\nHost: x\r\n" % path
        if auth:
            req += "Authorization: %s\r\n" % auth
        r = c.request((req + "\r\n").encode())
        body = c.read_body(r)
        c.close()
        return r.status, body

    def test_websocket_asks(self):
        gw = self.start()
        self.upgrade(gw, expect=401)
        self.upgrade(gw, basic("alice", "wrong"), expect=401)
        self.upgrade(gw, basic("alice", self.PW))
        gw.wait_log(r'warn.*--auth-source: the password was visible in '
                    r'the process list')
        gw.wait_log(r'info.*BasicHTTPAuth: user "alice", its password '
                    r'hashed in memory')
        # Gone from the process's arguments once hashed.
        with open("/proc/%d/cmdline" % gw.proc.pid, "rb") as f:
            cmdline = f.read()
        # (Under valgrind /proc shows valgrind's copy of the arguments.)
        if cmdline.split(b"\0")[0].endswith(b"/wsgate"):
            self.assertNotIn(b"with colon", cmdline)
            self.assertIn(b"alice:", cmdline)
        # SIGHUP: the configuration of the command line keeps it.
        mark = gw.mark()
        gw.send_signal(signal.SIGHUP)
        gw.wait_log(r"configuration reloaded", start=mark)
        self.upgrade(gw, expect=401)
        self.upgrade(gw, basic("alice", self.PW))
        self.assertFalse(gw.find_log(re.escape(self.PW)))
        self.assertFalse(gw.find_log(r"with colon"))

    def test_web_auth(self):
        gw = self.start("--web", "www", "--web-auth")
        self.assertEqual(self.get(gw, "/vnc.html")[0], 401)
        self.assertEqual(self.get(gw, "/vnc.html",
                                  basic("alice", "nope"))[0], 401)
        self.assertEqual(self.get(gw, "/vnc.html", basic("alice", self.PW)),
                         (200, b"<title>vnc</title>\n"))
        self.upgrade(gw, expect=401)
        self.upgrade(gw, basic("alice", self.PW))
        gw.wait_log(r'--web-auth: the --web pages ask too')

    def test_web_without_web_auth_is_open(self):
        gw = self.start("--web", "www")
        self.assertEqual(self.get(gw, "/vnc.html")[0], 200)
        self.upgrade(gw, expect=401)

    def test_print_config_and_errors(self):
        rc, out, err = h.run_binary([
            "--print-config", "--web", "/", "--web-auth", "--auth-plugin",
            "BasicHTTPAuth", "--auth-source", "alice:" + self.PW,
            "127.0.0.1:0", "h:1"])
        self.assertEqual(rc, 0, err)
        self.assertNotIn("with colon", out + err)
        self.assertRegex(out, r"\n; alice:\$y\$\S+\n$")
        self.assertIn("and [gateway]", out)
        self.assertIn("BasicHTTPAuth is not in this INI", err)
        for args, why in (
                (["--auth-source", "nopass"], "needs --auth-source "
                 "USER:PASSWORD"),
                (["--web-auth", "--auth-source", "a:b"],
                 "--web-auth needs --web DIR")):
            rc, out, err = h.run_binary(["--auth-plugin", "BasicHTTPAuth"] +
                                        args + ["127.0.0.1:0", "h:1"])
            self.assertEqual(rc, 2, err)
            self.assertIn(why, err)


class JWTTokenApi(h.GatewayTestCase):
    """--token-plugin JWTTokenApi --token-source KEY: websockify takes
    what the key allows; wsgate pins the algorithm the key file is for."""

    @classmethod
    def setUpClass(cls):
        from test_targets_jwt import Keys
        cls.keys = Keys()

    @classmethod
    def tearDownClass(cls):
        cls.keys.close()

    def setUp(self):
        self.vm = self.backend(h.SourceBackend, b"I am vm",
                               close_after=False)

    def start(self, key):
        gw = h.Gateway(h.BINARY, argv=[
            "--token-plugin", "JWTTokenApi", "--token-source", key,
            "--allowed-targets", "127.0.0.1:%d" % self.vm.port,
            "127.0.0.1:0"])
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        return gw

    def token(self, alg, **kw):
        return self.keys.sign(alg, {"host": "127.0.0.1",
                                    "port": self.vm.port}, **kw)

    def test_algorithm_from_the_key_file(self):
        k = self.keys.path
        for alg, key, wrong in (("RS256", k["rsa"] + ".pub", "ES256"),
                                ("ES256", k["ec"] + ".pub", "RS256"),
                                ("HS256", k["hs"], "RS256")):
            with self.subTest(alg=alg):
                gw = self.start(key)
                gw.wait_log(r"info.*JWTTokenApi: %s is a key for %s: "
                            r"jwt_algorithm = %s" % (re.escape(key), alg,
                                                     alg))
                c = self.raw(gw)
                c.handshake("/websockify?token=" + self.token(alg))
                self.assertEqual(c.recv_data(7)[0], b"I am vm")
                c.close()
                # Pinned: a token of another algorithm is refused.
                c = self.raw(gw)
                c.handshake("/websockify?token=" + self.token(wrong),
                            expect=403)
                c.close()
                rc, out, err = h.run_binary([
                    "--print-config", "--token-plugin", "JWTTokenApi",
                    "--token-source", key, "127.0.0.1:0"])
                self.assertEqual(rc, 0, err)
                self.assertIn("\njwt_key = %s\n" % key, out)
                self.assertIn("\njwt_algorithm = %s\n" % alg, out)

    def test_keys_that_say_no_algorithm(self):
        k = self.keys.path
        for key, why in ((k["ec"], "a private key: give the public key"),
                         (self.keys.dir + "/none", "No such file"),
                         (self.keys.dir, "a directory")):
            with self.subTest(key=key):
                rc, out, err = h.run_binary([
                    "--token-plugin", "JWTTokenApi", "--token-source",
                    key, "127.0.0.1:0"])
                self.assertEqual(rc, 1, err)    # a configuration error
                self.assertIn("wsgate: --token-source %s: " % key, err)
                self.assertIn(why, err)


class Heartbeat(h.GatewayTestCase):
    def test_heartbeat_pings(self):
        rc, out, err = h.run_binary(["-t", "--heartbeat", "1", "6080",
                                     "h:1"])
        if "not supported yet" in err:
            self.assertEqual(rc, 2)
            self.assertIn("ping_interval", err)
            self.skipTest("no heartbeats in this build (refused as not "
                          "supported yet, checked)")
        echo = self.backend(h.EchoBackend)
        gw = h.Gateway(h.BINARY, argv=["--heartbeat", "200ms",
                                       "127.0.0.1:0", echo.addr])
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        c = self.raw(gw)
        c.handshake("/websockify")
        f = c.recv_frame(limit=5)
        self.assertEqual(f.opcode, h.OP_PING)
        c.send_frame(h.OP_PONG, f.payload)
        c.send_frame(OP_BINARY, b"alive")
        data, others = c.recv_data(5)
        self.assertEqual(data, b"alive")


class UnixTarget(h.GatewayTestCase):
    def test_unix_target(self):
        from test_routing import UnixEcho
        d = tempfile.mkdtemp(prefix="wsgate-unix-")
        self.addCleanup(shutil.rmtree, d, True)
        echo = UnixEcho(os.path.join(d, "vnc.sock"))
        self.addCleanup(echo.stop)
        gw = h.Gateway(h.BINARY, argv=["--unix-target",
                                       os.path.join(d, "vnc.sock"),
                                       "127.0.0.1:0"])
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        c = self.raw(gw)
        c.handshake("/websockify")
        c.send_frame(OP_BINARY, b"over a unix socket")
        self.assertEqual(c.recv_data(18)[0], b"over a unix socket")
