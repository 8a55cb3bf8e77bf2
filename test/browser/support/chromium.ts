// The system Chromium (Debian's `chromium` package), driven by playwright-core:
// nothing downloads a browser. Where none is installed the browser tests skip,
// saying how to install one, unless PROTOAUTHZ_REQUIRE_BROWSER=1 (set by
// .ci/run once it has installed it), where its absence fails them.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(
  (p): p is string => typeof p === "string" && p !== "",
);

export const chromiumPath = candidates.find((p) => existsSync(p));

export const browserRequired = process.env.PROTOAUTHZ_REQUIRE_BROWSER === "1";

export const skipMessage = `browser tests skipped: no Chromium at ${candidates.join(" or ")} (install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH)`;

/** A fresh headless Chromium with a profile of its own, closed (and the profile removed) by `close`. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (chromiumPath === undefined) throw new Error(skipMessage);
  const profile = mkdtempSync(join(tmpdir(), "protoauthz-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
