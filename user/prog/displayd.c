// displayd: the display service. It owns the VGA text screen (80x25 cells
// of character and attribute bytes) through a shared memory capability and
// draws what its clients send: a title on row 0, named text panes stacked
// below it, each under a one-row header, and a status line on row 24
// (docs/services.md). init spawns it in capability mode holding the console
// (slots 0-2), the endpoint it serves (slot 16) and the VGA object (slot 20).
//
// Protocol (user/include/services.h), one call per request:
//   DS_PANE    name in buf, w[1] rows wanted -> w[1] pane id (same name,
//              same pane)
//   DS_WRITE   w[1] pane, w[2] attribute (0 = the pane's), text in buf:
//              appended with wrapping and scrolling, '\n' starts a line
//   DS_STATUS  text in buf -> the status line
//   DS_CLEAR   w[1] pane
// Unknown operations and bad pane ids are answered with w[0] = -1.
//
// The buffer is mapped at start-up, which stops the kernel echoing its
// console onto the screen: from then on the screen is the display's, not a
// copy of the console. displayd keeps the boot messages and writes a hint on
// the status line (BOOT_HINT); the screen is taken over (cleared and drawn)
// on the first request.
#include "user.h"
#include "services.h"

// Attributes: background colour in the high nibble, foreground in the low.
#define ATTR_TITLE 0x1F    // bright white on blue
#define ATTR_HEADER 0x0B   // light cyan on black: a pane's header row
#define ATTR_STATUS 0x70   // black on light grey
#define ATTR_BLANK 0x07    // light grey on black
#define HEADER_RULE 0xC4   // CP437 horizontal line, drawn beside a pane's name
#define TAB_WIDTH 8
// The status line until a client sets one: what this screen is.
#define BOOT_HINT "display service: programs draw here (try: show log hello); type in the console"

#define TITLE_ROW 0
#define STATUS_ROW (VGA_ROWS - 1)
#define FIRST_PANE_ROW 1   // panes fill rows 1..23

// The default text colours given to panes in turn.
static const uchar pane_colours[] = {0x0F, 0x0A, 0x0E, 0x0D, 0x0B, 0x0C};
#define PANE_COLOURS (sizeof pane_colours / sizeof pane_colours[0])

struct pane {
  char name[DS_NAME_MAX + 1];  // "" = unused
  int top;                     // first text row on the screen (its header is top - 1)
  int rows;                    // text rows
  int row, col;                // cursor inside the pane; col == VGA_COLS: wrap pending
  int newline_pending;         // a '\n' not yet acted on
  uchar attr;                  // default attribute
};

static volatile uchar *screen;      // the VGA buffer, VGA_BYTES long
static struct pane panes[DS_MAX_PANES];
static int next_free_row = FIRST_PANE_ROW;
static int taken_over;
static char request[IPC_MAX_BYTES];

static void put_cell(int row, int col, uchar ch, uchar attr) {
  volatile uchar *cell = screen + (row * VGA_COLS + col) * 2;
  cell[0] = ch;
  cell[1] = attr;
}

static void fill_row(int row, uchar ch, uchar attr) {
  for (int col = 0; col < VGA_COLS; col++) put_cell(row, col, ch, attr);
}

// Writes text at (row, col) without wrapping; returns the column after it.
static int put_text(int row, int col, const char *text, int len, uchar attr) {
  for (int i = 0; i < len && col < VGA_COLS; i++) put_cell(row, col++, (uchar)text[i], attr);
  return col;
}

static void take_over(void) {
  for (int row = 0; row < VGA_ROWS; row++) fill_row(row, ' ', ATTR_BLANK);
  fill_row(TITLE_ROW, ' ', ATTR_TITLE);
  const char *title = "Keel display service";
  put_text(TITLE_ROW, 1, title, (int)strlen(title), ATTR_TITLE);
  fill_row(STATUS_ROW, ' ', ATTR_STATUS);
  taken_over = 1;
}

static void draw_header(const struct pane *p) {
  int row = p->top - 1;
  fill_row(row, HEADER_RULE, ATTR_HEADER);
  int col = put_text(row, 2, " ", 1, ATTR_HEADER);
  col = put_text(row, col, p->name, (int)strlen(p->name), ATTR_HEADER);
  put_text(row, col, " ", 1, ATTR_HEADER);
}

static void clear_pane(struct pane *p) {
  for (int r = 0; r < p->rows; r++) fill_row(p->top + r, ' ', p->attr);
  p->row = 0;
  p->col = 0;
  p->newline_pending = 0;
}

// Moves the cursor to the start of the next line, scrolling the pane's text
// up by one row when it is on the last one.
static void new_line(struct pane *p) {
  p->col = 0;
  if (p->row + 1 < p->rows) {
    p->row++;
    return;
  }
  volatile uchar *first = screen + p->top * VGA_COLS * 2;
  for (int i = 0; i < (p->rows - 1) * VGA_COLS * 2; i++) first[i] = first[i + VGA_COLS * 2];
  fill_row(p->top + p->rows - 1, ' ', p->attr);
}

// Both line breaks are deferred until a character needs the next line: a
// line of exactly VGA_COLS characters followed by '\n' leaves no blank
// line, and the text written last stays on the pane's bottom row instead of
// being scrolled up to make room for an empty cursor line.
static void pane_putc(struct pane *p, uchar ch, uchar attr) {
  if (ch == 0) return;  // a client's terminating NUL
  if (ch == '\n') {
    if (p->newline_pending) new_line(p);
    p->newline_pending = 1;
    return;
  }
  if (ch == '\r') {
    p->col = 0;
    p->newline_pending = 0;
    return;
  }
  if (ch == '\t') {
    do pane_putc(p, ' ', attr); while (p->col % TAB_WIDTH != 0);
    return;
  }
  if (ch < ' ' || ch == 0x7F) ch = '?';  // no control characters on the screen
  if (p->newline_pending || p->col == VGA_COLS) new_line(p);
  p->newline_pending = 0;
  put_cell(p->top + p->row, p->col++, ch, attr);
}

// The pane for an id from a request, or 0.
static struct pane *pane_by_id(uint64 id) {
  if (id < 1 || id > DS_MAX_PANES) return 0;
  struct pane *p = &panes[id - 1];
  return p->name[0] ? p : 0;
}

// DS_PANE: finds the pane called name or makes one below the last, with up
// to `wanted` text rows (fewer when the screen has no more).
static long do_pane(const char *name, uint64 wanted, uint64 *id) {
  for (int i = 0; i < DS_MAX_PANES; i++) {
    if (panes[i].name[0] && strcmp(panes[i].name, name) == 0) {
      *id = (uint64)(i + 1);
      return SVC_OK;
    }
  }
  int i = 0;
  while (i < DS_MAX_PANES && panes[i].name[0]) i++;
  int room = STATUS_ROW - next_free_row - 1;  // text rows left under a header
  if (i == DS_MAX_PANES || room < 1) return SVC_ERR_FULL;
  int rows = wanted == 0 ? DS_DEFAULT_ROWS : wanted > (uint64)room ? room : (int)wanted;
  struct pane *p = &panes[i];
  strlcpy(p->name, name, sizeof p->name);
  p->top = next_free_row + 1;
  p->rows = rows;
  p->attr = pane_colours[i % PANE_COLOURS];
  next_free_row = p->top + rows;
  draw_header(p);
  clear_pane(p);
  *id = (uint64)(i + 1);
  return SVC_OK;
}

static void do_status(const char *text, uint len) {
  fill_row(STATUS_ROW, ' ', ATTR_STATUS);
  int col = 1;
  for (uint i = 0; i < len && col < VGA_COLS; i++) {
    uchar ch = (uchar)text[i];
    if (ch == '\n' || ch == 0) break;
    put_cell(STATUS_ROW, col++, ch < ' ' ? '?' : ch, ATTR_STATUS);
  }
}

// The name in a request: its bytes without trailing NULs; -1 when empty,
// too long or with a NUL inside.
static int request_name(uint len, char *out) {
  while (len > 0 && request[len - 1] == 0) len--;
  if (len == 0 || len > DS_NAME_MAX || memchr(request, 0, len) != 0) return -1;
  memcpy(out, request, len);
  out[len] = 0;
  return (int)len;
}

// Decodes and performs one request; returns the status for w[0] and may
// set w[1] of the reply.
static long serve(const struct ipcmsg *m, uint64 *result) {
  uint64 op = m->w[0];
  if (op < DS_PANE || op > DS_CLEAR) return SVC_ERR_FAILED;
  struct pane *p = 0;
  char name[DS_NAME_MAX + 1];
  if (op == DS_PANE && request_name(m->len, name) < 0) return SVC_ERR_BAD_NAME;
  if (op == DS_WRITE || op == DS_CLEAR) {
    p = pane_by_id(m->w[1]);
    if (p == 0) return SVC_ERR_FAILED;
  }
  if (!taken_over) take_over();
  switch (op) {
    case DS_PANE:
      return do_pane(name, m->w[1], result);
    case DS_WRITE: {
      uchar attr = m->w[2] ? (uchar)m->w[2] : p->attr;
      for (uint i = 0; i < m->len; i++) pane_putc(p, (uchar)request[i], attr);
      return SVC_OK;
    }
    case DS_STATUS:
      do_status(request, m->len);
      return SVC_OK;
    default:  // DS_CLEAR
      clear_pane(p);
      return SVC_OK;
  }
}

// The screen is mapped at start (mapping it hands the screen over: the
// kernel stops echoing its console there). Without a screen displayd still
// serves, answering every request with SVC_ERR_NO_DEVICE: were it to exit,
// the copies of its endpoint held by named and by clients would keep the
// endpoint alive with no receiver, and their calls would wait for ever.
static int map_tried;

static void map_screen(void) {
  if (map_tried) return;
  map_tried = 1;
  void *mapped = shm_map(SVC_VGA_SLOT);
  if (mapped == (void *)-1) fprintf(2, "displayd: cannot map the VGA buffer (slot %d): %s; refusing every request\n", SVC_VGA_SLOT, lasterror());
  else screen = mapped;
}

int main(void) {
  map_screen();
  if (screen) do_status(BOOT_HINT, (uint)strlen(BOOT_HINT));
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  for (;;) {
    if (svc_next(&m, (char *)request, sizeof request, "displayd") < 0) return 1;
    if (m.cap >= 0) cap_delete(m.cap);  // displayd keeps no capabilities
    uint64 result = 0;
    long status = screen ? serve(&m, &result) : SVC_ERR_NO_DEVICE;
    memset(&m, 0, sizeof m);
    m.w[0] = (uint64)status;
    m.w[1] = result;
    m.cap = -1;
  }
}
