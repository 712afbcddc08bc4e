/* ticketkey.c -- pure: TLS session ticket keys: which key encrypts, which decrypt, when to rotate, and the shared key file format */
#include "ticketkey.h"

#include <string.h>

static void
key_set(struct ticketkey *k, const uint8_t *material)
{
	memcpy(k->name, material, TICKETKEY_NAME_LEN);
	memcpy(k->hmac, material + TICKETKEY_NAME_LEN, TICKETKEY_HMAC_LEN);
	memcpy(k->aes, material + TICKETKEY_NAME_LEN + TICKETKEY_HMAC_LEN,
	    TICKETKEY_AES_LEN);
	k->born_us = 0;
	k->until_us = 0;
}

int
ticketkey_file_parse(const uint8_t *buf, size_t len,
    struct ticketkey_ring *ring, const char **why)
{
	size_t n = len / TICKETKEY_SIZE;

	ticketkey_wipe(ring);
	ring->generated = false;
	if (len == 0) {
		*why = "the file is empty";
		return CODEC_ERROR;
	}
	if (len % TICKETKEY_SIZE != 0) {
		*why = "not a whole number of 80-byte keys";
		return CODEC_ERROR;
	}
	if (n > TICKETKEY_MAX) {
		*why = "more than 8 keys";
		return CODEC_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (memcmp(buf + i * TICKETKEY_SIZE,
			    buf + j * TICKETKEY_SIZE, TICKETKEY_NAME_LEN) == 0) {
				/* A ticket names its key: which one? */
				ticketkey_wipe(ring);
				*why = "two keys have the same name (first 16 "
				    "bytes)";
				return CODEC_ERROR;
			}
		}
		key_set(&ring->key[i], buf + i * TICKETKEY_SIZE);
		ring->n = i + 1;
	}
	*why = NULL;
	return 0;
}

void
ticketkey_ring_init(struct ticketkey_ring *ring)
{
	ticketkey_wipe(ring);
	ring->generated = true;
}

bool
ticketkey_due(const struct ticketkey_ring *ring, uint64_t now_us,
    uint64_t lifetime_us)
{
	if (!ring->generated)
		return false;
	return ring->n == 0 || now_us - ring->key[0].born_us >= lifetime_us;
}

void
ticketkey_rotate(struct ticketkey_ring *ring, const uint8_t *material,
    uint64_t now_us, uint64_t lifetime_us)
{
	size_t keep = 0;

	/* The current key's tickets live up to a lifetime from now; what
	 * retired before it has no valid ticket left (lifetime_us may have
	 * changed with a reload: its own time still holds). */
	if (ring->n > 0) {
		ring->key[0].until_us = now_us + lifetime_us;
		keep = 1;
	}
	for (size_t i = 1; i < ring->n; i++) {
		if (ring->key[i].until_us > now_us &&
		    keep < TICKETKEY_MAX - 1) {
			if (keep != i)
				ring->key[keep] = ring->key[i];
			keep++;
		}
	}
	for (size_t i = keep; i < ring->n; i++)
		explicit_bzero(&ring->key[i], sizeof(ring->key[i]));
	memmove(&ring->key[1], &ring->key[0], keep * sizeof(ring->key[0]));
	key_set(&ring->key[0], material);
	ring->key[0].born_us = now_us;
	ring->n = keep + 1;
}

int
ticketkey_find(const struct ticketkey_ring *ring, const uint8_t *name,
    uint64_t now_us)
{
	for (size_t i = 0; i < ring->n; i++) {
		const struct ticketkey *k = &ring->key[i];

		if (memcmp(k->name, name, TICKETKEY_NAME_LEN) != 0)
			continue;
		if (ring->generated && i > 0 && k->until_us <= now_us)
			return -1;	/* retired, and past its tickets' time */
		return (int)i;
	}
	return -1;
}

void
ticketkey_wipe(struct ticketkey_ring *ring)
{
	explicit_bzero(ring->key, sizeof(ring->key));
	ring->n = 0;
}
