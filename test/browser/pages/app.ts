// The web app on the gateway's own origin: Connect and gRPC-Web transports
// from @connectrpc/connect-web, with a bearer token and with the session
// cookie. Every outcome is written into the page, where the test reads it.
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { SandboxService } from "../../../examples/sandbox-gateway/gen/sandboxgw/v1/gateway_pb.js";

const log = (line: string) => {
  (document.getElementById("log") as HTMLElement).textContent += `${line}\n`;
};

/** "PermissionDenied" → "permission_denied", as the wire names it. */
const codeName = (code: Code) => Code[code].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());

async function outcome<T>(label: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    const result = await run();
    log(`${label}: ok`);
    return result;
  } catch (error) {
    log(`${label}: ${codeName(ConnectError.from(error).code)}`);
    return undefined;
  }
}

async function signIn(user: string): Promise<string> {
  const response = await fetch("/login", { method: "POST", body: user });
  return ((await response.json()) as { token: string }).token;
}

const bearer =
  (token: string): Interceptor =>
  (next) =>
  (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };

/** fetch without cookies: what a bearer-only or anonymous client sends. */
const withoutCookies: typeof fetch = (input, init) => fetch(input, { ...init, credentials: "omit" });

type MakeTransport = (options: { interceptors?: Interceptor[]; fetch?: typeof fetch }) => Transport;

const transports: [string, MakeTransport][] = [
  // GET for NO_SIDE_EFFECTS RPCs (GetSandbox): the cookie rides a GET there.
  ["connect", (o) => createConnectTransport({ baseUrl: location.origin, useHttpGet: true, ...o })],
  ["grpc-web", (o) => createGrpcWebTransport({ baseUrl: location.origin, ...o })],
];

async function run(): Promise<void> {
  const token = await signIn("alice"); // also sets alice's session cookie
  for (const [name, make] of transports) {
    const withBearer = createClient(SandboxService, make({ interceptors: [bearer(token)], fetch: withoutCookies }));
    const anonymous = createClient(SandboxService, make({ fetch: withoutCookies }));
    const withCookie = createClient(SandboxService, make({}));
    const created = await outcome(`${name} bearer createSandbox`, () => withBearer.createSandbox({ image: "python:3" }));
    await outcome(`${name} bearer deleteSandbox`, () => withBearer.deleteSandbox({ sandboxId: created?.sandbox?.id ?? "" }));
    await outcome(`${name} bearer purgeSandbox`, () => withBearer.purgeSandbox({ sandboxId: created?.sandbox?.id ?? "" }));
    await outcome(`${name} anonymous getSandbox`, () => anonymous.getSandbox({ sandboxId: created?.sandbox?.id ?? "" }));
    const mine = await outcome(`${name} cookie createSandbox`, () => withCookie.createSandbox({ image: "node:22" }));
    await outcome(`${name} cookie getSandbox`, () => withCookie.getSandbox({ sandboxId: mine?.sandbox?.id ?? "" }));
    await outcome(`${name} cookie deleteSandbox`, () => withCookie.deleteSandbox({ sandboxId: mine?.sandbox?.id ?? "" }));
  }
  await signIn("root"); // the cookie is now an admin's, and stays for the attacks
  for (const [name, make] of transports) {
    await outcome(`${name} admin cookie deleteSandbox`, () => createClient(SandboxService, make({})).deleteSandbox({ sandboxId: "sb-1" }));
  }
  log("app done");
}

run().catch((error) => log(`app failed: ${String(error)}`));
