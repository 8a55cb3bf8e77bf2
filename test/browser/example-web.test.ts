// The sandbox gateway's web page in Chromium: sign in by session cookie, list
// sandboxes over Connect (a GET the cookie may ride), and a delete button only
// where canCall admits the caller: alice (member) sees none, bob (admin) does.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebGateway, type WebGateway } from "../../examples/sandbox-gateway/web/server.js";
import { bundleForBrowser } from "./support/bundle.js";
import { browserRequired, chromiumPath, launchChromium } from "./support/chromium.js";

describe.skipIf(chromiumPath === undefined && !browserRequired)("the sandbox gateway's web page", () => {
  let gateway: WebGateway;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    const bundle = await bundleForBrowser("examples/sandbox-gateway/web/app.ts");
    expect(bundle.nodeImports).toEqual([]);
    const html = readFileSync(new URL("../../examples/sandbox-gateway/web/index.html", import.meta.url), "utf8");
    gateway = await startWebGateway("web-page-test-secret-0123456789abcdef", { html, script: bundle.code });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it("signs in, lists sandboxes, and shows delete buttons only to whom canCall allows", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${gateway.url}/`);
    await page.click("#sign-in-alice");
    await page.waitForSelector("text=Signed in as alice");
    await page.click("#new-sandbox");
    await page.waitForSelector("text=1 sandbox.");
    await page.click("#new-sandbox");
    await page.waitForSelector("text=2 sandboxes.");
    expect(await page.locator("#sandboxes tr").count()).toBe(2);
    expect(await page.locator("button.delete").count()).toBe(0);

    await page.click("#sign-in-bob");
    await page.waitForSelector("text=Signed in as bob");
    await page.waitForSelector("text=2 sandboxes.");
    expect(await page.locator("#sandboxes").textContent()).toContain("alice");
    expect(await page.locator("button.delete").count()).toBe(2);
    await page.screenshot({ path: `${process.env.BROWSER_SCREENSHOTS ?? "/tmp"}/protoauthz-example-web.png` });
    await page.click("text=Delete sb-1");
    await page.waitForSelector("text=1 sandbox.");
    expect(await page.locator("#sandboxes").textContent()).not.toContain("sb-1");
    await page.close();
  });
});
