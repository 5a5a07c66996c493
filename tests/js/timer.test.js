import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_BACKOFF,
  LONG_BACKOFF,
  Timer,
  exponentialBackoff,
} from "../../realtime/static/realtime/js/timer.js";
import { FakeClock } from "./fake_socket.js";

const ALMOST_ONE = 1 - Number.EPSILON;

test("default backoff: full jitter between 0 and base·2^(n-1), capped at 30 s", () => {
  assert.deepEqual(DEFAULT_BACKOFF, { base: 500, cap: 30_000, min: 0 });
  const low = exponentialBackoff({ random: () => 0 });
  const high = exponentialBackoff({ random: () => ALMOST_ONE });
  const tries = [1, 2, 3, 4, 5, 6, 7, 8, 20, 2000];
  assert.deepEqual(tries.map(low), tries.map(() => 0));
  assert.deepEqual(tries.map(high),
    [499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999, 29_999]);
});

test("backoff grows: the upper bound doubles and random draws stay inside it", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647);
  const backoff = exponentialBackoff({ random });
  for (let n = 1; n <= 12; n += 1) {
    const bound = Math.min(30_000, 500 * 2 ** (n - 1));
    for (let i = 0; i < 50; i += 1) {
      const delay = backoff(n);
      assert.ok(delay >= 0 && delay < bound, `try ${n}: ${delay} not in [0, ${bound})`);
      assert.ok(Number.isInteger(delay));
    }
  }
});

test("long backoff never under 15 s and capped", () => {
  const low = exponentialBackoff({ ...LONG_BACKOFF, random: () => 0 });
  const high = exponentialBackoff({ ...LONG_BACKOFF, random: () => ALMOST_ONE });
  assert.equal(low(1), 15_000);
  assert.equal(low(10), 15_000);
  assert.equal(high(1), 29_999);
  assert.equal(high(2), 44_999);
  assert.equal(high(50), 119_999);
});

test("Timer calls back after timerCalc(tries) and counts tries until reset", () => {
  const clock = new FakeClock();
  const calls = [];
  const asked = [];
  const timer = new Timer(() => calls.push(clock.now), (tries) => {
    asked.push(tries);
    return tries * 100;
  }, clock);
  assert.equal(timer.scheduleTimeout(), 100);
  assert.equal(timer.pending, true);
  clock.tick(99);
  assert.deepEqual(calls, []);
  clock.tick(1);
  assert.deepEqual(calls, [100]);
  assert.equal(timer.tries, 1);
  assert.equal(timer.pending, false);
  timer.scheduleTimeout();
  clock.tick(200);
  assert.equal(timer.tries, 2);
  assert.deepEqual(asked, [1, 2]);
  timer.scheduleTimeout();
  timer.reset();
  clock.tick(10_000);
  assert.equal(calls.length, 2, "reset cancels the pending call");
  assert.equal(timer.tries, 0);
  timer.scheduleTimeout();
  assert.deepEqual(asked, [1, 2, 3, 1]);
});

test("scheduleTimeout replaces a pending call", () => {
  const clock = new FakeClock();
  let calls = 0;
  const timer = new Timer(() => { calls += 1; }, () => 50, clock);
  timer.scheduleTimeout();
  timer.scheduleTimeout();
  clock.tick(1000);
  assert.equal(calls, 1);
});
