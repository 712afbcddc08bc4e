/* gateway.h -- the running gateway: event loop, live config, listeners, sessions */
#ifndef WSGATE_GATEWAY_H
#define WSGATE_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct evdns_base;
struct config;
struct listener;
struct session;

struct gateway_stats {
	uint64_t accepted;		/* TCP connections */
	uint64_t upgraded;		/* 101 sent */
	uint64_t rejected;		/* HTTP error answers */
	uint64_t bytes_up;		/* client -> backend payload */
	uint64_t bytes_down;		/* backend -> client payload */
};

struct gateway {
	struct event_base *base;
	struct evdns_base *dns;
	struct config *cfg;		/* for new sessions; reload swaps it */
	struct listener **listeners;
	size_t nlisteners;
	struct session *sessions;	/* every live session, for drain */
	unsigned nsessions;		/* live sessions of any state */
	unsigned nws;			/* counted against max_connections */
	unsigned max_connections;	/* effective global limit */
	bool draining;
	struct gateway_stats stats;
	/* One read buffer for every session of this event loop: a callback
	 * decodes what it read before returning, so nothing stays here. */
	unsigned char *scratch;
	size_t scratch_size;
};

#endif
