/* fuzz_cli.c -- libFuzzer target: argv (NUL-separated) through cli_parse, the INI it writes through config.c, errors through cli_explain */
#include <string.h>

#include "cli.h"
#include "config.h"

#include "fuzz.h"

/*
 * Input: the arguments after the program name, separated by NUL bytes
 * (at most 32).  Checked:
 *  - a usage error says something and writes no INI; success in
 *    websockify's form writes one;
 *  - the INI has exactly the two sections the generator writes (no
 *    value can start a line or a section of its own) and no control
 *    byte but the newlines;
 *  - config.c loads it or lists problems, and every problem said in the
 *    command line's terms is a non-empty line.
 */

#define MAXARGS 32

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[MAXARGS + 2];
	int argc = 0;
	struct cli cli;
	char err[512];
	int rc;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"wsgate";
	for (char *p = buf; p <= buf + size && argc <= MAXARGS;
	    p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	rc = cli_parse(&cli, argc, argv, "/fuzz/cwd", err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0 && cli.jwt_key_file != NULL) {
		/* JWTTokenApi: main infers the algorithm from the key. */
		FUZZ_CHECK(cli.ini == NULL && cli.websockify);
		cli_free(&cli);
		rc = cli_parse_jwt(&cli, argc, argv, "/fuzz/cwd", "HS256",
		    err, sizeof(err));
		FUZZ_CHECK(rc == 0 || rc == -1);
	}
	if (rc != 0) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(cli.ini == NULL);
	} else if (cli.websockify) {
		size_t sections = 0;
		struct config_errors errs = { NULL, 0 };
		struct config *cfg;

		FUZZ_CHECK(cli.ini != NULL);
		for (const char *p = cli.ini; *p != '\0'; p++) {
			FUZZ_CHECK((unsigned char)*p >= 0x20 || *p == '\n');
			if (*p == '[' && (p == cli.ini || p[-1] == '\n'))
				sections++;
		}
		FUZZ_CHECK(sections == 2);
		FUZZ_CHECK(strstr(cli.ini, "\n[gateway]\n") != NULL);
		FUZZ_CHECK(strstr(cli.ini, "\n[route:websockify]\n") != NULL);
		cfg = config_load_string(CLI_CONFIG_NAME, cli.ini, &errs);
		FUZZ_CHECK((cfg == NULL) == (errs.n > 0));
		for (size_t i = 0; i < errs.n; i++) {
			char out[1024];

			cli_explain(&cli, errs.msgs[i], out, sizeof(out));
			FUZZ_CHECK(out[0] != '\0');
		}
		config_unref(cfg);
		config_errors_free(&errs);
	} else {
		FUZZ_CHECK(cli.ini == NULL);
	}
	cli_free(&cli);
	free(buf);
	return 0;
}
