/* test_sockaddr.c -- unit tests for host:port / [v6]:port formatting */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "sockaddr.h"
#include "testlib.h"

static void
test_format(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char out[SOCKADDR_STRLEN];

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(8080);
	inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
	CHECK_STR(sockaddr_format((struct sockaddr *)&ss, out, sizeof(out)),
	    "127.0.0.1:8080");

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(65535);
	inet_pton(AF_INET6, "::1", &sin6->sin6_addr);
	CHECK_STR(sockaddr_format((struct sockaddr *)&ss, out, sizeof(out)),
	    "[::1]:65535");

	/* The longest there is fits SOCKADDR_STRLEN. */
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
	    &sin6->sin6_addr);
	CHECK_STR(sockaddr_format((struct sockaddr *)&ss, out, sizeof(out)),
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	inet_pton(AF_INET6, "::ffff:255.255.255.255", &sin6->sin6_addr);
	CHECK_STR(sockaddr_format((struct sockaddr *)&ss, out, sizeof(out)),
	    "[::ffff:255.255.255.255]:65535");

	memset(&ss, 0, sizeof(ss));
	/* A unix client: "unix" (its address is unnamed). */
	ss.ss_family = AF_UNIX;
	CHECK_STR(sockaddr_format((struct sockaddr *)&ss, out, sizeof(out)),
	    "unix");
	ss.ss_family = AF_NETLINK;
	CHECK(strstr(sockaddr_format((struct sockaddr *)&ss, out,
	    sizeof(out)), "unknown") != NULL);

	/* A short buffer is cut, still terminated. */
	sin->sin_family = AF_INET;
	sin->sin_port = htons(1);
	inet_pton(AF_INET, "10.0.0.1", &sin->sin_addr);
	CHECK_STR(sockaddr_format((struct sockaddr *)&ss, out, 5), "10.0");
}

int
main(void)
{
	RUN(test_format);
	return tl_summary("unit/sockaddr");
}
