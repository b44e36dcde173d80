// Names for the capability layer's numbers, shared by caps, captest and
// anything else that prints a capability. Pure functions: no system calls,
// so the file also builds for the host (user/caps.test.ts).
#include "user.h"

// Indexed by CAP_TYPE_*; entry 0 is no type.
static const char *const type_names[] = {
  "?", "file", "dir", "pipe-r", "pipe-w", "console", "endpoint", "notify", "memory", "process", "cspace", "device",
};
#define TYPE_COUNT ((int)(sizeof type_names / sizeof type_names[0]))

const char *cap_type_name(int type) {
  if (type <= 0 || type >= TYPE_COUNT) return "?";
  return type_names[type];
}

// Letter i stands for right bit i: Read, Write, Execute, Delete, Grant,
// Delegate. Bits above the six are not rights and are ignored.
static const char right_letters[] = "rwxdgD";
#define RIGHT_COUNT 6

void cap_rights_string(int rights, char *out) {
  for (int i = 0; i < RIGHT_COUNT; i++) out[i] = (rights & (1 << i)) ? right_letters[i] : '-';
  out[RIGHT_COUNT] = 0;
}
