/* cli.h -- the command line, pure: wsgate's options and websockify's form (argv) to a struct and an INI text */
#ifndef WSGATE_CLI_H
#define WSGATE_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* The name config errors give the generated INI ("NAME:LINE: ..."). */
#define CLI_CONFIG_NAME "(command line)"
/* Lines of generated INI that remember the option they came from. */
#define CLI_MAX_LINES 64
#define CLI_MAX_WARNINGS 8

enum cli_action {
	CLI_RUN,
	CLI_CHECK,		/* -t */
	CLI_PRINT_CONFIG,	/* --print-config */
	CLI_HELP,		/* -h, --help */
	CLI_VERSION,		/* -V, --version */
};

struct cli {
	enum cli_action action;
	const char *config_path;	/* -c FILE (argv's), or NULL */
	int verbosity;			/* -1: -q, 0, 1: -v */
	const char *log_file;		/* --log-file (argv's), or NULL */
	/*
	 * websockify's form ([source_addr:]source_port target): ini is the
	 * whole configuration, and line N of it came from the option
	 * line_opt[N] with the value line_val[N] (both NULL: no option).
	 */
	bool websockify;
	char *ini;			/* malloc'd, or NULL */
	const char *line_opt[CLI_MAX_LINES + 1];
	const char *line_val[CLI_MAX_LINES + 1];
	/* Said at startup (static strings): what websockify's meaning
	 * leaves open, and how to close it. */
	const char *warnings[CLI_MAX_WARNINGS];
	size_t nwarnings;
	/*
	 * --token-plugin JWTTokenApi --token-source FILE (argv's): websockify
	 * takes what the key allows, wsgate pins one algorithm, and which
	 * one the key file says.  cli_parse() reads no file: it leaves ini
	 * NULL and this set; the caller reads FILE, infers the algorithm
	 * (jwt_key_infer_alg) and calls cli_parse_jwt() with it.
	 */
	const char *jwt_key_file;
	const char *jwt_algorithm;	/* as given to cli_parse_jwt() */
	/*
	 * --auth-plugin BasicHTTPAuth --auth-source USER:PASS (argv's):
	 * websockify takes the password in clear.  cli.c checks it; the
	 * caller hashes it (htpasswd_make_line) into htpasswd, wipes it
	 * from argv, and gives the table to the route after each load (and
	 * to [gateway] for web_root with --web-auth).
	 */
	const char *basic_user;
	size_t basic_user_len;
	const char *basic_pass;
	bool web_auth;
	char *htpasswd;		/* "USER:HASH\n", malloc'd by the caller */
	/* --key-password (argv's): the caller gives it to tls.c and wipes
	 * it from argv; it never goes into the INI. */
	const char *key_password;
};

/*
 * Parse argv (argv[0] is the program).  cwd, when not NULL, makes the
 * relative paths of websockify's options absolute in the INI, so that
 * --print-config's output works from any directory.  Returns 0, or -1
 * with a one-line message in err (a bad command line: exit status 2).
 * Strings of cli point into argv; cli_free() frees the rest.
 */
int cli_parse(struct cli *cli, int argc, char *const argv[], const char *cwd,
    char *err, size_t errsize);

/* cli_parse() with the algorithm of JWTTokenApi's key: "HS256",
 * "RS256" or "ES256" (jwt_key_file names the file it came from). */
int cli_parse_jwt(struct cli *cli, int argc, char *const argv[],
    const char *cwd, const char *jwt_algorithm, char *err, size_t errsize);

void cli_free(struct cli *cli);

/*
 * A config error about the generated INI, "(command line):N: rest",
 * said in terms of the command line: "--cert FILE: rest".  Other
 * messages are copied as they are.
 */
void cli_explain(const struct cli *cli, const char *msg, char *out,
    size_t outsize);

#endif
