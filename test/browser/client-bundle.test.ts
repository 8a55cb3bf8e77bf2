// protoauthz/client is browser-safe: a client page using it, the generated
// tables and connect-web bundles for the browser with no Node built-in.
import { describe, expect, it } from "vitest";
import { bundleForBrowser } from "./support/bundle.js";

describe("browser bundle", () => {
  it("a client page with protoauthz/client and the generated tables pulls in no Node built-in", async () => {
    const bundle = await bundleForBrowser("test/browser/pages/client.ts");
    expect(bundle.nodeImports).toEqual([]);
    expect(bundle.code).toContain("its rule is deny");
  });

  it("the check sees a Node built-in when one is imported (protoauthz/jwt needs node:crypto)", async () => {
    const bundle = await bundleForBrowser({ source: 'export { createJwtAuthenticator } from "protoauthz/jwt";' });
    expect(bundle.nodeImports.some((i) => i.startsWith("node:crypto"))).toBe(true);
  });
});
