// The browser half of `npm run bench -- --browser` (bench/browser.ts): a
// dedicated worker, where the page's machine runs too, that runs one
// program on the bare hart runner (host/rv/bare.ts, bundled for the
// browser) and posts back what it retired, printed and took.

import { runBare } from "../../host/rv/bare.js";

export interface BrowserRun {
  elf: ArrayBuffer;
  jit: number | false;
}

export interface BrowserResult {
  instret: string;
  seconds: number;
  stdout: string;
  exitStatus: number | null;
  fault: string | null;
  jit: { units: number; insns: string; compileMs: number } | null;
}

let bare: WebAssembly.Module | undefined;

self.onmessage = async (event: MessageEvent<BrowserRun>) => {
  try {
    bare ??= await WebAssembly.compileStreaming(fetch("/bare.wasm"));
    const result = runBare(new Uint8Array(event.data.elf), { jit: event.data.jit, module: bare });
    const reply: BrowserResult = {
      instret: result.instret.toString(),
      seconds: result.seconds,
      stdout: new TextDecoder().decode(result.stdout),
      exitStatus: result.exitStatus ?? null,
      fault: result.fault ? result.fault.message : null,
      jit: result.jit ? { units: result.jit.units, insns: result.jit.insns.toString(), compileMs: result.jit.compileMs } : null,
    };
    self.postMessage(reply);
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) });
  }
};
