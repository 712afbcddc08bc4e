/* proxy_header.c -- write or read one PROXY protocol header with wsgate's codec (interoperability tests) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"
#include "proxy_proto.h"
#include "sockaddr.h"

/*
 *   proxy-header encode v1|v2|v2crc SRC DST [AUTHORITY]
 *	write the header to stdout; SRC and DST are "host:port",
 *	"[v6]:port" or "-" (no address: UNKNOWN / LOCAL)
 *   proxy-header decode
 *	read stdin and decode what it starts with, fed whole and one byte
 *	at a time (the two must agree); print one line
 *	"v2 PROXY STREAM src=... dst=... length=N [crc32c] [authority=...]",
 *	or "error: WHY" (exit 1)
 */

static void
usage(void)
{
	fprintf(stderr, "usage: proxy-header encode v1|v2|v2crc SRC DST "
	    "[AUTHORITY]\n       proxy-header decode < bytes\n");
	exit(2);
}

static const struct sockaddr *
parse_addr(const char *s, struct sockaddr_storage *ss)
{
	const char *host = s, *colon;
	size_t hostlen;
	uint16_t port;

	if (strcmp(s, "-") == 0)
		return NULL;
	colon = strrchr(s, ':');
	if (colon == NULL)
		goto bad;
	hostlen = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hostlen < 2 || s[hostlen - 1] != ']')
			goto bad;
		host++;
		hostlen -= 2;
	}
	if (ipaddr_parse(host, hostlen, ss) != 0 ||
	    ipaddr_parse_port(colon + 1, strlen(colon + 1), &port) != 0)
		goto bad;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	return (const struct sockaddr *)ss;
bad:
	fprintf(stderr, "proxy-header: %s: not HOST:PORT, [V6]:PORT or -\n",
	    s);
	exit(2);
}

static int
encode(int argc, char **argv)
{
	struct sockaddr_storage s, d;
	const struct sockaddr *sp, *dp;
	struct proxy_v2_tlvs tlvs = { 0 };
	uint8_t out[PROXY_HEADER_MAX];
	size_t n;

	if (argc != 5 && argc != 6)
		usage();
	sp = parse_addr(argv[3], &s);
	dp = parse_addr(argv[4], &d);
	if (argc == 6) {
		tlvs.authority = argv[5];
		tlvs.authority_len = strlen(argv[5]);
	}
	if (strcmp(argv[2], "v1") == 0) {
		n = proxy_proto_encode_v1(sp, dp, out, sizeof(out));
	} else if (strcmp(argv[2], "v2") == 0 ||
	    strcmp(argv[2], "v2crc") == 0) {
		tlvs.crc32c = strcmp(argv[2], "v2crc") == 0;
		n = proxy_proto_encode_v2(sp, dp, &tlvs, out, sizeof(out));
	} else {
		usage();
	}
	if (n == 0) {
		fprintf(stderr, "proxy-header: cannot encode that\n");
		return 1;
	}
	return fwrite(out, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : 1;
}

static int
decode(void)
{
	static uint8_t in[PROXY_HEADER_MAX + 64];
	size_t len = fread(in, 1, sizeof(in), stdin);
	struct proxy_header h;
	const char *why = NULL;
	char a[SOCKADDR_STRLEN], b[SOCKADDR_STRLEN];
	int r = proxy_proto_decode(in, len, &h, &why);

	/* Streaming must agree with one call on the whole input. */
	for (size_t n = 0; n < len; n++) {
		struct proxy_header ph;
		const char *pwhy;
		int pr = proxy_proto_decode(in, n, &ph, &pwhy);

		if (pr == CODEC_NEED_MORE)
			continue;
		if (pr != r || (r >= 0 && (size_t)r > n)) {
			printf("error: %zu bytes gave %d, all %zu gave %d\n",
			    n, pr, len, r);
			return 1;
		}
		break;
	}
	if (r == CODEC_NEED_MORE) {
		printf("error: incomplete header (%zu bytes)\n", len);
		return 1;
	}
	if (r == CODEC_ERROR) {
		printf("error: %s\n", why);
		return 1;
	}
	printf("v%d %s %s", h.version,
	    h.command == PROXY_CMD_PROXY ? "PROXY" : "LOCAL",
	    h.transport == PROXY_TRANS_STREAM ? "STREAM" :
	    h.transport == PROXY_TRANS_DGRAM ? "DGRAM" : "UNSPEC");
	if (h.src.ss_family == AF_INET || h.src.ss_family == AF_INET6)
		printf(" src=%s dst=%s",
		    sockaddr_format((struct sockaddr *)&h.src, a, sizeof(a)),
		    sockaddr_format((struct sockaddr *)&h.dst, b, sizeof(b)));
	else if (h.src.ss_family != AF_UNSPEC)
		printf(" family=%d", h.src.ss_family);
	printf(" length=%zu", h.length);
	if (h.has_crc32c)
		printf(" crc32c");
	if (h.has_authority)
		printf(" authority=%s", h.authority);
	printf("\n");
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "encode") == 0)
		return encode(argc, argv);
	if (argc == 2 && strcmp(argv[1], "decode") == 0)
		return decode();
	usage();
	return 2;
}
