import type { AuthnRequest } from "../guard-api.js";

/** Where cookie-authenticated calls may come from. */
export interface CsrfOptions {
  /**
   * Origins (scheme://host[:port], exactly as browsers send `Origin`) allowed
   * to make cookie-authenticated calls besides the API's own origin, e.g. the
   * web app's origin when it is served from another host than the API.
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Also admit `Sec-Fetch-Site: same-site` (another port or subdomain of the
   * same site). Off by default: any app on the site could then use the cookie.
   */
  readonly allowSameSite?: boolean;
}

/** The policy, checked once at creation. */
export interface CsrfPolicy {
  readonly allowedOrigins: ReadonlySet<string>;
  readonly allowSameSite: boolean;
}

/** A problem with the options: where, what is wrong, how to fix it. */
export type OptionProblem = readonly [where: string, problem: string, fix: string];

/** Problems with the options; empty when they are usable. */
export function csrfPolicyProblems(options: CsrfOptions | undefined): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const origins: unknown = options?.allowedOrigins ?? [];
  if (!Array.isArray(origins)) return [["csrf.allowedOrigins", "is not a list of origins", 'give e.g. ["https://app.example.com"]']];
  for (const origin of origins) {
    if (serializedOrigin(origin) === undefined) {
      problems.push([
        "csrf.allowedOrigins",
        `${JSON.stringify(String(origin)).slice(0, 120)} is not an origin as browsers send it`,
        'write lowercase scheme://host[:port], no default port, no path or trailing slash, e.g. "https://app.example.com"',
      ]);
    }
  }
  const sameSite = options?.allowSameSite;
  if (sameSite !== undefined && typeof sameSite !== "boolean")
    problems.push(["csrf.allowSameSite", "is not a boolean", "give true or false"]);
  return problems;
}

export function csrfPolicy(options: CsrfOptions | undefined): CsrfPolicy {
  return {
    allowedOrigins: new Set(options?.allowedOrigins ?? []),
    allowSameSite: options?.allowSameSite === true,
  };
}

/** The origin exactly as browsers send it in `Origin` (lowercase, no default port, no path), or undefined. */
function serializedOrigin(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a call carrying a cookie credential must be refused as a possible
 * cross-site request forgery, or undefined when it shows it is not one.
 *
 * A browser attaches cookies to requests any site makes, but a script cannot
 * set `Sec-Fetch-Site` or `Origin`: a request that shows same-origin (or an
 * allowed origin) was made by a page the API trusts. A GET can be made by an
 * `<img>` or a link with no preflight, so it carries the cookie only to RPCs
 * declared free of side effects.
 */
export function crossSiteRefusal(request: AuthnRequest, policy: CsrfPolicy): string | undefined {
  const method = request.httpMethod;
  if (typeof method !== "string") return "the server adapter does not report the HTTP method, so a GET cannot be told from a POST";
  if ((method === "GET" || method === "HEAD") && request.noSideEffects !== true) {
    return `${method} on an RPC not declared idempotency_level = NO_SIDE_EFFECTS`;
  }
  const site = request.header.get("sec-fetch-site");
  if (site === "same-origin" || (site === "same-site" && policy.allowSameSite)) return undefined;
  const origin = request.header.get("origin");
  if (origin !== null && policy.allowedOrigins.has(origin)) return undefined;
  return `the request does not show an allowed origin (Sec-Fetch-Site: ${shown(site)}, Origin: ${shown(origin)})`;
}

/** A header value for the audit detail: quoted, cut short (it is the caller's input). */
function shown(value: string | null): string {
  if (value === null) return "absent";
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
