// Keel user land: the protocol of the network service /netd
// (docs/network.md). netd serves an endpoint registered with the name
// service as NET_SERVICE_NAME; a request is a call whose w[0] is the
// operation, and the reply's w[0] is SVC_OK, NETD_NOTHING or a negative
// status. Addresses are IPv4 in host byte order (10.0.0.2 = 0x0A000002).
#ifndef KEEL_NET_H
#define KEEL_NET_H

#define NET_SERVICE_NAME "net"
// The loopback interface (lo): 127.0.0.0/8, and netd's own address, never
// reach the card; netd delivers them to itself.
#define NET_LOOPBACK_ADDR 0x7f000001u  // 127.0.0.1
#define NET_LOOPBACK_PREFIX 8
// Where netd finds the card's device capability when init spawns it.
#define NETD_NIC_SLOT 21
// The badge of the endpoint capability clients get (init registers a badged
// copy); netd's own receive pump uses the unbadged original.
#define NETD_CLIENT_BADGE 1

// NETD_INFO: reply w[1] address, w[2] prefix length, w[3] MAC (48 bits,
//   byte 0 in the top byte); buf receives struct netstats when given room.
// NETD_ECHO: w[1] destination, w[2] identifier, w[3] sequence number: sends
//   an ICMP echo request (after ARP, if the address is not yet known).
// NETD_ECHO_POLL: w[1] identifier: the oldest echo reply not yet reported
//   for it: w[1] sequence, w[2] round trip in ns (virtual time), w[3] source
//   address | ttl << 32; or w[0] = NETD_NOTHING when none has arrived.
// NETD_FRAME: the receive pump hands netd a frame from the card (buf/len);
//   refused from clients.
// NETD_UDP_BIND: w[1] port (0: netd picks one from 49152 up), cap: a token
//   capability (a notification the client made, with Grant and Delegate):
//   netd keeps it, and frees the port once the client's copy is gone (it
//   exited) or on NETD_UDP_CLOSE. Reply w[1]: the port.
// NETD_UDP_SEND: w[1] source port (bound), w[2] destination, w[3]
//   destination port, the datagram's data in buf/len (at most 1472 bytes).
// NETD_UDP_RECV: w[1] port: the oldest datagram queued for it in the
//   reply's buf/len, w[1] source address, w[2] source port; or NETD_NOTHING.
// NETD_UDP_CLOSE: w[1] port.
// Any client of netd may use any bound port: these ports are not
// capabilities. Sockets (below) are.
//
// ---- Sockets (docs/network.md "Sockets"; the library is user/lib/socket.c) ----
// NETD_SOCKET: w[1] SOCK_STREAM or SOCK_DGRAM, cap: the client's
//   notification (netd signals it when the socket changes while the client
//   waits). Reply cap: the socket capability (a badged endpoint to netd:
//   every later call on the socket goes to it), w[1] the socket's number.
// NETD_SOCKETS: the table for netstat: struct sockinfo[] into the reply's
//   buf (as many as fit), w[1] how many there are.
// NETD_TICK: netd's own timer process (unbadged only).
// On a socket capability:
// NETD_SOCK_SHM: reply cap: the socket's shared memory (struct sockshm and
//   its two rings).
// NETD_SOCK_BIND: w[1] local port (0: netd picks one from 49152 up).
// NETD_SOCK_LISTEN: w[1] backlog (1..SOCK_BACKLOG_MAX).
// NETD_SOCK_ACCEPT: reply cap: the next established connection's socket
//   capability, w[1] peer address, w[2] peer port; or NETD_NOTHING.
// NETD_SOCK_CONNECT: w[1] address, w[2] port: sends the SYN and returns;
//   sockshm.state says when the handshake is over.
// NETD_SOCK_SEND: TCP: the application moved sockshm.tx_tail. UDP: w[1]
//   address, w[2] port, the datagram in buf (at most 1472 bytes).
// NETD_SOCK_RECVD: the application moved sockshm.rx_head (a window update may be due).
// NETD_SOCK_SHUTDOWN: TCP: FIN once the written data is sent; reading goes on.
// NETD_SOCK_CLOSE: w[1] 0 orderly (FIN), 1 abortive (RST). The socket
//   capability and the shared memory are revoked at once; an orderly close
//   finishes sending in netd.
// NETD_SOCK_ALARM: w[1] nanoseconds: netd signals the notification then (poll's timeout).
#define NETD_SOCKET 9
#define NETD_SOCKETS 10
#define NETD_TICK 11
#define NETD_SOCK_SHM 20
#define NETD_SOCK_BIND 21
#define NETD_SOCK_LISTEN 22
#define NETD_SOCK_ACCEPT 23
#define NETD_SOCK_CONNECT 24
#define NETD_SOCK_SEND 25
#define NETD_SOCK_RECVD 26
#define NETD_SOCK_SHUTDOWN 27
#define NETD_SOCK_CLOSE 28
#define NETD_SOCK_ALARM 29

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_MAX 12          // sockets netd holds at once
#define SOCK_BACKLOG_MAX 4
#define SOCK_RING 65536      // bytes in each ring
#define SOCK_SHM_HEADER 4096 // struct sockshm's page; the receive ring follows, then the send ring
#define SOCK_SHM_BYTES (SOCK_SHM_HEADER + 2 * SOCK_RING)
// The badge of socket capabilities: SOCK_BADGE | generation << 8 | index.
#define SOCK_BADGE (1UL << 32)

// The page at the start of a socket's shared memory. netd writes the first
// group of fields and never reads them back; the application writes the
// second, which netd checks before it uses them. Indices are free-running
// byte counts (mod 2^32); ring offset = index mod SOCK_RING.
struct sockshm {
  // written by netd
  uint state;       // TCP state (tcp.h), or SOCK_STATE_UDP for a datagram socket
  int error;        // why the connection ended (NETD_ERR_*), 0 while it has not
  uint rx_tail;     // bytes put in the receive ring
  uint tx_head;     // bytes of the send ring the peer acknowledged (their room is free again)
  uint rx_eof;      // the peer closed: nothing comes after rx_tail
  uint pending;     // listening: connections waiting for accept
  uint laddr, lport, raddr, rport;
  uint reserved[6];
  // written by the application
  uint rx_head;     // bytes taken out of the receive ring
  uint tx_tail;     // bytes put in the send ring
  uint want;        // the application is about to wait: netd signals the notification at the next change
};
#define SOCK_STATE_UDP 100
// A datagram in a UDP socket's receive ring: this header, then len bytes,
// padded to 4. A record never wraps: len SOCK_UDP_SKIP means "go on at the
// ring's start".
struct sockdgram { uint len, addr, port; };
#define SOCK_UDP_SKIP 0xffffffffu

// NETD_SOCKETS' entries.
struct sockinfo {
  uint type;        // SOCK_STREAM, SOCK_DGRAM; 3: a bound port of NETD_UDP_BIND
  uint state;       // TCP state, SOCK_STATE_UDP
  uint laddr, lport, raddr, rport;
  uint rx_queued, tx_queued;  // bytes in the rings
  uint64 retransmits, bytes_in, bytes_out;
  uint srtt_us, cwnd;
};
#define NETD_INFO 1
#define NETD_ECHO 2
#define NETD_ECHO_POLL 3
#define NETD_FRAME 4
#define NETD_UDP_BIND 5
#define NETD_UDP_SEND 6
#define NETD_UDP_RECV 7
#define NETD_UDP_CLOSE 8
#define UDP_MAX_PAYLOAD 1472

#define NETD_NOTHING 1           // ECHO_POLL: no reply yet
#define NETD_ERR_NO_ADDRESS (-10)  // netd has no address (no ip= on the command line)
#define NETD_ERR_UNREACHABLE (-11) // not on the local network (there is no gateway yet)
#define NETD_ERR_SEND (-12)        // the card refused the frame
#define NETD_ERR_PORT (-13)        // UDP: port in use (bind), not bound (send, recv, close), or out of range
#define NETD_ERR_TOO_LONG (-14)    // UDP: more than 1472 bytes of data
#define NETD_ERR_BAD_SOCKET (-15)  // the capability names no open socket (closed, or a stale one)
#define NETD_ERR_STATE (-16)       // the call does not fit the socket's state (connect twice, send unconnected, ...)
#define NETD_ERR_REFUSED (-17)     // TCP: the peer answered the SYN with RST (nobody listens)
#define NETD_ERR_RESET (-18)       // TCP: the peer reset the connection
#define NETD_ERR_TIMEOUT (-19)     // TCP: retransmissions gave up
#define NETD_ERR_TYPE (-20)        // an unknown socket type
#define NETD_ERR_INDEX (-21)       // the shared ring indices the application wrote are impossible
#define NETD_ERR_CLOSED (-22)      // TCP: this side already shut down for writing
#define NETD_ERR_NO_NET (-23)      // library: this process holds no capability to netd
#define NETD_ERR_NO_ANSWER (-24)   // library: netd did not answer the call (it is gone)
#define NETD_ERR_ARG (-25)         // library: a bad argument (no such socket descriptor, negative length)
#define NETD_ERR_NO_NAME (-26)     // resolve: no such name (the DNS server said so, or it has no IPv4 address)
#define NETD_ERR_NO_DNS (-27)      // resolve: not in /etc/hosts, and netd knows no DNS server (no DHCP lease)
#define NETD_ERR_DNS_TIMEOUT (-28) // resolve: the DNS server did not answer (three tries, a second each)
#define NETD_ERR_DNS_BAD (-29)     // resolve: the DNS server failed or sent a malformed answer
#define NETD_ERR_BAD_NAME (-30)    // resolve: neither an address nor a host name (letters, digits, '-', '.')

// NETD_INFO's buf: netd's counters.
struct netstats {
  uint64 frames;        // frames from the card
  uint64 bad_frames;    // too short, or an EtherType netd does not speak
  uint64 arp_in;        // ARP packets taken
  uint64 arp_replies;   // ARP requests answered
  uint64 ip_in;         // IPv4 packets for this address
  uint64 ip_bad;        // bad version, header length, total length or checksum
  uint64 ip_fragments;  // fragments (dropped: no reassembly)
  uint64 ip_other;      // for another address, or a protocol netd does not speak
  uint64 icmp_bad;      // bad ICMP checksum or length
  uint64 echo_answered; // echo requests answered
  uint64 echo_replies;  // echo replies received
  uint64 sent;          // frames sent
  uint64 send_errors;   // frames the card refused
  uint64 arp_dropped;   // packets dropped while waiting for ARP (room taken by a newer one)
  uint64 echo_dropped;  // echo replies nobody polled for, dropped for newer ones
  uint64 udp_in;        // datagrams queued for a bound port
  uint64 udp_bad;       // bad length or checksum
  uint64 udp_no_port;   // for a port nobody bound
  uint64 udp_dropped;   // the port's queue was full
  uint64 udp_sent;      // datagrams sent
  uint64 udp_reaped;    // ports freed because their client had gone
  uint64 tcp_in;        // TCP segments taken
  uint64 tcp_bad;       // bad length, header or checksum
  uint64 tcp_rst_sent;  // RSTs for segments that reached no connection
  uint64 tcp_no_room;   // SYNs dropped: the backlog or the socket table was full
  uint64 tcp_sent;      // TCP segments sent
  uint64 sock_reaped;   // sockets closed because their client had gone
  uint64 dhcp_bad;      // DHCP answers that were malformed or not for us
  uint64 dhcp_retries;  // DHCP requests sent again after no answer
  uint64 router;        // from DHCP (0: none)
  uint64 dns;           // the DNS server from DHCP (0: none)
  uint64 lease_left;    // seconds of the DHCP lease left (0: no lease)
  uint64 card;          // 1: netd has a network card (net0); 0: loopback only
  uint64 lo_packets;    // IPv4 packets delivered through the loopback interface
  uint64 lo_bytes;      // their bytes (IPv4 header and payload)
  uint64 lo_dropped;    // dropped: the loopback queue was full
};

// ---- netd's exported state (docs/network.md "What the page reads") ----
// One page-aligned page of netd's own memory that netd rewrites after every
// request it answers, for whoever can read its memory from outside (the
// page's Network panel reads it through the host, between slices: a reader
// that is not netd changes nothing in it). The same table NETD_SOCKETS gives
// netstat. `gen` is odd while netd is rewriting the page: a reader that sees
// an odd or changed `gen` has caught it mid-write and asks again later.
#define NETD_EXPORT_MAGIC 0x3150584554454e4bULL  // "KNETEXP1", little-endian
#define NETD_EXPORT_MAX 40
struct netexport {
  uint64 magic;
  uint64 gen;
  uint addr, prefix;    // netd's address (0: none) and prefix length
  uint count;           // entries in sock (at most NETD_EXPORT_MAX)
  uint total;           // how many there were
  struct netstats stats;
  struct sockinfo sock[NETD_EXPORT_MAX];
};

// ---- The socket library (user/lib/socket.c) ----
// Every call returns a negative NETD_ERR_* / SVC_ERR_* code on failure;
// sockerr() turns it into a sentence. Socket descriptors are the library's
// own (0..SOCK_LIB_MAX-1), not Unix file descriptors. send blocks until all
// n bytes are in the send ring; recv returns what is there (at least 1
// byte), 0 at the end of the stream; accept and connect block.
#define SOCK_LIB_MAX 16
#define POLLIN 1
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16
struct pollfd { int fd; short events, revents; };
int socket(int type);
int bind(int s, uint port);
int listen(int s, int backlog);
int accept(int s, uint *addr, uint *port);
int connect(int s, uint addr, uint port);
int send(int s, const void *buf, int n);
int recv(int s, void *buf, int n);
int sendto(int s, const void *buf, int n, uint addr, uint port);
int recvfrom(int s, void *buf, int n, uint *addr, uint *port);
int shutdown(int s);             // FIN after what was sent; recv goes on
int closesocket(int s);          // orderly
int abortsocket(int s);          // RST
// Waits until one of the sockets is ready (POLLIN: data, end of stream, an
// error or a connection to accept; POLLOUT: room to send) or timeout_ms
// passes (-1: for ever, 0: do not wait). Returns how many are ready.
int poll(struct pollfd *fds, int n, int timeout_ms);
const char *sockerr(int code);
// The socket's shared state (addresses, TCP state), or 0.
const struct sockshm *sockstate(int s);
// The socket capability behind descriptor s (tests speak to netd directly), or -1.
int socket_capability(int s);
// The capability to netd this process uses (looked up once as "net"), or a negative code.
int net_capability(void);

// NETD_INFO to netd at capability net: the reply in *m (w[1] address, w[2]
// prefix, w[3] MAC), the counters in *st. SVC_OK, or the negative status.
struct ipcmsg;
long net_info(int net, struct ipcmsg *m, struct netstats *st);

// user/lib/resolv.c: a host name or address text to an address: "a.b.c.d"
// as is, then /etc/hosts ("ADDRESS NAME..." lines), then DNS (type A, over
// UDP to the server netd learned by DHCP). 0, or a negative NETD_ERR_* code
// (sockerr names it).
int resolve(const char *name, uint *addr);

// user/lib/inet.c: "a.b.c.d" or "a.b.c.d/n" to an address (and prefix
// length, 32 when absent). Returns 0, or -1 when the text is not that.
int inet_parse(const char *text, uint *addr, int *prefix);
// The address as "a.b.c.d" into out (at least 16 bytes).
void inet_format(uint addr, char *out);

#endif
