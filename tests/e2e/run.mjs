// run.mjs -- real-browser end-to-end tests: headless Debian Chromium,
// driven by playwright-core, talks to the real wsgate binary, which relays
// to real TCP services (echo, hang-up, nothing listening) and to a real VNC
// server (Xvfb + x11vnc) shown by noVNC.  Prints one line per test and
// "RESULT e2e: N passed, M failed".  Started by tests/e2e/run.sh.
//
//   node run.mjs [--binary build/wsgate] [--label e2e] [--only SUBSTRING]
//
// --label names the RESULT line and the directory under artifacts/ that
// gets the logs, generated configs and screenshots.

import { spawn, execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const CHROMIUM = process.env.CHROMIUM || "/usr/lib/chromium/chromium";
const NOVNC = process.env.NOVNC_DIR || "/usr/share/novnc";
const TEST_TIMEOUT = 45000;	// ms, per test
const SUITE_TIMEOUT = 240000;	// ms, the whole run

const argv = process.argv.slice(2);
function opt(name, dflt) {
	const i = argv.indexOf(name);
	return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}
const BINARY = path.resolve(opt("--binary", path.join(ROOT, "build/wsgate")));
const ONLY = opt("--only", "");
const LABEL = opt("--label", "e2e");
const ARTIFACTS = path.join(HERE, "artifacts", LABEL);

let passed = 0, failed = 0;
const children = new Set();
const servers = new Set();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wsgate-e2e-"));

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
	let timer;
	return Promise.race([
		promise,
		new Promise((_, reject) => {
			timer = setTimeout(() => reject(new Error(
			    `timeout after ${ms} ms: ${what}`)), ms);
		}),
	]).finally(() => clearTimeout(timer));
}

// Poll fn() until it returns a truthy value; bounded in time.
async function until(fn, ms, what) {
	const deadline = Date.now() + ms;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last)
				return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > deadline)
			throw new Error(`timeout after ${ms} ms waiting for ` +
			    `${what}` + (last instanceof Error ?
			    ` (last error: ${last.message})` : ""));
		await sleep(100);
	}
}

function check(cond, msg, got) {
	if (!cond)
		throw new Error(msg + (got === undefined ? "" :
		    ": got " + JSON.stringify(got)));
}

function eq(got, want, what) {
	const g = JSON.stringify(got), w = JSON.stringify(want);
	if (g !== w)
		throw new Error(`${what}: got ${g}, want ${w}`);
}

// Distinct free loopback ports (held open together, then released).
async function freePorts(n) {
	const held = [];
	for (let i = 0; i < n; i++) {
		const s = net.createServer();
		await new Promise((res, rej) => {
			s.once("error", rej);
			s.listen(0, "127.0.0.1", res);
		});
		held.push(s);
	}
	const ports = held.map((s) => s.address().port);
	await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
	return ports;
}

function canConnect(port) {
	return new Promise((resolve) => {
		const s = net.connect(port, "127.0.0.1");
		s.once("connect", () => { s.destroy(); resolve(true); });
		s.once("error", () => resolve(false));
	});
}

// A child process whose stdout+stderr are kept (and written to a log file
// under artifacts/) and which is killed at the end whatever happens.
function start(name, cmd, args, opts = {}) {
	const logPath = path.join(ARTIFACTS, `${name}.log`);
	const log = fs.createWriteStream(logPath);
	const p = spawn(cmd, args, { stdio: opts.stdio || "pipe",
	    env: opts.env || process.env });
	p.output = "";
	p.label = name;
	p.logPath = logPath;
	p.exited = new Promise((resolve) => p.once("exit",
	    (code, sig) => { children.delete(p); resolve({ code, sig }); }));
	p.once("error", (e) => { p.output += `spawn error: ${e.message}\n`; });
	for (const stream of [p.stdout, p.stderr]) {
		if (!stream)
			continue;
		stream.on("data", (d) => {
			p.output += d.toString();
			log.write(d);
		});
	}
	p.exited.then(() => log.end());
	children.add(p);
	return p;
}

async function stop(p) {
	if (p.exitCode !== null || p.signalCode !== null)
		return;
	p.kill("SIGTERM");
	const done = await withTimeout(p.exited, 3000, "exit").catch(() => null);
	if (!done) {
		p.kill("SIGKILL");
		await withTimeout(p.exited, 3000, "exit").catch(() => null);
	}
}

function tail(text, n = 15) {
	return text.trim().split("\n").slice(-n).map((l) => "    | " + l)
	    .join("\n");
}

// ----------------------------------------------------------- TCP services

// Echo backend that also records, per connection, the SHA-256 and length of
// everything it received and its first bytes.  Honours backpressure.
function echoBackend() {
	const conns = [];
	const srv = net.createServer({ allowHalfOpen: true }, (sock) => {
		const c = { hash: createHash("sha256"), bytes: 0, head: [],
		    headBytes: 0, done: false, digest: null };
		conns.push(c);
		sock.on("data", (d) => {
			c.hash.update(d);
			c.bytes += d.length;
			if (c.headBytes < 65536) {
				c.head.push(d);
				c.headBytes += d.length;
			}
			if (!sock.write(d)) {
				sock.pause();
				sock.once("drain", () => sock.resume());
			}
		});
		sock.on("end", () => {
			c.digest = c.hash.digest("hex");
			c.done = true;
			sock.end();
		});
		sock.on("error", () => {});
	});
	srv.conns = conns;
	return srv;
}

// A service that greets and hangs up at once (a banner, then EOF).
function hangupBackend(banner) {
	return net.createServer((sock) => {
		sock.on("error", () => {});
		sock.end(banner);
	});
}

async function listen(srv, port) {
	await new Promise((res, rej) => {
		srv.once("error", rej);
		srv.listen(port, "127.0.0.1", res);
	});
	servers.add(srv);
	return srv;
}

// ----------------------------------------------------------------- wsgate

async function startWsgate(name, ini, nlisten) {
	const conf = path.join(tmp, `${name}.ini`);
	fs.writeFileSync(conf, ini);
	fs.copyFileSync(conf, path.join(ARTIFACTS, `${name}.ini`));
	const p = start(name, BINARY, ["-v", "-c", conf]);
	await until(() => {
		if (p.exitCode !== null)
			throw new Error(`${name} exited ${p.exitCode}:\n` +
			    tail(p.output));
		return (p.output.match(/ listening on /g) || []).length >=
		    nlisten;
	}, 10000, `${name} to listen`);
	return p;
}

// SIGTERM drains; with no session left wsgate must exit 0 at once, and an
// ASan/UBSan build must have reported nothing (leaks included).
async function stopWsgate(p) {
	await test(`${p.label} drains on SIGTERM, exits 0, no sanitizer report`,
	    async () => {
		p.kill("SIGTERM");
		const r = await withTimeout(p.exited, 15000, "exit after SIGTERM");
		const report = p.output.split("\n").find((l) =>
		    /(AddressSanitizer|LeakSanitizer|runtime error:)/.test(l));
		check(!report, "sanitizer report (see " +
		    path.relative(ROOT, p.logPath) + ")", report);
		eq(r, { code: 0, sig: null }, "exit");
		return "";
	});
	await stop(p);
}

// Log lines that appeared after mark (a length of p.output).
function logSince(p, mark) {
	return p.output.slice(mark);
}

// -------------------------------------------------------------- browser

const LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"];

async function launch(extra = []) {
	return chromium.launch({ executablePath: CHROMIUM,
	    args: LAUNCH_ARGS.concat(extra), timeout: 30000 });
}

// ------------------------------------------------------------------ tests

const results = [];

async function test(name, fn, page) {
	if (ONLY && !name.includes(ONLY))
		return;
	const t0 = Date.now();
	let detail = "";
	try {
		detail = (await withTimeout(fn(), TEST_TIMEOUT, name)) || "";
		passed++;
		console.log(`ok   ${name} (${Date.now() - t0} ms)` +
		    (detail ? `  ${detail}` : ""));
		results.push([name, "pass", detail]);
	} catch (e) {
		failed++;
		detail = e && e.message ? e.message : String(e);
		console.log(`FAIL ${name} (${Date.now() - t0} ms): ${detail}`);
		results.push([name, "fail", detail]);
	}
	if (page)
		await page.evaluate(([n, r, d]) => window.e2e.report(n, r, d),
		    results[results.length - 1]).catch(() => {});
}

// ---------------------------------------------------------------- TLS

// A throwaway self-signed certificate for 127.0.0.1, and the base64 SHA-256
// of its SubjectPublicKeyInfo: Chromium trusts exactly that key with
// --ignore-certificate-errors-spki-list, and nothing else.
function makeCert() {
	const cert = path.join(tmp, "cert.pem"), key = path.join(tmp, "key.pem");
	execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
	    cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
	    "subjectAltName=IP:127.0.0.1"], { stdio: "pipe", timeout: 20000 });
	const spki = new X509Certificate(fs.readFileSync(cert)).publicKey
	    .export({ type: "spki", format: "der" });
	return { cert, key,
	    spki: createHash("sha256").update(spki).digest("base64") };
}

// ---------------------------------------------------------- browser tests

// Send 1 MiB + strings + Blobs through the echo route; check the hashes
// the page saw and the bytes the backend got.
async function echoCheck(page, echo, url, binaryType) {
	const before = echo.conns.length;
	const r = await page.evaluate(([u, bt]) => window.e2e.echo(u, bt, 1),
	    [url, binaryType]);
	eq(r.protocol, "binary", "selected subprotocol");
	eq(r.gotBytes, r.sentBytes, "bytes echoed");
	eq(r.gotHash, r.sentHash, "SHA-256 of the echoed stream");
	eq(r.types, [binaryType === "blob" ? "Blob" : "ArrayBuffer"],
	    "message types");
	check(r.largest <= 65536, "messages of at most 64 KiB", r.largest);
	eq(r.close, { code: 1000, reason: "", wasClean: true }, "close event");
	const c = await until(() => echo.conns.length > before &&
	    echo.conns[before].done && echo.conns[before], 5000,
	    "the backend connection to end");
	eq(c.bytes, r.sentBytes, "bytes at the backend");
	eq(c.digest, r.sentHash, "SHA-256 at the backend");
	return `${r.sentBytes} bytes, ${r.messages} messages back, ` +
	    `sha256 ${r.sentHash.slice(0, 16)}...`;
}

// Browser-side API tests against the echo / hang-up / dead backends; over
// wss:// on a TLS listener with the throwaway certificate.
async function browserTests(browser, tls) {
	const [pageP, otherP, tlsP, echoP, hangP, deadP] = await freePorts(6);
	const echo = await listen(echoBackend(), echoP);
	await listen(hangupBackend("bye from the backend\n"), hangP);
	const origin = `http://127.0.0.1:${pageP}`;
	const other = `http://127.0.0.1:${otherP}`;
	const secure = `https://127.0.0.1:${tlsP}`;
	const route = (name, port) => `
[route:${name}]
path = /${name}
backend = 127.0.0.1:${port}
origins = ${origin}
origins = ${secure}
`;
	// Two plain listeners (the page from the second has another origin)
	// and a TLS one.
	const gw = await startWsgate("wsgate", `; generated by tests/e2e/run.mjs
[gateway]
listen = 127.0.0.1:${pageP}
listen = 127.0.0.1:${otherP}
listen = 127.0.0.1:${tlsP} tls
tls_cert = ${tls.cert}
tls_key = ${tls.key}
web_root = ${path.join(HERE, "page")}
close_timeout = 5
drain_timeout = 2
${route("echo", echoP)}${route("hangup", hangP)}${route("down", deadP)}`,
	    3);
	const ws = `ws://127.0.0.1:${pageP}`;
	const context = await browser.newContext({
	    viewport: { width: 900, height: 900 } });
	const page = await context.newPage();
	const consoleLines = [];
	page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
	page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e}`));

	try {
		// "/" serves web_root/index.html.
		const first = await page.goto(`${origin}/`);
		await test("page served from web_root", async () => {
			eq(first.status(), 200, "status");
			const type = first.headers()["content-type"];
			check(/^text\/html/.test(type), "content-type", type);
			eq(await page.evaluate(() => typeof window.e2e),
			    "object", "e2e.js loaded");
			return `${origin}/ -> index.html, e2e.js`;
		}, page);

		await test("readyState, subprotocol, close 1000", async () => {
			const r = await page.evaluate(([u]) => window.e2e.lifecycle(
			    u, 1000, "normal close"), [`${ws}/echo`]);
			eq(r.states, [0, 1, 2, 3], "readyState CONNECTING, OPEN, " +
			    "CLOSING, CLOSED");
			eq(r.protocol, "binary", "selected subprotocol");
			eq(r.extensions, "", "extensions");
			eq(r.events, ["open", "close"], "events");
			// The close event reports the server's close frame: wsgate
			// echoes the code, not the reason (RFC 6455 5.5.1, 7.1.5).
			eq(r.close, { code: 1000, reason: "", wasClean: true },
			    "close event");
			return JSON.stringify(r.close);
		}, page);

		await test("close 4000 with a reason", async () => {
			const mark = gw.output.length;
			const r = await page.evaluate(([u]) => window.e2e.lifecycle(
			    u, 4000, "app-defined: bye \u2713"), [`${ws}/echo`]);
			eq(r.close, { code: 4000, reason: "", wasClean: true },
			    "close event (the code echoed)");
			await until(() => /close client=\S+ route=echo .*code=4000 by=client/
			    .test(logSince(gw, mark)), 5000, "close line, code=4000");
			return JSON.stringify(r.close);
		}, page);

		for (const binaryType of ["arraybuffer", "blob"])
			await test(`echo 1 MiB + strings + Blobs, binaryType ` +
			    binaryType, () => echoCheck(page, echo, `${ws}/echo`,
			    binaryType), page);

		await test("canvas PNG as a Blob, echoed and decoded", async () => {
			const r = await page.evaluate(([u]) => window.e2e.picture(u),
			    [`${ws}/echo`]);
			eq(r.gotHash, r.sentHash, "SHA-256 of the echoed PNG");
			eq([r.width, r.height], [320, 160], "decoded image size");
			return `${r.sentBytes} bytes PNG`;
		}, page);

		await test("text arrives at the backend as UTF-8", async () => {
			const text = "caf\u00e9 \u00fcber \u2713 \u65e5\u672c " +
			    "\ud83d\ude00 \u0000 end";
			const before = echo.conns.length;
			const r = await page.evaluate(([u, t]) => window.e2e.text(u, t),
			    [`${ws}/echo`, text]);
			const c = await until(() => echo.conns.length > before &&
			    echo.conns[before].done && echo.conns[before], 5000,
			    "the backend connection to end");
			const want = Buffer.from(text, "utf8");
			const got = Buffer.concat(c.head);
			eq(got.toString("hex"), want.toString("hex"),
			    "bytes at the backend");
			eq(r.echoed, text, "text decoded from the binary echo");
			eq(r.types, ["ArrayBuffer"], "echo arrives as binary");
			return `${want.length} bytes: ${got.toString("hex").slice(0, 24)}...`;
		}, page);

		await test("disallowed origin: error, close 1006, wsgate logs 403",
		    async () => {
			const p2 = await context.newPage();
			try {
				await p2.goto(`${other}/index.html`);
				const mark = gw.output.length;
				const r = await p2.evaluate(([u]) => window.e2e.refused(u),
				    [`${ws}/echo`]);
				eq(r.events, ["error", "close"], "events");
				eq(r.close, { code: 1006, reason: "", wasClean: false },
				    "close event");
				eq(r.states, [0, 3], "readyState");
				const line = await until(() => logSince(gw, mark)
				    .split("\n").find((l) => / reject .*status=403 /
				    .test(l)), 5000, "a reject status=403 log line");
				check(line.includes(`origin="${other}"`) &&
				    line.includes("route=echo"), "reject line names the " +
				    "origin and route", line);
				return line.replace(/^\S+ /, "");
			} finally {
				await p2.close();
			}
		}, page);

		await test("backend down: connection fails, wsgate answered 502",
		    async () => {
			const mark = gw.output.length;
			const r = await page.evaluate(([u]) => window.e2e.refused(u),
			    [`${ws}/down`]);
			eq(r.events, ["error", "close"], "events");
			eq(r.close, { code: 1006, reason: "", wasClean: false },
			    "close event");
			const line = await until(() => logSince(gw, mark).split("\n")
			    .find((l) => / reject .*status=502 .*route=down/.test(l)),
			    5000, "a reject status=502 log line");
			check(line.includes(`path="/down" origin="${origin}"`),
			    "the 502 line names path and origin", line);
			return line.replace(/^\S+ /, "");
		}, page);

		await test("backend hangs up: its bytes, then a clean close 1000",
		    async () => {
			const r = await page.evaluate(([u]) => window.e2e.hangup(u),
			    [`${ws}/hangup`]);
			eq(r.text, "bye from the backend\n", "bytes before the close");
			eq(r.close.code, 1000, "close code");
			eq(r.close.wasClean, true, "wasClean");
			eq(r.events[0], "open", "first event");
			eq(r.events[r.events.length - 1], "close", "last event");
			check(!r.events.includes("error"), "no error event", r.events);
			return JSON.stringify(r.close);
		}, page);

		await test("wss:// page and echo, throwaway certificate",
		    async () => {
			const p3 = await context.newPage();
			try {
				const r = await p3.goto(`${secure}/index.html`);
				eq(r.status(), 200, "https page status");
				return await echoCheck(p3, echo,
				    `wss://127.0.0.1:${tlsP}/echo`, "arraybuffer");
			} finally {
				await p3.close();
			}
		}, page);
		await test("https:// page and wss:// share one HTTP/2 " +
		    "connection (RFC 8441)", async () => {
			// A context of its own: no connection pooled from the
			// tests before.
			const ctx = await browser.newContext();
			const mark = gw.output.length;
			try {
				const p5 = await ctx.newPage();
				const r = await p5.goto(`${secure}/index.html`);
				eq(r.status(), 200, "https page status");
				const detail = await echoCheck(p5, echo,
				    `wss://127.0.0.1:${tlsP}/echo`, "arraybuffer");
				// Two sockets to two routes at once, on the same
				// connection as the page and the first socket.
				const two = await p5.evaluate(([a, b]) =>
				    new Promise((resolve) => {
					const out = { echo: null, bye: "", closes: {} };
					const w1 = new WebSocket(a, ["binary"]);
					const w2 = new WebSocket(b, ["binary"]);
					w1.binaryType = w2.binaryType = "arraybuffer";
					const done = () => Object.keys(out.closes)
					    .length === 2 && resolve(out);
					w1.onopen = () => w1.send(new Uint8Array([7, 8, 9]));
					w1.onmessage = (e) => {
						out.echo = Array.from(new Uint8Array(e.data));
						w1.close(1000);
					};
					w2.onmessage = (e) => {
						out.bye += new TextDecoder().decode(e.data);
					};
					w1.onclose = (e) => { out.closes.echo = e.code; done(); };
					w2.onclose = (e) => { out.closes.hangup = e.code; done(); };
					setTimeout(() => resolve(out), 5000);
				    }), [`wss://127.0.0.1:${tlsP}/echo`,
				    `wss://127.0.0.1:${tlsP}/hangup`]);
				eq(two.echo, [7, 8, 9], "second echo socket's bytes");
				eq(two.bye, "bye from the backend\n", "hangup bytes");
				eq([two.closes.echo, two.closes.hangup], [1000, 1000],
				    "close codes (echo, hangup)");
				const log = await until(() => {
					const l = logSince(gw, mark);
					return (l.match(/close client=\S+ route=(echo|hangup) .*proto=/g)
					    || []).length >= 3 && l;
				}, 5000, "three close lines");
				const tlsLines = log.split("\n")
				    .filter((l) => / tls client=/.test(l));
				const closes = log.split("\n").filter((l) =>
				    /close client=\S+ route=(echo|hangup) /.test(l));
				eq(closes.length, 3, "sessions");
				check(closes.every((l) => /proto=h2/.test(l)),
				    "every socket rode HTTP/2 (proto=h2)", closes);
				check(closes.some((l) => /route=hangup/.test(l)),
				    "one socket to another route", closes);
				eq(tlsLines.length, 1, "TLS connections");
				check(/alpn=h2/.test(tlsLines[0]), "ALPN h2",
				    tlsLines[0]);
				return `1 TLS connection (alpn=h2) for the page ` +
				    `and 3 sockets on 2 routes; ${detail}`;
			} finally {
				await ctx.close();
			}
		}, page);
		await test("wss:// refused without the SPKI pin", async () => {
			// A browser that does not trust the certificate.
			const b2 = await launch();
			try {
				const p4 = await b2.newPage();
				await p4.goto(`${origin}/index.html`);
				const r = await p4.evaluate(([u]) =>
				    window.e2e.refused(u),
				    [`wss://127.0.0.1:${tlsP}/echo`]);
				eq(r.events, ["error", "close"], "events");
				eq(r.close.code, 1006, "close code");
				return "certificate not trusted: error, 1006";
			} finally {
				await b2.close();
			}
		}, page);

		{
			const shot = path.join(ARTIFACTS, "e2e-page.png");
			await page.screenshot({ path: shot, fullPage: true });
			console.log(`screenshot ${path.relative(ROOT, shot)}`);
		}
		if (failed && consoleLines.length)
			console.log("page console:\n" + tail(consoleLines.join("\n"), 30));
	} finally {
		await context.close().catch(() => {});
		await stopWsgate(gw);
	}
}

// ------------------------------------------------------------------ noVNC

function xsetroot(display, colour) {
	execFileSync("xsetroot", ["-display", display, "-solid", colour],
	    { timeout: 10000 });
}

// The colour noVNC shows at (x, y) of its canvas, as #rrggbb.
async function canvasColour(page, x, y, sel = "#screen canvas") {
	return page.evaluate(([px, py, s]) => {
		const c = document.querySelector(s);
		if (!c || c.width === 0)
			return null;
		const d = c.getContext("2d").getImageData(px, py, 1, 1).data;
		return "#" + [d[0], d[1], d[2]].map((v) =>
		    v.toString(16).padStart(2, "0")).join("");
	}, [x, y, sel]);
}

// The README's headline configuration, verbatim but for the ports: noVNC's
// own files from wsgate's web_root, the VNC server behind /websockify.  It
// is the committed etc/novnc.ini, word for word.
function readmeNovnc(webP, vncP) {
	const md = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
	const m = md.match(/<!-- e2e: novnc\.ini .*-->\n```ini\n([^`]*)```/);
	if (!m)
		throw new Error("README.md has no ```ini block after " +
		    "<!-- e2e: novnc.ini ... -->");
	const file = fs.readFileSync(path.join(ROOT, "etc/novnc.ini"), "utf8");
	if (m[1] !== file)
		throw new Error("README.md's novnc.ini block is not " +
		    "etc/novnc.ini: make them the same");
	return "; README.md's novnc.ini, ports replaced by tests/e2e/run.mjs\n" +
	    m[1].replaceAll("127.0.0.1:8080", `127.0.0.1:${webP}`)
	    .replaceAll("127.0.0.1:5900", `127.0.0.1:${vncP}`)
	    .replace(/^web_root = .*$/m, (l) => (process.env.NOVNC_DIR ?
	    `web_root = ${NOVNC}` : l) + "\ndrain_timeout = 2");
}

// The README's shell lines for the desktop and the VNC server, in the
// block after "<!-- e2e: novnc.sh": {xvfb, storepasswd, x11vnc, password}.
// Each runs as written, but for its display (":5"), port (5900) and
// password directory (~/.vnc), and without "&" (the test starts and stops
// them).  The xterm line is left out: the keyboard test starts its own.
function readmeNovncShell() {
	const md = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
	const m = md.match(/<!-- e2e: novnc\.sh .*-->\n```sh\n([^`]*)```/);
	if (!m)
		throw new Error("README.md has no ```sh block after " +
		    "<!-- e2e: novnc.sh ... -->");
	const lines = m[1].split("\n");
	const find = (re, what) => {
		const l = lines.find((x) => re.test(x));
		if (!l)
			throw new Error(`README.md's novnc.sh block has no ${what}`);
		return l;
	};
	const storepasswd = find(/x11vnc -storepasswd /, "x11vnc -storepasswd");
	return {
		xvfb: find(/^Xvfb :5 /, "Xvfb :5 line").replace(/ &.*$/, ""),
		storepasswd,
		x11vnc: find(/^x11vnc -display :5 /, "x11vnc -display :5 line")
		    .replace(/ &\s*$/, ""),
		password: storepasswd.match(/-storepasswd (\S+) /)[1],
	};
}

// The README's Xvfb line on a display nothing else uses (several runs and
// other X servers share this machine): a few tries.
async function startReadmeXvfb(line) {
	for (let attempt = 0; attempt < 5; attempt++) {
		const n = 400 + Math.floor(Math.random() * 200);
		if (fs.existsSync(`/tmp/.X11-unix/X${n}`) ||
		    fs.existsSync(`/tmp/.X${n}-lock`))
			continue;
		const p = start("xvfb", "/bin/sh", ["-c", "exec " +
		    line.replaceAll(":5 ", `:${n} `)]);
		const up = await until(() => {
			if (p.exitCode !== null)
				return "exited";
			return fs.existsSync(`/tmp/.X11-unix/X${n}`) && "up";
		}, 15000, "Xvfb's socket");
		if (up === "up") {
			p.display = `:${n}`;
			return p;
		}
	}
	throw new Error("the README's Xvfb line did not start on a free " +
	    "display in 5 tries");
}

async function novncTests(browser, tls) {
	if (ONLY && !/novnc/i.test(ONLY))
		return;
	let xvfb, vnc, gw, xterm, context;
	try {
		const sh = readmeNovncShell();
		xvfb = await startReadmeXvfb(sh.xvfb);
		const display = xvfb.display;
		xsetroot(display, "#3366cc");
		const [vncP, webP, tlsP] = await freePorts(3);
		// No terminal: -storepasswd must not ask anything.
		const vncDir = path.join(tmp, "vnc");
		const local = (l) => l.replaceAll("~/.vnc", vncDir)
		    .replaceAll(":5 ", `${display} `)
		    .replaceAll(" 5900 ", ` ${vncP} `);
		execFileSync("/bin/sh", ["-c", local(sh.storepasswd)],
		    { stdio: ["ignore", "pipe", "pipe"], timeout: 10000 });
		vnc = start("x11vnc", "/bin/sh", ["-c", "exec " +
		    local(sh.x11vnc)]);
		const pw = encodeURIComponent(sh.password);
		await until(async () => {
			if (vnc.exitCode !== null)
				throw new Error("x11vnc exited:\n" + tail(vnc.output));
			return canConnect(vncP);
		}, 20000, "x11vnc to listen");
		// Plus a TLS listener, as a real deployment has, and a route
		// that picks the desktop by token (README, "Routing by
		// token"): a websockify token file.
		const tokens = path.join(tmp, "novnc-tokens.txt");
		fs.writeFileSync(tokens, `desk1: 127.0.0.1:${vncP}\n`);
		gw = await startWsgate("wsgate-novnc", readmeNovnc(webP, vncP)
		    .replace(/^listen = .*$/m, (l) => `${l}
listen = 127.0.0.1:${tlsP} tls
tls_cert = ${tls.cert}
tls_key = ${tls.key}`) + `origins = https://127.0.0.1:${tlsP}\n` + `
[route:consoles]
path = /consoles
targets = ${tokens}
allowed_targets = 127.0.0.1:${vncP}
origins = http://127.0.0.1:${webP}
`, 2);
		context = await browser.newContext({
		    viewport: { width: 820, height: 680 } });
		const page = await context.newPage();
		const url = `http://127.0.0.1:${webP}/vnc_lite.html?host=127.0.0.1` +
		    `&port=${webP}&path=websockify&password=${pw}`;
		const errors = [];
		page.on("pageerror", (e) => errors.push(String(e)));
		page.on("response", (r) => {
			if (r.status() >= 400)
				errors.push(`${r.status()} ${r.url()}`);
		});

		await test("noVNC vnc_lite.html connects through wsgate", async () => {
			await page.goto(url);
			await until(async () => /^Connected to/.test(
			    await page.textContent("#status")), 20000,
			    "#status 'Connected to'");
			check(errors.length === 0, "page errors", errors);
			return (await page.textContent("#status")).trim();
		});

		await test("noVNC canvas shows the X root colour #3366cc", async () => {
			await until(async () => await canvasColour(page, 700, 500) ===
			    "#3366cc", 15000, "canvas pixel #3366cc");
			return "pixel (700,500) = #3366cc";
		});

		await test("noVNC canvas follows xsetroot #cc3333", async () => {
			xsetroot(display, "#cc3333");
			await until(async () => await canvasColour(page, 700, 500) ===
			    "#cc3333", 15000, "canvas pixel #cc3333");
			await until(async () => await canvasColour(page, 10, 590) ===
			    "#cc3333", 5000, "canvas pixel (10,590) #cc3333");
			return "pixel (700,500) = #cc3333";
		});

		await test("noVNC keyboard reaches a program in the session",
		    async () => {
			const out = path.join(tmp, "typed.txt");
			xterm = start("xterm", "xterm", ["-display", display,
			    "-geometry", "40x6+0+0", "-bg", "white", "-fg", "black",
			    "-e", "/bin/sh", "-c", `exec cat > ${out}`]);
			await until(() => fs.existsSync(out), 15000, "xterm to start");
			// No window manager: the keyboard follows the pointer, so
			// click into the xterm (this also focuses noVNC's canvas).
			const canvas = await page.$("#screen canvas");
			const box = await canvas.boundingBox();
			const typed = "hello through wsgate 123";
			await until(async () => {
				await page.mouse.click(box.x + 60, box.y + 30);
				await page.keyboard.type("x");
				await page.keyboard.press("Enter");
				return fs.readFileSync(out, "utf8").includes("x\n");
			}, 15000, "a first typed line in the xterm");
			await page.keyboard.type(typed);
			await page.keyboard.press("Enter");
			await until(() => fs.readFileSync(out, "utf8")
			    .includes(typed + "\n"), 10000, "the typed line");
			// Let noVNC draw the echoed text before the screenshot.
			await sleep(500);
			return JSON.stringify(typed) + " read by cat in an xterm";
		});

		{
			const shot = path.join(ARTIFACTS, "novnc.png");
			await page.screenshot({ path: shot });
			console.log(`screenshot ${path.relative(ROOT, shot)}`);
		}

		await test("noVNC over https:// and wss://", async () => {
			const p2 = await context.newPage();
			try {
				// vnc_lite.html uses wss:// on an https:// page, and
				// the page's own host and port.
				await p2.goto(`https://127.0.0.1:${tlsP}/vnc_lite.html` +
				    `?password=${pw}`);
				await until(async () => /^Connected to/.test(
				    await p2.textContent("#status")), 20000,
				    "#status 'Connected to'");
				await until(async () => await canvasColour(p2, 700,
				    500) === "#cc3333", 15000, "canvas pixel #cc3333");
				return (await p2.textContent("#status")).trim() +
				    `, https://127.0.0.1:${tlsP}/vnc_lite.html`;
			} finally {
				await p2.close();
			}
		});

		await test("noVNC vnc.html (full client) autoconnects", async () => {
			const p2 = await context.newPage();
			const bad = [];
			p2.on("pageerror", (e) => bad.push(String(e)));
			p2.on("response", (r) => {
				// ui.js fetches ./package.json for its version
				// string; Debian's novnc does not ship one.
				if (r.status() >= 400 &&
				    !r.url().endsWith("/package.json"))
					bad.push(`${r.status()} ${r.url()}`);
			});
			try {
				// The README's URL: host, port and path default to
				// the page's own and "websockify".
				await p2.goto(`http://127.0.0.1:${webP}/vnc.html?` +
				    `autoconnect=1&password=${pw}`);
				await until(() => p2.evaluate(() => document
				    .documentElement.classList
				    .contains("noVNC_connected")), 20000,
				    "<html class=noVNC_connected>");
				await until(async () => await canvasColour(p2, 700,
				    500, "#noVNC_container canvas") === "#cc3333",
				    15000, "canvas pixel #cc3333");
				check(bad.length === 0, "failed requests or page errors",
				    bad);
				return "noVNC_connected, pixel (700,500) = #cc3333";
			} finally {
				await p2.close();
			}
		});

		await test("noVNC vnc.html over https://: connections, TLS " +
		    "handshakes and load time, first load and reload", async () => {
			// A fresh context: an empty cache and no pooled connection.
			const ctx = await browser.newContext();
			try {
				const p2 = await ctx.newPage();
				const statuses = [];
				const open = new Set();
				// Answered: its response head came (Playwright never
				// reports the 404 package.json fetch as finished).
				p2.on("request", (r) => open.add(r));
				p2.on("requestfailed", (r) => open.delete(r));
				p2.on("response", (r) => {
					open.delete(r.request());
					statuses.push(r.status());
				});
				const load = async (fn) => {
					statuses.length = 0;
					const mark = gw.output.length;
					const seen = new Set([...gw.output.matchAll(
					    /client=(127\.0\.0\.1:\d+)/g)].map((m) => m[1]));
					await fn();
					// Late module imports and fetches too: no request
					// open for half a second.
					await p2.waitForLoadState("load");
					let quiet = 0;
					await until(async () => {
						quiet = open.size === 0 ? quiet + 1 : 0;
						if (quiet >= 5)
							return true;
						await sleep(100);
						return false;
					}, 15000, "every request answered: open " +
					    JSON.stringify([...open].map((r) => r.url())));
					const ms = await p2.evaluate(() => Math.round(
					    performance.getEntriesByType("navigation")[0]
					    .loadEventEnd));
					const log = logSince(gw, mark);
					// New connections: addresses not seen before.
					const conns = new Set([...log.matchAll(
					    /client=(127\.0\.0\.1:\d+)/g)].map((m) => m[1])
					    .filter((a) => !seen.has(a)));
					const tlsHs = (log.match(/ debug tls client=/g) ||
					    []).length;
					// What the gateway answered (the page sees a 304
					// as the cached 200, or 206 for media).
					const by = {};
					for (const m of log.matchAll(/ web client=\S+ status=(\d+)/g))
						by[m[1]] = (by[m[1]] || 0) + 1;
					return { conns: conns.size, tls: tlsHs, ms,
					    requests: statuses.length, by };
				};
				const first = await load(() => p2.goto(
				    `https://127.0.0.1:${tlsP}/vnc.html`));
				const again = await load(() => p2.reload());
				const fig = `first load: ${first.requests} requests ` +
				    `(gateway: ${JSON.stringify(first.by)}), ` +
				    `${first.conns} connections, ${first.tls} TLS ` +
				    `handshakes, ${first.ms} ms; reload: ` +
				    `${again.requests} requests (gateway: ` +
				    `${JSON.stringify(again.by)}), ${again.conns} new ` +
				    `connections, ${again.tls} TLS handshakes, ` +
				    `${again.ms} ms`;
				console.log(`     ${fig}`);
				fs.writeFileSync(path.join(ARTIFACTS,
				    "novnc-https-load.txt"), fig + "\n");
				check(first.conns <= 6, "connections on the first " +
				    "load (want at most 6)", first.conns);
				check(first.tls <= 6, "TLS handshakes on the first " +
				    "load (want at most 6)", first.tls);
				// Every file revalidated: 304s, but package.json,
				// which Debian's novnc does not ship (404).
				eq(Object.keys(again.by).sort(), ["304", "404"],
				    "the gateway's answers on the reload");
				check(again.by["404"] === 1 && again.conns <= 6,
				    "reload", again);
				return fig;
			} finally {
				await ctx.close();
			}
		});

		await test("noVNC vnc.html picks its desktop by token", async () => {
			const p2 = await context.newPage();
			try {
				// The README's URL form: path=websockify%3Ftoken%3DNAME.
				await p2.goto(`http://127.0.0.1:${webP}/vnc.html?` +
				    `autoconnect=1&password=${pw}` +
				    "&path=consoles%3Ftoken%3Ddesk1");
				await until(() => p2.evaluate(() => document
				    .documentElement.classList
				    .contains("noVNC_connected")), 20000,
				    "<html class=noVNC_connected>");
				await until(async () => await canvasColour(p2, 700,
				    500, "#noVNC_container canvas") === "#cc3333",
				    15000, "canvas pixel #cc3333");
				return "token desk1: noVNC_connected, pixel (700,500) " +
				    "= #cc3333";
			} finally {
				await p2.close();
			}
		});
	} finally {
		if (context)
			await context.close().catch(() => {});
		for (const p of [xterm, vnc, xvfb])
			if (p)
				await stop(p);
		if (gw)
			await stopWsgate(gw);
	}
}

// ------------------------------------------------------------------- main

async function main() {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	if (!fs.existsSync(BINARY))
		throw new Error(`no wsgate binary at ${BINARY} (run make)`);
	const tls = makeCert();
	const browser = await launch(
	    [`--ignore-certificate-errors-spki-list=${tls.spki}`]);
	console.log(`chromium ${browser.version()}, playwright-core ` +
	    `${JSON.parse(fs.readFileSync(path.join(HERE,
	    "node_modules/playwright-core/package.json"))).version}, ` +
	    `node ${process.version}, wsgate ${path.relative(ROOT, BINARY)}`);
	try {
		// A part that cannot even start counts as one failure; the
		// other part still runs.
		for (const [part, fn] of [["browser", () => browserTests(browser,
		    tls)], ["noVNC", () => novncTests(browser, tls)]]) {
			try {
				await fn();
			} catch (e) {
				failed++;
				console.log(`FAIL ${part} tests: ` +
				    `${e && e.stack ? e.stack : e}`);
			}
		}
	} finally {
		await browser.close().catch(() => {});
	}
}

async function cleanup() {
	for (const s of servers)
		s.close();
	await Promise.all([...children].map(stop));
	fs.rmSync(tmp, { recursive: true, force: true });
}

function finish(code) {
	console.log(`RESULT ${LABEL}: ${passed} passed, ${failed} failed`);
	process.exit(code);
}

const watchdog = setTimeout(async () => {
	console.log(`FAIL suite: still running after ${SUITE_TIMEOUT} ms`);
	failed++;
	await cleanup().catch(() => {});
	finish(1);
}, SUITE_TIMEOUT);

for (const sig of ["SIGINT", "SIGTERM"])
	process.on(sig, async () => {
		console.log(`FAIL suite: interrupted by ${sig}`);
		failed++;
		await cleanup().catch(() => {});
		finish(1);
	});

const t0 = Date.now();
try {
	await main();
} catch (e) {
	failed++;
	console.log(`FAIL suite: ${e && e.stack ? e.stack : e}`);
}
await cleanup().catch((e) => console.log(`cleanup: ${e}`));
clearTimeout(watchdog);
console.log(`e2e took ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
    `logs and screenshots in ${path.relative(ROOT, ARTIFACTS)}/`);
finish(failed ? 1 : 0);
