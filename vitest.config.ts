import { defineConfig } from "vitest/config";

// Tests run the TypeScript sources of both packages (the "source" export
// condition), so a test never passes against a stale build.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
  test: {
    include: ["runtime/test/**/*.test.ts", "plugin/test/**/*.test.ts", "test/**/*.test.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
