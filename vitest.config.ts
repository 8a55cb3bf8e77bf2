import { defineConfig } from "vitest/config";
import { workspaceSources } from "./test/support/workspace-sources.js";

// Tests run the TypeScript sources of both packages: every export of
// protoauthz and protoc-gen-authz resolves to its source file, so a test
// never passes against a stale build.
//
// Two projects: `unit` is the fast loop (pure modules of each package, in
// process, no servers; buf only to compile golden inputs, in a few batches);
// `e2e` starts servers on 127.0.0.1, runs buf, protoc, tsc, the CLI binary,
// packed tarballs and the examples.
// Anything under test/ that is a test file is e2e, so a test added there still
// runs until it is moved to the package it belongs to.
const alias = [...workspaceSources()].map(([specifier, source]) => ({
  find: new RegExp(`^${specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`),
  replacement: source,
}));

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["runtime/test/**/*.test.ts", "plugin/test/**/*.test.ts"],
          // Unit files share one worker thread and its module cache: importing
          // the packages, fast-check and ts-morph once instead of per file
          // halves the loop's CPU time. So a unit test leaves no global state
          // behind (fake timers, spies, env: restore them in afterEach).
          pool: "threads",
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts"],
          // A type check over generated code and the workspace sources takes
          // 2-5 s on an idle 2-core machine and came within reach of 30 s on a
          // loaded one. The timeout only catches a hang; the slower suites
          // (consumer, packaging, docs snippets) set their own.
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
