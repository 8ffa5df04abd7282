// A trade between two teams in a real browser (Chromium via playwright-core)
// against the production build: bob, admin of one team, proposes a trade from
// the other team's trade-only vector page; alice, owner of that team, accepts
// it on /trades; then carol, a plain member of bob's team, downloads the
// vector and reviews it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, newPage, requireChromium } from "./browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../src/test/server";
import { ApiClient, multipart, unique } from "../src/test/client";
import { sha256File, writeFixtures, type FixtureSet } from "../src/test/fixtures";

const PASSWORD = "correct-horse-battery";

let server: TestServer;
let browser: Browser;
let dir: string;
let fx: FixtureSet;
const people = { alice: "", bob: "", carol: "" };
const teams = { seller: unique("vision"), buyer: unique("lingo") };
const TRADE = { kind: "trade", licence: "commercial", redistribution: false };

async function publish(client: ApiClient, teamSlug: string, foundationSlug: string, vectorSlug: string, file: string, listing: unknown) {
  const meta = { teamSlug, foundationSlug, vectorSlug, name: vectorSlug, task: "qa", version: "1.0.0", listing };
  const res = await client.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file }));
  if (res.status !== 201) throw new Error(`publish ${vectorSlug}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** The marketplace before the browser arrives, set up over the API. */
async function seed() {
  const api = (who: keyof typeof people) => {
    people[who] = `${unique(who)}@example.com`;
    return new ApiClient(server.baseUrl);
  };
  const alice = api("alice");
  const bob = api("bob");
  const carol = api("carol");
  await alice.signUp(people.alice, PASSWORD, "Alice");
  await bob.signUp(people.bob, PASSWORD, "Bob");
  await carol.signUp(people.carol, PASSWORD, "Carol");
  await alice.post("/api/v1/teams", { slug: teams.seller, name: "Vision Lab" });
  await bob.post("/api/v1/teams", { slug: teams.buyer, name: "Lingo Lab" });
  await bob.post(`/api/v1/teams/${teams.buyer}/members`, { email: people.carol, role: "member" });
  const foundation = unique("base");
  await alice.post("/api/v1/foundations", await multipart({ teamSlug: teams.seller, slug: foundation, name: "Base", architecture: "llama", licence: "mit" }, { file: fx.base }));
  await publish(alice, teams.seller, foundation, "ocr-fix", fx.taskVector, TRADE);
  await publish(bob, teams.buyer, foundation, "french-style", fx.taskVector2, undefined);
}

async function signedInPage(email: string): Promise<Page> {
  const page = await newPage(browser, server.baseUrl, { acceptDownloads: true });
  await page.goto("/signin");
  await page.getByTestId("signin-email").fill(email);
  await page.getByTestId("signin-password").fill(PASSWORD);
  await page.getByTestId("signin-submit").click();
  await page.getByTestId("current-user").waitFor();
  return page;
}

beforeAll(async () => {
  requireChromium();
  server = await startServer();
  dir = await mkdtemp(path.join(tmpdir(), "graft-e2e-trade-"));
  fx = await writeFixtures(dir);
  await seed();
  browser = await launchChromium();
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const vectorPath = () => `/v/${teams.seller}/ocr-fix`;

describe("a trade in the browser", () => {
  it("bob proposes his team's vector for a trade-only vector, from its page", async () => {
    const page = await signedInPage(people.bob);
    await page.goto(vectorPath());
    expect(await page.getByTestId("download-1.0.0").count()).toBe(0);
    await page.getByTestId("propose-trade").click();
    await page.waitForURL(/\/trades\/new\?/);
    expect(await page.getByTestId("trade-get-ocr-fix").isChecked()).toBe(true);
    await page.getByTestId("trade-submit").click();
    await page.getByTestId("trade-error").waitFor();
    expect(await page.getByTestId("trade-error").textContent()).toMatch(/offered: name at least one vector/);
    await page.getByTestId("trade-give-french-style").check();
    await page.getByTestId("trade-message").fill("Our style vector for your OCR fix?");
    await page.getByTestId("trade-submit").click();
    await page.waitForURL("**/trades");
    const offer = page.getByTestId("outgoing-offers").getByTestId("trade-offer");
    await offer.waitFor();
    expect(await offer.getByTestId("trade-status").textContent()).toBe("open");
    expect(await offer.getByTestId("trade-withdraw").count()).toBe(1);
    await page.context().close();
  }, 180_000);

  it("alice accepts it on /trades", async () => {
    const page = await signedInPage(people.alice);
    await page.getByTestId("nav-trades").click();
    await page.waitForURL("**/trades");
    const offer = page.getByTestId("incoming-offers").getByTestId("trade-offer");
    await offer.waitFor();
    expect(await offer.textContent()).toContain("Our style vector for your OCR fix?");
    await offer.getByTestId("trade-accept").click();
    const done = page.getByTestId("trade-history").getByTestId("trade-offer");
    await done.waitFor();
    expect(await done.getByTestId("trade-status").textContent()).toBe("accepted");
    expect(await page.getByTestId("incoming-offers").getByTestId("trade-offer").count()).toBe(0);
    await page.context().close();
  }, 180_000);

  it("carol, a member of bob's team, downloads the vector and reviews it", async () => {
    const page = await signedInPage(people.carol);
    await page.goto(vectorPath());
    expect(await page.getByTestId("listing-box").textContent()).toContain("You obtained this vector in a trade.");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-1.0.0").click()]);
    const saved = path.join(dir, "traded.safetensors");
    await download.saveAs(saved);
    expect(await sha256File(saved)).toBe(await sha256File(fx.taskVector));

    await page.getByTestId("review-rating").selectOption("4");
    await page.getByTestId("review-body").fill("Fixed our scanned invoices.");
    await page.getByTestId("review-submit").click();
    const review = page.getByTestId("review");
    await review.waitFor();
    expect(await review.textContent()).toContain("Fixed our scanned invoices.");
    expect(await page.getByTestId("reviews").locator("h2").textContent()).toContain("★ 4.0 from 1");
    await page.context().close();
  }, 180_000);
});
