// The system calls by number, as `trace` (user/prog/trace.c) decodes them:
// the name, and one letter per argument: d an int, x an address, s a name
// (a NUL-terminated string at that address), b bytes at that address whose
// count is the next argument. host/gdb/kernel-side.test.ts checks it
// against trace.c's table.

export const SYSCALLS: ReadonlyMap<number, { name: string; args: string }> = new Map(
  ([
    [1, "fork", ""], [2, "exit", "d"], [3, "wait", "x"], [4, "pipe", "x"], [5, "read", "dbd"], [6, "kill", "d"],
    [7, "exec", "sx"], [8, "fstat", "dx"], [9, "chdir", "s"], [10, "dup", "d"], [11, "getpid", ""],
    [12, "sbrk", "dd"], [13, "sleep", "d"], [14, "uptime", ""], [15, "open", "sx"], [16, "write", "dbd"],
    [17, "mknod", "sdd"], [18, "unlink", "s"], [19, "link", "sx"], [20, "mkdir", "s"], [21, "close", "d"],
    [100, "procs", "xd"], [101, "setnice", "dd"], [102, "clocknanos", ""], [103, "errstr", "xd"],
    [104, "sbrkmode", "d"], [105, "fsinfo", "x"], [106, "trace", "dxdd"], [110, "sigsend", "dd"],
    [111, "sigaction", "dxx"], [112, "sigprocmask", "dxx"], [113, "sigreturn", ""], [114, "sigpending", "x"],
    [115, "setpgid", "dd"], [116, "getpgid", "d"], [117, "setsid", ""], [118, "getsid", "d"],
    [119, "tcsetpgrp", "dd"], [120, "tcgetpgrp", "d"], [121, "waitpid", "dxd"], [122, "ttymode", "dd"],
    [130, "thread_create", "xxx"], [131, "thread_exit", "d"], [132, "thread_join", "dx"], [133, "gettid", ""],
    [134, "futex_wait", "xdd"], [135, "futex_wake", "xd"],
    [140, "sched_set", "ddd"], [141, "sched_get", "dx"], [142, "setaffinity", "dx"], [143, "getaffinity", "d"],
    [144, "sched_yield", ""], [200, "cap_info", "dx"],
    [201, "cap_derive", "dx"], [202, "cap_copy", "d"], [203, "cap_move", "dd"], [204, "cap_delete", "d"],
    [205, "cap_revoke", "d"], [206, "cap_enter", ""], [207, "openat", "dxd"], [208, "spawn", "xxxd"],
    [209, "cap_list", "xd"], [210, "ep_create", ""], [211, "ep_send", "dx"], [212, "ep_recv", "dx"],
    [213, "ep_call", "dx"], [214, "ep_reply", "x"], [215, "ep_replyrecv", "dx"], [216, "ntfn_create", ""],
    [217, "ntfn_signal", "dx"], [218, "ntfn_wait", "d"], [219, "ntfn_poll", "d"], [220, "shm_create", "d"],
    [221, "shm_map", "dd"], [222, "unlinkat", "dx"], [223, "fspawn", "dxxdd"], [240, "nic_info", "x"],
    [241, "nic_send", "xd"], [242, "nic_recv", "xd"],
  ] as [number, string, string][]).map(([num, name, args]) => [num, { name, args }]),
);

/** Bytes as `trace` prints them: in double quotes, C escapes, `...` after when cut. */
export function quote(bytes: Uint8Array, cut: boolean): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x0a) out += "\\n";
    else if (b === 0x09) out += "\\t";
    else if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, "0")}`;
    else out += String.fromCharCode(b);
  }
  return out + (cut ? '"...' : '"');
}
