/* unmask.h -- XOR with the 4-byte WebSocket mask, with the widest vectors the CPU has */
#ifndef WSGATE_UNMASK_H
#define WSGATE_UNMASK_H

#include <stddef.h>
#include <stdint.h>

/*
 * XOR p[0..n) in place with the mask, starting at byte `phase` of the mask
 * (0-3).  Chooses AVX2, SSE2 or 64-bit words at first use, by what the
 * running CPU supports.
 */
void unmask(uint8_t *p, size_t n, const uint8_t mask[4], unsigned phase);

/* Make the choice now (before threads start: they share it). */
void unmask_init(void);

/* Every implementation this build has, for tests and benchmarks. */
struct unmask_impl {
	const char *name;
	void (*fn)(uint8_t *p, size_t n, uint32_t mask);	/* phase 0 */
	int (*supported)(void);
};
extern const struct unmask_impl unmask_impls[];
extern const size_t unmask_nimpls;

#endif
