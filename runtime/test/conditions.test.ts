// The condition checker (every kind of generation problem, with the offset a
// caret points at) and the evaluator's proto semantics and errors.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PaymentSchema, Priority } from "../../test/gen/conditionstest/v1/conditions_pb.js";
import { withCaret } from "../src/conditions/ast.js";
import { checkCondition } from "../src/conditions/check.js";
import { compileCondition } from "../src/conditions/condition.js";

const vocabulary = { principals: ["user", "service"], roles: ["admin", "member"], scopes: ["pay.read", "pay.write"] };
const principal = {
  kind: "user",
  subject: "u-1",
  scopes: ["pay.read"],
  roles: ["member"],
  attributes: { account_id: "acc-1", limit: "500" },
};

function problems(expression: string) {
  const result = checkCondition(expression, PaymentSchema, vocabulary);
  return "problems" in result ? result.problems.map((p) => ({ problem: p.problem, offset: p.offset })) : [];
}

function evaluate(expression: string, request = create(PaymentSchema), who = principal) {
  const compiled = compileCondition(expression, PaymentSchema, vocabulary);
  if (!("condition" in compiled)) throw new Error(compiled.problems.map((p) => p.problem).join("; "));
  const result = compiled.condition.evaluate(request, who);
  return typeof result === "boolean" ? result : { error: result.message, at: result.position };
}

describe("conditions: what generation refuses", () => {
  it.each([
    ["", "condition is empty", 0],
    ["request.page_size <=", "syntax error: Unexpected token: EOF", 20],
    ["requst.page_size <= 1", "unknown variable requst", 0],
    ["request.page_sise <= 1", "conditionstest.v1.Payment has no field page_sise", 8],
    ["request.money.unit > 1", "conditionstest.v1.Money has no field unit", 14],
    ["principal.role == 'admin'", "principal has no field role", 10],
    ["request.account_id > 1", "type error: no such overload: string > int", 0],
    ["request.page_size + 1", "condition is of type int, not bool", 0],
    ["request.extra.flag", "condition is of type dyn, not bool", 0],
    ["request.account_id.matches('^a+$')", "matches() is not supported in conditions", 0],
    ["'admn' in principal.roles", 'role "admn" is not in the vocabulary', 0],
    ["'pay.delete' in principal.scopes", 'scope "pay.delete" is not in the vocabulary', 0],
    ["principal.kind == 'robot'", 'principal "robot" is not in the vocabulary', 18],
    ["principal.kind in ['user', 'bot']", 'principal "bot" is not in the vocabulary', 27],
    ["request.tags.exists(t, request.splits.all(s, s.currency == t))", "all() inside another comprehension", 23],
    ["request.tags.exists(t, size(request.tags) > 1)", "a comprehension reads a repeated or map field of request in its body", 28],
    ["timestamp(request.amount) > timestamp('2030-01-01T00:00:00Z')", "timestamp() is not supported in conditions", 0],
  ])("%j: %s", (expression, problem, offset) => {
    expect(problems(expression)[0]).toEqual({ problem, offset });
  });

  it("lists the message's fields for an unknown one", () => {
    const result = checkCondition("request.money.unit > 1", PaymentSchema);
    expect("problems" in result && result.problems[0]?.fix).toBe("use one of its fields by proto name: currency, units, nanos");
  });

  it("accepts what it can evaluate", () => {
    for (const expression of [
      "request.page_size <= 100",
      "request.amount <= 1000 && request.account_id == principal.attributes['account_id']",
      "request.tags.all(t, t in ['a', 'b'])",
      "request.labels.all(k, request.labels[k] != '')",
      "!request.force || 'admin' in principal.roles",
      "request.amount <= ('admin' in principal.roles ? 100000 : 1000)",
      "has(request.limit) && request.limit < 10",
      "request.ttl <= duration('24h')",
      "request.quota < 10u && request.ratio < 0.5",
    ]) {
      expect(problems(expression), expression).toEqual([]);
    }
  });

  it("shows the expression with a caret under the offset", () => {
    expect(withCaret("request.page_sise <= 1", 8)).toBe("    request.page_sise <= 1\n            ^");
    expect(withCaret("a &&\n  b.c", 7)).toBe("      b.c\n      ^");
  });
});

describe("conditions: proto semantics", () => {
  const request = create(PaymentSchema, {
    pageSize: 50,
    accountId: "acc-1",
    amount: 700n,
    quota: 2n ** 64n - 1n,
    priority: Priority.HIGH,
    tags: ["a", "b"],
    labels: { env: "prod" },
    counters: { "7": 3 },
    target: { case: "toAccount", value: "acc-2" },
    maxAmount: 900n,
    ttl: { seconds: 3600n, nanos: 0 },
    notAfter: { seconds: 1_900_000_000n, nanos: 5 },
    extra: { flag: true, nested: { n: 2 } },
    big: "9007199254740993",
    limit: 0,
  });

  it.each([
    ["request.page_size <= 100", true],
    ["request.amount <= 500", false],
    ["request.account_id == principal.attributes['account_id']", true],
    ["request.quota == 18446744073709551615u", true],
    ["request.priority == 2", true],
    ["request.big == 9007199254740993", true],
    ["size(request.tags) == 2 && 'b' in request.tags", true],
    ["request.labels['env'] == 'prod' && 'env' in request.labels", true],
    ["request.counters[7] == 3 && 7 in request.counters", true],
    ["has(request.to_account) && !has(request.to_card)", true],
    ["request.to_card.card_id == ''", true],
    ["has(request.money) == false && request.money.units == 0", true],
    ["has(request.limit) && request.limit == 0", true],
    ["has(request.page_size) && !has(request.ratio)", true],
    ["request.max_amount == 900 && request.note == null", true],
    ["request.extra.flag == true && request.extra.nested.n == 2.0", true],
    ["request.ttl == duration('1h') && request.ttl < duration('1h1s')", true],
    ["request.not_after > timestamp('2030-03-17T17:46:39Z')", true],
    ["request.amount <= int(principal.attributes['limit']) + 200", true],
    ["request.tags.exists_one(t, t == 'a')", true],
    ["false && request.amount / 0 == 1", false],
    ["request.amount / 0 == 1 || true", true],
  ])("%s is %s", (expression, expected) => {
    expect(evaluate(expression, request)).toBe(expected);
  });

  it.each([
    ["principal.attributes['tenant'] == 'x'", "no such key: tenant", 0],
    ["request.amount / (request.page_size - 50) > 1", "division by zero", 0],
    ["request.amount * 9223372036854775807 > 0", "int overflow", 0],
    ["request.quota + 1u > 0u", "uint overflow", 0],
    ["request.tags[5] == 'a'", "index 5 out of range (size 2)", 0],
    ["int(request.account_id) > 0", 'cannot convert "acc-1" to an integer', 0],
    ["request.max_amount < request.note", "no such overload: int < null", 0],
  ])("%s fails to evaluate: %s", (expression, error) => {
    expect(evaluate(expression, request)).toMatchObject({ error });
  });

  it("a message of another type fails closed, not open", () => {
    expect(evaluate("request.page_size <= 100", { pageSize: "many" } as never)).toMatchObject({ error: expect.any(String) });
  });
});
