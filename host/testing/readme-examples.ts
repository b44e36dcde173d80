// The examples README.md gives, pulled out of its text so that tests can run
// every one as written (host/readme.test.ts in the headless machine,
// e2e/readme.spec.ts in the page). What counts as an example:
//
// * in a fenced block, a line `$ COMMAND` (the shell) or `keel> COMMAND` (the
//   kernel monitor), comments and all;
// * in the prose, an inline code span whose first word names a program on the
//   disk or a shell builtin (`echo hi > note`, `sandbox ls`), except the
//   programs the prose names as things rather than commands (PROSE_NAMES);
// * an inline code span or a link target that starts with `?`: a URL query
//   for the page; one with `...` in it is a pattern, not an example;
// * in a fenced block, `printf '...' | npm run boot --silent`: input piped to
//   the headless runner (its `\n` escapes are newlines).

import { readdirSync, readFileSync } from "node:fs";

export interface ReadmeExamples {
  /** Shell command lines, in the order README gives them. */
  shell: string[];
  /** Kernel monitor command lines. */
  monitor: string[];
  /** Page URL queries, each starting with `?`. */
  queries: string[];
  /** What README pipes into `npm run boot --silent`. */
  piped: string[];
}

/** Programs README's prose names without asking the reader to run them
 *  ("then `init` starts the shell"). */
export const PROSE_NAMES: ReadonlySet<string> = new Set(["init", "sh", "named", "displayd", "netd"]);

/** The shell's builtins (user/prog/sh.c). */
const BUILTINS = ["cd", "exit", "help", "jobs", "fg", "bg"];

/** The names of the programs the disk ships (user/bin, without the debug copies). */
export function programNames(): Set<string> {
  const bin = new URL("../../user/bin/", import.meta.url);
  const names = readdirSync(bin).filter((name) => name !== "bootfs.img" && !name.endsWith(".debug"));
  return new Set([...names, ...BUILTINS]);
}

export function readmeText(): string {
  return readFileSync(new URL("../../README.md", import.meta.url), "utf8");
}

/** Every example in `markdown` (README.md's text by default). */
export function readmeExamples(markdown: string = readmeText(), programs: ReadonlySet<string> = programNames()): ReadmeExamples {
  const found: ReadmeExamples = { shell: [], monitor: [], queries: [], piped: [] };
  const add = (list: string[], item: string) => {
    if (!list.includes(item)) list.push(item);
  };
  const prose: string[] = [];
  let fence: string[] | null = null;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) {
      if (fence === null) fence = [];
      else {
        for (const fenced of fence) {
          if (fenced.startsWith("$ ")) add(found.shell, fenced.slice(2).trim());
          else if (fenced.startsWith("keel> ")) add(found.monitor, fenced.slice(6).trim());
          const piped = /^printf '([^']*)' \| npm run boot --silent\b/.exec(fenced);
          if (piped) add(found.piped, piped[1]!.replaceAll("\\n", "\n"));
        }
        fence = null;
      }
      continue;
    }
    if (fence !== null) fence.push(line);
    else prose.push(line);
  }
  const text = prose.join("\n");
  for (const match of text.matchAll(/`([^`\n]+)`/g)) {
    const span = match[1]!;
    if (span.startsWith("?")) {
      if (!span.includes("...")) add(found.queries, span);
      continue;
    }
    const first = span.split(/\s+/)[0]!;
    if (programs.has(first) && !PROSE_NAMES.has(first)) add(found.shell, span);
  }
  for (const match of text.matchAll(/\]\((\?[^)\s]+)\)/g)) add(found.queries, match[1]!);
  return found;
}
