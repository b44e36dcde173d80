// Types for wasm-flags.mjs (plain JavaScript so the launchers need no tsx).
export declare const NODE_WASM_FLAGS: readonly string[];
export declare function hasWasmFlags(execArgv?: readonly string[]): boolean;
export declare function ensureWasmFlags(): void;
