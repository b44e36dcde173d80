// show: writes to the VGA screen through the display service. It finds the
// service by asking the name service for "display", through the name
// service endpoint it inherited from init by way of the shell: the lowest
// endpoint slot it holds, normally 16 (docs/services.md).
//
//   show [-r ROWS] [-c ATTR] PANE TEXT...   appends TEXT and a newline to the
//                                           pane PANE (made with ROWS rows
//                                           if new; ATTR is a VGA attribute
//                                           byte, e.g. 0x1e, 0 = the pane's)
//   show -s TEXT...                         sets the status line
//   show -x PANE                            clears the pane
#include "user.h"
#include "services.h"

static void usage(void) {
  fprintf(2, "usage: show [-r ROWS] [-c ATTR] PANE TEXT... | show -s TEXT... | show -x PANE\n");
  exit(2);
}

static void msg_init(struct ipcmsg *m, uint64 op) {
  memset(m, 0, sizeof *m);
  m->cap = -1;
  m->w[0] = op;
}



// Asks the name service for the display service; returns the endpoint slot.
static int display_service(void) {
  int ds = svc_lookup(DISPLAY_SERVICE_NAME);
  if (ds < 0) {
    fprintf(2, "show: no display service (\"%s\"): %s\n", DISPLAY_SERVICE_NAME, svc_lookup_error(ds));
    exit(1);
  }
  return ds;
}

// One call to the display service; exits with a message when it fails.
static struct ipcmsg request(int ds, uint64 op, uint64 w1, uint64 w2, const char *text, uint len) {
  struct ipcmsg m;
  msg_init(&m, op);
  m.w[1] = w1;
  m.w[2] = w2;
  m.buf = (uint64)text;
  m.len = len;
  if (ep_call(ds, &m) < 0) {
    fprintf(2, "show: the display service did not answer: %s\n", lasterror());
    exit(1);
  }
  long status = (long)m.w[0];
  if (status != SVC_OK) {
    const char *why = status == SVC_ERR_BAD_NAME ? "bad pane name (1 to 14 bytes)"
                      : status == SVC_ERR_FULL    ? "no room on the screen for another pane"
                      : status == SVC_ERR_NO_DEVICE ? "it has no screen"
                                                  : "refused";
    fprintf(2, "show: display service: %s\n", why);
    exit(1);
  }
  return m;
}

// argv[0..argc) joined by spaces, with a newline when `newline`.
static char *join(int argc, char **argv, int newline, uint *len) {
  static char text[IPC_MAX_BYTES];
  uint n = 0;
  for (int i = 0; i < argc; i++) {
    if (i > 0 && n < sizeof text) text[n++] = ' ';
    for (const char *s = argv[i]; *s && n < sizeof text; s++) text[n++] = *s;
  }
  if (newline && n < sizeof text) text[n++] = '\n';
  *len = n;
  return text;
}

static uint64 pane(int ds, const char *name, int rows) {
  return request(ds, DS_PANE, (uint64)rows, 0, name, (uint)strlen(name)).w[1];
}

int main(int argc, char **argv) {
  int rows = 0, attr = 0, i = 1;
  if (argc >= 2 && strcmp(argv[1], "-s") == 0) {
    uint len;
    char *text = join(argc - 2, argv + 2, 0, &len);
    request(display_service(), DS_STATUS, 0, 0, text, len);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "-x") == 0) {
    int ds = display_service();
    request(ds, DS_CLEAR, pane(ds, argv[2], 0), 0, "", 0);
    return 0;
  }
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    char *end;
    long value = strtol(argv[i + 1], &end, 0);
    if (*end != 0) usage();
    if (strcmp(argv[i], "-r") == 0 && value > 0 && value < VGA_ROWS) rows = (int)value;
    else if (strcmp(argv[i], "-c") == 0 && value >= 0 && value <= 0xFF) attr = (int)value;
    else usage();
  }
  if (argc - i < 2) usage();
  int ds = display_service();
  uint64 id = pane(ds, argv[i], rows);
  uint len;
  char *text = join(argc - i - 1, argv + i + 1, 1, &len);
  request(ds, DS_WRITE, id, (uint64)attr, text, len);
  return 0;
}
