/**
 * A socket token from the page's own Django session, for RealtimeSocket's `token` option
 * (called before every connect and reconnect). POST /api/ws/token authenticates with the
 * session, so Django's CSRF check applies: the `csrftoken` cookie goes back as
 * `X-CSRFToken` (docs/client.md, "Getting an identity"). A page that is not signed in
 * gets null and stays a guest, which is what the socket's `token` option expects.
 * @module realtime/token
 */

/**
 * The value of Django's CSRF cookie, or "" when there is none (no page with a form has
 * been served; render `{% csrf_token %}` once, or the cookie is HttpOnly).
 * @param {string} [cookie] - the cookie string; the page's by default
 * @param {string} [name] - Django's CSRF_COOKIE_NAME
 * @returns {string}
 */
export function csrfToken(cookie = globalThis.document?.cookie ?? "", name = "csrftoken") {
  for (const part of cookie.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return "";
}

/**
 * A short-lived token for the signed-in user, or null (not signed in, or refused).
 * @param {object} [options]
 * @param {string} [options.url] - the token endpoint
 * @param {string} [options.cookieName] - Django's CSRF_COOKIE_NAME
 * @param {typeof fetch} [options.fetch] - for tests and other runtimes
 * @returns {Promise<string|null>}
 */
export async function sessionToken({ url = "/api/ws/token", cookieName = "csrftoken",
  fetch: fetchImpl = globalThis.fetch } = {}) {
  const response = await fetchImpl(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken(undefined, cookieName), Accept: "application/json" },
  });
  if (!response.ok) return null;
  const { token } = await response.json();
  return typeof token === "string" ? token : null;
}
