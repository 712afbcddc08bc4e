/* metrics_text.h -- pure: a metrics scrape in the Prometheus text exposition format 0.0.4 */
#ifndef WSGATE_METRICS_TEXT_H
#define WSGATE_METRICS_TEXT_H

#include <stddef.h>

struct metrics_scrape;
struct sink;

/* The Content-Type of the answer to GET /metrics. */
#define METRICS_TEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * API: metrics_text_write() writes every family of the scrape (metrics.h)
 * to out: "# HELP" and "# TYPE" for each, then its samples, in a fixed
 * order (routes by name), each line ended by "\n".
 *
 * Names follow Prometheus's conventions: the wsgate_ prefix, counters
 * ending in _total, base units (_seconds, _bytes); the file descriptor
 * gauges and the start time use the names every client library's process
 * collector uses (process_open_fds, process_max_fds,
 * process_start_time_seconds).  Families without labels, the per-route
 * families (every route name held, both directions) and the reload
 * results always have their series; series labelled with an outcome
 * (status, close code and side, failure reason) appear once they are
 * non-zero, as a client library's labelled children do.  A histogram
 * has _bucket{le=...} for every bound and "+Inf" (cumulative), _sum and
 * _count (equal to the "+Inf" bucket).
 *
 * Label values are escaped as the format asks (backslash, double quote
 * and newline as \\, \" and \n), and bytes that are not UTF-8 are
 * written as U+FFFD, since the format is UTF-8: route names are plain
 * ASCII today, but nothing here relies on it.  Values are integers, or
 * decimal seconds written from integer milli- or microseconds (exact,
 * no floating point).
 */
void metrics_text_write(struct sink *out, const struct metrics_scrape *s);

/* One label value, escaped, into out (no quotes). */
void metrics_text_label(struct sink *out, const char *value, size_t len);

#endif
