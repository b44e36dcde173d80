// The receive loop every system service runs (services.h): reply to the
// request just served, if a call is owed, and take the next one. A failed
// reply or an undeliverable message is the sender's loss and the loop goes
// on; a receive that fails because the service's endpoint is gone ends it.
#include "user.h"
#include "services.h"

int svc_next(struct ipcmsg *m, char *buf, uint bufsize, const char *who) {
  for (;;) {
    m->buf = (uint64)buf;
    m->bufsize = bufsize;
    if (ep_replyrecv(SVC_ENDPOINT_SLOT, m) == 0) return 0;
    struct capinfo info;
    if (cap_info(SVC_ENDPOINT_SLOT, &info) < 0 || info.type != CAP_TYPE_ENDPOINT) {
      fprintf(2, "%s: no endpoint at slot %d: %s\n", who, SVC_ENDPOINT_SLOT, lasterror());
      return -1;
    }
    memset(m, 0, sizeof *m);  // nothing was received: no reply is owed
    m->cap = -1;
  }
}

int svc_name_service(void) {
  static struct capslot table[CAP_SLOTS];  // static: the stack is one page
  int n = cap_list(table, CAP_SLOTS);
  if (n > CAP_SLOTS) n = CAP_SLOTS;
  for (int i = 0; i < n; i++)  // cap_list reports slots in ascending order
    if (table[i].type == CAP_TYPE_ENDPOINT) return table[i].slot;
  return -1;
}

int svc_lookup(const char *name) {
  int ns = svc_name_service();
  if (ns < 0) return SVC_LOOKUP_NO_NAME_SERVICE;
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  m.w[0] = NS_LOOKUP;
  m.buf = (uint64)name;
  m.len = (uint)strlen(name);
  if (ep_call(ns, &m) < 0) return SVC_LOOKUP_NO_ANSWER;
  if ((long)m.w[0] != SVC_OK || m.cap < 0) return SVC_LOOKUP_NOT_REGISTERED;
  return m.cap;
}

const char *svc_lookup_error(int code) {
  switch (code) {
    case SVC_LOOKUP_NO_NAME_SERVICE: return "this process holds no endpoint to the name service";
    case SVC_LOOKUP_NO_ANSWER: return "the name service did not answer";
    case SVC_LOOKUP_NOT_REGISTERED: return "the name is not registered with the name service";
    default: return "the name service gave no endpoint";
  }
}
