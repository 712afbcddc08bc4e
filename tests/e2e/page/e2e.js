/* e2e.js -- what a real page does with the W3C WebSocket API, called by
 * tests/e2e/run.mjs through page.evaluate(); every function resolves to a
 * plain object of observations that the runner asserts on. */
"use strict";

document.getElementById("origin").textContent = location.origin;

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });
const PAGE_TIMEOUT = 30000;

function hex(buf) {
  return Array.from(new Uint8Array(buf),
      (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256(bytes) {
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

/* Bytes of anything WebSocket.send() accepts or onmessage delivers. */
async function toBytes(data) {
  if (typeof data === "string")
    return enc.encode(data);
  if (data instanceof Blob)
    return new Uint8Array(await data.arrayBuffer());
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function concat(parts) {
  const n = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

function size(data) {
  return data instanceof Blob ? data.size : data.byteLength;
}

/*
 * Open a WebSocket and record what the page can observe: events in order,
 * readyState at each step, messages, and the close event.
 */
function track(url, binaryType) {
  const ws = new WebSocket(url, ["binary"]);
  const t = { ws, events: [], states: [ws.readyState], messages: [],
    received: 0, close: null, wake: null };
  if (binaryType)
    ws.binaryType = binaryType;
  const poke = () => { if (t.wake) { const w = t.wake; t.wake = null; w(); } };
  t.opened = new Promise((resolve, reject) => {
    ws.onopen = () => {
      t.events.push("open");
      t.states.push(ws.readyState);
      resolve();
    };
    t.closed = new Promise((resolveClose) => {
      ws.onclose = (e) => {
        t.events.push("close");
        t.states.push(ws.readyState);
        t.close = { code: e.code, reason: e.reason, wasClean: e.wasClean };
        resolveClose(t.close);
        reject(new Error("closed before open: " + e.code));
        poke();
      };
    });
  });
  t.opened.catch(() => {});
  ws.onerror = () => { t.events.push("error"); };
  ws.onmessage = (e) => {
    t.events.push("message");
    t.messages.push(e.data);
    t.received += size(e.data);
    poke();
  };
  return t;
}

/* Wait until n bytes have arrived (TCP keeps no message boundaries). */
async function receive(t, n) {
  const deadline = performance.now() + PAGE_TIMEOUT;
  while (t.received < n) {
    if (t.close)
      throw new Error("closed after " + t.received + " of " + n +
          " bytes: " + JSON.stringify(t.close));
    if (performance.now() > deadline)
      throw new Error("timeout after " + t.received + " of " + n + " bytes");
    await new Promise((r) => { t.wake = r; setTimeout(r, 250); });
  }
  return concat(await Promise.all(t.messages.map(toBytes)));
}

function summary(t) {
  return { events: t.events, states: t.states, close: t.close,
    protocol: t.ws.protocol, extensions: t.ws.extensions,
    messages: t.messages.length,
    types: [...new Set(t.messages.map((m) => m.constructor.name))],
    largest: Math.max(0, ...t.messages.map(size)) };
}

function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536)  /* getRandomValues: 64k max */
    crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

function drawing() {
  const c = document.getElementById("drawing");
  const g = c.getContext("2d");
  const grad = g.createLinearGradient(0, 0, c.width, c.height);
  grad.addColorStop(0, "#3366cc");
  grad.addColorStop(1, "#cc3366");
  g.fillStyle = grad;
  g.fillRect(0, 0, c.width, c.height);
  g.strokeStyle = "#fff";
  g.lineWidth = 6;
  g.beginPath();
  for (let x = 0; x <= c.width; x += 8)
    g.lineTo(x, 80 + 50 * Math.sin(x / 25));
  g.stroke();
  g.fillStyle = "#fff";
  g.font = "bold 28px sans-serif";
  g.fillText("wsgate \u2713", 100, 40);
  return new Promise((resolve) => c.toBlob(resolve, "image/png"));
}

window.e2e = {
  /* open, then close(code, reason); readyState at every step */
  async lifecycle(url, code, reason) {
    const t = track(url, "arraybuffer");
    await t.opened;
    t.ws.close(code, reason);
    t.states.push(t.ws.readyState);           /* CLOSING right after close() */
    await t.closed;
    return summary(t);
  },

  /*
   * Send strings, ArrayBuffers, a typed-array view and Blobs through the
   * echo backend; compare the hash of everything sent with the hash of
   * the reassembled stream that came back.
   */
  async echo(url, binaryType, mib) {
    const t = track(url, binaryType);
    await t.opened;
    const big = randomBytes(mib * 1048576);
    const view = randomBytes(4096);
    const payloads = [
      "hello wsgate \u00e9\u00e8 \u2713 \ud83d\ude00\n",
      big.buffer,
      view.subarray(100, 3100),                /* a view with an offset */
      new Blob(["a blob, ", randomBytes(70000), " and text"]),
      await drawing(),
      new ArrayBuffer(0),                      /* an empty message */
      "the end\n",
    ];
    const sentParts = [];
    for (const p of payloads) {
      sentParts.push(await toBytes(p));
      t.ws.send(p);
    }
    const sent = concat(sentParts);
    const got = await receive(t, sent.byteLength);
    t.ws.close(1000, "normal close");
    await t.closed;
    return Object.assign(summary(t), {
      sentBytes: sent.byteLength, sentHash: await sha256(sent),
      gotBytes: got.byteLength, gotHash: await sha256(got) });
  },

  /* A drawing-app upload: the canvas as a PNG Blob, shown once echoed. */
  async picture(url) {
    const t = track(url, "blob");
    await t.opened;
    const png = await drawing();
    t.ws.send(png);
    await receive(t, png.size);
    const back = new Blob(t.messages, { type: "image/png" });
    const img = document.getElementById("echoed");
    await new Promise((resolve, reject) => {
      img.onload = resolve;
      img.onerror = () => reject(new Error("echoed PNG does not decode"));
      img.src = URL.createObjectURL(back);
    });
    t.ws.close(1000, "picture done");
    await t.closed;
    return Object.assign(summary(t), {
      sentBytes: png.size, sentHash: await sha256(await toBytes(png)),
      gotBytes: back.size, gotHash: await sha256(await toBytes(back)),
      width: img.naturalWidth, height: img.naturalHeight });
  },

  /* Text goes to the backend as its UTF-8 bytes; it comes back binary. */
  async text(url, text) {
    const t = track(url, "arraybuffer");
    await t.opened;
    t.ws.send(text);
    const got = await receive(t, enc.encode(text).byteLength);
    t.ws.close(1000, "text done");
    await t.closed;
    return Object.assign(summary(t), { echoed: dec.decode(got) });
  },

  /* A connection that should never open. */
  async refused(url) {
    const t = track(url, "arraybuffer");
    await t.closed;
    return summary(t);
  },

  /* The backend sends a line and hangs up: its bytes, then a close. */
  async hangup(url) {
    const t = track(url, "arraybuffer");
    await t.opened;
    await t.closed;
    return Object.assign(summary(t), {
      text: dec.decode(await receive(t, 0)) });
  },

  report(name, result, detail) {
    const tr = document.createElement("tr");
    for (const [text, cls] of [[name, ""], [result, result],
        [detail, "detail"]]) {
      const td = document.createElement("td");
      td.textContent = text;
      td.className = cls;
      tr.appendChild(td);
    }
    document.getElementById("results").appendChild(tr);
  },
};
