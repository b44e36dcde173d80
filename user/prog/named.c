// named: the name service. It maps short names to endpoint capabilities so
// that a process holding only the name service's endpoint can find the other
// services (docs/services.md). init spawns it in capability mode holding the
// console (slots 0-2) and the endpoint it serves (slot 16).
//
// Protocol (user/include/services.h), one call per request:
//   NS_REGISTER  name in buf, capability in cap: kept in this process's
//                table; a second registration of a name replaces the first
//   NS_LOOKUP    name in buf: the reply passes a copy of the registered
//                capability in cap, or w[0] = -1 when the name is unknown
//
// A registered capability lives in a slot of named's own table, so it must
// have Grant and Delegate to travel in and out. Every capability that
// arrives with a request that does not keep it is deleted at once, so
// clients cannot fill the table.
#include "user.h"
#include "services.h"

// Room for a name with some slack: a longer one arrives cut to this size,
// still longer than NS_NAME_MAX, and is refused.
#define NAME_BUF 64

struct entry {
  char name[NS_NAME_MAX + 1];  // NUL-terminated; "" = free
  int slot;                    // where the registered capability sits
};

static struct entry names[NS_MAX_NAMES];
static char request[NAME_BUF];

// The name in a request: its bytes up to len, without trailing NULs. Returns
// its length, or -1 when it is empty, too long or has a NUL inside.
static int request_name(const struct ipcmsg *m, char *out) {
  uint len = m->len;
  while (len > 0 && request[len - 1] == 0) len--;
  if (len == 0 || len > NS_NAME_MAX || memchr(request, 0, len) != 0) return -1;
  memcpy(out, request, len);
  out[len] = 0;
  return (int)len;
}

static struct entry *find(const char *name) {
  for (int i = 0; i < NS_MAX_NAMES; i++)
    if (names[i].name[0] && strcmp(names[i].name, name) == 0) return &names[i];
  return 0;
}

static struct entry *free_entry(void) {
  for (int i = 0; i < NS_MAX_NAMES; i++)
    if (names[i].name[0] == 0) return &names[i];
  return 0;
}

// NS_REGISTER: keeps the capability that arrived in *cap (and sets *cap to
// -1 so the caller does not delete it) unless the request is refused.
static long do_register(const char *name, int *cap) {
  if (*cap < 0) return SVC_ERR_NO_CAP;
  struct entry *e = find(name);
  if (e) {
    cap_delete(e->slot);  // the old registration's capability
  } else {
    e = free_entry();
    if (e == 0) return SVC_ERR_FULL;
    strlcpy(e->name, name, sizeof e->name);
  }
  e->slot = *cap;
  *cap = -1;
  return SVC_OK;
}

int main(void) {
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  for (;;) {
    // Reply (when a call is owed; the first time there is none), then
    // take the next request.
    if (svc_next(&m, (char *)request, sizeof request, "named") < 0) return 1;
    int arrived = m.cap;
    uint64 op = m.w[0];
    char name[NS_NAME_MAX + 1];
    long status;
    int reply_cap = -1;
    if (op != NS_REGISTER && op != NS_LOOKUP) {
      status = SVC_ERR_FAILED;
    } else if (request_name(&m, name) < 0) {
      status = SVC_ERR_BAD_NAME;
    } else if (op == NS_REGISTER) {
      status = do_register(name, &arrived);
    } else {
      struct entry *e = find(name);
      status = e ? SVC_OK : SVC_ERR_FAILED;
      if (e) reply_cap = e->slot;
    }
    if (arrived >= 0) cap_delete(arrived);  // not kept: do not let it pile up
    memset(&m, 0, sizeof m);
    m.w[0] = (uint64)status;
    m.cap = reply_cap;
  }
}
