// Files the host copies into the running system (Machine.importFile and
// importDir; the page's drag and drop). The kernel does the writing
// (kernel-as/src/sys/import.ts), through its block cache and journal, so a
// copy into a mounted disk is as safe as any write. This module holds what
// the host side checks and how it names the kernel's answers. Pure, no DOM.

/** Bytes of a directory entry's name (docs/fs-format.md). */
export const NAME_MAX_BYTES = 14;
/** What one queued piece carries: a file is split into pieces so that the
 *  kernel takes at most about this much per run() call and the machine
 *  stays responsive (and a progress bar moves). */
export const IMPORT_PIECE_BYTES = 256 * 1024;
/** Largest file the host hands over (the kernel's u32 sizes, and memory). */
export const IMPORT_FILE_MAX_BYTES = 512 * 1024 * 1024;

/** What the kernel answered for one import. */
export interface ImportResult {
  /** 0, or the kernel's FS_ERR_* code (negative). */
  code: number;
  /** null on success, else why, in words ("the name exists"). */
  error: string | null;
  /** The directory the path was taken from (the console's working directory, or the root). */
  baseInum: number;
  /** The file or directory made (0 on failure, and for a probe). */
  inum: number;
}

export const IMPORT_EXISTS = -11;
export const IMPORT_ISDIR = -12;

/** The kernel's FS_ERR_* codes (kernel-as/src/fs/fsstate.ts), in words. */
const FS_ERRORS: Record<number, string> = {
  [-1]: "there is no disk",
  [-2]: "disk I/O error",
  [-3]: "the file system is damaged",
  [-4]: "out of kernel buffers",
  [-5]: "the change is too large for the journal",
  [-6]: "the disk is full",
  [-7]: "the disk has no free inode",
  [-8]: "too many files in use",
  [-9]: "a folder on the way does not exist",
  [-10]: "a name on the way is not a folder",
  [-11]: "the name exists",
  [-12]: "a folder has that name",
  [-14]: "the name is not allowed there",
  [-15]: "the folder is full",
  [-16]: "the file is too large",
  [-17]: "the folder has too many subfolders",
  [-18]: "no disk is mounted",
  [-20]: "out of kernel memory",
  [-22]: "the path is too long",
  [-24]: "the disk is mounted read-only",
};

export function importErrorText(code: number): string | null {
  if (code === 0) return null;
  return FS_ERRORS[code] ?? `file system error ${code}`;
}

/** Why `name` cannot be a directory entry's name, or null when it can. */
export function nameProblem(name: string): string | null {
  if (name === "") return "the name is empty";
  if (name.includes("/")) return `${JSON.stringify(name)} contains "/"`;
  if (name.includes("\0")) return `${JSON.stringify(name)} contains a NUL byte`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u001f\u007f]/.test(name)) return `${JSON.stringify(name)} contains control characters`;
  if (name === "." || name === "..") return `${JSON.stringify(name)} is reserved`;
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > NAME_MAX_BYTES) return `${JSON.stringify(name)} is ${bytes} bytes long; a name holds at most ${NAME_MAX_BYTES}`;
  return null;
}

/** Why `path` (components joined by "/", relative) cannot be imported, or null. */
export function pathProblem(path: string): string | null {
  if (path === "") return "the path is empty";
  if (new TextEncoder().encode(path).length > 240) return `the path ${JSON.stringify(path)} is longer than 240 bytes`;
  for (const part of path.split("/")) {
    const problem = nameProblem(part);
    if (problem !== null) return problem;
  }
  return null;
}

/** `name` cut to at most 14 UTF-8 bytes, never inside a character (a
 *  suggestion for a name that is too long; the extension kept when it fits). */
export function shortenName(name: string): string {
  const encoder = new TextEncoder();
  const fit = (text: string, room: number): string => {
    let out = "";
    let used = 0;
    for (const char of text) {
      const length = encoder.encode(char).length;
      if (used + length > room) break;
      out += char;
      used += length;
    }
    return out;
  };
  if (encoder.encode(name).length <= NAME_MAX_BYTES) return name;
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 ? name.slice(dot) : "";
  const extensionBytes = encoder.encode(extension).length;
  if (extension !== "" && extensionBytes <= 5) {
    const stem = fit(name.slice(0, dot), NAME_MAX_BYTES - extensionBytes);
    if (stem !== "") return stem + extension;
  }
  return fit(name, NAME_MAX_BYTES);
}
