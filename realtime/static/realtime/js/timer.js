/**
 * Reconnect timer and backoff functions, after phoenix.js's Timer.
 * @module realtime/timer
 */

/** Default backoff: full jitter, base 500 ms, cap 30 s. */
export const DEFAULT_BACKOFF = Object.freeze({ base: 500, cap: 30_000, min: 0 });
/** Long backoff (close codes 4008, 4013, and 1008, 1013): never under 15 s, cap 2 min. */
export const LONG_BACKOFF = Object.freeze({ base: 15_000, cap: 120_000, min: 15_000 });

/**
 * An exponential backoff with full jitter: delay for try n (1-based) is
 * `min + random() * min(cap - min, base * 2^(n-1))`, so it lies in
 * [min, min(cap, min + base * 2^(n-1))).
 * @param {{base?: number, cap?: number, min?: number, random?: () => number}} [options]
 * @returns {(tries: number) => number} milliseconds for the given try
 */
export function exponentialBackoff({
  base = DEFAULT_BACKOFF.base,
  cap = DEFAULT_BACKOFF.cap,
  min = 0,
  random = Math.random,
} = {}) {
  return (tries) => {
    const spread = Math.min(cap - min, base * 2 ** Math.max(0, tries - 1));
    return Math.floor(min + random() * spread);
  };
}

/**
 * Calls `callback` after `timerCalc(tries)` ms, counting the tries until reset().
 */
export class Timer {
  /**
   * @param {() => void} callback - run when the timer fires
   * @param {(tries: number) => number} timerCalc - delay in ms for the next try (1-based)
   * @param {{setTimeout?: Function, clearTimeout?: Function}} [scheduler] - injectable for tests
   */
  constructor(callback, timerCalc, scheduler = {}) {
    const set = scheduler.setTimeout ?? globalThis.setTimeout;
    const clear = scheduler.clearTimeout ?? globalThis.clearTimeout;
    // Called detached: browsers refuse setTimeout with a foreign `this`.
    this._set = (fn, ms) => set(fn, ms);
    this._clear = (id) => clear(id);
    this.callback = callback;
    this.timerCalc = timerCalc;
    this.timer = null;
    this.tries = 0;
  }

  /** Cancels a pending call and starts counting tries from zero. */
  reset() {
    this.tries = 0;
    this.cancel();
  }

  /** Cancels a pending call, keeping the count of tries. */
  cancel() {
    if (this.timer !== null) this._clear(this.timer);
    this.timer = null;
  }

  /** True while a call is scheduled. */
  get pending() {
    return this.timer !== null;
  }

  /**
   * Schedules the next try (replacing a pending one).
   * @returns {number} the delay in ms
   */
  scheduleTimeout() {
    this.cancel();
    const delay = this.timerCalc(this.tries + 1);
    this.timer = this._set(() => {
      this.timer = null;
      this.tries += 1;
      this.callback();
    }, delay);
    return delay;
  }
}
