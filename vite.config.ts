// The page (web/) as a static site. The kernel runs in a module worker that
// imports host/ and the compiled kernel (build/kernel.wasm, made by
// `npm run build:kernel`), so both are reachable from the web root.
//
// The base is relative ("./") so dist/ works from any static host, at its
// root or under a sub-path, with no special headers; set KEEL_BASE (for
// example "/keel/") to build with an absolute base instead.
import { defineConfig } from "vite";

export default defineConfig({
  root: "web",
  base: process.env.KEEL_BASE ?? "./",
  publicDir: false,
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    target: "es2022",
    // The kernel must stay a separate .wasm file, fetched by the worker.
    assetsInlineLimit: 0,
  },
  worker: {
    format: "es",
  },
  server: {
    port: 5173,
  },
  preview: {
    port: 4173,
  },
});
