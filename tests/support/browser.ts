/**
 * Browser test support: a real runtime serving the web app that the global setup built once for the
 * run (WEB_DIST_DIR), and Debian's chromium driven by playwright-core.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { inject } from "vitest";
import { TEST_PASSWORD } from "./factories";
import { createTestEnvironment, startTestApp, useStarted, type TestApp } from "./harness";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SCREENSHOT_DIR = path.join(root, "tests/e2e/screenshots");

/** The chromium binary: CHROMIUM_PATH, else the first found on PATH. Null when there is none. */
export function chromiumPath(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      const found = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
      if (found && existsSync(found)) return found;
    } catch {
      // not on PATH
    }
  }
  return null;
}

/** The web app's build for this run (tests/setup/global-setup.ts builds it when the run has browser tests). */
export function webDistDir(): string {
  const dir = inject("webDistDir");
  if (!dir) throw new Error("the web app was not built for this run: the global setup builds it when the run includes *.e2e.test.ts files");
  return dir;
}

export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("chromium not found: install it (apt-get install -y chromium) or set CHROMIUM_PATH");
  // playwright-core gives every launch() a fresh temporary profile (it refuses --user-data-dir here),
  // so no state leaks between runs.
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Signs in through the sign-in page and waits for the shell's live indicator. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".live-indicator[data-status=live]").waitFor({ timeout: 10_000 });
}

/**
 * What every browser test file stands on: a real server serving the built web app, chromium, and
 * (`worker: true`) a worker node on the same environment for the jobs a screen waits on.
 */
export interface BrowserStage {
  app: TestApp;
  worker: TestApp | null;
  browser: Browser;
  close(): Promise<void>;
}

/** `env` adds settings to both nodes (`DEV_MAILBOX`). */
export interface BrowserStageOptions {
  worker?: boolean;
  env?: Record<string, string>;
}

export async function startBrowserStage(options: BrowserStageOptions = {}): Promise<BrowserStage> {
  const environment = await createTestEnvironment();
  const app = await startTestApp(environment, { env: { WEB_DIST_DIR: webDistDir(), RATE_LIMIT_MAX: "100000", ...options.env } });
  const worker = options.worker ? await startTestApp(environment, { env: { ROLE: "worker", ...options.env } }) : null;
  const chrome = await launchBrowser();
  return {
    app,
    worker,
    browser: chrome.browser,
    async close() {
      await chrome.close();
      await worker?.close();
      await app.close();
    },
  };
}

/**
 * Registers the file's beforeAll (server, chromium: 120 s) and afterAll (close) and returns the
 * stage: `stage.app` and `stage.browser` are there once beforeAll ran. Later beforeAll/afterAll hooks
 * of the file run after the start and before the close.
 */
export function useBrowserStage(options: BrowserStageOptions = {}): Readonly<Omit<BrowserStage, "close">> {
  return useStarted(() => startBrowserStage(options), 120_000);
}

/** A fresh browser context signed in as `email` (a phone-sized viewport when asked). */
export async function pageSignedIn(
  browser: Browser,
  baseUrl: string,
  email: string,
  options: { password?: string; viewport?: { width: number; height: number }; bypassCSP?: boolean; timezoneId?: string } = {},
): Promise<Page> {
  const context = await browser.newContext({
    ...(options.viewport ? { viewport: options.viewport } : {}),
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
    // Only for injecting a checker (axe-core) into the page; the app itself runs under its CSP.
    bypassCSP: options.bypassCSP ?? false,
  });
  const page = await context.newPage();
  await signIn(page, baseUrl, email, options.password ?? TEST_PASSWORD);
  return page;
}

/** A phone-sized viewport for the patient screens. */
export const PHONE = { width: 390, height: 844 };

const AXE_SCRIPT = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** Opens `path`, waits until its reads have settled, runs axe-core (WCAG 2.1 A and AA) and returns the violations as lines. */
export async function axeViolations(page: Page, path: string): Promise<string[]> {
  await page.goto(path);
  await page.waitForLoadState("networkidle");
  await page.locator(".state-loading").first().waitFor({ state: "detached", timeout: 10_000 }).catch(() => undefined);
  await page.addScriptTag({ path: AXE_SCRIPT });
  const violations = await page.evaluate(async (tags) => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: "tag", values: tags } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  }, WCAG_AA);
  return violations.map((v) => `${new URL(path).pathname} ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
}
