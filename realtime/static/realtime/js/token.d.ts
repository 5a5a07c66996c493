/** A socket token from the page's Django session (realtime/static/realtime/js/token.js). */
export function csrfToken(cookie?: string, name?: string): string;

export interface SessionTokenOptions {
  /** The token endpoint; `/api/ws/token` by default. */
  url?: string;
  /** Django's CSRF_COOKIE_NAME; `csrftoken` by default. */
  cookieName?: string;
  fetch?: typeof fetch;
}

/** A short-lived token for the signed-in user, or null (not signed in, or refused). */
export function sessionToken(options?: SessionTokenOptions): Promise<string | null>;
