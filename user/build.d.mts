// Types for build.mjs, for the TypeScript tests that import it.
export declare const TARGET_FLAGS: string[];
export declare const CFLAGS: string[];
export declare const LDFLAGS: string[];
export declare function programNames(): string[];
export declare function librarySources(): string[];
export declare function build(outDir: string, options?: { verbose?: boolean }): Promise<string[]>;
export declare function check(): Promise<string[]>;
