/* ticketkey.h -- pure: TLS session ticket keys: which key encrypts, which decrypt, when to rotate, and the shared key file format */
#ifndef WSGATE_TICKETKEY_H
#define WSGATE_TICKETKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

/*
 * A session ticket (RFC 5077 4, RFC 8446 4.6.1) is the server's session
 * state, encrypted and authenticated with a key only the server knows,
 * and named by the first 16 bytes the ticket starts with.  One key is
 * 80 bytes, laid out as nginx's 80-byte ssl_session_ticket_key file:
 *
 *   16 bytes  key name (sent in the clear in every ticket)
 *   32 bytes  HMAC-SHA256 key
 *   32 bytes  AES-256-CBC key
 *
 * A ring holds up to TICKETKEY_MAX keys: key[0] encrypts new tickets,
 * every key decrypts.  Two kinds:
 *
 *   generated  made in memory (the caller supplies random bytes), never
 *              written anywhere.  key[0] encrypts for one lifetime; then
 *              a new key takes its place and the old one only decrypts,
 *              for one more lifetime (the longest a ticket it issued can
 *              be valid), and is wiped after.  At most two keys live.
 *   file       read from a key file shared by several gateways: its
 *              first key encrypts, all decrypt, none expires (the file
 *              changes, and is read again, when the operator rotates).
 *
 * Times are microseconds on a monotonic clock, passed in: no clock is
 * read here.  Nothing is allocated; keys are wiped (explicit_bzero) when
 * dropped.
 */
#define TICKETKEY_NAME_LEN 16
#define TICKETKEY_HMAC_LEN 32
#define TICKETKEY_AES_LEN 32
#define TICKETKEY_SIZE 80	/* name + HMAC key + AES key */
#define TICKETKEY_MAX 8		/* keys in a ring, and in a key file */

struct ticketkey {
	uint8_t name[TICKETKEY_NAME_LEN];
	uint8_t hmac[TICKETKEY_HMAC_LEN];
	uint8_t aes[TICKETKEY_AES_LEN];
	uint64_t born_us;	/* generated: began encrypting */
	uint64_t until_us;	/* generated, retired: decrypts before this */
};

struct ticketkey_ring {
	struct ticketkey key[TICKETKEY_MAX];	/* key[0] encrypts */
	size_t n;
	bool generated;
};

/*
 * A key file's bytes (1 to TICKETKEY_MAX keys of TICKETKEY_SIZE bytes,
 * no separators) into ring, which becomes a file ring.  0, or
 * CODEC_ERROR with why: static text naming the problem.
 */
int ticketkey_file_parse(const uint8_t *buf, size_t len,
    struct ticketkey_ring *ring, const char **why);

/* An empty generated ring: ticketkey_rotate() gives it its first key. */
void ticketkey_ring_init(struct ticketkey_ring *ring);

/* A generated ring has no key yet, or key[0] has encrypted for lifetime_us
 * by now_us: the caller should rotate before using it.  Never for a file
 * ring. */
bool ticketkey_due(const struct ticketkey_ring *ring, uint64_t now_us,
    uint64_t lifetime_us);

/*
 * Generated ring: material (TICKETKEY_SIZE random bytes) becomes key[0]
 * at now_us; the previous key[0] decrypts until now_us + lifetime_us;
 * keys past their time are wiped.
 */
void ticketkey_rotate(struct ticketkey_ring *ring, const uint8_t *material,
    uint64_t now_us, uint64_t lifetime_us);

/* The index of the key named name that may decrypt at now_us (0: the
 * encrypting one), or -1. */
int ticketkey_find(const struct ticketkey_ring *ring, const uint8_t *name,
    uint64_t now_us);

/* Wipe every key; the ring is empty after. */
void ticketkey_wipe(struct ticketkey_ring *ring);

#endif
