// The kernel image's extent, for the host to place boot modules after it.

/** First byte past the kernel's static data (asc's __heap_base). */
export function kernelImageEnd(): usize {
  return __heap_base;
}
