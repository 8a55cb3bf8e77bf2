import { jsonDocument } from "../render.js";
import { type PolicyTestOptions, runPolicyTests } from "./run-suites.js";

/**
 * `check … --tests`: the policy tests after check's findings, one verdict for
 * both. JSON stays one document (check's, with the tests under `tests`).
 */
export async function checkWithTests(
  checkText: string,
  checkFails: boolean,
  options: Omit<PolicyTestOptions, "coverage" | "requireCoverage">,
): Promise<{ text: string; failed: boolean }> {
  const tests = await runPolicyTests({ ...options, coverage: false, requireCoverage: false });
  const failed = checkFails || tests.failed;
  if (options.format !== "json") return { text: `${checkText}\n${tests.text}`, failed };
  const check = JSON.parse(checkText) as Record<string, unknown>;
  return { text: jsonDocument({ ...check, ok: !failed, tests: JSON.parse(tests.text) }), failed };
}
