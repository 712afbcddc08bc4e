/* clientlimit.h -- pure: connections (sessions and handshakes in progress) per client address (max_connections_per_client), counted in a fixed table of hashed buckets */
#ifndef WSGATE_CLIENTLIMIT_H
#define WSGATE_CLIENTLIMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * API.  A client is its address cut to a prefix (cidr_group(): an IPv4
 * address, an IPv6 address's /64 by default, client_ipv6_prefix), and
 * its connections are counted in one of CLIENTLIMIT_BUCKETS counters chosen
 * by a keyed hash of that: memory is fixed (256 KiB) whatever the number
 * of clients, nothing is ever evicted, and two clients that share a
 * bucket share its limit (with a secret random key, no client can aim at
 * another's bucket; with 65,536 buckets, a client shares one with a given
 * other client with odds 1 in 65,536).
 *
 * Any thread: the counts are atomics.  clientlimit_take() counts first
 * and checks after, so that two workers racing for a client's last place
 * cannot both win it.
 */
#define CLIENTLIMIT_BUCKETS 65536u

struct clientlimit;

/* key: random.  NULL without memory; clientlimit_free(NULL) is a no-op. */
struct clientlimit *clientlimit_new(uint64_t key);
void clientlimit_free(struct clientlimit *cl);

/* sa's bucket, its address cut to prefix6 bits for IPv6 (IPv4 and
 * IPv4-mapped addresses whole); -1 for other families. */
int64_t clientlimit_bucket(const struct clientlimit *cl,
    const struct sockaddr *sa, unsigned prefix6);

/* Take one of max places of bucket b (0: no limit, always taken). */
bool clientlimit_take(struct clientlimit *cl, uint32_t b, unsigned max);
void clientlimit_give(struct clientlimit *cl, uint32_t b);
unsigned clientlimit_count(const struct clientlimit *cl, uint32_t b);

#endif
