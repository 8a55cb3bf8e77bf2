import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { JWK } from "jose";

/** An issuer on 127.0.0.1: OIDC discovery and a JWKS whose keys tests change. */
export interface KeyServer {
  readonly issuer: string;
  readonly jwksUrl: string;
  keys: JWK[];
  /** Milliseconds to wait before answering. */
  delayMs: number;
  /** Answer every request with 503. */
  down: boolean;
  /** Answers requests itself when it returns true (oversized or endless bodies). */
  respond: ((path: string, res: http.ServerResponse) => boolean) | undefined;
  /** Requests served, by path. */
  readonly hits: string[];
  close(): Promise<void>;
}

export async function startKeyServer(): Promise<KeyServer> {
  const state = {
    keys: [] as JWK[],
    delayMs: 0,
    down: false,
    respond: undefined as KeyServer["respond"],
    hits: [] as string[],
  };
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req, res) => {
    state.hits.push(req.url ?? "");
    setTimeout(() => {
      if (state.down) {
        res.writeHead(503).end();
        return;
      }
      if (state.respond?.(req.url ?? "", res) === true) return;
      res.setHeader("content-type", "application/json");
      if (req.url === "/.well-known/openid-configuration") {
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json` }));
      } else if (req.url === "/jwks.json") {
        res.end(JSON.stringify({ keys: state.keys }));
      } else {
        res.writeHead(404).end();
      }
    }, state.delayMs);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    issuer,
    jwksUrl: `${issuer}/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}
