// System call names, for messages (the kernel panic names the call it was
// in). Layer: sys, a leaf module: it imports nothing, so lib/panic.ts can
// use it without depending on the personalities. The numbers are those of
// sys/unix.ts and sys/native.ts (docs/abi.md).

/** The name of system call `num`, or "unknown". */
export function syscallName(num: u32): string {
  switch (num) {
    case 1: return "fork";
    case 2: return "exit";
    case 3: return "wait";
    case 4: return "pipe";
    case 5: return "read";
    case 6: return "kill";
    case 7: return "exec";
    case 8: return "fstat";
    case 9: return "chdir";
    case 10: return "dup";
    case 11: return "getpid";
    case 12: return "sbrk";
    case 13: return "sleep";
    case 14: return "uptime";
    case 15: return "open";
    case 16: return "write";
    case 17: return "mknod";
    case 18: return "unlink";
    case 19: return "link";
    case 20: return "mkdir";
    case 21: return "close";
    case 100: return "procs";
    case 101: return "setnice";
    case 102: return "clocknanos";
    case 103: return "errstr";
    case 104: return "sbrklazy";
    case 105: return "fsinfo";
    case 106: return "trace";
    case 130: return "thread_create";
    case 131: return "thread_exit";
    case 132: return "thread_join";
    case 133: return "gettid";
    case 134: return "futex_wait";
    case 135: return "futex_wake";
    case 140: return "sched_set";
    case 141: return "sched_get";
    case 142: return "setaffinity";
    case 143: return "getaffinity";
    case 144: return "sched_yield";
    case 200: return "cap_info";
    case 201: return "cap_derive";
    case 202: return "cap_copy";
    case 203: return "cap_move";
    case 204: return "cap_delete";
    case 205: return "cap_revoke";
    case 206: return "cap_enter";
    case 207: return "openat";
    case 208: return "spawn";
    case 209: return "cap_list";
    case 210: return "ep_create";
    case 211: return "ep_send";
    case 212: return "ep_recv";
    case 213: return "ep_call";
    case 214: return "ep_reply";
    case 215: return "ep_replyrecv";
    case 216: return "ntfn_create";
    case 217: return "ntfn_signal";
    case 218: return "ntfn_wait";
    case 219: return "ntfn_poll";
    case 220: return "shm_create";
    case 221: return "shm_map";
    case 222: return "unlinkat";
    case 223: return "fspawn";
    default: return "unknown";
  }
}
