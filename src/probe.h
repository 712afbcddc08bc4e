/* probe.h -- wsgate --probe URL: a health check client for images without curl */
#ifndef WSGATE_PROBE_H
#define WSGATE_PROBE_H

/*
 * argv: URL [TIMEOUT] (the words after --probe).  GETs URL with HTTP/1.1
 * and exits 0 on a 2xx answer, 1 on any other answer or none within
 * TIMEOUT seconds (default 5), 2 on a bad URL or timeout; one line on
 * stdout (2xx) or stderr says what happened.  Blocking, no event loop.
 */
int probe_main(int argc, char **argv);

#endif
