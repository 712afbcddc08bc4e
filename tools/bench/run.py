#!/usr/bin/env python3
"""run.py -- `make bench`: wsgate against HAProxy, lighttpd and websockify.

Starts a TCP echo backend (build/echod), then for each target in turn a
gateway in front of it -- wsgate (one or more builds), HAProxy in TCP mode,
lighttpd (mod_wstunnel), websockify -- and drives it with build/wsbench:
WebSocket for wsgate, lighttpd and websockify (every client frame masked,
every echoed byte checked), raw TCP for HAProxy.  The gateway runs on one CPU, load generator and backend on
the other.  Around every measurement window it reads the gateway's CPU time
(utime+stime of its whole process tree, from /proc); for idle connections
its memory (VmRSS, and PSS from /proc/PID/smaps_rollup).  Each cell runs
--reps times; the table shows medians and wsgate's ratio to each reference
measured in the same run.  Results go to JSON too.

With --tls the same targets speak wss:// (tools/bench/tlsbench.py):
wsgate and lighttpd (mod_openssl, mod_wstunnel) in front of the TCP echo
backend, HAProxy terminating TLS in TCP mode in front of a WebSocket echo
backend (echod -w); throughput, sessions with full and resumed
handshakes, idle connections.

The `fairness` scenario (wsgate only) runs one worker and measures a
victim's 32-byte echo round trip alone, then next to one session that
floods empty continuation frames, 1-byte fragments or pongs, or reads a
streaming backend (build/echod -s) as fast as it can; it also reports the
flood's own rate next to the victim against its rate alone.  Flooder and
streaming backend run at SCHED_IDLE on the load generator's CPU, so they
cannot delay the victim's client and echo backend there: what is measured
is the gateway.  Goal: the victim's p99 stays within 2x its unloaded p99
+ 1 ms, and the flood keeps most of its rate.

Python 3 standard library only.  Everything it starts it stops, by PID.

  make bench                         # ~5 minutes
  make bench BENCH_ARGS=--quick      # ~1 minute
  tools/bench/run.py --help
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import tlsbench

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CLK_TCK = os.sysconf("SC_CLK_TCK")

HAPROXY_CFG = """\
global
    nbthread {nbthread}
defaults
    mode tcp
    timeout connect 5s
    timeout client 300s
    timeout server 300s
frontend bench
    bind {listen}{ssl}
    default_backend echo
backend echo
    server echo {backend}
"""

# HAProxy as its users tune it for bulk TCP (the same as the shared
# harness's HAPROXY_TUNED_CFG): 64 KiB buffers and kernel splicing.
HAPROXY_TUNED_CFG = HAPROXY_CFG.replace(
    "    nbthread {nbthread}\n",
    "    nbthread {nbthread}\n    tune.bufsize 65536\n").replace(
    "    mode tcp\n", "    mode tcp\n    option splice-auto\n")

WSGATE_CFG = """\
[gateway]
listen = 127.0.0.1:0{tls}
{workers}
[route:bench]
path = /
backend = {backend}
origins = {origin}
{extra}"""

# For the fairness scenario: a route to the streaming backend.
SOURCE_ROUTE = """
[route:src]
path = /src
backend = {source}
origins = {origin}
"""

ORIGIN = "http://127.0.0.1"     # what wsbench sends, as a browser would


# ----------------------------------------------------------------- /proc

def proc_table():
    """pid -> (ppid, own CPU ticks, reaped children's CPU ticks)."""
    table = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d, "rb") as f:
                s = f.read()
        except OSError:
            continue
        # comm may hold spaces and parentheses: split after the last ')'
        f = s[s.rfind(b")") + 2:].split()
        table[int(d)] = (int(f[1]), int(f[11]) + int(f[12]),
                         int(f[13]) + int(f[14]))
    return table


def proc_tree(root):
    """root and all its descendants that exist now, with the table."""
    table = proc_table()
    kids = {}
    for pid, (ppid, _, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            out.append(pid)
            todo.extend(kids.get(pid, ()))
    return out, table


def task_cpu(pid, ticks):
    """CPU seconds a live process has run, all threads: from schedstat
    (nanoseconds on the CPU).  /proc/PID/stat's utime+stime come from
    tick sampling and lag badly for many short-running processes (256
    websockify children read 30-100 % low here); stat is the fallback."""
    total = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return ticks / CLK_TCK
    return total / 1e9


def tree_cpu(root):
    """CPU seconds of root's tree so far: live processes, plus what their
    reaped children used (cutime+cstime)."""
    pids, table = proc_tree(root)
    return sum(task_cpu(p, table[p][1]) + table[p][2] / CLK_TCK
               for p in pids)


def tree_mem(root):
    """VmRSS and PSS in kB summed over root's tree, and its size."""
    pids, _ = proc_tree(root)
    rss = pss = 0
    for p in pids:
        for path, key in (("status", "VmRSS:"), ("smaps_rollup", "Pss:")):
            try:
                with open("/proc/%d/%s" % (p, path)) as f:
                    for line in f:
                        if line.startswith(key):
                            v = int(line.split()[1])
                            if key == "Pss:":
                                pss += v
                            else:
                                rss += v
                            break
            except OSError:
                pass
    return {"rss_kB": rss, "pss_kB": pss, "procs": len(pids)}


def mem_available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 0


def listening_ports(pid):
    """TCP ports the process listens on (its sockets in state LISTEN)."""
    inodes = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        return []
    ports = set()
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, name)) as f:
                next(f)
                for line in f:
                    x = line.split()
                    if x[3] == "0A" and x[9] in inodes:
                        ports.add(int(x[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return sorted(ports)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def can_connect(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# ------------------------------------------------------------- processes

# --rt: gateways, backends and load generator at SCHED_FIFO (see --help).
RT = False


def pinned(cpu, idle=False):
    """preexec_fn: pin to cpu; idle: a flood that must not delay the
    victim's own client and backend: SCHED_IDLE, which runs only when
    nothing else wants that CPU (with --rt, where everything else is
    SCHED_FIFO, the normal policy)."""
    def pin():
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        try:
            if idle and not RT:
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            elif RT and not idle:
                os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        except (AttributeError, OSError):
            pass
    return pin


class Proc:
    """A process we started in its own session; stop() ends it and its
    descendants by PID (SIGTERM, then SIGKILL)."""

    def __init__(self, argv, cpu, log, env=None, stdout=None, idle=False):
        self.argv = argv
        self.p = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else log, stderr=log,
            env=env, preexec_fn=pinned(cpu, idle), start_new_session=True)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def stop(self, grace=3.0):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = proc_tree(self.pid)[0] if self.alive() else []
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            try:
                os.killpg(self.pid, sig)
            except OSError:
                pass
            end = time.time() + grace
            while time.time() < end:
                if not self.alive() and not [
                        p for p in pids if os.path.exists("/proc/%d" % p)
                        and p != self.pid]:
                    return
                time.sleep(0.05)
        try:
            self.p.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass


class Backend:
    """The echo backend; with source=True build/echod -s, which streams
    to every connection as fast as it takes bytes (at SCHED_IDLE)."""

    def __init__(self, binary, cpu, logdir, source=False, ws=False):
        self.log = open(os.path.join(logdir, "source.log" if source
                                     else "ws-backend.log" if ws
                                     else "backend.log"), "ab")
        if source:
            self.proc = Proc([binary, "-p", "0", "-s"], cpu, self.log,
                             stdout=subprocess.PIPE, idle=True)
            line = self.proc.p.stdout.readline().split()
            if len(line) != 2 or line[0] != b"LISTENING":
                raise RuntimeError("echod -s did not start")
            port = int(line[1])
        elif os.path.basename(binary) == "echo-backend":
            port = free_port()
            self.proc = Proc([binary, "127.0.0.1:%d" % port], cpu, self.log)
            end = time.time() + 10
            while not can_connect(port):
                if time.time() > end or not self.proc.alive():
                    raise RuntimeError("echo-backend did not start")
                time.sleep(0.05)
        else:
            self.proc = Proc([binary, "-p", "0"] + (["-w"] if ws else []),
                             cpu, self.log, stdout=subprocess.PIPE)
            line = self.proc.p.stdout.readline().split()
            if len(line) != 2 or line[0] != b"LISTENING":
                raise RuntimeError("echod did not start")
            port = int(line[1])
        self.addr = "127.0.0.1:%d" % port

    def stop(self):
        self.proc.stop()
        self.log.close()


class Gateway:
    """One target: kind is wsgate, haproxy, lighttpd or websockify."""

    def __init__(self, name, kind, binary, args, logdir):
        self.name, self.kind, self.binary = name, kind, binary
        self.args, self.logdir = args, logdir
        # HAProxy relays bytes: plain, the client speaks TCP to it; over
        # TLS, WebSocket to a WebSocket backend (see tlsbench.py).
        self.proto = "tcp" if kind == "haproxy" and not args.tls else "ws"
        self.backend = None         # the Backend it relays to
        self.certs = None           # --tls: tlsbench.make_certs()
        self.cert = "ecdsa"         # --tls: the certificate in use
        self.proc = None
        self.port = None
        self.command = None
        self.source = None          # streaming backend's address
        self.force_workers = None   # fairness: one worker

    def workers(self):
        """The `workers` value for this build: --workers N for every
        build, or NAME=N,NAME=N per build (see --gateway-binary)."""
        w = self.args.workers
        if self.force_workers is not None:
            return self.force_workers
        if "=" not in w:
            return w
        for item in w.split(","):
            name, _, n = item.partition("=")
            if name.strip() == self.name:
                return n.strip()
        return ""

    def config(self, backend):
        if self.kind == "wsgate":
            workers = ("workers = %s" % self.workers()
                       if self.workers() else "")
            extra = SOURCE_ROUTE.format(source=self.source, origin=ORIGIN) \
                if self.source else ""
            tls = ""
            if self.certs:
                c = self.certs[self.cert]
                tls = " tls\ntls_cert = %s\ntls_key = %s" % (c["cert"],
                                                             c["key"])
            return WSGATE_CFG.format(workers=workers, backend=backend,
                                     origin=ORIGIN, extra=extra, tls=tls)
        if self.kind == "lighttpd":
            return tlsbench.lighttpd_config(
                self.name, self.port, backend.rsplit(":", 1)[1],
                self.logdir, self.certs[self.cert] if self.certs else None)
        ssl = tlsbench.HAPROXY_TLS_BIND.format(
            combined=self.certs[self.cert]["combined"]) if self.certs else ""
        # --workers haproxy=N: its threads (by name only: a bare N is
        # wsgate's).
        nbthread = (self.workers() if "=" in self.args.workers else "") \
            or "1"
        cfg = HAPROXY_TUNED_CFG if self.name == "haproxy-tuned" else \
            HAPROXY_CFG
        return cfg.format(listen="127.0.0.1:%d" % self.port,
                          backend=backend, ssl=ssl, nbthread=nbthread)

    def check(self, backend):
        """None if this target can run here, else why not."""
        if self.kind == "wsgate":
            if not os.access(self.binary, os.X_OK):
                return "%s is not built (run make)" % self.binary
            if self.workers():
                cfg = os.path.join(self.logdir, "%s-check.ini" % self.name)
                with open(cfg, "w") as f:
                    f.write(self.config(backend))
                r = subprocess.run([self.binary, "-t", "-c", cfg],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
                if r.returncode != 0:
                    msg = r.stdout.strip().splitlines()
                    msg = [m for m in msg if "workers" in m] or msg
                    return ("--workers: %s does not accept `workers = %s` "
                            "(%s)" % (self.binary, self.workers(),
                                      msg[0] if msg else "exit %d" %
                                      r.returncode))
            return None
        if shutil.which(self.binary) is None:
            return "%s is not installed" % self.binary
        if self.args.tls and self.kind == "websockify":
            return "no wss:// set-up for it here"
        if self.args.tls and self.kind == "lighttpd" and not os.path.exists(
                "/usr/lib/lighttpd/mod_openssl.so"):
            return "lighttpd-mod-openssl is not installed"
        return None

    def start(self, backend):
        self.log = open(os.path.join(self.logdir, "%s.log" % self.name),
                        "ab")
        if self.kind == "wsgate":
            cfg = os.path.join(self.logdir, "%s.ini" % self.name)
            with open(cfg, "w") as f:
                f.write(self.config(backend))
            argv = [self.binary, "-c", cfg]
            if self.args.gateway_log == "quiet":
                argv.insert(1, "-q")
        elif self.kind in ("haproxy", "lighttpd"):
            self.port = free_port()
            cfg = os.path.join(self.logdir, "%s.cfg" % self.name)
            with open(cfg, "w") as f:
                f.write(self.config(backend))
            argv = [self.binary, "-db", "-f", cfg] \
                if self.kind == "haproxy" else [self.binary, "-D", "-f", cfg]
        else:
            self.port = free_port()
            argv = [self.binary, "127.0.0.1:%d" % self.port, backend]
        self.command = " ".join(argv)
        self.proc = Proc(argv, self.args.gw_cpu, self.log)
        end = time.time() + 15
        while True:
            if not self.proc.alive():
                raise RuntimeError("%s exited at start; see %s" %
                                   (self.name, self.log.name))
            if time.time() > end:
                self.stop()
                raise RuntimeError("%s did not listen in 15 s; see %s" %
                                   (self.name, self.log.name))
            if self.kind == "wsgate":
                # listen = 127.0.0.1:0: find the port it got in /proc
                ports = listening_ports(self.proc.pid)
                if ports:
                    self.port = ports[0]
            if self.port and can_connect(self.port):
                break
            time.sleep(0.05)
        time.sleep(0.2)
        self.base_procs = len(proc_tree(self.proc.pid)[0])

    def cpu(self):
        return tree_cpu(self.proc.pid)

    def settle(self, limit=8.0):
        """Wait until per-connection processes (websockify) are gone."""
        end = time.time() + limit
        while time.time() < end:
            if len(proc_tree(self.proc.pid)[0]) <= self.base_procs:
                return
            time.sleep(0.1)

    def stop(self):
        if self.proc is not None:
            self.proc.stop()
            self.proc = None
            self.log.close()


# -------------------------------------------------------------- wsbench

def wsbench(args, gw, backend, argv, limit, on_ready=None):
    """Run wsbench; returns its JSON result with the gateway's and the
    backend's CPU seconds in the measurement window added."""
    p = subprocess.Popen([args.wsbench] + argv, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True,
                         preexec_fn=pinned(args.lg_cpu),
                         start_new_session=True)
    killer = threading.Timer(limit, lambda: p.send_signal(signal.SIGKILL))
    killer.start()
    res, c0, c1 = None, None, None
    try:
        for line in p.stdout:
            line = line.strip()
            if line == "MARK start":
                c0 = (gw.cpu(), tree_cpu(backend.proc.pid))
            elif line == "MARK end":
                c1 = (gw.cpu(), tree_cpu(backend.proc.pid))
            elif line.startswith("READY"):
                if on_ready is not None:
                    on_ready()
                try:
                    p.stdin.write("\n")
                    p.stdin.close()
                except OSError:
                    pass
            elif line.startswith("{"):
                res = json.loads(line)
        p.wait()
    finally:
        killer.cancel()
    if res is None:
        raise RuntimeError("wsbench gave no result (killed after %.0f s?): "
                           "%s" % (limit, " ".join(argv)))
    if c0 is not None and c1 is not None:
        res["backend_cpu_s"] = c1[1] - c0[1]
        return res, c1[0] - c0[0]
    return res, None


ERROR_KEYS = ("verify_errors", "protocol_errors", "connect_errors",
              "handshake_errors", "lost", "close_timeouts", "close_unclean")


def run_cell(args, gw, backend, cell):
    sc, conns, size = cell["scenario"], cell["conns"], cell["size"]
    base = ["-t", "127.0.0.1:%d" % gw.port, "-P", gw.proto, "-s", sc,
            "-c", str(conns), "-S", str(size)] + tlsbench.wsbench_args(cell)
    if sc == "tput":
        res, cpu = wsbench(args, gw, backend, base + [
            "-w", str(args.window), "-d", str(args.duration),
            "-W", str(args.warmup)], args.duration + args.warmup + 40)
        rec = {"MBps": res["MBps"], "msgs_per_s": res["msgs_per_s"],
               "client_cpu": res["client_cpu"],
               "backend_cpu": res["backend_cpu_s"] / res["seconds"]}
        if cpu:
            rec["gw_cpu"] = cpu / res["seconds"]
            rec["MB_per_cpu_s"] = res["bytes"] / 1e6 / cpu
    elif sc == "lat":
        res, cpu = wsbench(args, gw, backend, base + [
            "-d", str(args.lat_duration), "-W", str(args.warmup),
            "-n", "1000000"], args.lat_duration + args.warmup + 40)
        rec = {k: res[k] for k in ("p50_us", "p99_us", "p999_us",
                                   "mean_us", "samples")}
        if cpu is not None and res["samples"]:
            rec["gw_cpu_us_per_rt"] = cpu / res["samples"] * 1e6
    elif sc == "rate":
        res, cpu = wsbench(args, gw, backend, base + [
            "-d", str(args.rate_duration), "-N", str(args.nsrc)],
            args.rate_duration + 40)
        rec = {k: res[k] for k in ("sessions_per_s", "sessions",
                                   "hs_p50_us", "hs_p99_us")}
        if cpu is not None and res["sessions"]:
            rec["gw_cpu_us_per_session"] = cpu / res["sessions"] * 1e6
        tlsbench.rate_record(res, cpu, rec)
    elif sc == "fairness":
        return run_fairness(args, gw, backend)
    else:
        rec, res = run_idle(args, gw, backend, base)
    rec["errors"] = {k: res.get(k, 0) for k in ERROR_KEYS
                     if res.get(k, 0)}
    return rec


FLOODS = (("zero", "empty frames"), ("frag1", "1-byte fragments"),
          ("pong", "pongs"), ("read", "backend stream"))


def flood_start(args, gw, mode, duration):
    """A flooding wsbench (one connection, SCHED_IDLE on the load
    generator's CPU); SIGTERM ends its window early."""
    argv = [args.wsbench, "-t", "127.0.0.1:%d" % gw.port, "-P", "ws",
            "-s", "flood", "-m", mode, "-c", "1", "-d", str(duration),
            "-W", str(args.warmup), "-C", "5"]
    if mode == "read":
        argv += ["-u", "/src"]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, text=True,
                            preexec_fn=pinned(args.lg_cpu, idle=True),
                            start_new_session=True)


def flood_rate(res, mode):
    """What the flood moved per second: frames (sent), or MB (read)."""
    return res["recv_MBps"] if mode == "read" else res["frames_per_s"]


def flood_finish(p, limit, stop=False):
    """The flooder's JSON result (SIGTERM first if stop)."""
    killer = threading.Timer(limit, lambda: p.send_signal(signal.SIGKILL))
    killer.start()
    try:
        if stop:
            p.send_signal(signal.SIGTERM)
        out, _ = p.communicate()
    finally:
        killer.cancel()
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError("flooding wsbench gave no result")
    return json.loads(lines[-1])


def run_fairness(args, gw, backend):
    """One repetition of the fairness cell on a one-worker gateway."""
    gw.stop()
    gw.force_workers = "1"
    try:
        gw.start(backend.addr)
        return fairness_rep(args, gw, backend)
    finally:
        gw.stop()
        gw.force_workers = None
        gw.start(backend.addr)


def victim(args, gw, backend):
    """The victim: one session echoing 32 bytes, one at a time."""
    res, cpu = wsbench(args, gw, backend, [
        "-t", "127.0.0.1:%d" % gw.port, "-P", "ws", "-s", "lat", "-c", "1",
        "-S", "32", "-d", str(args.lat_duration), "-W", str(args.warmup),
        "-C", "5", "-n", "1000000"], args.lat_duration + args.warmup + 40)
    out = {"samples": res["samples"]}
    if res["samples"] > 0:
        out.update(p50_us=res["p50_us"], p99_us=res["p99_us"],
                   max_us=res["max_us"])
    if cpu is not None:
        out["gw_cpu"] = cpu / res["seconds"]
    return out, res


def fairness_rep(args, gw, backend):
    rec = {}
    alone, res = victim(args, gw, backend)
    rec.update(("alone_" + k, v) for k, v in alone.items())
    errors = {k: res.get(k, 0) for k in ERROR_KEYS if res.get(k, 0)}
    for mode, _ in FLOODS:
        # The flood's rate with nobody else on the worker, then the
        # victim next to it.
        solo = flood_finish(flood_start(args, gw, mode, 1.0), 30)
        p = flood_start(args, gw, mode, 600)
        killer = threading.Timer(30, lambda: p.send_signal(signal.SIGKILL))
        killer.start()
        try:
            for line in p.stdout:
                if line.startswith("MARK start"):
                    break
        finally:
            killer.cancel()
        try:
            v, res = victim(args, gw, backend)
        finally:
            fl = flood_finish(p, 30, stop=True)
        rec.update((mode + "_" + k, x) for k, x in v.items())
        rec[mode + "_flood_rate"] = flood_rate(fl, mode)
        rec[mode + "_flood_alone"] = flood_rate(solo, mode)
        if flood_rate(solo, mode) > 0:
            rec[mode + "_flood_share"] = (flood_rate(fl, mode) /
                                          flood_rate(solo, mode))
        # The victim's errors count (a starved victim loses its echo);
        # the flood's teardown does not.
        for k in ERROR_KEYS:
            if res.get(k, 0):
                errors[k] = errors.get(k, 0) + res[k]
        gw.settle()
    rec["errors"] = errors
    return rec


def fairness_goal(alone_p99):
    """The highest p99 (us) the victim may have next to a flood."""
    return 2 * alone_p99 + 1000


def fairness_verdicts(c):
    """[(label, p99 or None, goal, met)] of a fairness cell (medians)."""
    a99 = med(c, "alone_p99_us")
    out = []
    for mode, label in FLOODS:
        p99 = med(c, mode + "_p99_us")
        starved = not med(c, mode + "_samples")
        goal = fairness_goal(a99) if a99 is not None else None
        met = (not starved and p99 is not None and goal is not None and
               p99 <= goal)
        out.append((label, None if starved else p99, goal, met))
    return out


def run_idle(args, gw, backend, base):
    # A fresh gateway, one session to warm it up, then the baseline.
    gw.stop()
    gw.start(backend.addr)
    base[1] = "127.0.0.1:%d" % gw.port
    warm = list(base)
    warm[warm.index("-s") + 1] = "rate"
    warm[warm.index("-c") + 1] = "1"
    wsbench(args, gw, backend, warm + ["-d", "0.3"], 30)
    gw.settle()
    time.sleep(0.5)
    before = tree_mem(gw.proc.pid)
    snap = {}

    def on_ready():
        time.sleep(1.0)         # let the last handshakes' buffers go
        snap.update(tree_mem(gw.proc.pid))

    res, _ = wsbench(args, gw, backend, base + [
        "-N", str(args.nsrc), "-K", "64", "-F", "200", "-d", "120",
        "-M", str(max(2048, mem_available_mb() * 15 // 100)),
        "-T", "60"], 240, on_ready)
    after = snap or before
    n = max(1, res["ready"])
    rec = {"ready": res["ready"], "requested": res["requested"],
           "failed": res["failed"], "stop_reason": res["stop_reason"],
           "ramp_s": res["ramp_s"], "procs": after["procs"],
           "rss_kB": [before["rss_kB"], after["rss_kB"]],
           "pss_kB": [before["pss_kB"], after["pss_kB"]],
           "rss_per_conn": (after["rss_kB"] - before["rss_kB"]) * 1024 / n,
           "pss_per_conn": (after["pss_kB"] - before["pss_kB"]) * 1024 / n}
    gw.settle(20)
    return rec, res


def plan(args):
    if args.tls:
        return tlsbench.plan(args)
    cells = []
    scen = args.scenarios.split(",")
    if "tput" in scen:
        for c in args.conns:
            for s in args.sizes:
                cells.append({"scenario": "tput", "conns": c, "size": s})
    if "lat" in scen:
        for c in args.lat_conns:
            cells.append({"scenario": "lat", "conns": c, "size": 32})
    if "rate" in scen:
        cells.append({"scenario": "rate", "conns": args.rate_conns,
                      "size": 32})
    if "fairness" in scen:
        cells.append({"scenario": "fairness", "conns": 2, "size": 32})
    if "idle" in scen:
        cells.append({"scenario": "idle", "conns": args.idle_n, "size": 32})
    return cells


def cell_key(c):
    return "%s c=%d S=%d%s" % (c["scenario"], c["conns"], c["size"],
                               tlsbench.key_suffix(c))


def medians(reps):
    out = {}
    for k, v in reps[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            vals = [r[k] for r in reps if isinstance(r.get(k), (int, float))]
            out[k] = {"median": statistics.median(vals), "min": min(vals),
                      "max": max(vals)}
    return out


def run_all(args, gateways, logdir, save):
    """Measure every cell on every target, interleaved: each repetition
    of a cell runs on all targets one after the other (starting with a
    different one each time), so a burst of load from elsewhere on the
    machine hits them alike.  Idle runs last, one target at a time."""
    backend = Backend(args.backend, args.lg_cpu, logdir)
    source = ws_backend = None
    results = {g.name: {"name": g.name, "kind": g.kind, "proto": g.proto,
                        "cells": []} for g in gateways}
    live = []
    try:
        for gw in gateways:
            gw.backend = backend
            if args.tls:
                gw.certs = args.certs
                if gw.kind == "haproxy":
                    if ws_backend is None:
                        ws_backend = Backend(os.path.join(
                            args.build_dir, "echod"), args.lg_cpu, logdir,
                            ws=True)
                    gw.backend = ws_backend
        if "fairness" in args.scenarios.split(","):
            source = Backend(os.path.join(args.build_dir, "echod"),
                             args.lg_cpu, logdir, source=True)
            for gw in gateways:
                gw.source = source.addr
        for gw in gateways:
            out = results[gw.name]
            why = gw.check(gw.backend.addr)
            if why is None:
                try:
                    gw.start(gw.backend.addr)
                    out["command"] = gw.command
                    live.append(gw)
                    continue
                except RuntimeError as e:
                    why = str(e)
            print("%s: skipped: %s" % (gw.name, why), flush=True)
            out["skipped"] = why
        cells = plan(args)
        steady = [c for c in cells if c["scenario"] != "idle"]
        for cell in steady:
            print(cell_key(cell), flush=True)
            here = [g for g in live if cell["scenario"] != "fairness" or
                    g.kind == "wsgate"]
            reps = {g.name: [] for g in here}
            for r in range(args.reps):
                order = here[r % len(here):] + here[:r % len(here)] \
                    if here else []
                for gw in order:
                    if gw.name in reps:
                        one(args, gw, gw.backend, cell, reps, results)
            for gw in here:
                if reps.get(gw.name):
                    report_cell(results[gw.name], cell, reps[gw.name])
            save()
        for cell in [c for c in cells if c["scenario"] == "idle"]:
            print(cell_key(cell), flush=True)
            for gw in live:
                reps = {gw.name: []}
                one(args, gw, gw.backend, cell, reps, results)
                if reps.get(gw.name):
                    report_cell(results[gw.name], cell, reps[gw.name])
                gw.stop()       # frees its memory for the next one
                save()
    finally:
        for gw in gateways:
            gw.stop()
        backend.stop()
        for b in (source, ws_backend):
            if b is not None:
                b.stop()
    return [results[g.name] for g in gateways]


def one(args, gw, backend, cell, reps, results):
    """One repetition of a cell on one target; a failure drops the target
    from this cell (reps[name] removed) and records why."""
    try:
        if cell.get("cert") and gw.cert != cell["cert"] and gw.proc:
            gw.stop()           # --tls: another certificate
            gw.cert = cell["cert"]
            gw.start(gw.backend.addr)
        if gw.proc is None or not gw.proc.alive():
            raise RuntimeError("%s is not running; see %s" % (
                gw.name, os.path.join(gw.logdir, gw.name + ".log")))
        reps[gw.name].append(run_cell(args, gw, backend, cell))
        gw.settle()
    except Exception as e:      # report it, and go on with the others
        print("  !! %s: %s" % (gw.name, e), flush=True)
        results[gw.name].setdefault("errors", []).append(
            "%s: %s" % (cell_key(cell), e))
        reps.pop(gw.name, None)


def report_cell(out, cell, reps):
    c = dict(cell, reps=reps, median=medians(reps))
    out["cells"].append(c)
    print("  %-12s %s" % (out["name"], describe(c)), flush=True)


# ------------------------------------------------------------- reporting

def med(cell, k):
    m = cell["median"].get(k)
    return None if m is None else m["median"]


def errors_of(cell):
    total = {}
    for r in cell["reps"]:
        for k, v in r.get("errors", {}).items():
            total[k] = total.get(k, 0) + v
    return total


def describe(c):
    m = lambda k, f="%.1f": "-" if med(c, k) is None else f % med(c, k)
    sc = c["scenario"]
    if sc == "tput":
        s = "MB/s %s (%s-%s)  msgs/s %s  gw CPU %s  MB per gw CPU-s %s" % (
            m("MBps"), "%.1f" % c["median"]["MBps"]["min"],
            "%.1f" % c["median"]["MBps"]["max"], m("msgs_per_s", "%.0f"),
            m("gw_cpu", "%.2f"), m("MB_per_cpu_s"))
    elif sc == "lat":
        s = "p50 %s  p99 %s  p99.9 %s us  gw CPU %s us/round trip" % (
            m("p50_us"), m("p99_us"), m("p999_us"), m("gw_cpu_us_per_rt"))
    elif sc == "rate":
        s = "sessions/s %s  handshake p50 %s us  gw CPU %s us/session" % (
            m("sessions_per_s", "%.0f"), m("hs_p50_us", "%.0f"),
            m("gw_cpu_us_per_session", "%.0f"))
    elif sc == "fairness":
        s = "victim alone: p50 %s p99 %s max %s us" % (
            m("alone_p50_us"), m("alone_p99_us"), m("alone_max_us"))
        for (mode, label), (_, p99, goal, met) in zip(
                FLOODS, fairness_verdicts(c)):
            s += "\n    %-17s " % (label + ":")
            if p99 is None:
                s += "victim starved (no round trip in the window)"
            else:
                s += "victim p50 %s p99 %s max %s us (goal p99 <= %.0f: " \
                     "%s)" % (m(mode + "_p50_us"), m(mode + "_p99_us"),
                              m(mode + "_max_us"), goal,
                              "met" if met else "MISSED")
            s += "; flood %s of its rate alone, gw CPU %s" % (
                m(mode + "_flood_share", "%.2f"), m(mode + "_gw_cpu", "%.2f"))
    else:
        r = c["reps"][0]
        s = ("ready %d/%d (%s)  RSS %d->%d kB  PSS/conn %.0f B  "
             "RSS/conn %.0f B  %d procs") % (
            r["ready"], r["requested"], r["stop_reason"], r["rss_kB"][0],
            r["rss_kB"][1], r["pss_per_conn"], r["rss_per_conn"],
            r["procs"])
    e = errors_of(c)
    if e:
        s += "  ERRORS %s" % ", ".join("%s=%d" % kv for kv in e.items())
    return s


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.2f" % v


def rows(data):
    """(label, better, {target: value}, goal) for the summary table; goal:
    the figure has a goal as a ratio against HAProxy (issue 15: wss)."""
    out = []
    done = [t for t in data["targets"] if t["cells"]]

    def cell(t, key):
        return next((c for c in t["cells"] if cell_key(c) == key), None)

    keys = []
    for t in done:
        for c in t["cells"]:
            if cell_key(c) not in [k for k, _ in keys]:
                keys.append((cell_key(c), c))

    def add(label, better, key, metric, goal=False):
        vals = {}
        for t in done:
            c = cell(t, key)
            if c is not None and med(c, metric) is not None:
                vals[t["name"]] = med(c, metric)
        if vals:
            out.append((label, better, vals, goal))

    for key, first in keys:
        sc, c, s = first["scenario"], first["conns"], first["size"]
        size = "%d KiB" % (s // 1024) if s >= 1024 else "%d B" % s
        tls = bool(first.get("tls"))
        wss = "wss %s" % tlsbench.label(first) if tls else ""
        pre = wss + ": " if tls else ""
        if sc == "tput":
            add("%s%s msgs, %d conns: MB/s" % (pre, size, c), "up", key,
                "MBps", tls)
            add("%s%s msgs, %d conns: MB per gw CPU-s" % (pre, size, c),
                "up", key, "MB_per_cpu_s", tls)
            if s < 1024:
                add("%s msgs, %d conns: msgs/s" % (size, c), "up", key,
                    "msgs_per_s")
        elif sc == "lat":
            add("RTT 32 B, %d conn: p50 us" % c, "down", key, "p50_us")
            add("RTT 32 B, %d conn: p99 us" % c, "down", key, "p99_us")
            add("gw CPU us per round trip (%d conn)" % c, "down", key,
                "gw_cpu_us_per_rt")
        elif sc == "rate" and tls and first.get("resume"):
            add("%ssessions/s (%d at a time)" % (pre, c), "up", key,
                "sessions_per_s")
            add("%sgw CPU us per session" % pre, "down", key,
                "gw_cpu_us_per_resumed", True)
            add("%sshare of handshakes resumed" % pre, "up", key,
                "resumed_share")
        elif sc == "rate":
            add("%ssessions/s (%d at a time)" % (pre, c), "up", key,
                "sessions_per_s")
            add("%sgw CPU us per session" % pre, "down", key,
                "gw_cpu_us_per_session", tls)
        elif sc == "idle":
            add("bytes (PSS) per idle %sconn" % ("wss " if tls else ""),
                "down", key, "pss_per_conn", tls)
            add("idle %sconns held (of %d)" % ("wss " if tls else "", c),
                "up", key, "ready")
        elif sc == "fairness":
            add("fairness: victim RTT p99 us, alone", "down", key,
                "alone_p99_us")
            for mode, label in FLOODS:
                add("fairness: victim RTT p99 us, next to %s" % label,
                    "down", key, mode + "_p99_us")
            for mode, label in FLOODS:
                add("fairness: %s, rate next to victim / alone" % label,
                    "up", key, mode + "_flood_share")
    return out, [t["name"] for t in done]


def goal_lines(data):
    """wss goals (issue 15), as ratios against HAProxy in this run: more
    is better for throughput and MB per CPU-second (>= 1.0), less for CPU
    per session and memory per connection (<= 1.0)."""
    rs, names = rows(data)
    subject = names[0] if names else None
    ref = next((n for n in names if n.startswith("haproxy")), None)
    out = []
    for label, better, vals, goal in rs:
        if not goal or subject is None or ref is None or \
                vals.get(subject) is None or not vals.get(ref):
            continue
        r = vals[subject] / vals[ref]
        met = r >= 1.0 if better == "up" else r <= 1.0
        out.append("goal %s %s 1.0x: %s: %.3fx %s" % (
            subject + "/" + ref, ">=" if better == "up" else "<=", label,
            r, "met" if met else "MISSED"))
    return out


def ratio(a, b):
    if a is None or not b:
        return "-"
    r = a / b
    return "%.0fx" % r if r >= 100 else "%.2fx" % r if r >= 0.1 \
        else "%.2gx" % r


def table(data, markdown=False):
    rs, names = rows(data)
    if not names:
        return "no results"
    subject, refs = names[0], names[1:]
    head = ["figure"] + names + ["%s/%s" % (subject, r) for r in refs]
    lines = []
    for label, better, vals, _ in rs:
        line = [label + (" (lower is better)" if better == "down" else "")]
        line += [fmt(vals.get(n)) for n in names]
        for r in refs:
            a, b = vals.get(subject), vals.get(r)
            line.append(ratio(a, b))
        lines.append(line)
    if markdown:
        out = ["| " + " | ".join(head) + " |",
               "|---|" + "---:|" * (len(head) - 1)]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(x[i]) for x in [head] + lines)
              for i in range(len(head))]
    out = []
    for j, line in enumerate([head] + lines):
        out.append("  ".join(x.ljust(widths[i]) if i == 0
                             else x.rjust(widths[i])
                             for i, x in enumerate(line)))
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def report(data, markdown=False):
    m = data["meta"]
    print("\n# wsgate benchmark, %s, %s" % (m["started"], m["machine"]))
    print("pinning: %s; load average %s at start, %s at end" % (
        m["pinning"], m["load_start"], m.get("load_end", "?")))
    print("medians of %d reps; ratios are %s / reference, measured in "
          "this run\n" % (m["args"]["reps"], m["subject"]))
    print(table(data, markdown))
    print()
    errs = [(t["name"], cell_key(c), errors_of(c))
            for t in data["targets"] for c in t["cells"] if errors_of(c)]
    for t in data["targets"]:
        if t.get("skipped"):
            print("%s: skipped: %s" % (t["name"], t["skipped"]))
        for e in t.get("errors", []):
            print("%s: failed: %s" % (t["name"], e))
    for name, key, e in errs:
        print("errors: %s %s: %s" % (name, key, ", ".join(
            "%s=%d" % kv for kv in e.items())))
    for t in data["targets"]:
        for c in t["cells"]:
            if c["scenario"] != "fairness":
                continue
            v = fairness_verdicts(c)
            print("fairness goal, %s (victim p99 <= 2 x %s us alone + 1 ms "
                  "= %s us): %s" % (
                      t["name"], fmt(med(c, "alone_p99_us")),
                      fmt(v[0][2]), "; ".join(
                          "%s %s" % (label, "starved" if p99 is None else
                                     "%s us %s" % (fmt(p99), "met" if met
                                                   else "MISSED"))
                          for label, p99, _, met in v)))
    for line in goal_lines(data):
        print(line)


# ------------------------------------------------------------------ main

def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // (1024 * 1024)
    except OSError:
        mem = 0
    return "%s, %d CPUs, %d GiB, Linux %s" % (
        model, os.cpu_count() or 0, mem, os.uname().release)


def version(argv):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=10)
        return r.stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def int_list(s):
    return [int(x) for x in s.split(",") if x]


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog="Figures: see the Performance section of README.md.")
    ap.add_argument("--quick", action="store_true",
                    help="about a minute: 1 rep, shorter windows, fewer "
                    "cells, 1000 idle connections")
    ap.add_argument("--tls", action="store_true",
                    help="wss:// instead: wsgate, HAProxy (TLS in TCP mode, "
                    "before a WebSocket echo backend) and lighttpd "
                    "(mod_openssl); throughput with TLS 1.3, sessions with "
                    "full TLS 1.3/1.2 handshakes (ECDSA and RSA "
                    "certificates) and resumed ones, idle connections")
    ap.add_argument("--tls-certs", default="ecdsa,rsa",
                    help="--tls: certificates for full handshakes")
    ap.add_argument("--scenarios", default=None,
                    help="comma list (fairness: wsgate builds only); "
                    "default tput,lat,rate,fairness,idle, with --tls "
                    "tput,rate,idle")
    ap.add_argument("--targets", default=None,
                    help="comma list of wsgate, haproxy, haproxy-tuned "
                    "(64 KiB buffers, option splice-auto), lighttpd, "
                    "websockify (missing references are skipped); default "
                    "wsgate,haproxy,haproxy-tuned,lighttpd,websockify, with "
                    "--tls "
                    "wsgate,haproxy,lighttpd")
    ap.add_argument("--gateway-binary", action="append", default=[],
                    metavar="[NAME=]PATH", help="wsgate build to measure; "
                    "repeat to compare builds (the first is the subject "
                    "of the ratios); default build/wsgate")
    ap.add_argument("--workers", default="",
                    help="write `workers = N` into wsgate's INI (with "
                    "--no-pin to let the workers use every CPU); "
                    "NAME=N,NAME=N sets it per --gateway-binary NAME, e.g. "
                    "--gateway-binary w2=build/wsgate --gateway-binary "
                    "w1=build/wsgate --workers w2=2,w1=1 --no-pin; haproxy=N sets "
                    "HAProxy's nbthread")
    ap.add_argument("--gateway-log", choices=["quiet", "info"],
                    default="quiet", help="wsgate log level (info logs "
                    "one line per session)")
    ap.add_argument("--reps", type=int, default=3,
                    help="repetitions of each cell (idle: 1); medians shown")
    ap.add_argument("--duration", type=float, default=2.0,
                    help="tput measurement window, seconds")
    ap.add_argument("--warmup", type=float, default=0.3,
                    help="seconds of traffic before a tput/lat window")
    ap.add_argument("--lat-duration", type=float, default=2.0,
                    help="lat measurement window, seconds")
    ap.add_argument("--rate-duration", type=float, default=3.0,
                    help="rate measurement window, seconds")
    ap.add_argument("--conns", type=int_list, default=[16, 256],
                    help="tput connection counts")
    ap.add_argument("--sizes", type=int_list, default=None,
                    help="tput message sizes, bytes (default 64,4096,65536; "
                    "with --tls 4096,65536)")
    ap.add_argument("--window", type=int, default=256 * 1024,
                    help="tput bytes in flight per connection")
    ap.add_argument("--lat-conns", type=int_list, default=[1],
                    help="lat connection counts")
    ap.add_argument("--rate-conns", type=int, default=8,
                    help="sessions in progress at a time")
    ap.add_argument("--idle-n", type=int, default=None,
                    help="idle connections to open (a gateway needs 2 fds "
                    "each; mind the hard RLIMIT_NOFILE); default 9900, "
                    "with --tls 4000")
    ap.add_argument("--nsrc", type=int, default=16,
                    help="rate/idle clients bind 127.0.0.2..(1+N)")
    ap.add_argument("--backend", default="",
                    help="echo backend binary (default build/echod; "
                    "build/echo-backend is the libevent one)")
    ap.add_argument("--no-pin", action="store_true",
                    help="let the OS place every process")
    ap.add_argument("--nice", type=int, default=0,
                    help="run everything at this nice value (e.g. -10 on a "
                    "busy machine; negative needs root)")
    ap.add_argument("--rt", action="store_true",
                    help="run gateways, backends and load generator at "
                    "SCHED_FIFO (floods at the normal policy): on a machine "
                    "busy with other work, the only way to see a gateway's "
                    "own latency (root; the kernel's RT throttling pauses a "
                    "saturated gateway for 50 ms a second, which shows in "
                    "max, not in p99)")
    ap.add_argument("--gw-cpu", type=int, default=1,
                    help="CPU for the gateways")
    ap.add_argument("--lg-cpu", type=int, default=0,
                    help="CPU for load generator and backend")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"),
                    help="where wsgate, wsbench and echod are")
    ap.add_argument("--out", default="", help="JSON results file; empty: "
                    "BUILD/bench/results-TIME.json")
    ap.add_argument("--markdown", action="store_true",
                    help="print the summary table as Markdown")
    ap.add_argument("--report", metavar="JSON",
                    help="print the table of a saved run and exit")
    args = ap.parse_args()

    if args.report:
        with open(args.report) as f:
            report(json.load(f), args.markdown)
        return 0
    if args.scenarios is None:
        args.scenarios = "tput,rate,idle" if args.tls else \
            "tput,lat,rate,fairness,idle"
    if args.targets is None:
        args.targets = "wsgate,haproxy,lighttpd" if args.tls else \
            "wsgate,haproxy,haproxy-tuned,lighttpd,websockify"
    if args.sizes is None:
        args.sizes = [4096, 65536] if args.tls else [64, 4096, 65536]
    if args.idle_n is None:
        args.idle_n = 4000 if args.tls else 9900
    known = {"tput", "rate", "idle"} if args.tls else \
        {"tput", "lat", "rate", "idle", "fairness"}
    bad = set(args.scenarios.split(",")) - known
    if bad:
        ap.error("unknown scenario %s (%s)" % (",".join(sorted(bad)),
                                               ", ".join(sorted(known))))
    if not set(args.tls_certs.split(",")) <= set(tlsbench.CERTS):
        ap.error("--tls-certs: ecdsa, rsa")
    if not all(0 < s <= 1 << 20 for s in args.sizes) or \
            not all(0 < c <= 20000 for c in args.conns + args.lat_conns):
        ap.error("sizes must be 1..1048576, connection counts 1..20000")
    if args.quick:
        args.reps = 1
        args.duration = 1.0
        args.lat_duration = 1.0
        args.rate_duration = 1.5
        args.warmup = 0.2
        args.conns = [16]
        args.idle_n = min(args.idle_n, 1000)
    args.wsbench = os.path.join(args.build_dir, "wsbench")
    args.backend = args.backend or os.path.join(args.build_dir, "echod")
    for b in (args.wsbench, args.backend):
        if not os.access(b, os.X_OK):
            ap.error("%s is not built: run `make bench` (or make "
                     "%s)" % (b, os.path.relpath(b, ROOT)))
    if args.rt:
        global RT
        RT = True
        try:
            os.sched_getscheduler(0)
        except (AttributeError, OSError):
            ap.error("--rt: no sched_setscheduler here")
    if args.nice:
        try:    # what this starts inherits it
            os.setpriority(os.PRIO_PROCESS, 0, args.nice)
        except OSError as e:
            ap.error("--nice %d: %s" % (args.nice, e))
    if args.no_pin or len(os.sched_getaffinity(0)) < 2:
        args.gw_cpu = args.lg_cpu = None
        pinning = "none"
    else:
        pinning = "gateway on CPU %d, load generator and backend on CPU %d" \
            % (args.gw_cpu, args.lg_cpu)
    if args.rt:
        pinning += "; SCHED_FIFO for all but the floods (--rt)"
    if args.workers and args.gw_cpu is not None:
        print("note: the gateway is pinned to one CPU, so its workers "
              "share it; add --no-pin to let them spread", flush=True)
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass

    stamp = time.strftime("%Y%m%d-%H%M%S")
    os.makedirs(os.path.join(args.build_dir, "bench"), exist_ok=True)
    logdir = tempfile.mkdtemp(prefix="logs-%s-" % stamp,
                              dir=os.path.join(args.build_dir, "bench"))
    gateways = []
    names = [n for n in args.targets.split(",") if n]
    for n in names:
        if n not in ("wsgate", "haproxy", "haproxy-tuned", "lighttpd",
                     "websockify"):
            ap.error("unknown target %s" % n)
    args.certs = tlsbench.make_certs(logdir) if args.tls else None
    if "wsgate" in names:
        builds = args.gateway_binary or [os.path.join(args.build_dir,
                                                      "wsgate")]
        for i, b in enumerate(builds):
            name, path = b.split("=", 1) if "=" in b else (
                "wsgate" if i == 0 else "wsgate-%d" % (i + 1), b)
            gateways.append(Gateway(name, "wsgate", os.path.abspath(path),
                                    args, logdir))
    for n in names:
        if n == "haproxy-tuned":
            gateways.append(Gateway(n, "haproxy", "haproxy", args, logdir))
        elif n != "wsgate":
            gateways.append(Gateway(n, n, n, args, logdir))

    out = args.out or os.path.join(args.build_dir, "bench",
                                   "results-%s.json" % stamp)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    data = {"meta": {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(), "pinning": pinning,
        "load_start": "%.2f" % os.getloadavg()[0],
        "subject": gateways[0].name if gateways else "-",
        "versions": {g.name: version([g.binary, "-V"] if g.kind == "wsgate"
                                     else [g.binary, "-v"] if g.kind in
                                     ("haproxy", "lighttpd") else
                                     ["dpkg-query", "-W", "websockify"])
                     for g in gateways},
        "tls": args.tls,
        "args": {k: v for k, v in vars(args).items() if k != "certs"},
        "logdir": logdir}, "targets": []}
    t0 = time.time()

    def save():
        with open(out, "w") as f:
            json.dump(data, f, indent=1)
    data["targets"] = run_all(args, gateways, logdir, save)
    data["meta"]["wall_s"] = round(time.time() - t0, 1)
    data["meta"]["load_end"] = "%.2f" % os.getloadavg()[0]
    with open(out, "w") as f:
        json.dump(data, f, indent=1)
    report(data, args.markdown)
    print("\nwall time %.0f s; JSON: %s; logs: %s" % (
        data["meta"]["wall_s"], out, logdir))
    # Fail when a wsgate build could not be measured or corrupted data.
    for t in data["targets"]:
        if t["kind"] != "wsgate":
            continue
        if t.get("errors") or t.get("skipped") or any(
                errors_of(c).get(k) for c in t["cells"]
                for k in ("verify_errors", "protocol_errors")):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
