// Keel user land: the protocol of the network service /netd
// (docs/network.md). netd serves an endpoint registered with the name
// service as NET_SERVICE_NAME; a request is a call whose w[0] is the
// operation, and the reply's w[0] is SVC_OK, NETD_NOTHING or a negative
// status. Addresses are IPv4 in host byte order (10.0.0.2 = 0x0A000002).
#ifndef KEEL_NET_H
#define KEEL_NET_H

#define NET_SERVICE_NAME "net"
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
// Any client of netd may use any bound port: ports are not capabilities yet.
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
};

// user/lib/inet.c: "a.b.c.d" or "a.b.c.d/n" to an address (and prefix
// length, 32 when absent). Returns 0, or -1 when the text is not that.
int inet_parse(const char *text, uint *addr, int *prefix);
// The address as "a.b.c.d" into out (at least 16 bytes).
void inet_format(uint addr, char *out);

#endif
