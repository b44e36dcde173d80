// Keel user land: what every command does, in one place. The shell's
// `help` lists the table and `help NAME` prints one entry; host/signals.test.ts
// checks that every program in user/prog and every shell builtin has one.
#include "user.h"
#include "help.h"

static const struct help_entry entries[] = {
    // The shell's builtins.
    {"cd", "cd [DIR]", "change the shell's directory (default /)", HELP_BUILTIN},
    {"exit", "exit [STATUS]", "leave the shell", HELP_BUILTIN},
    {"help", "help [NAME]", "list the commands, or say how to use one", HELP_BUILTIN},
    {"history", "history", "list the lines typed at the shell, oldest first (Up and Down recall them; kept in /.sh_history)", HELP_BUILTIN},
    {"jobs", "jobs [-l]", "list the jobs started with & or stopped with Ctrl-Z (-l: with their groups)", HELP_BUILTIN},
    {"fg", "fg [%N]", "bring job N (default: the latest) to the foreground", HELP_BUILTIN},
    {"bg", "bg [%N]", "continue stopped job N (default: the latest) in the background", HELP_BUILTIN},
    // Programs.
    {"amocount", "amocount [N]", "test: two processes add to shared words with AMOs and LR/SC at once; no update lost", HELP_TEST},
    {"capdemo", "capdemo [SECONDS]", "watch a capability being revoked from a child", HELP_PROGRAM},
    {"capescape", "capescape", "test: try every way out of capability mode", HELP_TEST},
    {"capops", "capops", "test: capability operations typed one a line", HELP_TEST},
    {"caps", "caps", "list this process's capabilities (slot, type, rights)", HELP_PROGRAM},
    {"captest", "captest", "test: the capability calls' checks and denials", HELP_TEST},
    {"cat", "cat [FILE...]", "copy files (or standard input) to standard output", HELP_PROGRAM},
    {"chrt", "chrt [-f|-r|-o|-b|-i] PRIO COMMAND [ARG...] | chrt [-f|-r|-o|-b|-i] -p PRIO PID | chrt -p PID", "run a command in a scheduling class, or show or change one", HELP_PROGRAM},
    {"cksum", "cksum [FILE...]", "CRC-32 and byte count of each file", HELP_PROGRAM},
    {"cowtest", "cowtest share|copy|kernel", "test: copy-on-write fork (lab cow)", HELP_TEST},
    {"df", "df", "space and inodes left on the disk", HELP_PROGRAM},
    {"download", "download FILE...", "save files out: the page downloads them, the headless runner writes them to the host", HELP_PROGRAM},
    {"displayd", "displayd", "the display service (init starts it)", HELP_SERVICE},
    {"echo", "echo [-n] [WORD...]", "print the words", HELP_PROGRAM},
    {"false", "false", "exit with status 1", HELP_PROGRAM},
    {"forktest", "forktest [N]", "test: fork N children and wait for each", HELP_TEST},
    {"fptest", "fptest [fork]", "test: doubles printed with %f %e %g; FP state per process (rv64gc)", HELP_TEST},
    {"fsbench", "fsbench", "benchmark the file system", HELP_PROGRAM},
    {"fuzz", "fuzz SEED CALLS [WORKERS]", "test: the system-call fuzzer", HELP_TEST},
    {"gdbthreads", "gdbthreads", "test: two worker threads and a write(), for gdb's threads and watchpoints (docs/debugging.md)", HELP_TEST},
    {"grep", "grep PATTERN [FILE...]", "print lines matching PATTERN ('.', '*', '^', '$')", HELP_PROGRAM},
    {"httpd", "httpd [-p PORT] [-n COUNT] [DIR]", "serve files over HTTP/1.1", HELP_PROGRAM},
    {"ifconfig", "ifconfig", "show the network interface: address, MAC, counters", HELP_PROGRAM},
    {"init", "init", "the first process: starts the services and the shell", HELP_SERVICE},
    {"ipcping", "ipcping [N]", "time IPC round trips between two processes", HELP_PROGRAM},
    {"ipctest", "ipctest", "test: endpoints and notifications", HELP_TEST},
    {"kbench", "kbench", "benchmark the kernel from user space", HELP_PROGRAM},
    {"kill", "kill [-SIGNAL] PID...", "end a process, or send it a signal (-INT, -STOP, -9; kill -l lists them)", HELP_PROGRAM},
    {"ln", "ln OLD NEW", "give a file a second name", HELP_PROGRAM},
    {"ls", "ls [-l] [PATH...]", "list files: name, type, inode, size (-l: long, with links)", HELP_PROGRAM},
    {"memtest", "memtest CASE", "test: the memory limits and the OOM policy", HELP_TEST},
    {"mkdir", "mkdir DIR...", "make directories", HELP_PROGRAM},
    {"named", "named", "the name service (init starts it)", HELP_SERVICE},
    {"nc", "nc [-u] [-d] HOST PORT | nc [-u] [-d] -l PORT", "TCP or UDP between standard input/output and a peer", HELP_PROGRAM},
    {"netd", "netd", "the network service: ARP, IPv4, ICMP echo, UDP, TCP, sockets (init starts it)", HELP_SERVICE},
    {"netstat", "netstat [-s]", "sockets and their TCP state, or netd's TCP counters", HELP_PROGRAM},
    {"nice", "nice N COMMAND [ARG...] | nice -p PID N", "run a command at another priority, or change one", HELP_PROGRAM},
    {"nictest", "nictest", "test: the network card is out of an ordinary process's reach", HELP_TEST},
    {"pattern", "pattern [-v] BYTES [SEED]", "write a deterministic byte stream, or check standard input is one", HELP_PROGRAM},
    {"ping", "ping [-c COUNT] [-W TICKS] HOST", "send ICMP echo requests and show the round trips", HELP_PROGRAM},
    {"prioinv", "prioinv [nested]", "test: priority inversion between an IPC client and a server, and inheritance resolving it", HELP_TEST},
    {"ps", "ps", "list processes: pid, parent, state, nice, class, priority, CPU time, memory", HELP_PROGRAM},
    {"rm", "rm FILE...", "remove files", HELP_PROGRAM},
    {"sandbox", "sandbox COMMAND [ARG...]", "run a command in capability mode with only the console", HELP_PROGRAM},
    {"schedtest", "schedtest CASE", "test: scheduling classes, affinity and fork's inheritance of them", HELP_TEST},
    {"sh", "sh [FILE | -c COMMANDS]", "the shell; on the console: line editing, history (Up, Down), Tab completion", HELP_PROGRAM},
    {"segs", "segs", "test: a program linked with -Ttext= (segments mid-page)", HELP_TEST},
    {"shmtest", "shmtest", "test: shared memory between processes", HELP_TEST},
    {"show", "show PANE TEXT... | show -s TEXT... | show -x PANE", "write on the VGA screen through the display service", HELP_PROGRAM},
    {"sigtest", "sigtest CHECK... | sigtest all", "test: signals, handlers, stop and continue, groups", HELP_TEST},
    {"sleep", "sleep TICKS", "pause for TICKS ticks of 10 ms", HELP_PROGRAM},
    {"socktest", "socktest [ADDRESS PORT]", "test: bad socket calls get an error with a reason", HELP_TEST},
    {"spin", "spin N SECONDS [NICE...]", "run N CPU-bound children and show their shares (Ctrl-C stops it)", HELP_PROGRAM},
    {"stressfs", "stressfs [N] [KIB]", "test: N writers at once on the file system", HELP_TEST},
    {"syscalltest", "syscalltest", "test: every system call with wild arguments", HELP_TEST},
    {"taskset", "taskset MASK COMMAND [ARG...] | taskset -p [MASK] PID", "run a command on some vCPUs only, or show or change a process's CPU mask", HELP_PROGRAM},
    {"threadtest", "threadtest", "test: threads and futexes, and the thread library (threads, mutexes, condition variables, barriers)", HELP_TEST},
    {"trace", "trace [-e CALL,...] CMD [ARG...] | -p PID", "run CMD (or follow process PID), printing its system calls as they happen", HELP_PROGRAM},
    {"true", "true", "exit with status 0", HELP_PROGRAM},
    {"udp", "udp send HOST PORT TEXT | udp echo PORT [COUNT]", "send a UDP datagram and show the reply, or echo datagrams back", HELP_PROGRAM},
    {"ugetpid", "ugetpid [write]", "test: the pid page a kernel maps for a fast getpid (lab ugetpid)", HELP_TEST},
    {"unixtest", "unixtest CHECK...", "test: xv6's results for orphans, sleep, kill, the stack", HELP_TEST},
    {"wc", "wc [FILE...]", "count lines, words and bytes", HELP_PROGRAM},
    {"wget", "wget [-q] [-O FILE] http://HOST[:PORT]/PATH", "fetch a URL over HTTP/1.1", HELP_PROGRAM},
};
#define NENTRIES (sizeof entries / sizeof entries[0])

const struct help_entry *help_find(const char *name) {
  for (uint i = 0; i < NENTRIES; i++)
    if (strcmp(entries[i].name, name) == 0) return &entries[i];
  return 0;
}

const struct help_entry *help_at(int i) { return i >= 0 && (uint)i < NENTRIES ? &entries[i] : 0; }
