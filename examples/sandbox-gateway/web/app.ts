// The gateway's web page: signs in (the server sets an HttpOnly session
// cookie), lists the caller's sandboxes over Connect from the browser, and
// shows a delete button only where canCall says the rule admits the caller.
// canCall gates the UI; the guard on the server still decides every call.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { Principal } from "protoauthz";
import { canCall, createAuthzClientInterceptor } from "protoauthz/client";
import { SandboxServiceAuthz } from "../gen/sandboxgw/v1/gateway_authz.js";
import { SandboxService } from "../gen/sandboxgw/v1/gateway_pb.js";

// Same origin: the browser sends the session cookie itself; the interceptor
// attaches no token (there is none) and refuses `deny` RPCs before sending.
const transport = createConnectTransport({
  baseUrl: location.origin,
  useHttpGet: true, // ListSandboxes is NO_SIDE_EFFECTS: read by GET, which the cookie may ride
  interceptors: [createAuthzClientInterceptor([SandboxServiceAuthz], { credentials: {} })],
});
const sandboxes = createClient(SandboxService, transport);

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let me: Principal | undefined;

function show(text: string): void {
  byId("status").textContent = text;
}

async function signIn(user: string): Promise<void> {
  const response = await fetch("/login", { method: "POST", body: user });
  if (!response.ok) return show(`Sign-in failed (${response.status}).`);
  me = ((await response.json()) as { principal: Principal }).principal;
  byId("new-sandbox").hidden = false;
  show(`Signed in as ${me.subject} (${me.roles.join(", ") || "no role"}).`);
  await refresh();
}

async function refresh(): Promise<void> {
  const body = byId<HTMLTableSectionElement>("sandboxes");
  body.replaceChildren();
  const { sandboxes: list } = await sandboxes.listSandboxes({});
  // Decided once for the page: DeleteSandbox's rule reads no request field.
  const mayDelete = canCall(me, SandboxServiceAuthz, "deleteSandbox").allowed === true;
  for (const sandbox of list) {
    const row = body.insertRow();
    for (const text of [sandbox.id, sandbox.owner, sandbox.image]) row.insertCell().textContent = text;
    const actions = row.insertCell();
    if (mayDelete) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "delete";
      button.textContent = `Delete ${sandbox.id}`;
      button.onclick = () => run(async () => void (await sandboxes.deleteSandbox({ sandboxId: sandbox.id })));
      actions.append(button);
    }
  }
  show(`${byId("status").textContent?.split(" — ")[0]} — ${list.length} sandbox${list.length === 1 ? "" : "es"}.`);
}

/** Runs an action, then refreshes; a refusal is shown as its code. */
async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    show(`Refused: ${Code[ConnectError.from(error).code]}`);
    return;
  }
  await refresh();
}

byId("sign-in-alice").onclick = () => signIn("alice");
byId("sign-in-bob").onclick = () => signIn("bob");
byId("new-sandbox").onclick = () => run(async () => void (await sandboxes.createSandbox({ image: "python:3.13" })));
