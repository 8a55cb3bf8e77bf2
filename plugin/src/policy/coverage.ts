import { ScalarType } from "@bufbuild/protobuf";
import type { Principal } from "protoauthz/tool";
import { canonicalValue, type Requirements, readFieldPath, resolveFieldPath } from "protoauthz/tool";
import { conditionValues } from "./condition-seen.js";
import type { RpcModel } from "./model.js";
import type { CaseResult } from "./runner.js";
import type { Outcome } from "./suite-file.js";

/** One part of a rule no test exercises, reported at the RPC's declaration. */
export interface Gap {
  readonly procedure: string;
  /** "file.proto:LINE:COL" of the RPC. */
  readonly location: string;
  readonly message: string;
}

export interface RpcCoverage {
  readonly procedure: string;
  readonly location: string;
  readonly access: string;
  readonly cases: number;
  /** The outcomes the guard gave this RPC's cases, in a fixed order. */
  readonly outcomes: readonly (Outcome | "UNAVAILABLE")[];
  readonly gaps: readonly Gap[];
}

const order = ["ALLOW", "PERMISSION_DENIED", "UNAUTHENTICATED", "UNAVAILABLE"] as const;

/**
 * What the tests exercised of each RPC's rule, from the decisions the guard
 * gave (never from what the tests expected): outcomes, any_of alternatives
 * that admitted, bindings seen mismatched, relations seen held and not held.
 */
export function coverageOf(rpcs: Iterable<RpcModel>, results: readonly CaseResult[]): RpcCoverage[] {
  const byRpc = new Map<string, CaseResult[]>();
  for (const r of results) {
    const list = byRpc.get(r.case.rpc.procedure);
    if (list === undefined) byRpc.set(r.case.rpc.procedure, [r]);
    else list.push(r);
  }
  return [...rpcs].map((rpc) => {
    const seen = byRpc.get(rpc.procedure) ?? [];
    const outcomes = order.filter((o) => seen.some((r) => r.actual === o));
    return {
      procedure: rpc.procedure,
      location: rpc.rpcLocation,
      access: rpc.rule.access,
      cases: seen.length,
      outcomes,
      gaps: gapsOf(rpc, seen),
    };
  });
}

function gapsOf(rpc: RpcModel, seen: readonly CaseResult[]): Gap[] {
  const gaps: Gap[] = [];
  const gap = (message: string) => gaps.push({ procedure: rpc.procedure, location: rpc.rpcLocation, message });
  if (seen.length === 0) {
    gap("no test (add a test with this rpc to a *.authz-test.yaml file)");
    return gaps;
  }
  const allowed = seen.some((r) => r.decision.allowed);
  const denied = seen.some((r) => !r.decision.allowed);
  const { rule } = rpc;
  if (rule.access === "deny") {
    if (!denied) gap("no test sees it denied");
    return gaps;
  }
  if (rule.access === "public" || rule.access === "audit") {
    if (!allowed) gap("no test sees it allowed");
    return gaps;
  }
  if (!allowed) gap("no test sees it allowed (add a principal the rule admits, expected ALLOW)");
  if (!denied) gap("no test sees it denied (add a principal the rule refuses, or anonymous)");
  const blocks: readonly Requirements<unknown>[] = rule.access === "authenticated" ? [rule] : rule.alternatives;
  for (const [i, block] of blocks.entries()) {
    const index = rule.access === "any_of" ? i + 1 : undefined;
    const ofBlock = seen.filter((r) => r.decision.alternative === index);
    const name = index === undefined ? "" : `any_of alternative ${index}: `;
    if (index !== undefined && !ofBlock.some((r) => r.decision.allowed)) gap(`${name}never admitted a caller`);
    for (const [b, binding] of (block.bindings ?? []).entries()) {
      const mismatched = ofBlock.some((r) => r.decision.reason === "binding_mismatch" && mismatchedBinding(rpc, block, r) === b);
      if (!mismatched)
        gap(
          `${name}binding ${binding.field} = ${binding.attribute} never seen mismatched (add a caller whose ${binding.attribute} differs, expected PERMISSION_DENIED)`,
        );
    }
    conditionGaps(rpc, block, seen, name, gap);
    for (const relation of block.relations ?? []) {
      const label = `${relation.resourceType}#${relation.permission}`;
      // From the engine's answers: an any_of asks every open alternative at once, and its denial names only one.
      const answered = (held: boolean) => seen.some((r) => r.relationAnswers.some((a) => a.relation === label && a.held === held));
      const held = answered(true);
      const notHeld = answered(false);
      if (!held) gap(`${name}relation ${label} never seen held`);
      if (!notHeld) gap(`${name}relation ${label} never seen not held`);
    }
  }
  return gaps;
}

/**
 * Each condition of a block must be seen true and false, as the runtime
 * evaluated it for a caller the rest of the block admits (condition-seen.ts).
 */
function conditionGaps(
  rpc: RpcModel,
  block: Requirements<unknown>,
  seen: readonly CaseResult[],
  name: string,
  gap: (message: string) => void,
): void {
  const conditions = (block as { readonly conditions?: readonly string[] }).conditions ?? [];
  if (conditions.length === 0) return;
  const values = seen.flatMap((r) => conditionValues(rpc, block, r.case.principal, r.case.messages));
  for (const [i, expression] of conditions.entries()) {
    const index = i + 1;
    if (!values.some(([k, v]) => k === index && v)) gap(`${name}condition ${index} (${expression}) never seen true`);
    if (!values.some(([k, v]) => k === index && !v)) gap(`${name}condition ${index} (${expression}) never seen false`);
  }
}

/**
 * Which binding of a block a binding_mismatch denial came from: the first,
 * in the order the guard checks them, whose request value differs from the
 * principal's attribute. Read from the message the guard denied.
 */
function mismatchedBinding(rpc: RpcModel, block: Requirements<unknown>, result: CaseResult): number | undefined {
  const bindings = block.bindings ?? [];
  if (bindings.length === 1) return 0;
  const message = result.case.messages[result.deniedAt ?? 0];
  const principal = result.case.principal as Principal;
  return bindings.findIndex(({ field, attribute }) => {
    const resolved = resolveFieldPath(rpc.method.input, field);
    if (!resolved.ok) return false;
    const last = resolved.fields.at(-1);
    const integer = last?.fieldKind === "scalar" && last.scalar !== ScalarType.STRING;
    const value = canonicalValue(readFieldPath(resolved.fields)(message), integer);
    const expected = Object.hasOwn(principal.attributes, attribute) ? principal.attributes[attribute] : undefined;
    return value !== undefined && expected !== undefined && value !== expected;
  });
}
