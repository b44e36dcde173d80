// Test helpers for the GDB server's end-to-end tests (host/gdb/gdb-multiarch.test.ts
// against the runner, e2e/gdb-bridge.spec.ts against the page through the
// bridge): a child process whose stderr can be waited on, and one batch
// run of the real gdb-multiarch.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";

export const GDB = process.env.GDB ?? "gdb-multiarch";
export const gdbFound = spawnSync(GDB, ["--version"], { encoding: "utf8" }).status === 0;

export interface Watched {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of re in stderr. */
  waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** Starts `node args...` in `cwd`, collecting its output; `what` names it in a timeout's error. */
export function startWatched(args: string[], cwd: string, what: string): Watched {
  const child = spawn(process.execPath, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const waiters: (() => void)[] = [];
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, ms) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what} never printed ${re}; stderr:\n${err}`)), ms);
        const check = () => {
          const m = re.exec(err);
          if (m) { clearTimeout(timer); resolve(m); } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** gdb-multiarch -nx -batch against 127.0.0.1:port, the commands in order, on `binary`; killed after timeoutMs. `output` is its stdout followed by its stderr. */
export function runGdb(port: number, commands: string[], binary: string, cwd: string, options: { before?: string[]; timeoutMs?: number } = {}): Promise<{ status: number | null; output: string }> {
  const args = ["-nx", "-batch", "-ex", "set pagination off"];
  for (const c of options.before ?? []) args.push("-ex", c);
  args.push("-ex", `target remote 127.0.0.1:${port}`);
  for (const c of commands) args.push("-ex", c);
  args.push(binary);
  return new Promise((resolve) => {
    const gdb = spawn(GDB, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    // stdout, then stderr: gdb writes some lines (a stepi's frame) to one and
    // some (a monitor command's reply) to the other, so taken in arrival
    // order the two can cut into each other's lines.
    let stdout = "";
    let stderr = "";
    gdb.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    gdb.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => gdb.kill("SIGKILL"), options.timeoutMs ?? 40_000);
    gdb.on("exit", (status) => { clearTimeout(timer); resolve({ status, output: stdout + stderr }); });
  });
}
