// End-to-end test of Gilde's web UI in a real browser (Debian's Chromium, driven by
// playwright-core), across two running instances. Started by federation-tests/tests/browser.rs,
// which starts the instances and their people and checks what ended up in their databases.
//
// Environment: GILDE_A, GILDE_B (base URLs), GILDE_A_DOMAIN, PASSWORD, SCREENSHOTS (a folder),
// CHROMIUM (the browser binary).
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const A = process.env.GILDE_A;
const B = process.env.GILDE_B;
const A_DOMAIN = process.env.GILDE_A_DOMAIN;
const PASSWORD = process.env.PASSWORD;
const SHOTS = process.env.SCREENSHOTS;
mkdirSync(SHOTS, { recursive: true });

function check(condition, message) {
  if (!condition) { throw new Error("check failed: " + message); }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

// Console errors (a script or style the CSP refused, a failed load) fail the test.
const problems = [];
const audited = [];

async function person(name, base, options = {}) {
  const context = await browser.newContext({ locale: "nl-NL", viewport: { width: 1100, height: 900 }, ...options });
  const page = await context.newPage();
  page.on("console", (msg) => { if (msg.type() === "error") { problems.push(`${name} ${page.url()}: ${msg.text()}`); } });
  page.on("pageerror", (err) => problems.push(`${name} ${page.url()}: ${err.message}`));
  await page.goto(base + "/");
  check(page.url().endsWith("/login"), `${name} is sent to sign in`);
  await page.getByLabel("Gebruikersnaam").fill(name);
  await page.getByLabel("Wachtwoord").fill(PASSWORD);
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.waitForURL(base + "/");
  return { context, page };
}

// axe-core in the page (added past the CSP in a separate context that only reads).
async function audit(page, label) {
  const context = await browser.newContext({ bypassCSP: true, locale: "nl-NL", storageState: await page.context().storageState() });
  const reader = await context.newPage();
  await reader.goto(page.url());
  await reader.addScriptTag({ content: axeSource });
  const result = await reader.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  await context.close();
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  audited.push({ page: label, violations: result.violations.map((v) => `${v.impact} ${v.id}`) });
  check(serious.length === 0, `${label}: serious accessibility violations: ` +
    serious.map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`).join("; "));
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

const anna = await person("anna", A);
const bob = await person("bob", A);
const carla = await person("carla", B);

// The sign-in page itself, for the record.
{
  const context = await browser.newContext({ locale: "nl-NL" });
  const page = await context.newPage();
  await page.goto(A + "/login");
  await shot(page, "01-sign-in");
  await audit(page, "sign in");
  // Keyboard: the first Tab reaches the skip link, which is then visible with a focus ring.
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return { cls: el.className, outline: style.outlineStyle, left: el.getBoundingClientRect().left };
  });
  check(focused.cls === "skip" && focused.outline !== "none" && focused.left >= 0, "skip link first, visibly focused: " + JSON.stringify(focused));
  await context.close();
}

// Anna creates a federated private group and writes the first post, with a preview first.
{
  const { page } = anna;
  await page.getByRole("link", { name: "Groepen" }).click();
  await page.getByRole("link", { name: "Nieuwe groep" }).click();
  await page.getByLabel("Naam").fill("Omgevingswet");
  await page.getByLabel("Adres").fill("omgevingswet");
  await page.getByLabel("Beschrijving").fill("Samen leren over de **Omgevingswet**.");
  await page.getByLabel(/Gefedereerd/).check();
  await page.getByLabel(/Besloten/).check();
  await shot(page, "02-new-group");
  await audit(page, "new group");
  await page.getByRole("button", { name: "Groep maken" }).click();
  await page.waitForURL(/\/g\/\d+$/);
  check(await page.getByRole("heading", { name: "Omgevingswet" }).isVisible(), "the group's page");
  await page.getByLabel("Schrijf een bericht").fill("Welkom! Lees eerst de **handreiking**.");
  await page.getByRole("button", { name: "Voorbeeld" }).click();
  check(await page.locator(".preview strong", { hasText: "handreiking" }).isVisible(), "the preview shows markdown");
  await page.getByRole("button", { name: "Plaatsen" }).click();
  await page.locator("article.post", { hasText: "Lees eerst de handreiking" }).waitFor();
  await shot(page, "03-group");
  await audit(page, "group");
}
const groupUrl = anna.page.url();

// Bob asks to join; anna approves; bob replies inline (the script opens the reply form in place).
{
  await bob.page.goto(groupUrl);
  check(await bob.page.getByText("Alleen leden").isVisible(), "a private group is closed to non-members");
  await bob.page.getByRole("button", { name: "Vraag lidmaatschap aan" }).click();
  await bob.page.getByText("Aanvraag in behandeling").waitFor();

  await anna.page.reload();
  check(await anna.page.locator("#unread").isVisible(), "anna sees an unread notification");
  await anna.page.getByRole("link", { name: "Leden" }).click();
  await shot(anna.page, "04-members-with-request");
  await audit(anna.page, "members");
  await anna.page.locator("li", { hasText: "bob" }).getByRole("button", { name: "Goedkeuren" }).click();
  await anna.page.getByRole("heading", { name: /Aanvragen \(0\)/ }).waitFor();

  await bob.page.goto(groupUrl);
  const post = bob.page.locator("article.post", { hasText: "handreiking" });
  await post.getByRole("link", { name: /Reageren/ }).click();
  const inline = post.locator("form.compose textarea");
  await inline.waitFor();
  check(bob.page.url() === groupUrl, "the reply form opened in place");
  await inline.fill("Dank je, @anna! Ik lees hem vandaag.");
  await post.getByRole("button", { name: "Reageer" }).click();
  await bob.page.waitForURL(/\/p\/\d+#replies$/);
  await bob.page.locator("#replies article.post", { hasText: "Ik lees hem vandaag" }).waitFor();
  await shot(bob.page, "05-thread");
  await audit(bob.page, "thread");
}

// The live notice: bob's home learns of anna's new post without a reload.
{
  await bob.page.clock.install();
  await bob.page.goto(A + "/");
  check(await bob.page.locator("#live").isHidden(), "no notice before anything is new");
  await anna.page.goto(groupUrl);
  await anna.page.getByLabel("Schrijf een bericht").fill("Nieuw: de planning voor december.");
  await anna.page.getByRole("button", { name: "Plaatsen" }).click();
  await anna.page.locator("article.post", { hasText: "planning voor december" }).waitFor();
  await bob.page.clock.fastForward(31000);
  await bob.page.locator("#live", { hasText: "nieuwe berichten" }).waitFor();
  await shot(bob.page, "06-home-live-notice");
  await audit(bob.page, "home");
}

// Keyboard only: anna reaches the compose box with Tab, writes, and posts with Enter.
{
  const { page } = anna;
  await page.goto(groupUrl);
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement && document.activeElement.id === "compose-status");
  }
  check(reached, "the compose box is reachable with Tab");
  await page.keyboard.type("Met het toetsenbord geschreven.");
  // The hint is text; the next stops are the file chooser and the alt text, then the button.
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement.type === "file"), "Tab reaches the file chooser");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  const onButton = await page.evaluate(() => document.activeElement.tagName === "BUTTON" && document.activeElement.value === "post");
  check(onButton, "Tab moves from the text to the post button");
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(ring !== "none", "the focused button shows a focus ring");
  await page.keyboard.press("Enter");
  await page.locator("article.post", { hasText: "Met het toetsenbord geschreven" }).waitFor();
}

// Anna shares a photo (with alt text, in the preview the script shows) and a PDF; the post
// shows a thumbnail that opens the photo and a card for the document.
{
  const { page } = anna;
  await page.goto(groupUrl);
  await page.getByLabel("Schrijf een bericht").fill("De foto van het bezoek en de nota.");
  await page.getByLabel("Afbeeldingen of documenten toevoegen").setInputFiles([process.env.IMAGE_FILE, process.env.PDF_FILE]);
  const alt = page.getByLabel(/Beschrijving van bouwplaats\.jpg/);
  await alt.waitFor();
  check(await page.locator(".file-previews img").count() === 1, "a preview of the photo, none of the PDF");
  check(await page.locator(".alt-single").isHidden(), "one alt text per image replaces the shared one");
  await alt.fill("Wethouder en bewoners op de bouwplaats");
  await shot(page, "14-compose-with-files");
  await audit(page, "compose with files");
  await page.getByRole("button", { name: "Plaatsen" }).click();
  const post = page.locator("article.post", { hasText: "De foto van het bezoek" });
  await post.waitFor();
  const thumb = post.getByRole("img", { name: "Wethouder en bewoners op de bouwplaats" });
  await thumb.waitFor();
  check(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0), "the thumbnail loads");
  const doc = post.locator(".document");
  check((await doc.textContent()).includes("nota.pdf") && (await doc.textContent()).includes("PDF"), "a card with the name and the type");
  await shot(page, "15-post-with-files");
  await audit(page, "post with files");
  const full = await post.locator("a.image").getAttribute("href");
  const res = await page.request.get(A + full);
  check(res.status() === 200 && res.headers()["content-type"] === "image/jpeg", "the thumbnail opens the photo");
  const outsider = await browser.newContext();
  const denied = await outsider.request.get(A + full);
  check(denied.status() === 404, "a private group's photo is not for anyone else: " + denied.status());
  await outsider.close();

  // Without script: one alt text for the images, the files sent with the form.
  const plain = await browser.newContext({ javaScriptEnabled: false, locale: "nl-NL", storageState: await anna.context.storageState() });
  const noScript = await plain.newPage();
  await noScript.goto(groupUrl);
  await noScript.getByLabel("Schrijf een bericht").fill("Zonder script gedeeld.");
  await noScript.getByLabel("Afbeeldingen of documenten toevoegen").setInputFiles([process.env.IMAGE_FILE]);
  await noScript.getByLabel(/Beschrijf de afbeelding/).fill("Nog een foto van de bouwplaats");
  await noScript.getByRole("button", { name: "Plaatsen" }).click();
  await noScript.locator("article.post", { hasText: "Zonder script gedeeld" }).getByRole("img", { name: "Nog een foto van de bouwplaats" }).waitFor();
  await plain.close();

  // A picture for anna, shown next to her name.
  await page.goto(A + "/settings/profile");
  await page.locator("#avatar").setInputFiles(process.env.IMAGE_FILE);
  await page.getByRole("button", { name: "Opslaan" }).click();
  await page.waitForURL(/saved=1/);
  await page.goto(groupUrl);
  const face = await page.locator("article.post", { hasText: "De foto van het bezoek" }).locator("img.avatar").getAttribute("src");
  check(face.startsWith("/files/"), "anna's picture beside her post: " + face);

  // And one for the group, in its settings: shown at the top of its page.
  await page.goto(groupUrl + "/settings");
  await page.locator("#avatar").setInputFiles(process.env.IMAGE_FILE);
  await page.getByRole("button", { name: "Opslaan" }).click();
  await page.waitForURL(/saved=1/);
  await audit(page, "group settings");
  const logo = await page.locator("h1 img.avatar").getAttribute("src");
  check(logo.startsWith("/files/"), "the group's picture at the top of its page: " + logo);
}

// Carla, at the other instance, joins by the group's address; anna approves her; carla sees
// the group's history and posts in it from home.
{
  const { page } = carla;
  await page.getByRole("link", { name: "Groepen" }).click();
  await page.getByLabel(/Word lid van een groep van een andere organisatie/).fill(`omgevingswet@${A_DOMAIN}`);
  await page.getByRole("button", { name: "Zoek en word lid" }).click();
  await page.getByText("Aanvraag in behandeling").waitFor();
  check(await page.getByText(A_DOMAIN).first().isVisible(), "a remote group is marked with its instance");
  const carlaGroupUrl = page.url();

  // Carla's request travels to A as a Follow: anna reloads until it is there.
  const approve = anna.page.locator("li", { hasText: "carla" }).getByRole("button", { name: "Goedkeuren" });
  for (let i = 0; i < 60; i++) {
    await anna.page.goto(groupUrl + "/members");
    if (await approve.count() > 0) { break; }
    await new Promise((r) => setTimeout(r, 250));
  }
  await approve.click();
  await anna.page.getByRole("heading", { name: /Aanvragen \(0\)/ }).waitFor();

  let seen = false;
  for (let i = 0; i < 60 && !seen; i++) {
    await page.goto(carlaGroupUrl);
    seen = await page.locator("article.post", { hasText: "handreiking" }).count() > 0;
    if (!seen) { await new Promise((r) => setTimeout(r, 250)); }
  }
  check(seen, "carla sees the group's history after being approved");
  await page.getByLabel("Schrijf een bericht").fill("Groeten uit gemeente B!");
  await page.getByRole("button", { name: "Plaatsen" }).click();
  await page.locator("article.post", { hasText: "Groeten uit gemeente B" }).waitFor();
  await shot(page, "07-remote-group-on-b");
  await audit(page, "remote group");
}

// The other main pages: axe, screenshots, and a phone's width.
for (const [path, name] of [["/people", "08-people"], ["/notifications", "09-notifications"], ["/search?q=handreiking", "10-search"],
  ["/settings/profile", "11-profile-edit"], ["/settings/account", "16-account"], ["/groups", "12-groups"]]) {
  await anna.page.goto(A + path);
  await shot(anna.page, name);
  await audit(anna.page, path);
}
check(await anna.page.locator("body").textContent().then((t) => t.includes("Omgevingswet")), "the overview lists the group");
{
  const phone = await browser.newContext({ locale: "nl-NL", viewport: { width: 375, height: 800 },
    storageState: await bob.context.storageState() });
  const page = await phone.newPage();
  for (const path of ["/", new URL(groupUrl).pathname, "/people", "/groups"]) {
    await page.goto(A + path);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 375, `${path} fits 375 px (scroll width ${width})`);
  }
  await page.goto(groupUrl);
  await shot(page, "13-group-375px");
  await phone.close();
}

await browser.close();
check(problems.length === 0, "console errors: " + problems.join("\n"));
console.log(JSON.stringify({ ok: true, audited }));
