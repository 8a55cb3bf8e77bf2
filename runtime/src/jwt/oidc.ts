import { FetchGate } from "./backoff.js";
import { fetchJson } from "./fetch-json.js";

/**
 * OIDC discovery: the issuer's /.well-known/openid-configuration names its
 * JWKS URL. Fetched once, capped in size, with a timeout; failures are
 * retried with backoff (1 s doubling to 60 s), one request at a time, and
 * while no document was fetched every request fails as unavailable.
 */
export function discoverJwksUrl(issuer: URL, timeoutMs: number, maxBytes: number): { jwksUrl(): Promise<URL> } {
  let found: URL | undefined;
  const gate = new FetchGate(async () => {
    const base = issuer.href.endsWith("/") ? issuer.href : `${issuer.href}/`;
    const document = (await fetchJson(new URL(".well-known/openid-configuration", base), "OIDC discovery", timeoutMs, maxBytes)) as {
      issuer?: unknown;
      jwks_uri?: unknown;
    } | null;
    if (document?.issuer !== issuer.href && document?.issuer !== issuer.href.replace(/\/$/, "")) {
      throw new Error(`discovery document names issuer ${JSON.stringify(document?.issuer)}, not ${issuer.href}`);
    }
    if (typeof document.jwks_uri !== "string") throw new Error("discovery document has no jwks_uri");
    found = new URL(document.jwks_uri);
    return found;
  });
  const fail = (error: unknown): never => {
    throw new Error(`OIDC discovery for ${issuer.href} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  };
  gate.run().catch(() => {}); // start early; requests see the outcome

  return {
    async jwksUrl() {
      if (found !== undefined) return found;
      if (!gate.allowed(0)) throw new Error(`OIDC discovery for ${issuer.href} is backing off after: ${gate.lastError}`);
      return gate.run().catch(fail);
    },
  };
}
