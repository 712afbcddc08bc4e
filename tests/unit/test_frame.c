/* test_frame.c -- unit tests for the RFC 6455 frame codec */
#include "frame.h"
#include "testlib.h"

/* RFC 6455 5.7: a single-frame masked text message "Hello". */
static void
test_rfc_masked_hello(void)
{
	const uint8_t wire[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f,
		0x9f, 0x4d, 0x51, 0x58 };
	struct frame_header h;
	uint16_t code = 0;
	const char *why = NULL;
	uint8_t payload[5];
	int n = frame_parse_header(wire, sizeof(wire), true, &h, &code, &why);

	CHECK_INT(n, 6);
	CHECK(h.fin);
	CHECK_INT(h.opcode, WS_OP_TEXT);
	CHECK_INT(h.len, 5);
	memcpy(payload, wire + 6, 5);
	frame_unmask(payload, 5, h.mask, 0);
	CHECK_MEM(payload, "Hello", 5);
}

static void
test_unmasked_rejected(void)
{
	const uint8_t wire[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
	struct frame_header h;
	uint16_t code = 0;
	const char *why = NULL;

	CHECK_INT(frame_parse_header(wire, sizeof(wire), true, &h, &code,
	    &why), -1);
	CHECK_INT(code, WS_CLOSE_PROTOCOL);
	CHECK(why != NULL);
}

int
main(void)
{
	RUN(test_rfc_masked_hello);
	RUN(test_unmasked_rejected);
	return tl_summary("unit/frame");
}
