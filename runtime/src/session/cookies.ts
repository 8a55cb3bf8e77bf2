import type { RequestHeaders } from "../guard-api.js";

/**
 * Every value of the cookie `name` in the request's Cookie header(s), in
 * order. Pairs are split on ";" and on "," (HTTP/2 may deliver several Cookie
 * headers, which reach us joined by ", "; a cookie value cannot hold either
 * character). A name present twice (a sibling subdomain can plant a second
 * cookie of the same name) comes back twice, for the caller to refuse.
 */
export function cookieValues(header: RequestHeaders, name: string): string[] {
  const raw = header.get("cookie");
  if (raw === null) return [];
  const found: string[] = [];
  for (const pair of raw.split(/[;,]/)) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    // RFC 6265 allows a value in double quotes.
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    found.push(value);
  }
  return found;
}

/** RFC 6265 token characters: what a cookie name may be. */
const cookieName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isCookieName(name: unknown): name is string {
  return typeof name === "string" && cookieName.test(name);
}
