import {
  AuthzConfigError,
  createGuard,
  type Decision,
  type Guard,
  type Principal,
  type RelationChecker,
  type RelationQuery,
} from "protoauthz/tool";
import { InputError } from "../check/image.js";
import { startEngine } from "./engine.js";
import type { PolicyModel } from "./model.js";
import type { RunnableCase } from "./resolve.js";
import type { Outcome, RelationsDef } from "./suite-file.js";
import { TestFileError } from "./where.js";

/** What the guard decided for one case. */
export interface CaseResult {
  readonly case: RunnableCase;
  readonly decision: Decision;
  /** ALLOW, PERMISSION_DENIED, UNAUTHENTICATED, or UNAVAILABLE (an engine failure, which no test can expect). */
  readonly actual: Outcome | "UNAVAILABLE";
  readonly passed: boolean;
  /** 0-based index of the stream message that was denied, for a denial after the first message. */
  readonly deniedAt: number | undefined;
  /** Every relation the engine answered for this case ("resource_type#permission"), for coverage. */
  readonly relationAnswers: readonly RelationAnswer[];
}

export interface RelationAnswer {
  readonly relation: string;
  readonly held: boolean;
}

/** The case being run, as the authenticator and the engine's observer see it (cases run one at a time). */
interface Current {
  principal: Principal | undefined;
  answers: RelationAnswer[];
}

/**
 * Runs every case through a guard built by createGuard from the input's
 * rules: the same code that enforces them in a server, called as an adapter
 * calls it (authorize, then checkMessage per inbound message, then checkEnd
 * for client streams). Cases whose file has relations share one embedded
 * engine per schema and relationships.
 */
export async function runCases(cases: readonly RunnableCase[], model: PolicyModel, shown: (path: string) => string): Promise<CaseResult[]> {
  const groups = new Map<string, { relations: RelationsDef | undefined; cases: RunnableCase[] }>();
  for (const c of cases) {
    const relations = c.suite.relations;
    const key = relations === undefined ? "" : JSON.stringify([relations.schema, relations.relationships.map((r) => r.text)]);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { relations, cases: [] }));
    group.cases.push(c);
  }
  const results = new Map<RunnableCase, CaseResult>();
  for (const { relations, cases: grouped } of groups.values()) {
    const engine = relations === undefined ? undefined : await startEngine(relations, shown);
    try {
      const caller: Current = { principal: undefined, answers: [] };
      const guard = guardFor(model, observing(engine?.checker ?? noEngine, caller), caller, relations);
      for (const c of grouped) results.set(c, await runCase(guard, caller, c));
    } finally {
      engine?.close();
    }
  }
  return cases.map((c) => results.get(c) as CaseResult);
}

/** Never asked: a case whose rule asks relations without a schema is refused before it runs. */
const noEngine: RelationChecker = {
  check: () => Promise.reject(new Error("no relation engine: this test file has no schema")),
};

/** The checker, recording each answer it gives for the current case; it decides nothing itself. */
function observing(checker: RelationChecker, current: Current): RelationChecker {
  const record = (queries: readonly RelationQuery[], answers: readonly boolean[]) => {
    for (const [i, q] of queries.entries())
      current.answers.push({ relation: `${q.resourceType}#${q.permission}`, held: answers[i] === true });
    return answers;
  };
  return {
    ...(checker.validate !== undefined && { validate: (uses) => checker.validate?.(uses) ?? [] }),
    check(principal, queries, options) {
      const answers = checker.check(principal, queries, options);
      return answers instanceof Promise ? answers.then((a) => record(queries, a)) : record(queries, answers as readonly boolean[]);
    },
  };
}

function guardFor(model: PolicyModel, checker: RelationChecker, caller: Current, relations: RelationsDef | undefined): Guard {
  const warn = console.warn;
  // The guard announces migration mode (undeclared=audit) when it starts; here it would repeat once per engine.
  console.warn = () => {};
  try {
    return createGuard(model.tables, {
      authenticate: () => caller.principal,
      vocabulary: model.vocabulary,
      relations: checker,
      // A loaded CI machine must not turn a slow answer into a failed test.
      relationTimeoutMs: 30_000,
    });
  } catch (error) {
    if (!(error instanceof AuthzConfigError)) throw error;
    const problems = error.message.replaceAll("\n", "; ");
    if (relations !== undefined) {
      throw new TestFileError(
        relations.schemaWhere,
        `the schema cannot answer the relations the rules ask: ${problems} (fix the schema or the rules)`,
      );
    }
    throw new InputError(`the guard refuses the input's rules: ${problems}`);
  } finally {
    console.warn = warn;
  }
}

const noHeaders: Pick<Headers, "get" | "has" | "forEach"> = { get: () => null, has: () => false, forEach: () => {} };

async function runCase(guard: Guard, caller: Current, c: RunnableCase): Promise<CaseResult> {
  caller.principal = c.principal;
  const answers: RelationAnswer[] = [];
  caller.answers = answers;
  const authorization = await guard.authorize({ procedure: c.rpc.procedure, header: noHeaders, peer: undefined });
  caller.principal = undefined;
  let decision = authorization.decision;
  let deniedAt: number | undefined;
  if (authorization.decision.allowed && authorization.checksMessages) {
    let admitted: Decision | undefined;
    for (const [index, message] of c.messages.entries()) {
      const verdict = await authorization.checkMessage(message);
      if (!verdict.allowed) {
        decision = verdict;
        deniedAt = index;
        break;
      }
      admitted ??= verdict;
    }
    if (deniedAt === undefined) {
      const kind = c.rpc.method.methodKind;
      const clientStream = kind === "client_streaming" || kind === "bidi_streaming";
      // The guard's end of stream: denied when no message was admitted (an empty stream).
      decision = clientStream || admitted === undefined ? authorization.checkEnd() : admitted;
      if (decision.allowed && admitted !== undefined) decision = admitted;
    }
  }
  const actual = outcomeOf(decision);
  return { case: c, decision, actual, passed: actual === c.expected, deniedAt, relationAnswers: answers };
}

function outcomeOf(decision: Decision): CaseResult["actual"] {
  if (decision.allowed) return "ALLOW";
  switch (decision.code) {
    case "unauthenticated":
      return "UNAUTHENTICATED";
    case "permission_denied":
      return "PERMISSION_DENIED";
    default:
      return "UNAVAILABLE";
  }
}
