// Types for atomics-wait-repro.mjs (plain JavaScript: it runs as a worker_threads script).
export interface LiveCase { name: string; ok: boolean; got: string; want: string }
export interface RingResult { ok: boolean; reason: string; total: number; want: number }
export interface ReproResult { ok: boolean; live: LiveCase[]; ring: RingResult }
export declare function reproModule(): WebAssembly.Module;
export declare function liveCheck(module?: WebAssembly.Module): LiveCase[];
export declare function ringCheck(options?: { module?: WebAssembly.Module; peers?: number; rounds?: number; timeoutMs?: number }): Promise<RingResult>;
export declare function runRepro(options?: { peers?: number; rounds?: number; timeoutMs?: number }): Promise<ReproResult>;
