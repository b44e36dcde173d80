// Browser tests (e2e/) against the built static site, in Debian's Chromium.
// Playwright must never download a browser: the one project launches
// /usr/bin/chromium directly.
import { defineConfig, devices } from "@playwright/test";

// KEEL_E2E_PORT and KEEL_OUT_DIR let two test runs share a checkout.
const PORT = Number(process.env.KEEL_E2E_PORT ?? 4173);
const OUT_DIR = process.env.KEEL_OUT_DIR ?? "../dist";
const BASE_URL = `http://127.0.0.1:${PORT}/`;
const CI = Boolean(process.env.CI);

const CHROMIUM_PATH = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export default defineConfig({
  testDir: "e2e",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  forbidOnly: CI,
  retries: CI ? 1 : 0,
  // CI runs on two cores: one browser worker leaves the other core to the
  // kernel's own Web Worker. Locally, Playwright's default (half the cores).
  workers: CI ? 1 : undefined,
  reporter: CI ? [["list"], ["html", { open: "never" }]] : "list",
  use: {
    baseURL: BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    // Keel's service worker (docs/service-worker.md) reloads a page once to
    // make it cross-origin isolated; the suite tests the plain static host
    // without it. The specs about the worker (e2e/service-worker.spec.ts)
    // allow it for themselves.
    serviceWorkers: "block",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
      },
    },
  ],
  webServer: {
    // The same static site `npm run build` makes, served without special
    // headers (no cross-origin isolation), as a plain static host would:
    // KEEL_PLAIN_HOST=1 keeps vite preview from sending COOP/COEP itself.
    command: `node scripts/build-kernel.mjs --only release && node scripts/build-kernel.mjs --only shared && npx vite build --outDir ${OUT_DIR} && KEEL_PLAIN_HOST=1 npx vite preview --outDir ${OUT_DIR} --port ${PORT} --strictPort --host 127.0.0.1`,
    url: BASE_URL,
    reuseExistingServer: !CI,
    timeout: 180_000,
    stdout: "ignore",
    stderr: "pipe",
  },
});
