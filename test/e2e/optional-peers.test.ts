// A feature whose optional peer dependency is not installed says which
// package and which command, in one line, when the feature is used; the rest
// of its subpath keeps working (verifying JWTs needs no jose).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadOptionalPeer, MissingPeerError } from "../../runtime/src/optional-peer.js";
import { repoRoot } from "../support/request.js";

describe("a missing optional peer", () => {
  it("is one line naming the package and the install command", async () => {
    const missing = "protoauthz-test-not-installed";
    const error = await loadOptionalPeer(missing, "protoauthz/test feature", () => import(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingPeerError);
    expect((error as Error).message).toBe(
      `protoauthz: protoauthz/test feature needs ${missing}, which is not installed: npm install ${missing}`,
    );
    expect((error as Error).message).not.toContain("\n");
  });

  it("but a peer that is installed and fails to load is reported as it is", async () => {
    const broken = Object.assign(new Error("Cannot find package 'left-pad' imported from jose"), { code: "ERR_MODULE_NOT_FOUND" });
    await expect(loadOptionalPeer("jose", "x", () => Promise.reject(broken))).rejects.toBe(broken);
  });

  it("jose: protoauthz/jwt loads and verifies without it; only signing (createTokenSource) needs it, and says so", () => {
    const out = withoutPackages(
      ["jose"],
      `const jwt = await import(${JSON.stringify(join(repoRoot, "runtime/src/jwt/index.ts"))});
      const authenticator = jwt.createJwtAuthenticator({
        issuer: "https://issuer.test", audience: "api", algorithms: ["HS256"], key: { secret: "s".repeat(32) }, principal: { kind: "user" },
      });
      console.log("verifier:", authenticator.name);
      const source = jwt.createTokenSource({ algorithm: "HS256", key: "s".repeat(32), issuer: "i", audience: "a", subject: "s" });
      await source.token().catch((error) => console.log(error.message));`,
    );
    expect(out).toBe("verifier: jwt\nprotoauthz: protoauthz/jwt createTokenSource needs jose, which is not installed: npm install jose\n");
  });

  it("@authzed/authzed-node: protoauthz/spicedb loads without it; creating a checker says how to install it", () => {
    const out = withoutPackages(
      ["@authzed/authzed-node"],
      `const spicedb = await import(${JSON.stringify(join(repoRoot, "runtime/src/spicedb/index.ts"))});
      const client = spicedb.clusterClient({ endpoint: "127.0.0.1:1", presharedKey: "k", plaintext: true });
      await spicedb.createSpiceDBChecker(client).catch((error) => console.log(error.message));`,
    );
    expect(out).toBe(
      "protoauthz: protoauthz/spicedb needs @authzed/authzed-node, which is not installed: npm install @authzed/authzed-node\n",
    );
  });

  it("ts-morph: protoc-gen-authz check --project says how to install it", () => {
    const out = withoutPackages(
      ["ts-morph"],
      `const { checkProject } = await import(${JSON.stringify(join(repoRoot, "plugin/src/check/static.ts"))});
      await checkProject("tsconfig.json").catch((error) => console.log(error.message));`,
    );
    expect(out).toBe("--project needs ts-morph: npm install --save-dev ts-morph\n");
  });
});

/** Runs an ES module body under Node with `packages` unresolvable (TypeScript sources through tsx); its stdout. */
function withoutPackages(packages: readonly string[], body: string): string {
  const dir = mkdtempSync(join(tmpdir(), "protoauthz-peers-"));
  try {
    const script = join(dir, "main.mjs");
    writeFileSync(script, body);
    return execFileSync(process.execPath, ["--import", "tsx", "--import", join(repoRoot, "test/support/hide-packages.mjs"), script], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, HIDE_PACKAGES: packages.join(",") },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
