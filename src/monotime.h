/* monotime.h -- the monotonic clock, for durations and idle times */
#ifndef WSGATE_MONOTIME_H
#define WSGATE_MONOTIME_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

/*
 * Durations -- idle_timeout, the close line's duration -- are measured on
 * the monotonic clock: a step of the wall clock (an operator, NTP) must
 * neither stretch every idle timeout nor end every idle session at once.
 * libevent's cached time (event_base_gettimeofday_cached) is wall-clock
 * time, resynchronised every few seconds.  Through the vDSO this is no
 * system call either.
 */
static inline void
monotime_now(struct timeval *tv)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
}

/* The monotonic clock in milliseconds (workers' heartbeats, metrics.h). */
static inline uint64_t
monotime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Seconds from since to now. */
static inline double
monotime_elapsed(const struct timeval *since, const struct timeval *now)
{
	return (double)(now->tv_sec - since->tv_sec) +
	    (double)(now->tv_usec - since->tv_usec) / 1e6;
}

#endif
