#!/usr/bin/python3
"""run.py -- run the integration tests against one wsgate binary.

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate
    /usr/bin/python3 tests/integration/run.py --binary build/asan/wsgate \\
        --sanitizer -k Handshake

    /usr/bin/python3 tests/integration/run.py --binary build/wsgate \\
        --valgrind -k test_relay.Frames

Prints one line per test (ok / FAIL / ERROR, with the failure and the
gateway's log right after it), then exactly one summary line:
    RESULT integration[wsgate]: N passed, M failed
(integration[asan] with --sanitizer, valgrind with --valgrind).  Exit
status 0 iff nothing failed.
"""

import argparse
import faulthandler
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# A test that hangs despite every bounded wait: give up on the whole run
# (no RESULT line: tests/run.sh counts that as a failure).
TEST_WATCHDOG = 180

# --valgrind: memcheck every gateway; any error or definite/indirect leak
# fails the test (the harness reads valgrind's log file per process).
VALGRIND = ("valgrind --tool=memcheck --leak-check=full "
            "--errors-for-leak-kinds=definite,indirect --error-exitcode=99 "
            "--track-fds=no")
# What --valgrind runs unless -k says otherwise (-k test_ runs all): every
# file whose code paths are its own - handshake rejections, relay sizes
# and close codes, backpressure and teardown, signals and reload, limits,
# config errors, static files, name lookups - and close handling from the
# conformance cases, whose other classes walk the paths test_relay
# already does.  Some 3 minutes on 2 cores (memcheck starts each gateway
# in ~0.7 s).
VALGRIND_TESTS = ["test_handshake.", "test_relay.", "test_relay_bulk.",
                  "test_backpressure.",
                  "test_signals.", "test_limits.", "test_cli.",
                  "test_listen_web.", "test_conformance.CloseHandling.",
                  "test_notify.", "test_listen_queue.",
                  # HTTP/2: echo and several streams (some 13 s).
                  "test_h2.H2Echo.test_h2_echo_byte_exact",
                  "test_h2.H2Echo.test_h2_several_streams_one_connection",
                  # Each way a download ends (some 25 s).
                  "test_downloads.Downloads.test_tls_file_emptied",
                  "test_downloads.Downloads.test_plain_file_emptied",
                  "test_downloads.Downloads.test_stalled",
                  "test_downloads.Downloads.test_client_leaving",
                  "test_downloads.Downloads.test_drain_ends",
                  "test_downloads.Downloads.test_response_lines",
                  "test_dns.", "test_flood.",
                  # websockify's form: the generated configuration, a
                  # SIGHUP re-reading it, run_once's exit (some 5 s).
                  "test_cli_websockify.Positional.test_relays_on_any_path",
                  "test_cli_websockify.Positional.test_log_file_and_reload",
                  "test_cli_websockify.Lifecycle.test_run_once",
                  # Keep-alive: pipelining, a download then the next
                  # request, the upgrade after GETs.
                  "test_keepalive.KeepAlive.test_pipelined",
                  "test_keepalive.KeepAlive.test_upgrade_after_gets",
                  "test_keepalive.KeepAlive.test_many_requests",
                  # Unix sockets both ways, failover, all down (~1 s).
                  "test_routing.UnixBackend.",
                  "test_routing.UnixListener.test_serve_reload_remove",
                  "test_routing.SeveralBackends.test_failover_when_refused",
                  "test_routing.SeveralBackends.test_all_down_502",
                  # Token routes: every format, reloads (some 10 s).
                  "test_targets.TokenRoutes.test_formats_and_sources",
                  "test_targets.TokenRoutes.test_reloads",
                  "test_targets_jwt.SignedTokens.test_algorithms",
                  # Issue 12's threads and timers (some 10 s).
                  "test_session_features.Heartbeats.test_pong_timeout",
                  "test_session_features.TextBackends.test_invalid_utf8",
                  "test_basic_auth.BasicAuth.test_request_gone_during",
                  "test_basic_auth.BasicAuth.test_challenge_then_good",
                  "test_recording.Recording.test_session_recorded",
                  # The metrics listener, per-client limits, PROXY
                  # headers read and written (some 15 s).
                  "test_metrics_listen.", "test_client_limits.",
                  "test_proxy_haproxy.GatewayBetweenHAProxies.",
                  # The relay's own TLS reads and writes: closes without
                  # close_notify or without a close frame, KeyUpdates,
                  # mixed sizes over a TLS backend (some 15 s).
                  "test_tls_io.Closing.test_close_notify_without_close_frame",
                  "test_tls_io.Closing.test_tcp_close_without_close_notify",
                  "test_tls_io.KeyUpdates.test_key_update_flood",
                  "test_tls_io.Echo.test_mixed_sizes_tls_backend"]


class Result(unittest.TestResult):
    def __init__(self, stream):
        super().__init__()
        self.buffer = True          # show a test's output only if it fails
        self.out = stream
        self.npassed = 0
        self.nfailed = 0
        self.t0 = 0.0

    def startTest(self, test):
        self.t0 = time.monotonic()
        faulthandler.dump_traceback_later(TEST_WATCHDOG * _scale(),
                                          exit=True)
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        faulthandler.cancel_dump_traceback_later()

    def _line(self, word, test, detail=None):
        self.out.write("%-5s %s  (%.2fs)\n" % (word, _name(test),
                                               time.monotonic() - self.t0))
        if detail:
            self.out.write(detail.rstrip("\n") + "\n")
        self.out.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.npassed += 1
        self._line("ok", test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.nfailed += 1
        self._line("FAIL", test, self.failures[-1][1])

    def addError(self, test, err):
        # Also errors in setUpClass/tearDownClass (the gateway's exit
        # check of a shared gateway lands there).
        super().addError(test, err)
        self.nfailed += 1
        self._line("ERROR", test, self.errors[-1][1])

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            # The test itself then reports neither success nor failure.
            self.nfailed += 1
            self._line("FAIL", subtest, self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line("skip", test, "      " + reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.npassed += 1
        self._line("xfail", test)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.nfailed += 1
        self._line("FAIL", test, "unexpected success")


def _name(test):
    tid = test.id()
    return tid[len("__main__."):] if tid.startswith("__main__.") else tid


def _scale():
    return float(os.environ.get("WSGATE_TEST_SCALE", "1"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--binary", required=True, help="the wsgate to test")
    ap.add_argument("--sanitizer", action="store_true",
                    help="an ASan/UBSan build: longer timeouts, "
                    "sanitizer options for the gateway")
    ap.add_argument("--valgrind", action="store_true",
                    help="run the gateway under valgrind memcheck "
                    "(WSGATE_WRAPPER overrides the command); much longer "
                    "timeouts")
    ap.add_argument("-k", dest="patterns", action="append", default=[],
                    help="run only tests whose name contains PATTERN "
                    "(repeatable)")
    opts = ap.parse_args()

    binary = os.path.abspath(opts.binary)
    label = "asan" if opts.sanitizer else os.path.basename(binary)
    if opts.valgrind:
        label = "valgrind"
        os.environ.setdefault("WSGATE_WRAPPER", VALGRIND)
        # memcheck runs code some 20-50 times slower.
        os.environ.setdefault("WSGATE_TEST_SCALE", "10")
        if not opts.patterns:
            opts.patterns = VALGRIND_TESTS
    os.environ["WSGATE_BINARY"] = binary
    if opts.sanitizer:
        os.environ["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
        os.environ["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        os.environ.setdefault("WSGATE_TEST_SCALE", "3")
        os.environ["WSGATE_TEST_SANITIZER"] = "1"
    sys.path.insert(0, HERE)
    import harness      # after the environment: it reads it at import
    harness.BINARY = binary
    harness.SCALE = _scale()
    harness.SANITIZER = opts.sanitizer

    result = Result(sys.stdout)
    t0 = time.monotonic()
    if not os.access(binary, os.X_OK):
        print("ERROR no executable %s" % binary)
        result.nfailed += 1
    else:
        loader = unittest.TestLoader()
        if opts.patterns:
            loader.testNamePatterns = ["*%s*" % p for p in opts.patterns]
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
        suite.run(result)
    print("# %s: %.1fs" % (binary, time.monotonic() - t0))
    print("RESULT %s: %d passed, %d failed" % (
        "valgrind" if opts.valgrind else "integration[%s]" % label,
        result.npassed, result.nfailed))
    return 0 if result.nfailed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
