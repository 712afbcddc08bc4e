/* sockaddr.c -- printing socket addresses as host:port / [v6]:port */
#include "sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

const char *
sockaddr_format(const struct sockaddr *sa, char *out, size_t outsize)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(out, outsize, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(out, outsize, "[%s]:%u", host,
		    ntohs(sin6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		/* A unix client's address is (almost always) unnamed. */
		snprintf(out, outsize, "unix");
	} else {
		snprintf(out, outsize, "(unknown address family %d)",
		    sa->sa_family);
	}
	return out;
}
