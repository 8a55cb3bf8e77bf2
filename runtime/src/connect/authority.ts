/** The part of a Node.js HTTP/1.1 or HTTP/2 server request this check reads. */
interface NodeRequest {
  readonly url?: string | undefined;
  readonly authority?: string | undefined;
  readonly headers: { readonly host?: string | undefined };
}

/** The part of a Node.js server response it writes. */
interface NodeResponse {
  writeHead(status: number): unknown;
  end(): unknown;
}

/**
 * Wraps a Node.js request handler (typically `connectNodeAdapter(…)`) so that
 * a request whose `:authority` (or Host) is missing or is not a valid URL
 * authority gets 400 instead of reaching it. connect-node builds the request
 * URL from the authority synchronously, before any interceptor runs; an
 * invalid one ("[::1", "x:99999", "a%") throws from the server's request
 * event and ends the process. The check is the same URL parse connect-node
 * does, so nothing it accepts is refused.
 *
 * `http2.createServer(rejectMalformedAuthority(connectNodeAdapter({ routes, interceptors })))`
 */
export function rejectMalformedAuthority<Req extends NodeRequest, Res extends NodeResponse>(
  handler: (req: Req, res: Res) => void,
): (req: Req, res: Res) => void {
  return (req, res) => {
    if (hasValidAuthority(req)) return handler(req, res);
    res.writeHead(400);
    res.end();
  };
}

function hasValidAuthority(req: NodeRequest): boolean {
  const authority = "authority" in req ? req.authority : req.headers.host;
  if (typeof authority !== "string" || authority === "") return false;
  try {
    new URL(req.url ?? "", `http://${authority}`);
    return true;
  } catch {
    return false;
  }
}
