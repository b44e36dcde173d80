// nictest: checks from an ordinary process that the network card is out of
// its reach (docs/network.md): nic_info, nic_send and nic_recv must fail on
// every slot of its capability table, each with a reason. Prints one line
// and exits 0 when nothing reached the card, 1 otherwise.
#include "user.h"

#define CAP_SLOTS 64

static uchar frame[NIC_FRAME_MAX];

int main(void) {
  struct nicinfo info;
  memset(frame, 0xff, 14);
  int reached = 0;
  for (int slot = 0; slot < CAP_SLOTS; slot++) {
    if (nic_info(slot, &info) == 0 || nic_send(slot, frame, 60) == 0 ||
        nic_recv(slot, frame, sizeof frame, NIC_RECV_NOWAIT) >= 0) {
      printf("nictest: slot %d reaches the network card\n", slot);
      reached++;
    } else if (lasterror()[0] == 0) {
      printf("nictest: slot %d failed without a reason\n", slot);
      reached++;
    }
  }
  nic_send(21, frame, 60);
  printf("nictest: slot 21: %s\n", lasterror());
  nic_send(0, frame, 60);
  printf("nictest: slot 0: %s\n", lasterror());
  if (reached) return 1;
  printf("nictest: no slot reaches the network card\n");
  return 0;
}
