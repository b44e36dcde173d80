// Keel user land: the protocols of the system services init starts
// (docs/services.md): the name service (/named) and the display service
// (/displayd). Both are servers on an endpoint; a request is a call with a
// struct ipcmsg whose w[0] is the operation, and the reply carries a status
// in w[0] (SVC_OK or a negative SVC_ERR_*).
#ifndef KEEL_SERVICES_H
#define KEEL_SERVICES_H

// Where a service finds its capabilities when init spawns it.
#define SVC_ENDPOINT_SLOT 16  // the endpoint the service serves
#define SVC_VGA_SLOT 20       // displayd: the memory object over the VGA text buffer

// Reply statuses (w[0] of a reply).
#define SVC_OK 0
#define SVC_ERR_FAILED (-1)     // unknown name, unknown operation, bad pane id
#define SVC_ERR_BAD_NAME (-2)   // empty or longer than the limit
#define SVC_ERR_FULL (-3)       // no room for another name or pane
#define SVC_ERR_NO_CAP (-4)     // NS_REGISTER without a capability
#define SVC_ERR_NO_DEVICE (-5)  // displayd could not map the screen

// ---- Name service (named) ----
// NS_REGISTER: name in buf/len, the capability to register in cap (it must
//   have Grant and Delegate); replaces an existing registration.
// NS_LOOKUP: name in buf/len; the reply carries a copy of the registered
//   capability in cap, or w[0] = SVC_ERR_FAILED when the name is unknown.
#define NS_REGISTER 1
#define NS_LOOKUP 2
#define NS_MAX_NAMES 32
#define NS_NAME_MAX 14  // bytes in a name (a trailing NUL in buf is allowed)

// The name the display service is registered under.
#define DISPLAY_SERVICE_NAME "display"

// ---- Display service (displayd) ----
// DS_PANE: name in buf, w[1] rows wanted (0 = DS_DEFAULT_ROWS); the reply's
//   w[1] is the pane id. Asking again for an existing name returns its id.
// DS_WRITE: w[1] pane id, w[2] attribute byte (0 = the pane's default),
//   text in buf: appended with wrapping and scrolling; '\n' starts a line.
// DS_STATUS: text in buf becomes the status line (row 24).
// DS_CLEAR: w[1] pane id: blanks the pane and puts its cursor home.
#define DS_PANE 1
#define DS_WRITE 2
#define DS_STATUS 3
#define DS_CLEAR 4
#define DS_MAX_PANES 12
#define DS_NAME_MAX 14
#define DS_DEFAULT_ROWS 4

// The VGA text buffer: cells of (character byte, attribute byte).
#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_BYTES (VGA_COLS * VGA_ROWS * 2)

// The service loop (user/lib/services.c): replies to the request in *m when
// one is owed, then waits for the next into buf. Returns 0 with a request in
// *m, or -1 (after saying so, naming `who`) when the endpoint is gone.
struct ipcmsg;
int svc_next(struct ipcmsg *m, char *buf, uint bufsize, const char *who);

// Finding a service (user/lib/services.c): the name service is the lowest
// endpoint slot a process holds (normally 16, inherited from init through
// the shell); svc_lookup asks it for `name` and returns the slot of a copy
// of the service's endpoint, or one of the negative codes below, which
// svc_lookup_error turns into a sentence.
#define SVC_LOOKUP_NO_NAME_SERVICE -1  // this process holds no endpoint
#define SVC_LOOKUP_NO_ANSWER -2        // the call to the name service failed
#define SVC_LOOKUP_NOT_REGISTERED -3   // nothing is registered under the name
int svc_name_service(void);
int svc_lookup(const char *name);
const char *svc_lookup_error(int code);

#endif
