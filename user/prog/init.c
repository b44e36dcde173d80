// init: the first user process.
//
// Opens the console read-write (creating the device node with
// mknod("console", 1, 0) if the open fails), makes it fds 0, 1 and 2,
// starts the system services (docs/services.md), then runs the shell
// forever: it waits for children, which reaps the orphans the kernel
// re-parents to init, and starts a new shell whenever the current one exits.
//
// The services: the name service /named on a new endpoint (normally slot
// 16) and the display service /displayd on another, holding the VGA memory
// object the kernel gives init at slot 20; "display" is registered with the
// name service. init then drops the VGA and display capabilities, so the
// shell it forks inherits only the console and the name service endpoint.
// When a service cannot be started init says so in one line and the shell
// starts all the same.
//
// init starts /netd and registers "net" (a badged copy of netd's endpoint)
// with the name service. With a network card the kernel also gives init the
// card's device capability (slot 21), which netd gets and init then drops;
// without one netd runs the loopback interface alone (docs/network.md).
#include "user.h"
#include "services.h"
#include "net.h"

#define RESTART_PAUSE 10  // ticks to wait after a shell that died at once

static char *shell_argv[] = {"sh", 0};
static char *named_argv[] = {"named", 0};
static char *displayd_argv[] = {"displayd", 0};
static char *netd_argv[] = {"netd", 0};

static int named_pid = -1, displayd_pid = -1, netd_pid = -1;

// Spawns path in capability mode holding the console (0-2) and `endpoint`
// at SVC_ENDPOINT_SLOT, plus VGA at SVC_VGA_SLOT when vga >= 0.
static int spawn_service(const char *path, char **argv, int endpoint, int vga) {
  int caps[] = {0, 0, 1, 1, 2, 2, endpoint, SVC_ENDPOINT_SLOT, vga, SVC_VGA_SLOT};
  return spawn(path, argv, caps, vga >= 0 ? 5 : 4, SPAWN_CAPMODE);
}

// Starts /netd, with the network card's capability when init holds one,
// and registers "net" with the name service. Whatever happens, init holds
// neither the card's capability nor netd's endpoint afterwards.
static void start_network(int names) {
  struct capinfo nic;
  int card = cap_info(NETD_NIC_SLOT, &nic) == 0 && nic.type == CAP_TYPE_DEVICE;
  if (!card) cap_delete(NETD_NIC_SLOT);  // whatever else is there, netd does not get it
  int ep = ep_create();
  if (ep < 0) {
    fprintf(2, "init: no network service: ep_create: %s\n", lasterror());
    cap_delete(NETD_NIC_SLOT);
    return;
  }
  int caps[] = {0, 0, 1, 1, 2, 2, ep, SVC_ENDPOINT_SLOT, NETD_NIC_SLOT, NETD_NIC_SLOT};
  netd_pid = spawn("/netd", netd_argv, caps, card ? 5 : 4, SPAWN_CAPMODE);
  cap_delete(NETD_NIC_SLOT);
  if (netd_pid < 0) {
    fprintf(2, "init: no network service: cannot start /netd: %s\n", lasterror());
    cap_delete(ep);
    return;
  }
  // Clients get a badged copy that may only send: netd tells them from its own receive pump.
  int client = cap_derive(ep, -1, CAP_WRITE | CAP_GRANT | CAP_DELEGATE, NETD_CLIENT_BADGE, 0);
  cap_delete(ep);
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.w[0] = NS_REGISTER;
  m.buf = (uint64)NET_SERVICE_NAME;
  m.len = (uint)strlen(NET_SERVICE_NAME);
  m.cap = client;
  if (client < 0 || ep_call(names, &m) < 0 || (long)m.w[0] != SVC_OK) {
    fprintf(2, "init: network service not registered\n");
  } else {
    printf("init: network service started: netd\n");
  }
  if (client >= 0) cap_delete(client);
}

// Starts named and displayd and registers the display service. Returns 0,
// or -1 after printing the one line that says what failed. Whatever
// happens, init holds no VGA or display capability afterwards, and holds
// the name service endpoint only when named runs.
static int start_services(void) {
  int names = ep_create();
  if (names < 0) {
    fprintf(2, "init: no services: ep_create: %s\n", lasterror());
    cap_delete(SVC_VGA_SLOT);
    cap_delete(NETD_NIC_SLOT);
    return -1;
  }
  named_pid = spawn_service("/named", named_argv, names, -1);
  if (named_pid < 0) {
    fprintf(2, "init: no services: cannot start /named: %s\n", lasterror());
    cap_delete(names);
    cap_delete(SVC_VGA_SLOT);
    cap_delete(NETD_NIC_SLOT);
    return -1;
  }
  start_network(names);

  struct capinfo vga;
  if (cap_info(SVC_VGA_SLOT, &vga) < 0 || vga.type != CAP_TYPE_MEMORY) {
    fprintf(2, "init: no display service: no VGA memory capability at slot %d\n", SVC_VGA_SLOT);
    cap_delete(SVC_VGA_SLOT);  // whatever else is there, the shell does not get it
    return -1;
  }
  int display = ep_create();
  if (display < 0) {
    fprintf(2, "init: no display service: ep_create: %s\n", lasterror());
    cap_delete(SVC_VGA_SLOT);
    return -1;
  }
  int status = 0;
  displayd_pid = spawn_service("/displayd", displayd_argv, display, SVC_VGA_SLOT);
  if (displayd_pid < 0) {
    fprintf(2, "init: no display service: cannot start /displayd: %s\n", lasterror());
    status = -1;
  } else {
    struct ipcmsg m;
    memset(&m, 0, sizeof m);
    m.w[0] = NS_REGISTER;
    m.buf = (uint64)DISPLAY_SERVICE_NAME;
    m.len = (uint)strlen(DISPLAY_SERVICE_NAME);
    m.cap = display;
    if (ep_call(names, &m) < 0) {
      fprintf(2, "init: display service not registered: %s\n", lasterror());
      status = -1;
    } else if ((long)m.w[0] != SVC_OK) {
      fprintf(2, "init: display service not registered: the name service refused it (%ld)\n", (long)m.w[0]);
      status = -1;
    }
  }
  // displayd and named hold their own copies; the shell gets neither.
  cap_delete(display);
  cap_delete(SVC_VGA_SLOT);
  return status;
}

// Says so when a service ends; it is not restarted (its clients would
// hold capabilities to its dead endpoint).
static void service_ended(int pid, int status) {
  if (pid == named_pid) {
    printf("init: named exited with status %d\n", status);
    named_pid = -1;
  } else if (pid == displayd_pid) {
    printf("init: displayd exited with status %d\n", status);
    displayd_pid = -1;
  } else if (pid == netd_pid) {
    printf("init: netd exited with status %d\n", status);
    netd_pid = -1;
  }
}

static int start_shell(void) {
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "init: fork: %s\n", lasterror());
    return -1;
  }
  if (pid == 0) {
    exec("/sh", shell_argv);
    exec("sh", shell_argv);
    fprintf(2, "init: exec sh: %s\n", lasterror());
    exit(1);
  }
  return pid;
}

int main(void) {
  int fd = open("console", O_RDWR);
  if (fd < 0) {
    if (mknod("console", CONSOLE_MAJOR, 0) < 0) exit(1);  // nowhere to complain
    fd = open("console", O_RDWR);
    if (fd < 0) exit(1);
  }
  // init starts with no descriptors, so the console is fd 0 and these
  // two dups make fds 1 and 2.
  dup(fd);
  dup(fd);

  if (start_services() == 0) printf("init: services started: named, displayd\n");

  for (;;) {
    printf("init: starting sh\n");
    int started = uptime();
    int shell = start_shell();
    if (shell < 0) {
      sleep(RESTART_PAUSE);
      continue;
    }
    for (;;) {
      int status;
      int pid = wait(&status);
      if (pid == shell) {
        printf("init: sh exited with status %d\n", status);
        break;
      }
      if (pid < 0) {
        // Cannot happen while the shell lives; do not spin if it does.
        fprintf(2, "init: wait: %s\n", lasterror());
        sleep(RESTART_PAUSE);
        break;
      }
      // Otherwise a service or an orphan was reaped.
      service_ended(pid, status);
    }
    if (uptime() - started < 1) sleep(RESTART_PAUSE);
  }
}
