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
