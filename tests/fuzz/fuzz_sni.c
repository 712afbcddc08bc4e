/* fuzz_sni.c -- libFuzzer target: the ClientHello server_name extension body, against a reference reading of RFC 6066 3 */
#include <stdbool.h>
#include <string.h>

#include "sni.h"

#include "fuzz.h"

/*
 * Input: the extension body.  Checked against a reference written from
 * RFC 6066 3 and OpenSSL's rules (exactly one host_name entry, 1 to 255
 * bytes, no NUL): the same verdict, and on success the name as sent,
 * NUL-terminated.  ASan checks that nothing past the input is read.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[SNI_HOST_MAX + 1];
	size_t list, name;
	bool ok = false;
	int rc;

	if (size >= 5) {
		list = (size_t)data[0] << 8 | data[1];
		name = (size_t)data[3] << 8 | data[4];
		ok = list + 2 == size && data[2] == 0 && name + 5 == size &&
		    name >= 1 && name <= SNI_HOST_MAX &&
		    memchr(data + 5, 0, name) == NULL;
	}
	rc = sni_from_extension(data, size, out, sizeof(out));
	FUZZ_CHECK((rc == 0) == ok);
	FUZZ_CHECK(rc == 0 || rc == CODEC_ERROR);
	if (rc == 0) {
		FUZZ_CHECK(strlen(out) == size - 5);
		FUZZ_CHECK(memcmp(out, data + 5, size - 5) == 0);
	}
	FUZZ_CHECK(sni_from_extension(data, size, out, SNI_HOST_MAX) ==
	    CODEC_ERROR);
	return 0;
}
