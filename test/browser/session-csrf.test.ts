// Browser sessions in a real Chromium: the gateway's own web app calls it with
// Connect and gRPC-Web, by bearer token and by session cookie; pages on other
// origins (another port of the same host: same-site; 127.0.0.2: cross-site)
// try every way a browser lets them send the victim's cookie. None reaches a handler.
import type { AuthzEvent } from "protoauthz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleForBrowser } from "./support/bundle.js";
import { browserRequired, chromiumPath, launchChromium, skipMessage } from "./support/chromium.js";
import { type GatewaySite, pageFile, type Site, startGateway, startSite } from "./support/gateway.js";

const available = chromiumPath !== undefined;
if (!available && !browserRequired) console.warn(skipMessage);

describe.skipIf(!available && !browserRequired)("session cookies and CSRF in Chromium", () => {
  let gateway: GatewaySite;
  let sameSite: Site;
  let crossSite: Site;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    const bundle = await bundleForBrowser("test/browser/pages/app.ts");
    expect(bundle.nodeImports).toEqual([]);
    const attacker = pageFile("attacker.html");
    sameSite = await startSite("127.0.0.1", attacker);
    crossSite = await startSite("127.0.0.2", attacker);
    gateway = await startGateway({ html: pageFile("app.html"), script: bundle.code }, () => [sameSite.origin, crossSite.origin]);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([gateway?.close(), sameSite?.close(), crossSite?.close()]);
  });

  /** Opens a page and returns its log once `done` appears in it. */
  async function logOf(url: string, done: string): Promise<string> {
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.waitForFunction(`document.getElementById("log")?.textContent?.includes(${JSON.stringify(done)})`, undefined, {
      timeout: 20_000,
    });
    const text = (await page.textContent("#log")) ?? "";
    await page.screenshot({
      path: `${process.env.BROWSER_SCREENSHOTS ?? "/tmp"}/protoauthz-${new URL(url).hostname}-${done.split(" ")[0]}.png`,
    });
    await page.close();
    return text;
  }

  it("the app on the gateway's origin: allowed calls succeed, denied ones show their code, over Connect and gRPC-Web, by bearer and by cookie", async () => {
    const text = await logOf(`${gateway.origin}/`, "app done");
    const expected = ["connect", "grpc-web"].flatMap((t) => [
      `${t} bearer createSandbox: ok`,
      `${t} bearer deleteSandbox: permission_denied`,
      `${t} bearer purgeSandbox: permission_denied`,
      `${t} anonymous getSandbox: unauthenticated`,
      `${t} cookie createSandbox: ok`,
      `${t} cookie getSandbox: ok`,
      `${t} cookie deleteSandbox: permission_denied`,
    ]);
    expected.push("connect admin cookie deleteSandbox: ok", "grpc-web admin cookie deleteSandbox: ok", "app done");
    expect(text.trim().split("\n")).toEqual(expected);
    // The Connect transport read with a GET (NO_SIDE_EFFECTS), carrying the cookie.
    expect([...gateway.handled].sort()).toEqual(
      [...Array(4).fill("CreateSandbox POST"), "GetSandbox GET", "GetSandbox POST", "DeleteSandbox POST", "DeleteSandbox POST"].sort(),
    );
    expect(gateway.events.filter((e) => e.reason === "cross_site_request")).toEqual([]);
  });

  it("pages on other origins cannot use the admin's cookie: no attack reaches a handler", async () => {
    const before = [...gateway.handled];
    const firstEvent = gateway.events.length;
    for (const site of [sameSite, crossSite]) {
      const text = await logOf(`${site.origin}/?api=${encodeURIComponent(gateway.origin)}`, "attacks done");
      for (const attack of [
        "fetch deleteSandbox",
        "fetch deleteSandbox with credentials",
        "fetch createSandbox with credentials",
        "no-cors post deleteSandbox with credentials",
        "connect GET deleteSandbox with credentials",
        "connect GET getSandbox with credentials",
        "img GET deleteSandbox",
        "form post deleteSandbox",
      ]) {
        expect(text).toContain(`${attack}: `);
      }
      // What the page could see: every readable answer is a refusal.
      for (const line of text.split("\n").filter((l) => l.includes(": HTTP "))) {
        expect(line).not.toMatch(/: HTTP 200$/);
      }
    }
    expect(gateway.handled).toEqual(before);
    const events: AuthzEvent[] = gateway.events.slice(firstEvent);
    expect(events.filter((e) => e.allowed)).toEqual([]);
    // The same-site page's requests carried the cookie (SameSite=Lax does not
    // stop a same-site request): the guard refused them as cross-site requests.
    const refused = events.filter((e) => e.reason === "cross_site_request").map((e) => e.procedure);
    expect(refused).toEqual(
      expect.arrayContaining([
        "/sandboxgw.v1.SandboxService/DeleteSandbox",
        "/sandboxgw.v1.SandboxService/CreateSandbox",
        "/sandboxgw.v1.SandboxService/GetSandbox",
      ]),
    );
  });
});
