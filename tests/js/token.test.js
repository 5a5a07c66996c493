import assert from "node:assert/strict";
import { test } from "node:test";

import { csrfToken, sessionToken } from "../../realtime/static/realtime/js/token.js";

/** A fetch that answers with `status` and `body`, and keeps what it was asked. */
function fakeFetch(status, body) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    return { ok: status >= 200 && status < 300, status, json: async () => body };
  };
  return { fetch, calls };
}

test("csrfToken reads Django's cookie among others, decoded", () => {
  assert.equal(csrfToken("sessionid=abc; csrftoken=x%2By=z; theme=dark"), "x+y=z");
  assert.equal(csrfToken("csrftoken=first"), "first");
  assert.equal(csrfToken("othercsrftoken=no"), "");
  assert.equal(csrfToken(""), "");
  assert.equal(csrfToken("a=1; mycsrf=v", "mycsrf"), "v");
});

test("sessionToken posts with the CSRF header and returns the token", async (t) => {
  globalThis.document = { cookie: "csrftoken=secret" };
  t.after(() => { delete globalThis.document; });
  const { fetch, calls } = fakeFetch(200, { token: "tok", expiresIn: 60 });
  assert.equal(await sessionToken({ fetch }), "tok");
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, "/api/ws/token");
  assert.equal(calls[0].init.method, "POST");
  assert.equal(calls[0].init.credentials, "same-origin");
  assert.equal(calls[0].init.headers["X-CSRFToken"], "secret");
});

test("sessionToken is null for a page that is not signed in or is refused", async () => {
  for (const status of [401, 403, 429, 500]) {
    const { fetch } = fakeFetch(status, { detail: "no" });
    assert.equal(await sessionToken({ fetch, url: "/x" }), null, String(status));
  }
  const { fetch } = fakeFetch(200, { detail: "no token here" });
  assert.equal(await sessionToken({ fetch }), null);
});

test("the package entry point exports the helpers", async () => {
  const entry = await import("../../realtime/static/realtime/js/index.js");
  assert.equal(entry.sessionToken, sessionToken);
  assert.equal(entry.csrfToken, csrfToken);
});
