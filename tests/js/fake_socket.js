/**
 * Test doubles: a controllable WebSocket class and a manual clock.
 */

/**
 * A new FakeWebSocket class with its own list of instances (one class per test).
 * The test drives it: open(), receive(frame), serverClose(code), fail(); it records
 * what the client sent (`sent` texts, `frames` parsed) and close() calls.
 */
export function fakeWebSocketClass() {
  class FakeWebSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    static instances = [];

    /** The newest instance. */
    static get last() {
      return FakeWebSocket.instances.at(-1);
    }

    constructor(url) {
      this.url = url;
      this.readyState = FakeWebSocket.CONNECTING;
      this.sent = [];
      this.closeCalls = [];
      this.onopen = null;
      this.onmessage = null;
      this.onclose = null;
      this.onerror = null;
      FakeWebSocket.instances.push(this);
    }

    send(text) {
      if (this.readyState === FakeWebSocket.CONNECTING) {
        throw new Error("InvalidStateError: still connecting");
      }
      if (this.readyState === FakeWebSocket.OPEN) this.sent.push(text);
    }

    close(code = 1000, reason = "") {
      this.closeCalls.push({ code, reason });
      if (this.readyState < FakeWebSocket.CLOSING) this.readyState = FakeWebSocket.CLOSING;
    }

    // Controls for the test

    /** Frames the client sent, parsed. */
    get frames() {
      return this.sent.map((text) => JSON.parse(text));
    }

    /** Sent frames of one type. */
    framesOf(type) {
      return this.frames.filter((frame) => frame.type === type);
    }

    /** Forgets what was sent so far. */
    clearSent() {
      this.sent = [];
    }

    open() {
      this.readyState = FakeWebSocket.OPEN;
      this.onopen?.({ type: "open" });
    }

    /** Delivers a server frame (an object is encoded as JSON, a string sent as is). */
    receive(frame) {
      const data = typeof frame === "string" ? frame : JSON.stringify(frame);
      this.onmessage?.({ type: "message", data });
    }

    /** Opens and sends the `connected` frame. */
    accept(data = {}) {
      this.open();
      this.receive({
        type: "connected",
        data: {
          connectionId: "c1",
          role: "guest",
          userId: null,
          namespaces: ["products"],
          heartbeat: { interval: 30_000, timeout: 5_000 },
          protocol: 1,
          ...data,
        },
      });
    }

    /** The server (or the network) closes the socket. */
    serverClose(code, reason = "", wasClean = code !== 1006) {
      this.readyState = FakeWebSocket.CLOSED;
      this.onclose?.({ type: "close", code, reason, wasClean });
    }

    /** The connection fails before or after opening, as browsers report it. */
    fail() {
      this.onerror?.({ type: "error" });
      this.serverClose(1006, "", false);
    }
  }
  return FakeWebSocket;
}

/**
 * A manual clock: setTimeout/clearTimeout to inject, tick(ms) to advance.
 * `delays` records every delay scheduled, in order.
 */
export class FakeClock {
  constructor() {
    this.now = 0;
    this.timers = new Map();
    this.delays = [];
    this.nextId = 1;
    this.setTimeout = (fn, ms = 0) => {
      const id = this.nextId++;
      this.timers.set(id, { at: this.now + ms, fn });
      this.delays.push(ms);
      return id;
    };
    this.clearTimeout = (id) => {
      this.timers.delete(id);
    };
  }

  /** Number of pending timers. */
  get pending() {
    return this.timers.size;
  }

  /** Advances time by `ms`, running due timers in order of their due time. */
  tick(ms) {
    const end = this.now + ms;
    for (;;) {
      let next = null;
      for (const [id, timer] of this.timers) {
        if (timer.at <= end && (next === null || timer.at < next[1].at)) next = [id, timer];
      }
      if (next === null) break;
      this.timers.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = end;
  }
}

/** Lets pending promise callbacks (an async token) run; waits on no timer. */
export async function settle() {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}
