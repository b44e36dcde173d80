/* A larger, branchy workload in the spirit of CoreMark (our own code, not
 * CoreMark's): each iteration walks and reorders a linked list, multiplies
 * small integer matrices, runs a byte-driven state machine over generated
 * text and folds everything into a CRC-16. Data-dependent branches, short
 * loops, pointer chasing and calls, as in real programs, rather than one
 * tight loop. Prints the iteration count and the final CRC, which the
 * benchmark compares between every runner. */
#include "rt.h"

#define ITERATIONS 3000
#define LIST_LEN 96
#define MAT_N 12
#define TEXT_LEN 512

/* ---- CRC-16 (CCITT polynomial, bit by bit: branchy on purpose) ---- */

static u32 crc16_byte(u32 crc, u32 byte) {
  crc ^= byte << 8;
  for (int i = 0; i < 8; i++) crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
  return crc;
}

static u32 crc16_word(u32 crc, u32 word) {
  crc = crc16_byte(crc, word & 0xFF);
  crc = crc16_byte(crc, (word >> 8) & 0xFF);
  crc = crc16_byte(crc, (word >> 16) & 0xFF);
  return crc16_byte(crc, word >> 24);
}

/* ---- Linked list: find, reverse, insertion sort by key ---- */

struct node {
  struct node *next;
  int key;
  int value;
};

static struct node pool[LIST_LEN];

static struct node *list_build(u32 seed) {
  struct node *head = 0;
  for (int i = 0; i < LIST_LEN; i++) {
    seed = seed * 1103515245u + 12345u;
    pool[i].key = (int)((seed >> 16) & 0x3FF);
    pool[i].value = i;
    pool[i].next = head;
    head = &pool[i];
  }
  return head;
}

static struct node *list_reverse(struct node *head) {
  struct node *prev = 0;
  while (head) {
    struct node *next = head->next;
    head->next = prev;
    prev = head;
    head = next;
  }
  return prev;
}

static struct node *list_find(struct node *head, int key) {
  while (head && head->key != key) head = head->next;
  return head;
}

static struct node *list_sort(struct node *head) {
  struct node *sorted = 0;
  while (head) {
    struct node *next = head->next;
    if (!sorted || head->key < sorted->key || (head->key == sorted->key && head->value < sorted->value)) {
      head->next = sorted;
      sorted = head;
    } else {
      struct node *at = sorted;
      while (at->next && (at->next->key < head->key || (at->next->key == head->key && at->next->value < head->value))) at = at->next;
      head->next = at->next;
      at->next = head;
    }
    head = next;
  }
  return sorted;
}

static u32 list_work(u32 crc, u32 seed) {
  struct node *head = list_build(seed);
  head = list_reverse(head);
  int found = 0;
  for (int k = 0; k < 64; k++) {
    struct node *n = list_find(head, (k * 37) & 0x3FF);
    if (n) found += n->value;
    else found -= 1;
  }
  head = list_sort(head);
  for (struct node *n = head; n; n = n->next) crc = crc16_word(crc, (u32)(n->key << 8 | (n->value & 0xFF)));
  return crc16_word(crc, (u32)found);
}

/* ---- Small integer matrices: multiply, add a constant, bit tests ---- */

static short mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N];
static int mat_c[MAT_N][MAT_N];

static u32 matrix_work(u32 crc, u32 seed) {
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      seed = seed * 1664525u + 1013904223u;
      mat_a[i][j] = (short)((seed >> 20) & 0xFF) - 128;
      mat_b[i][j] = (short)((seed >> 8) & 0x7F);
    }
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      int sum = 0;
      for (int k = 0; k < MAT_N; k++) sum += mat_a[i][k] * mat_b[k][j];
      mat_c[i][j] = sum;
    }
  int positives = 0, odd = 0, big = 0;
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      int v = mat_c[i][j] + (i ^ j);
      if (v > 0) positives++;
      if (v & 1) odd++;
      if (v > 2000 || v < -2000) big++;
      mat_c[i][j] = v;
    }
  crc = crc16_word(crc, (u32)mat_c[MAT_N / 2][MAT_N / 3]);
  return crc16_word(crc, (u32)(positives | odd << 8 | big << 16));
}

/* ---- A state machine over generated text: numbers, words, punctuation ---- */

enum state { START, INTEGER, DECIMAL, EXPONENT, WORD, SPACE, OTHER, STATES };

static char text[TEXT_LEN];

static void text_build(u32 seed) {
  static const char alphabet[] = "0123456789.e+- abcxyz,;";
  for (int i = 0; i < TEXT_LEN; i++) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    text[i] = alphabet[seed % (sizeof alphabet - 1)];
  }
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_letter(char c) { return c >= 'a' && c <= 'z'; }

static u32 scan_work(u32 crc, u32 seed) {
  u32 counts[STATES] = {0};
  text_build(seed);
  enum state s = START;
  for (int i = 0; i < TEXT_LEN; i++) {
    char c = text[i];
    switch (s) {
    case START:
    case SPACE:
    case OTHER:
      if (is_digit(c)) s = INTEGER;
      else if (c == '.') s = DECIMAL;
      else if (is_letter(c)) s = WORD;
      else if (c == ' ') s = SPACE;
      else s = OTHER;
      break;
    case INTEGER:
      if (is_digit(c)) break;
      if (c == '.') s = DECIMAL;
      else if (c == 'e') s = EXPONENT;
      else { counts[INTEGER]++; s = c == ' ' ? SPACE : OTHER; }
      break;
    case DECIMAL:
      if (is_digit(c)) break;
      if (c == 'e') s = EXPONENT;
      else { counts[DECIMAL]++; s = c == ' ' ? SPACE : OTHER; }
      break;
    case EXPONENT:
      if (is_digit(c) || c == '+' || c == '-') break;
      counts[EXPONENT]++;
      s = c == ' ' ? SPACE : OTHER;
      break;
    case WORD:
      if (is_letter(c) || is_digit(c)) break;
      counts[WORD]++;
      s = c == ' ' ? SPACE : OTHER;
      break;
    default:
      s = START;
    }
    counts[s == SPACE ? SPACE : OTHER] += (c == ',' || c == ';');
  }
  for (int i = 0; i < STATES; i++) crc = crc16_word(crc, counts[i]);
  return crc;
}

int main(void) {
  u32 crc = 0xFFFF;
  for (u32 it = 0; it < ITERATIONS; it++) {
    u32 seed = (u32)(rng_next() >> 32);
    crc = list_work(crc, seed);
    crc = matrix_work(crc, seed ^ crc);
    crc = scan_work(crc, seed + crc);
  }
  put_str("branchy: ");
  put_dec(ITERATIONS);
  put_str(" iterations crc ");
  put_hex(crc, 4);
  put_str("\n");
  return 0;
}
