/**
 * OIDC discovery: the issuer's /.well-known/openid-configuration names its
 * JWKS URL. Fetched with a timeout; failures are retried with exponential
 * backoff (1 s doubling to 60 s), and while no document was fetched every
 * request fails as unavailable, never as allowed.
 */
export function discoverJwksUrl(issuer: URL, timeoutMs: number): { jwksUrl(): Promise<URL> } {
  let found: URL | undefined;
  let pending: Promise<URL> | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastError = "";

  const fetchDocument = async (): Promise<URL> => {
    const base = issuer.href.endsWith("/") ? issuer.href : `${issuer.href}/`;
    const response = await fetch(new URL(".well-known/openid-configuration", base), {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    if (!response.ok) throw new Error(`discovery answered HTTP ${response.status}`);
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (document.issuer !== issuer.href && document.issuer !== issuer.href.replace(/\/$/, "")) {
      throw new Error(`discovery document names issuer ${JSON.stringify(document.issuer)}, not ${issuer.href}`);
    }
    if (typeof document.jwks_uri !== "string") throw new Error("discovery document has no jwks_uri");
    return new URL(document.jwks_uri);
  };

  const attempt = () => {
    pending ??= fetchDocument().then(
      (url) => {
        found = url;
        return url;
      },
      (error: unknown) => {
        failures++;
        retryAt = Date.now() + Math.min(60_000, 1_000 * 2 ** (failures - 1));
        lastError = error instanceof Error ? error.message : String(error);
        pending = undefined;
        throw new Error(`OIDC discovery for ${issuer.href} failed: ${lastError}`);
      },
    );
    return pending;
  };
  attempt().catch(() => {}); // start early; requests see the outcome

  return {
    async jwksUrl() {
      if (found !== undefined) return found;
      if (pending === undefined && Date.now() < retryAt) {
        throw new Error(`OIDC discovery for ${issuer.href} is backing off after: ${lastError}`);
      }
      return attempt();
    },
  };
}
