// The page (web/) as a static site. The kernel runs in a module worker that
// imports host/ and the compiled kernel (build/kernel.wasm, made by
// `npm run build:kernel`), so both are reachable from the web root.
//
// The base is relative ("./") so dist/ works from any static host, at its
// root or under a sub-path, with no special headers; set KEEL_BASE (for
// example "/keel/") to build with an absolute base instead.
//
// The shipped disk image (build/disk.img, `npm run build:disk`) is brought
// up to date here (scripts/build-disk.mjs rebuilds it only when what it holds
// changed), so `vite build` and `vite` always ship a current disk. Set
// KEEL_SKIP_DISK=1 to use whatever build/disk.img is there.
//
// The kernel's sources are packed into build/kernel-src.json.gz
// (scripts/kernel-src.ts) the same way, for the Code panel, which fetches
// them only when it opens (docs/code-panel.md).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { defineConfig, type Plugin } from "vite";
import { writeKernelSourceBundle } from "./scripts/kernel-src";

const ROOT = fileURLToPath(new URL(".", import.meta.url));
const DISK_IMAGE = join(ROOT, "build", "disk.img");
const NO_DISK = "\0keel:no-disk";

/** Keeps build/disk.img current. Without one (KEEL_SKIP_DISK=1 and no
 *  image) the page gets an empty URL and boots without a disk, saying so. */
/** Once per run, shared by the page's and the worker's plugin instances. */
let checked = false;

function shippedDisk(): Plugin {
  const ensure = (warn: (text: string) => void): void => {
    if (checked) return;
    checked = true;
    if (process.env.KEEL_SKIP_DISK === "1") {
      if (!existsSync(DISK_IMAGE)) warn("build/disk.img is missing (KEEL_SKIP_DISK=1): the page boots without a disk");
      return;
    }
    const result = spawnSync(process.execPath, ["scripts/build-disk.mjs"], { cwd: ROOT, stdio: "inherit" });
    if (result.status !== 0) throw new Error("scripts/build-disk.mjs failed: the shipped disk image could not be made");
  };
  return {
    name: "keel-shipped-disk",
    enforce: "pre",
    buildStart() {
      ensure((text) => this.warn(text));
    },
    resolveId(source) {
      if (!/(^|\/)build\/disk\.img\?url$/.test(source)) return null;
      ensure((text) => console.warn(`[keel] ${text}`));
      return existsSync(DISK_IMAGE) ? null : NO_DISK;
    },
    load(id) {
      return id === NO_DISK ? "export default \"\";" : null;
    },
  };
}

/** Once per run, like the disk check. */
let packed = false;

/** Keeps build/kernel-src.json.gz current before anything imports it. */
function kernelSourceBundle(): Plugin {
  const ensure = (): void => {
    if (packed) return;
    packed = true;
    writeKernelSourceBundle(ROOT);
  };
  return {
    name: "keel-kernel-sources",
    enforce: "pre",
    buildStart: ensure,
    resolveId(source) {
      if (/(^|\/)build\/kernel-src\.json\.gz\?url$/.test(source)) ensure();
      return null;
    },
  };
}

/** README.md and docs/*.md, served with the page (at ./README.md and
 *  ./docs/NAME.md, as in the repository, so their links between each other
 *  work): the welcome card links to them (web/onboarding.ts). */
function docs(): Plugin {
  const files = (): string[] => [
    "README.md",
    ...readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).sort().map((name) => `docs/${name}`),
  ];
  return {
    name: "keel-docs",
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const path = decodeURIComponent((request.url ?? "").split("?")[0]!).replace(/^\/+/, "");
        if (!files().includes(path)) return next();
        response.setHeader("Content-Type", "text/plain; charset=utf-8");
        response.end(readFileSync(join(ROOT, path)));
      });
    },
    generateBundle() {
      for (const fileName of files()) this.emitFile({ type: "asset", fileName, source: readFileSync(join(ROOT, fileName)) });
    },
  };
}

/** Keel's service worker (web/sw.ts, docs/service-worker.md) as ./sw.js
 *  beside index.html: its own chunk with a fixed name, so its scope is the
 *  site's directory. Nothing the page loads imports web/sw.ts or
 *  web/sw-logic.ts, so sw.js is one classic script with no imports. In dev
 *  the page registers ./sw.ts as a module worker instead (web/coi.ts). */
function serviceWorker(): Plugin {
  return {
    name: "keel-service-worker",
    apply: "build",
    buildStart() {
      this.emitFile({ type: "chunk", id: join(ROOT, "web", "sw.ts"), fileName: "sw.js" });
    },
  };
}

/** The headers that make the page cross-origin isolated, sent by Vite's dev
 *  and preview servers themselves (a static host gets them from the service
 *  worker instead). KEEL_PLAIN_HOST=1 leaves them out, so the preview server
 *  is the plain static host Playwright's suite tests against. */
const ISOLATION_HEADERS: Record<string, string> = process.env.KEEL_PLAIN_HOST === "1"
  ? {}
  : { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  root: "web",
  base: process.env.KEEL_BASE ?? "./",
  publicDir: false,
  plugins: [shippedDisk(), kernelSourceBundle(), docs(), serviceWorker()],
  build: {
    // KEEL_OUT_DIR lets several checkouts or test runs build side by side.
    outDir: process.env.KEEL_OUT_DIR ?? "../dist",
    emptyOutDir: true,
    target: "es2022",
    // The kernel and the disk image must stay separate files, fetched by the worker.
    assetsInlineLimit: 0,
  },
  worker: {
    format: "es",
    // The worker's own imports (the kernel, the disk image) go through the
    // same plugin.
    plugins: () => [shippedDisk(), kernelSourceBundle()],
  },
  server: {
    port: 5173,
    headers: ISOLATION_HEADERS,
  },
  // The dev server finds the page's dependencies by scanning it, but not the
  // build worker's compiler (web/code/build-worker.ts): named here, it is
  // pre-bundled at start rather than found on the first Build, which would
  // reload the page.
  optimizeDeps: {
    include: ["assemblyscript/asc"],
  },
  preview: {
    port: 4173,
    headers: ISOLATION_HEADERS,
  },
});
