/**
 * Browser test support: a real runtime serving the web app that the global setup built once for the
 * run (WEB_DIST_DIR), and Debian's chromium driven by playwright-core.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
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

export async function startBrowserStage(options: { worker?: boolean } = {}): Promise<BrowserStage> {
  const environment = await createTestEnvironment();
  const app = await startTestApp(environment, { env: { WEB_DIST_DIR: webDistDir(), RATE_LIMIT_MAX: "100000" } });
  const worker = options.worker ? await startTestApp(environment, { env: { ROLE: "worker" } }) : null;
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
export function useBrowserStage(options: { worker?: boolean } = {}): Readonly<Omit<BrowserStage, "close">> {
  return useStarted(() => startBrowserStage(options), 120_000);
}

/** A fresh browser context signed in as `email` (a phone-sized viewport when asked). */
export async function pageSignedIn(
  browser: Browser,
  baseUrl: string,
  email: string,
  options: { password?: string; viewport?: { width: number; height: number }; bypassCSP?: boolean } = {},
): Promise<Page> {
  const context = await browser.newContext({
    ...(options.viewport ? { viewport: options.viewport } : {}),
    // Only for injecting a checker (axe-core) into the page; the app itself runs under its CSP.
    bypassCSP: options.bypassCSP ?? false,
  });
  const page = await context.newPage();
  await signIn(page, baseUrl, email, options.password ?? TEST_PASSWORD);
  return page;
}

/** A phone-sized viewport for the patient screens. */
export const PHONE = { width: 390, height: 844 };
