// Single sign-on in a real browser (Debian's Chromium, driven by playwright-core): a person
// signs in to Gilde with her organisation's account at a real OpenID provider, and a Mastodon
// app signs in through the same page. Started by federation-tests/tests/browser.rs, which starts
// the provider, the instance and the app, and checks the result.
//
// Environment: GILDE (base URL), AUTHORIZE (an app's /oauth/authorize address, out-of-band
// redirect), SCREENSHOTS (a folder), CHROMIUM (the browser binary). Prints {"code": ...}.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const GILDE = process.env.GILDE;
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
const problems = [];

async function fresh(name) {
  const context = await browser.newContext({ locale: "nl-NL", viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (err) => problems.push(`${name} ${page.url()}: ${err.message}`));
  return page;
}

// At the provider's sign-in form (its own page, not Gilde's).
async function atProvider(page, login) {
  await page.waitForSelector("input[name=login]");
  check(!page.url().startsWith(GILDE), "the browser is at the provider: " + page.url());
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", "wachtwoord bij de organisatie");
  await page.click("button[type=submit]");
}

try {
  // A civil servant: the sign-in page, the organisation's button, the provider, home.
  const anna = await fresh("anna");
  await anna.goto(GILDE + "/");
  check(anna.url().endsWith("/login"), "sent to sign in");
  const button = anna.locator("#sso-sign-in");
  check(await button.isVisible(), "the single sign-on button is shown");
  check((await anna.locator("input[name=password]").count()) === 0, "no password form (switched off)");
  await anna.screenshot({ path: `${SHOTS}/20-sso-sign-in.png`, fullPage: true });
  const context = await browser.newContext({ bypassCSP: true, locale: "nl-NL" });
  const reader = await context.newPage();
  await reader.goto(GILDE + "/login");
  await reader.addScriptTag({ content: axeSource });
  const result = await reader.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(serious.length === 0, "sign-in page: " + serious.map((v) => v.id).join(", "));
  await context.close();
  await button.click();
  await atProvider(anna, "anna");
  await anna.waitForURL(GILDE + "/");
  check((await anna.textContent("body")).includes("Anna de Vries"), "signed in as Anna de Vries");
  await anna.goto(GILDE + "/settings/account");
  check(await anna.locator("#sso-account").isVisible(), "the account page says her password is kept by the organisation");

  // A Mastodon app: its sign-in page, the same button, the provider, back, "Allow", the code.
  const phone = await fresh("app");
  await phone.goto(process.env.AUTHORIZE);
  await phone.click("#sso-sign-in");
  await atProvider(phone, "bram");
  await phone.waitForSelector("#approve");
  check((await phone.textContent("#signed-in-as")).includes("Bram Jansen"), "the app's page knows who signed in");
  await phone.screenshot({ path: `${SHOTS}/21-sso-app-allow.png`, fullPage: true });
  await phone.click("#approve");
  await phone.waitForSelector("#code");
  const code = (await phone.textContent("#code")).trim();
  check(code.length > 20, "a code to copy into the app");
  check(problems.length === 0, "page errors: " + problems.join("; "));
  console.log(JSON.stringify({ code }));
} finally {
  await browser.close();
}
