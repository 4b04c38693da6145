/**
 * Browser test support: the web app built by Vite into a temporary directory, a real runtime
 * serving it (WEB_DIST_DIR), and Debian's chromium driven by playwright-core.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll } from "vitest";
import { createTestEnvironment, startTestApp, type TestApp } from "./harness";
import { TEST_PASSWORD } from "./factories";

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

/** Builds web/ into a fresh directory (each test file its own, so parallel files never share one). */
export async function buildWeb(): Promise<string> {
  const outDir = await fs.mkdtemp(path.join(os.tmpdir(), "clinic-web-"));
  await build({
    root: path.join(root, "web"),
    configFile: path.join(root, "web/vite.config.ts"),
    logLevel: "error",
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
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

/** What every browser test file stands on: the built web app, a real server serving it, chromium. */
export interface BrowserStage {
  app: TestApp;
  browser: Browser;
  close(): Promise<void>;
}

export async function startBrowserStage(): Promise<BrowserStage> {
  const webDir = await buildWeb();
  const app = await startTestApp(await createTestEnvironment(), { env: { WEB_DIST_DIR: webDir, RATE_LIMIT_MAX: "100000" } });
  const chrome = await launchBrowser();
  return {
    app,
    browser: chrome.browser,
    async close() {
      await chrome.close();
      await app.close();
      await fs.rm(webDir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers the file's beforeAll (build, server, chromium: 120 s) and afterAll (close) and returns the
 * stage: `stage.app` and `stage.browser` are there once beforeAll ran. Later beforeAll/afterAll hooks
 * of the file run after the start and before the close.
 */
export function useBrowserStage(): { readonly app: TestApp; readonly browser: Browser } {
  let stage: BrowserStage | undefined;
  beforeAll(async () => {
    stage = await startBrowserStage();
  }, 120_000);
  afterAll(async () => stage?.close());
  const started = () => {
    if (!stage) throw new Error("the browser stage is not started (use it inside tests or hooks)");
    return stage;
  };
  return {
    get app() {
      return started().app;
    },
    get browser() {
      return started().browser;
    },
  };
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
