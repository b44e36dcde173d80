// Fetches the kernel's shipped sources (build/kernel-src.json.gz, made by
// scripts/kernel-src.ts) for the Code panel and for a share link's patch
// (web/code/patch-boot.ts). Loaded only with them, never on the first load.
import sourcesUrl from "../../build/kernel-src.json.gz?url";
import { type SourceFiles, bundleText, parseBundle } from "./source-bundle";

export async function fetchSources(): Promise<SourceFiles> {
  const url = new URL(sourcesUrl, import.meta.url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching the kernel's sources from ${url.href} failed: HTTP ${response.status}`);
  return parseBundle(await bundleText(new Uint8Array(await response.arrayBuffer()))).files;
}
