// Types for build.mjs, for the TypeScript tests that import it.
export declare const TARGET_FLAGS: string[];
export declare const TARGET_FLAGS_GC: string[];
export declare const CFLAGS: string[];
export declare const CFLAGS_GC: string[];
export declare const LDFLAGS: string[];
export declare const LAYOUT_LDFLAGS: { keel: string[]; lld: string[]; ttext: string[] };
export interface ProgramOptions {
  arch: "rv64imac" | "rv64gc";
  layout: "keel" | "lld" | "ttext";
  cflags: string[];
  ldflags: string[];
}
export declare function programOptions(name: string): ProgramOptions;
export declare function programNames(): string[];
export declare function librarySources(): string[];
export declare function build(outDir: string, options?: { verbose?: boolean }): Promise<string[]>;
export declare function check(): Promise<string[]>;
export declare const DEBUG_SUFFIX: string;
export declare const DEBUG_CFLAGS: string[];
export declare function sameLoadedImage(a: Uint8Array, b: Uint8Array): string | null;
export declare const DEBUG_LDFLAGS: string[];
