import { defineConfig } from "vitest/config";
import { workspaceSources } from "./test/support/workspace-sources.js";

// Tests run the TypeScript sources of both packages: every export of
// protoauthz and protoc-gen-authz resolves to its source file, so a test
// never passes against a stale build.
const alias = [...workspaceSources()].map(([specifier, source]) => ({
  find: new RegExp(`^${specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`),
  replacement: source,
}));

export default defineConfig({
  resolve: { alias },
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
