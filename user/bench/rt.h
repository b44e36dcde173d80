/* Tiny freestanding runtime for the benchmark programs: write/exit through
 * the bare hart runner convention (Linux numbers 64 and 93) on RISC-V, plain
 * libc calls on the native build, and small output helpers. Each program
 * defines main() and includes this header exactly once. */
#ifndef KEEL_BENCH_RT_H
#define KEEL_BENCH_RT_H

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#ifdef __riscv
/* KEEL_ABI: the copies that run under Keel's shell (bin/keel/, the system
 * benchmark bench/jit-system.bench.ts) use Keel's numbers, write 16 and exit 2. */
#ifdef KEEL_ABI
#define SYS_WRITE 16
#define SYS_EXIT 2
#else
#define SYS_WRITE 64
#define SYS_EXIT 93
#endif
#define RT_STR(x) #x
#define RT_XSTR(x) RT_STR(x)

static long sys_write(int fd, const void *buf, u64 len) {
  register long a0 __asm__("a0") = fd;
  register long a1 __asm__("a1") = (long)buf;
  register long a2 __asm__("a2") = (long)len;
  register long a7 __asm__("a7") = SYS_WRITE;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}

static void __attribute__((noreturn)) sys_exit(int status) {
  register long a0 __asm__("a0") = status;
  register long a7 __asm__("a7") = SYS_EXIT;
  __asm__ volatile("ecall" : : "r"(a0), "r"(a7) : "memory");
  for (;;) {}
}

int main(void);

/* The loader sets sp; main's result is the exit status. */
__asm__(".section .text._start,\"ax\",@progbits\n"
        ".globl _start\n"
        "_start:\n"
        "  call main\n"
        "  li a7, " RT_XSTR(SYS_EXIT) "\n"
        "  ecall\n"
        "  j _start\n"
        ".text\n");

/* The compiler may emit calls to these for struct copies and loops. */
void *memset(void *d, int c, u64 n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}
void *memcpy(void *d, const void *s, u64 n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}
#else
#include <unistd.h>
#include <stdlib.h>
static long sys_write(int fd, const void *buf, u64 len) { return write(fd, buf, len); }
static void sys_exit(int status) { exit(status); }
#endif

static u64 str_len(const char *s) {
  u64 n = 0;
  while (s[n]) n++;
  return n;
}

static void put_str(const char *s) { sys_write(1, s, str_len(s)); }

static void put_hex(u64 v, int digits) {
  char buf[17];
  for (int i = digits - 1; i >= 0; i--) {
    buf[i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  }
  sys_write(1, buf, (u64)digits);
}

static void put_dec(u64 v) {
  char buf[21];
  int i = 20;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put_str(buf + i);
}

/* xorshift64*: the same stream on every platform. */
static u64 rng_state = 0x9E3779B97F4A7C15ul;
static u64 rng_next(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dul;
}

#endif
