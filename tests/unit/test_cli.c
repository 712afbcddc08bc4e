/* test_cli.c -- unit tests for the command line: wsgate's options, websockify's form, the INI it amounts to, refusals */
#include <string.h>

#include "cli.h"
#include "config.h"
#include "htpasswd.h"
#include "route.h"
#include "testlib.h"

#define MAXARGS 32

static struct cli cli;
static char err[1024];

/* Parse a NULL-terminated list of arguments (after the program name). */
static int
parse_v(const char *const *args)
{
	char *argv[MAXARGS + 1];
	int argc = 0;

	argv[argc++] = (char *)"wsgate";
	while (*args != NULL && argc < MAXARGS)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	cli_free(&cli);
	return cli_parse(&cli, argc, argv, "/home/u", err, sizeof(err));
}

#define PARSE(...) parse_v((const char *const[]){ __VA_ARGS__, NULL })

/* Whether the generated INI has this exact line. */
static int
parse_jwt_v(const char *alg, const char *const *args)
{
	char *argv[MAXARGS + 1];
	int argc = 0;

	argv[argc++] = (char *)"wsgate";
	while (*args != NULL && argc < MAXARGS)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	cli_free(&cli);
	return cli_parse_jwt(&cli, argc, argv, "/home/u", alg, err,
	    sizeof(err));
}

#define PARSE_JWT(alg, ...) \
	parse_jwt_v(alg, (const char *const[]){ __VA_ARGS__, NULL })

static int
has_line(const char *want)
{
	const char *p = cli.ini;
	size_t n = strlen(want);

	if (p == NULL)
		return 0;
	while ((p = strstr(p, want)) != NULL) {
		if ((p == cli.ini || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

static int
has_warning(const char *what)
{
	for (size_t i = 0; i < cli.nwarnings; i++)
		if (strstr(cli.warnings[i], what) != NULL)
			return 1;
	return 0;
}

#define CHECK_LINE(s)                                                         \
	do {                                                                  \
		if (!has_line(s)) {                                           \
			fprintf(stderr, "    INI:\n%s", cli.ini ? cli.ini     \
			    : "(none)\n");                                    \
			tl_fail_at(__FILE__, __LINE__, "line: " s);           \
		}                                                             \
	} while (0)
#define CHECK_NO_LINE(s) CHECK(!has_line(s))
/* A usage error whose message contains what. */
#define CHECK_ERR(rc, what)                                                   \
	do {                                                                  \
		CHECK_INT((rc), -1);                                          \
		if (strstr(err, (what)) == NULL) {                            \
			fprintf(stderr, "    error: %s\n", err);              \
			tl_fail_at(__FILE__, __LINE__, (what));               \
		}                                                             \
	} while (0)

/* The generated INI loads through config.c: the same checks as a file. */
static struct config *
load(void)
{
	struct config_errors errs = { NULL, 0 };
	struct config *cfg = config_load_string(CLI_CONFIG_NAME, cli.ini,
	    &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "    config: %s\n", errs.msgs[i]);
	config_errors_free(&errs);
	return cfg;
}

static void
test_wsgate_options(void)
{
	CHECK_INT(PARSE("-c", "/etc/x.ini"), 0);
	CHECK_STR(cli.config_path, "/etc/x.ini");
	CHECK_INT(cli.action, CLI_RUN);
	CHECK(!cli.websockify);
	CHECK(cli.ini == NULL);
	CHECK_INT(PARSE("-c/etc/y.ini", "-t"), 0);
	CHECK_STR(cli.config_path, "/etc/y.ini");
	CHECK_INT(cli.action, CLI_CHECK);
	CHECK_INT(PARSE("--config=/a.ini"), 0);
	CHECK_STR(cli.config_path, "/a.ini");
	CHECK_INT(PARSE("--config", "/b.ini", "--check"), 0);
	CHECK_STR(cli.config_path, "/b.ini");
	CHECK_INT(cli.action, CLI_CHECK);
	CHECK_INT(PARSE("-tv"), 0);
	CHECK_INT(cli.action, CLI_CHECK);
	CHECK_INT(cli.verbosity, 1);
	CHECK_INT(PARSE("-v", "-q"), 0);	/* the later one wins */
	CHECK_INT(cli.verbosity, -1);
	CHECK_INT(PARSE("--quiet", "--verbose"), 0);
	CHECK_INT(cli.verbosity, 1);
	CHECK_INT(PARSE(""), -1);	/* "" is a source port, and no target */
	CHECK_INT(PARSE("-V"), 0);
	CHECK_INT(cli.action, CLI_VERSION);
	CHECK_INT(PARSE("--version"), 0);
	CHECK_INT(cli.action, CLI_VERSION);
	CHECK_INT(PARSE("-h"), 0);
	CHECK_INT(cli.action, CLI_HELP);
	CHECK_INT(PARSE("--help"), 0);
	CHECK_INT(cli.action, CLI_HELP);
	/* --help wins over what else is there, as in GNU programs. */
	CHECK_INT(PARSE("-c", "/x", "6080", "--help"), 0);
	CHECK_INT(cli.action, CLI_HELP);
	CHECK_INT(PARSE(NULL), 0);
	CHECK_INT(cli.action, CLI_RUN);
	CHECK(cli.config_path == NULL);
}

static void
test_usage_errors(void)
{
	CHECK_ERR(PARSE("-Z"), "unknown option \"-Z\"");
	CHECK_ERR(PARSE("--frobnicate"), "unknown option \"--frobnicate\"");
	CHECK_ERR(PARSE("--cerrt", "x"), "did you mean --cert?");
	CHECK_ERR(PARSE("--ssl_only"), "did you mean --ssl-only?");
	CHECK_ERR(PARSE("--print-confg"), "did you mean --print-config?");
	CHECK_ERR(PARSE("-c"), "-c needs a value");
	CHECK_ERR(PARSE("--config"), "--config needs a value");
	CHECK_ERR(PARSE("--cert"), "--cert needs a value");
	CHECK_ERR(PARSE("--check=yes"), "--check takes no value");
	CHECK_ERR(PARSE("-c", "/x", "6080", "h:1"), "not both");
	CHECK_ERR(PARSE("6080"), "a target is needed");
	CHECK_ERR(PARSE("6080", "h:1", "extra"), "unexpected argument "
	    "\"extra\"");
	CHECK_ERR(PARSE("--print-config"), "--print-config prints what");
	CHECK_ERR(PARSE("--print-config", "-c", "/x"), "--print-config "
	    "prints what");
	CHECK_ERR(PARSE("--web", "/w"), "--web is websockify's");
	CHECK_ERR(PARSE("-c", "/x", "--cert", "/c"), "--cert is websockify's");
	CHECK_ERR(PARSE("--log-file", "/l"), "--log-file is websockify's");
	CHECK_ERR(PARSE("abc", "h:1"), "\"abc\": not [source_addr:]"
	    "source_port");
	CHECK_ERR(PARSE("70000", "h:1"), "not [source_addr:]source_port");
	CHECK_ERR(PARSE("h:", "h:1"), "not [source_addr:]source_port");
	CHECK_ERR(PARSE("6080", "h"), "\"h\": not target_addr:target_port");
	CHECK_ERR(PARSE("6080", ":5900"), "not target_addr:target_port");
	CHECK_ERR(PARSE("6080", "h:0"), "not target_addr:target_port");
	CHECK_ERR(PARSE("6080", "h:x"), "not target_addr:target_port");
	CHECK_ERR(PARSE("6080", "h:1", "--", "vncserver"), "-- vncserver: "
	    "wsgate does not start or wrap programs");
	/* "--" before the positionals only ends the options. */
	CHECK_INT(PARSE("--", "6080", "h:1"), 0);
	CHECK(cli.websockify);
}

static void
test_refused(void)
{
	static const struct {
		const char *args[3];
		const char *want;
	} cases[] = {
		{ { "-D" }, "-D (--daemon): wsgate does not daemonize: run "
		  "it under systemd" },
		{ { "--daemon" }, "--daemon: wsgate does not daemonize" },
		{ { "--key-password", "pw" }, "--key-password needs --cert "
		  "FILE" },
		{ { "--libserver" }, "--libserver:" },
		{ { "--wrap-mode", "exit" }, "does not start or wrap" },
		{ { "--inetd" }, "--inetd: the listening socket comes on "
		  "stdin, so only target_addr:target_port follows" },
		{ { "--syslog", "localhost:514" }, "--syslog localhost:514: "
		  "wsgate logs through the local syslog socket only" },
		{ { "--legacy-syslog" }, "--legacy-syslog needs --syslog "
		  "/dev/log" },
		{ { "--web-auth" }, "--web-auth asks for the password of "
		  "--auth-plugin BasicHTTPAuth on the --web pages too: it needs "
		  "that plugin" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[8] = { "6080", "h:1" };
		size_t n = 2;

		for (size_t j = 0; j < 3 && cases[i].args[j] != NULL; j++)
			args[n++] = cases[i].args[j];
		args[n] = NULL;
		CHECK_ERR(parse_v(args), cases[i].want);
		CHECK(cli.ini == NULL);
	}
}

/* websockify's --inetd: the listening socket is stdin, the one
 * positional is the target. */
static void
test_inetd(void)
{
	CHECK_INT(PARSE("--inetd", "localhost:5900"), 0);
	CHECK(cli.ini != NULL && strstr(cli.ini, "\nlisten = fd:0\n") != NULL);
	CHECK(strstr(cli.ini, "backend = localhost:5900") != NULL);
	cli_free(&cli);
	CHECK_INT(PARSE("--inetd", "--cert", "/c.pem", "localhost:5900"), 0);
	CHECK(cli.ini != NULL &&
	    strstr(cli.ini, "\nlisten = fd:0 tls\n") != NULL);
	cli_free(&cli);
}

static void
test_positional_plain(void)
{
	struct config *cfg;
	struct route *r;

	CHECK_INT(PARSE("6080", "localhost:5900"), 0);
	CHECK(cli.websockify);
	CHECK_INT(cli.action, CLI_RUN);
	CHECK_LINE("[gateway]");
	CHECK_LINE("listen = *:6080");
	CHECK_LINE("[route:websockify]");
	CHECK_LINE("path = *");
	CHECK_LINE("backend = localhost:5900");
	CHECK_LINE("origins = *");
	CHECK_LINE("allow_missing_origin = yes");
	CHECK_NO_LINE("web_root = /home/u");
	/* websockify checks no Origin, and this is not loopback: both
	 * warnings. */
	CHECK_INT(cli.nwarnings, 2);
	CHECK(strstr(cli.warnings[0], "plain ws://") != NULL);
	CHECK(strstr(cli.warnings[1], "--auth-plugin ExpectOrigin") != NULL);

	cfg = load();
	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	CHECK_INT(cfg->nlisteners, 1);
	CHECK_STR(cfg->listeners[0].host, "*");
	CHECK_STR(cfg->listeners[0].port, "6080");
	CHECK(!cfg->listeners[0].tls);
	CHECK_INT(cfg->nroutes, 1);
	r = route_find(cfg, "/websockify", 11);
	CHECK(r != NULL);
	CHECK(route_find(cfg, "/", 1) == r);
	CHECK(route_find(cfg, "/any/thing", 10) == r);
	CHECK(r != NULL && route_any_path(r));
	CHECK(r != NULL && r->origin_any && r->allow_missing_origin);
	CHECK_STR(r != NULL ? r->backend_host : NULL, "localhost");
	CHECK_STR(r != NULL ? r->backend_port : NULL, "5900");
	CHECK(cfg->web_root == NULL);
	config_unref(cfg);
}

static void
test_positional_addresses(void)
{
	CHECK_INT(PARSE("127.0.0.1:6080", "10.0.0.5:5901"), 0);
	CHECK_LINE("listen = 127.0.0.1:6080");
	CHECK_LINE("backend = 10.0.0.5:5901");
	CHECK_INT(cli.nwarnings, 1);		/* loopback: origin only */
	CHECK_INT(PARSE("localhost:6080", "h:1"), 0);
	CHECK_LINE("listen = localhost:6080");
	CHECK_INT(cli.nwarnings, 1);
	/* websockify's split: at the last colon, brackets off. */
	CHECK_INT(PARSE("[::1]:6080", "[2001:db8::5]:5900"), 0);
	CHECK_LINE("listen = [::1]:6080");
	CHECK_LINE("backend = [2001:db8::5]:5900");
	CHECK_INT(cli.nwarnings, 1);
	CHECK_INT(PARSE("::1:6080", "::1:5900"), 0);
	CHECK_LINE("listen = [::1]:6080");
	CHECK_LINE("backend = [::1]:5900");
	CHECK_INT(PARSE(":6080", "h:1"), 0);	/* empty: every address */
	CHECK_LINE("listen = *:6080");
	CHECK_INT(PARSE("*:6080", "h:1"), 0);
	CHECK_LINE("listen = *:6080");
	CHECK_INT(PARSE("0.0.0.0:6080", "h:1"), 0);
	CHECK_LINE("listen = 0.0.0.0:6080");
	CHECK_INT(cli.nwarnings, 2);
	CHECK_INT(PARSE("127.0.0.1:0", "h:65535"), 0);	/* 0: any free port */
	CHECK_LINE("listen = 127.0.0.1:0");
	CHECK_LINE("backend = h:65535");
	/* -6 / --prefer-ipv6: "*" is already every address of both. */
	CHECK_INT(PARSE("-6", "6080", "h:1"), 0);
	CHECK_LINE("listen = *:6080");
	CHECK_INT(PARSE("--prefer-ipv6", "6080", "h:1"), 0);
	/* Options after the positionals, as optparse takes them. */
	CHECK_INT(PARSE("6080", "h:1", "--web", "/srv/www"), 0);
	CHECK_LINE("web_root = /srv/www");
}

static void
test_values_checked(void)
{
	/* A value is one INI line: no newline, no " ;", no edge blanks. */
	CHECK_ERR(PARSE("--web", "/a\n[route:x]", "6080", "h:1"),
	    "--web: the value has a control character (byte 3)");
	CHECK_ERR(PARSE("--web", "/a ; b", "6080", "h:1"), "would start a "
	    "comment");
	CHECK_ERR(PARSE("--web", "/a ", "6080", "h:1"), "blanks at either "
	    "end");
	CHECK_ERR(PARSE("--web", "", "6080", "h:1"), "--web: empty value");
	CHECK_ERR(PARSE("--cert", "/c\t", "6080", "h:1"), "control "
	    "character");
	CHECK_ERR(PARSE("6080", "h\r:1"), "control character");
	CHECK_INT(PARSE("--web", "/a;b", "6080", "h:1"), 0);
	CHECK_LINE("web_root = /a;b");
}

static void
test_paths_made_absolute(void)
{
	CHECK_INT(PARSE("--web", "www", "6080", "h:1"), 0);
	CHECK_LINE("web_root = /home/u/www");
	CHECK_INT(PARSE("--web", "./www", "6080", "h:1"), 0);
	CHECK_LINE("web_root = /home/u/www");
	CHECK_INT(PARSE("--web=.", "6080", "h:1"), 0);
	CHECK_LINE("web_root = /home/u");
	CHECK_INT(PARSE("--web=../x", "6080", "h:1"), 0);
	CHECK_LINE("web_root = /home/u/../x");
	CHECK_INT(PARSE("--web", "/usr/share/novnc", "6080", "h:1"), 0);
	CHECK_LINE("web_root = /usr/share/novnc");
	/* Without a working directory they stay as given. */
	{
		char *argv[] = { (char *)"wsgate", (char *)"--web",
			(char *)"www", (char *)"1", (char *)"h:1", NULL };

		cli_free(&cli);
		CHECK_INT(cli_parse(&cli, 5, argv, NULL, err, sizeof(err)), 0);
		CHECK_LINE("web_root = www");
	}
}

static void
test_tls(void)
{
	CHECK_INT(PARSE("--cert", "self.pem", "6080", "h:1"), 0);
	CHECK_LINE("listen = *:6080 tls");
	CHECK_LINE("tls_cert = /home/u/self.pem");
	CHECK_LINE("tls_key = /home/u/self.pem");	/* key in the cert */
	CHECK_INT(cli.nwarnings, 1);			/* TLS: origin only */
	CHECK_INT(PARSE("--cert=/c.pem", "--key=/k.pem", "--ssl-only",
	    "6080", "h:1"), 0);
	CHECK_LINE("listen = *:6080 tls");
	CHECK_LINE("tls_cert = /c.pem");
	CHECK_LINE("tls_key = /k.pem");
	CHECK_INT(PARSE("--cert", "/c", "--ssl-version", "tlsv1_3", "6080",
	    "h:1"), 0);
	CHECK_LINE("tls_min_version = 1.3");
	CHECK_INT(PARSE("--cert", "/c", "--ssl-version", "tlsv1_2", "6080",
	    "h:1"), 0);
	CHECK_LINE("tls_min_version = 1.2");
	CHECK_INT(PARSE("--cert", "/c", "--ssl-version", "default", "6080",
	    "h:1"), 0);
	CHECK_LINE("tls_min_version = 1.2");
	CHECK_INT(PARSE("--cert", "/c", "--ssl-version", "tlsv1_1", "6080",
	    "h:1"), 0);
	CHECK_LINE("tls_min_version = 1.2");
	CHECK_INT(cli.nwarnings, 2);
	CHECK(has_warning("RFC 8996"));
	CHECK_ERR(PARSE("--cert", "/c", "--ssl-version", "sslv3", "6080",
	    "h:1"), "--ssl-version \"sslv3\": one of default, tlsv1_1");
	CHECK_INT(PARSE("--cert", "/c", "--ssl-ciphers", "ECDHE+AESGCM",
	    "6080", "h:1"), 0);
	CHECK_LINE("tls_ciphers = ECDHE+AESGCM");
	CHECK_INT(PARSE("--cert", "/c", "--verify-client", "--cafile", "ca",
	    "6080", "h:1"), 0);
	CHECK_LINE("tls_verify_client = required");
	CHECK_LINE("tls_client_ca = /home/u/ca");
	CHECK_ERR(PARSE("--cert", "/c", "--verify-client", "6080", "h:1"),
	    "--verify-client needs --cafile FILE");
	CHECK_INT(PARSE("--cert", "/c", "--cafile", "/ca", "6080", "h:1"), 0);
	CHECK_NO_LINE("tls_client_ca = /ca");
	CHECK(has_warning("--cafile has no effect"));
	/* What needs a certificate says so. */
	CHECK_ERR(PARSE("--key", "/k", "6080", "h:1"), "--key needs --cert");
	CHECK_ERR(PARSE("--ssl-only", "6080", "h:1"), "--ssl-only needs "
	    "--cert");
	CHECK_ERR(PARSE("--verify-client", "6080", "h:1"), "--verify-client "
	    "needs --cert");
	CHECK_ERR(PARSE("--ssl-version", "tlsv1_2", "6080", "h:1"),
	    "--ssl-version needs --cert");
	CHECK_ERR(PARSE("--ssl-ciphers", "X", "6080", "h:1"), "--ssl-ciphers "
	    "needs --cert");
	/* TLS to the target: not checked, as websockify; said. */
	CHECK_INT(PARSE("--ssl-target", "6080", "h:1"), 0);
	CHECK_LINE("backend_tls = yes");
	CHECK_LINE("backend_tls_verify = no");
	CHECK(has_warning("--ssl-target: the backend's certificate is not"));
}

static void
test_auth_plugins(void)
{
	struct config *cfg;

	CHECK_INT(PARSE("--auth-plugin", "ExpectOrigin", "--auth-source",
	    "https://a.example  http://b.example:8080", "127.0.0.1:6080",
	    "h:1"), 0);
	CHECK_LINE("origins = https://a.example, http://b.example:8080");
	CHECK_LINE("allow_missing_origin = no");
	CHECK_NO_LINE("origins = *");
	CHECK_INT(cli.nwarnings, 0);		/* loopback, origins set */
	cfg = load();
	CHECK(cfg != NULL && cfg->routes[0].norigins == 2 &&
	    !cfg->routes[0].origin_any);
	config_unref(cfg);
	CHECK_INT(PARSE("--auth-plugin=websockify.auth_plugins.ExpectOrigin",
	    "--auth-source=https://a.example", "6080", "h:1"), 0);
	CHECK_LINE("origins = https://a.example");
	CHECK_ERR(PARSE("--auth-plugin", "ExpectOrigin", "6080", "h:1"),
	    "ExpectOrigin needs --auth-source");
	CHECK_ERR(PARSE("--auth-source", "x", "6080", "h:1"),
	    "--auth-source needs --auth-plugin");
	CHECK_INT(PARSE("--cert", "/c", "--verify-client", "--cafile", "/ca",
	    "--auth-plugin", "ClientCertCNAuth", "--auth-source",
	    "alice ops.example", "6080", "h:1"), 0);
	CHECK_LINE("allowed_client_cns = alice, ops.example");
	CHECK_LINE("origins = *");
	CHECK_ERR(PARSE("--auth-plugin", "ClientCertCNAuth", "--auth-source",
	    "a", "6080", "h:1"), "needs --verify-client");
	CHECK_ERR(PARSE("--cert", "/c", "--verify-client", "--cafile", "/ca",
	    "--auth-plugin", "ClientCertCNAuth", "--auth-source", "a,b",
	    "6080", "h:1"), "a name with a comma");
	CHECK_ERR(PARSE("--auth-plugin", "my.Plugin", "6080", "h:1"),
	    "wsgate runs no Python plugins");
	CHECK_ERR(PARSE("--auth-plugin", "ExpectOrigin", "--auth-source",
	    "  ", "6080", "h:1"), "--auth-source: empty");
	/* Found by fuzz_cli: the words are checked like any value (a
	 * control byte, or a word starting with ';' after the ", "). */
	CHECK_ERR(PARSE("--auth-plugin", "ExpectOrigin", "--auth-source",
	    "http://a\x05" "b", "6080", "h:1"), "control character");
	CHECK_ERR(PARSE("--auth-plugin", "ExpectOrigin", "--auth-source",
	    "http://a ;x", "6080", "h:1"), "would start a comment");
	CHECK_ERR(PARSE("--cert", "/c", "--verify-client", "--cafile", "/ca",
	    "--auth-plugin", "ClientCertCNAuth", "--auth-source",
	    "a\nb", "6080", "h:1"), "control character");
}

static void
test_logging(void)
{
	CHECK_INT(PARSE("-v", "6080", "h:1"), 0);
	CHECK_LINE("log_level = debug");
	CHECK_INT(cli.verbosity, 1);
	CHECK_INT(PARSE("--traffic", "6080", "h:1"), 0);
	CHECK_LINE("log_level = debug");
	CHECK_INT(PARSE("-q", "6080", "h:1"), 0);
	CHECK_LINE("log_level = warn");
	CHECK_INT(PARSE("6080", "h:1"), 0);
	CHECK(strstr(cli.ini, "log_level") == NULL);
	CHECK_INT(PARSE("--log-file", "/var/log/ws.log", "6080", "h:1"), 0);
	CHECK_STR(cli.log_file, "/var/log/ws.log");
	CHECK_INT(PARSE("--print-config", "6080", "h:1"), 0);
	CHECK_INT(cli.action, CLI_PRINT_CONFIG);
	CHECK_INT(PARSE("-t", "6080", "h:1"), 0);
	CHECK_INT(cli.action, CLI_CHECK);
	CHECK(cli.websockify);
}

/* Token plugins map onto the route keys of token routes when this
 * build has them, else they are refused as not supported yet. */
static void
test_tokens(void)
{
	struct config *cfg;

	/* Whatever the build: the form's own errors. */
	CHECK_ERR(PARSE("--token-plugin", "TokenFile", "--token-source", "t",
	    "6080", "h:1"), "\"h:1\" and --token-plugin");
	CHECK_ERR(PARSE("--token-source", "t", "6080", "h:1"),
	    "--token-source needs --token-plugin");
	CHECK_ERR(PARSE("--host-token", "6080", "h:1"),
	    "--host-token needs --token-plugin");
	CHECK_ERR(PARSE("--allowed-targets", "10.0.0.0/8:*", "6080", "h:1"),
	    "--allowed-targets needs --token-plugin");
	CHECK_ERR(PARSE("--token-plugin", "my.Redis", "--token-source", "k",
	    "6080"), "wsgate runs no Python plugins");
	if (!config_key_known("targets")) {
		CHECK_ERR(PARSE("--token-plugin", "TokenFile", "--token-source",
		    "t", "6080"), "--token-plugin: not supported yet");
		CHECK_ERR(PARSE("--target-config", "t", "6080"),
		    "--token-plugin: not supported yet");
		return;
	}
	CHECK_ERR(PARSE("--token-plugin", "TokenFile", "6080"),
	    "--token-plugin TokenFile needs --token-source PATH");
	CHECK_INT(PARSE("--web", "/w", "--token-plugin", "TokenFile",
	    "--token-source", "tokens", "6080"), 0);
	CHECK_LINE("targets = /home/u/tokens");
	CHECK_LINE("targets_format = tokenfile");
	CHECK_LINE("allowed_targets = " "127.0.0.0/8:* 10.0.0.0/8:* "
	    "172.16.0.0/12:* 192.168.0.0/16:* [::1]/128:* [fc00::]/7:*");
	CHECK_NO_LINE("token_source = host");
	CHECK(strstr(cli.ini, "backend") == NULL);
	CHECK(has_warning("tokens may lead to loopback and private"));
	CHECK_INT(PARSE("--token-plugin",
	    "websockify.token_plugins.ReadOnlyTokenFile", "--token-source",
	    "/t", "--host-token", "--allowed-targets",
	    "10.0.0.0/8:5900-5999", "6080"), 0);
	CHECK_LINE("targets_format = tokenfile");
	CHECK_LINE("token_source = host");
	CHECK_LINE("allowed_targets = 10.0.0.0/8:5900-5999");
	CHECK(!has_warning("tokens may lead"));
	CHECK_INT(PARSE("--token-plugin", "TokenFileName", "--token-source",
	    "/dir", "6080"), 0);
	CHECK_LINE("targets_format = filename");
	CHECK_INT(PARSE("--token-plugin", "UnixDomainSocketDirectory",
	    "--token-source", "socks", "6080"), 0);
	CHECK_LINE("targets_format = unix_socket_dir");
	CHECK_LINE("allowed_targets = unix:/home/u/socks");
	CHECK_INT(PARSE("--target-config", "/etc/tokens", "6080"), 0);
	CHECK_LINE("targets = /etc/tokens");
	CHECK_LINE("targets_format = tokenfile");
	/* The generated route loads (config.c checks the keys; the token
	 * file itself is read when the gateway starts). */
	CHECK_INT(PARSE("--token-plugin", "TokenFile", "--token-source",
	    UNIT_SRCDIR, "--allowed-targets", "10.0.0.0/8:5900", "6080"), 0);
	cfg = load();
	CHECK(cfg != NULL);
	config_unref(cfg);
	/* A bad list: config.c's message, said as the option. */
	{
		struct config_errors errs = { NULL, 0 };
		char out[512];

		CHECK_INT(PARSE("--token-plugin", "TokenFile",
		    "--token-source", "/t", "--allowed-targets", "nowhere",
		    "6080"), 0);
		cfg = config_load_string(CLI_CONFIG_NAME, cli.ini, &errs);
		CHECK(cfg == NULL);
		for (size_t i = 0; i < errs.n; i++) {
			cli_explain(&cli, errs.msgs[i], out, sizeof(out));
			if (strstr(out, "allowed_targets") != NULL)
				CHECK(strncmp(out, "--allowed-targets nowhere: ",
				    27) == 0);
		}
		config_errors_free(&errs);
	}
}

static void
test_unix_target(void)
{
	struct config *cfg;

	CHECK_INT(PARSE("--unix-target", "vnc.sock", "6080"), 0);
	CHECK_LINE("backend = unix:/home/u/vnc.sock");
	CHECK_INT(PARSE("--unix-target=/run/vnc/0.sock", "6080"), 0);
	CHECK_LINE("backend = unix:/run/vnc/0.sock");
	cfg = load();
	CHECK(cfg != NULL);
	config_unref(cfg);
	CHECK_ERR(PARSE("--unix-target", "/s", "6080", "h:1"),
	    "--unix-target and h:1: one target only");
	CHECK_ERR(PARSE("--unix-target", "/s", "--token-plugin", "TokenFile",
	    "--token-source", "/t", "6080"), "one target only");
	CHECK_ERR(PARSE("6080"), "or --unix-target PATH");
}

static void
test_heartbeat(void)
{
	if (!config_key_known("ping_interval")) {
		CHECK_ERR(PARSE("--heartbeat", "30", "6080", "h:1"),
		    "--heartbeat: not supported yet");
		return;
	}
	CHECK_INT(PARSE("--heartbeat", "30", "6080", "h:1"), 0);
	CHECK_LINE("ping_interval = 30");
	{
		struct config *cfg = load();

		CHECK(cfg != NULL);
		config_unref(cfg);
	}
}

static void
test_process_options(void)
{
	struct config *cfg;

	CHECK_INT(PARSE("--run-once", "--timeout", "90", "--idle-timeout=5m",
	    "6080", "h:1"), 0);
	CHECK_LINE("run_once = yes");
	CHECK_LINE("exit_after = 90");
	CHECK_LINE("exit_when_idle = 5m");
	CHECK_NO_LINE("idle_timeout = 5m");
	cfg = load();
	CHECK(cfg != NULL);
	if (cfg != NULL) {
		CHECK(cfg->run_once);
		CHECK(cfg->exit_after == 90);
		CHECK(cfg->exit_when_idle == 300);
		CHECK(cfg->limits.idle_timeout == 0);
	}
	config_unref(cfg);
	CHECK_INT(PARSE("6080", "h:1"), 0);
	cfg = load();
	CHECK(cfg != NULL && !cfg->run_once && cfg->exit_after == 0 &&
	    cfg->exit_when_idle == 0);
	config_unref(cfg);
	CHECK_ERR(PARSE("--run-once"), "--run-once is websockify's");
	CHECK_ERR(PARSE("--timeout", "5"), "--timeout is websockify's");
	CHECK_ERR(PARSE("--timeout"), "--timeout needs a value");
	/* A bad duration: config.c's message, said as the option. */
	{
		struct config_errors errs = { NULL, 0 };
		char out[512];

		CHECK_INT(PARSE("--idle-timeout", "soon", "6080", "h:1"), 0);
		cfg = config_load_string(CLI_CONFIG_NAME, cli.ini, &errs);
		CHECK(cfg == NULL && errs.n == 1);
		if (errs.n == 1) {
			cli_explain(&cli, errs.msgs[0], out, sizeof(out));
			CHECK(strncmp(out, "--idle-timeout soon: [gateway] "
			    "exit_when_idle: ", 46) == 0);
		}
		config_errors_free(&errs);
	}
}

static void
test_explain(void)
{
	char out[512];
	int line = 0;

	CHECK_INT(PARSE("--cert", "/nope.pem", "--web", "/w", "6080",
	    "h:1"), 0);
	/* Find the tls_cert line's number. */
	for (const char *p = cli.ini, *q; p != NULL && *p != '\0'; p = q) {
		line++;
		if (strncmp(p, "tls_cert = ", 11) == 0)
			break;
		q = strchr(p, '\n');
		q = q != NULL ? q + 1 : NULL;
	}
	{
		char msg[256];

		snprintf(msg, sizeof(msg), CLI_CONFIG_NAME ":%d: [gateway] "
		    "tls_cert: /nope.pem: No such file", line);
		cli_explain(&cli, msg, out, sizeof(out));
		CHECK_STR(out, "--cert /nope.pem: [gateway] tls_cert: "
		    "/nope.pem: No such file");
	}
	cli_explain(&cli, CLI_CONFIG_NAME ":3: [gateway] listen: x", out,
	    sizeof(out));
	CHECK(strncmp(out, "[source_addr:]source_port 6080: ", 32) == 0);
	/* Lines that no option wrote, and other messages: as they are. */
	cli_explain(&cli, CLI_CONFIG_NAME ":2: [gateway] x", out,
	    sizeof(out));
	CHECK_STR(out, CLI_CONFIG_NAME ":2: [gateway] x");
	cli_explain(&cli, CLI_CONFIG_NAME ":999: y", out, sizeof(out));
	CHECK_STR(out, CLI_CONFIG_NAME ":999: y");
	cli_explain(&cli, CLI_CONFIG_NAME ":x: y", out, sizeof(out));
	CHECK_STR(out, CLI_CONFIG_NAME ":x: y");
	cli_explain(&cli, "/etc/a.ini:3: z", out, sizeof(out));
	CHECK_STR(out, "/etc/a.ini:3: z");
	cli_explain(&cli, "short", out, 3);
	CHECK_STR(out, "sh");
}

/* A bad value gets config.c's message, said as the option. */
static void
test_config_checks_values(void)
{
	struct config_errors errs = { NULL, 0 };
	struct config *cfg;
	char out[512];

	CHECK_INT(PARSE("6080", "a..b:5900"), 0);
	cfg = config_load_string(CLI_CONFIG_NAME, cli.ini, &errs);
	CHECK(cfg == NULL);
	CHECK_INT(errs.n, 1);
	if (errs.n == 1) {
		cli_explain(&cli, errs.msgs[0], out, sizeof(out));
		CHECK(strncmp(out, "target_addr:target_port a..b:5900: "
		    "[route:websockify] backend: ", 56) == 0);
	}
	config_errors_free(&errs);
}

/* path = * in an INI file: the route for every path no other has. */
static void
test_any_path_route(void)
{
	struct config_errors errs = { NULL, 0 };
	struct config *cfg = config_load_string("t.ini",
	    "[gateway]\nlisten = 127.0.0.1:0\n"
	    "[route:any]\npath = *\nbackend = 127.0.0.1:1\norigins = *\n"
	    "[route:exact]\npath = /vnc\nbackend = 127.0.0.1:2\n"
	    "origins = *\n", &errs);

	CHECK(cfg != NULL);
	if (cfg != NULL) {
		CHECK_STR(route_find(cfg, "/vnc", 4)->name, "exact");
		CHECK_STR(route_find(cfg, "/vnc/", 5)->name, "any");
		CHECK_STR(route_find(cfg, "/", 1)->name, "any");
		CHECK(!route_any_path(route_find(cfg, "/vnc", 4)));
		/* Admission's lookup (with the Host) falls back the same. */
		{
			bool routed = true;

			CHECK_STR(route_find_host(cfg, "/x", 2, "a.example",
			    &routed)->name, "any");
			CHECK(!routed);
			CHECK_STR(route_find_host(cfg, "/vnc", 4, NULL,
			    &routed)->name, "exact");
		}
	}
	config_unref(cfg);
	config_errors_free(&errs);
	/* Only a route's path takes "*". */
	cfg = config_load_string("t.ini", "[gateway]\nlisten = 127.0.0.1:0\n"
	    "health_path = *\n[route:a]\npath = /a\nbackend = 127.0.0.1:1\n"
	    "origins = *\n", &errs);
	CHECK(cfg == NULL);
	CHECK(errs.n == 1 && strstr(errs.msgs[0], "health_path") != NULL);
	config_errors_free(&errs);
	/* Two "*" routes: the path is taken. */
	cfg = config_load_string("t.ini", "[gateway]\nlisten = 127.0.0.1:0\n"
	    "[route:a]\npath = *\nbackend = 127.0.0.1:1\norigins = *\n"
	    "[route:b]\npath = *\nbackend = 127.0.0.1:1\norigins = *\n",
	    &errs);
	CHECK(cfg == NULL);
	CHECK(errs.n == 1 && strstr(errs.msgs[0], "already used") != NULL);
	config_errors_free(&errs);
}

/* --key-password: for tls.c, never in the INI. */
static void
test_key_password(void)
{
	CHECK_INT(PARSE("--cert", "/c.pem", "--key", "/k.pem",
	    "--key-password", "s3cret", "6080", "h:1"), 0);
	CHECK_STR(cli.key_password, "s3cret");
	CHECK(strstr(cli.ini, "s3cret") == NULL);
	CHECK_LINE("tls_key = /k.pem");
	CHECK(has_warning("--key-password: the password was visible in the "
	    "process list"));
	CHECK_INT(PARSE("--cert", "/c.pem", "--key-password=a b", "6080",
	    "h:1"), 0);
	CHECK_STR(cli.key_password, "a b");
	CHECK_LINE("tls_key = /c.pem");
	CHECK_INT(PARSE("--cert", "/c.pem", "6080", "h:1"), 0);
	CHECK(cli.key_password == NULL);
	CHECK(!has_warning("--key-password"));
	CHECK_ERR(PARSE("--cert", "/c.pem", "--key-password=", "6080",
	    "h:1"), "--key-password: empty");
	CHECK_ERR(PARSE("--key-password", "x", "6080", "h:1"),
	    "--key-password needs --cert FILE");
}

/* --syslog: log_target = syslog (syslog(3) reaches /dev/log only). */
static void
test_syslog(void)
{
	struct config *cfg;

	CHECK_INT(PARSE("--syslog", "/dev/log", "6080", "h:1"), 0);
	CHECK_LINE("log_target = syslog");
	cfg = load();
	CHECK(cfg != NULL && cfg->log_target == 1);
	config_unref(cfg);
	CHECK_INT(PARSE("--syslog=/dev/log", "--legacy-syslog", "6080",
	    "h:1"), 0);
	CHECK_LINE("log_target = syslog");
	CHECK_INT(PARSE("6080", "h:1"), 0);
	CHECK(strstr(cli.ini, "log_target") == NULL);
	CHECK_ERR(PARSE("--syslog", "/dev/log", "--log-file", "/l", "6080",
	    "h:1"), "--syslog and --log-file: one place for the log");
	CHECK_ERR(PARSE("--syslog", "/run/other.sock", "6080", "h:1"),
	    "give --syslog /dev/log");
	CHECK_ERR(PARSE("--syslog", "/dev/log"), "--syslog is websockify's");
}

/* --record FILE: websockify's FILE.N become .wsrec files in FILE's
 * directory. */
static void
test_record(void)
{
	static const struct {
		const char *arg, *want;
	} cases[] = {
		{ "/var/log/ws/session", "record = /var/log/ws" },
		{ "/session", "record = /" },
		{ "session", "record = /home/u" },
		{ "./session", "record = /home/u" },
		{ "rec/s", "record = /home/u/rec" },
		{ "./rec/sub/s", "record = /home/u/rec/sub" },
		{ "rec/", "record = /home/u/rec" },
	};
	struct config_errors errs = { NULL, 0 };
	struct config *cfg;
	char out[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(PARSE("--record", cases[i].arg, "6080", "h:1"), 0);
		if (!has_line(cases[i].want))
			fprintf(stderr, "    --record %s: want %s in\n%s\n",
			    cases[i].arg, cases[i].want, cli.ini);
		CHECK(has_line(cases[i].want));
		CHECK(has_warning("not websockify's FILE.N"));
	}
	CHECK_INT(PARSE("--record=" UNIT_SRCDIR "/x", "6080", "h:1"), 0);
	CHECK_LINE("record = " UNIT_SRCDIR);
	cfg = load();
	CHECK(cfg != NULL && cfg->nroutes == 1);
	config_unref(cfg);
	/* A directory that is not there: config.c's error, as the option. */
	CHECK_INT(PARSE("--record", "/nonexistent/dir/f", "6080", "h:1"), 0);
	cfg = config_load_string(CLI_CONFIG_NAME, cli.ini, &errs);
	CHECK(cfg == NULL && errs.n == 1);
	if (errs.n == 1) {
		cli_explain(&cli, errs.msgs[0], out, sizeof(out));
		CHECK(strncmp(out, "--record /nonexistent/dir/f: ", 29) == 0);
		CHECK(strstr(out, "/nonexistent/dir") != NULL);
	}
	config_unref(cfg);
	config_errors_free(&errs);
	CHECK_ERR(PARSE("--record", "/tmp/r"), "--record is websockify's");
}

/* BasicHTTPAuth: the password is checked here, hashed by the caller,
 * and never in the INI. */
static void
test_basic_auth(void)
{
	struct config *cfg;

	CHECK_INT(PARSE("--auth-plugin", "BasicHTTPAuth", "--auth-source",
	    "alice:pw:with:colons", "6080", "h:1"), 0);
	CHECK(cli.basic_user != NULL && cli.basic_user_len == 5 &&
	    strncmp(cli.basic_user, "alice", 5) == 0);
	CHECK_STR(cli.basic_pass, "pw:with:colons");
	CHECK(!cli.web_auth);
	CHECK(cli.htpasswd == NULL);	/* the caller's job */
	CHECK(strstr(cli.ini, "pw:with") == NULL);
	CHECK(strstr(cli.ini, "alice") == NULL);
	CHECK(strstr(cli.ini, "\nauth_basic_file") == NULL);
	CHECK(has_warning("the password was visible in the process list"));
	CHECK(has_warning("auth_basic_file"));
	cfg = load();
	CHECK(cfg != NULL);
	config_unref(cfg);
	CHECK_INT(PARSE("--web", "/w", "--web-auth", "--auth-plugin",
	    "websockify.auth_plugins.BasicHTTPAuth", "--auth-source", "u:p",
	    "6080", "h:1"), 0);
	CHECK(cli.web_auth);
	CHECK_STR(cli.basic_pass, "p");
	CHECK_ERR(PARSE("--auth-plugin", "BasicHTTPAuth", "6080", "h:1"),
	    "--auth-plugin BasicHTTPAuth needs --auth-source USER:PASSWORD");
	CHECK_ERR(PARSE("--auth-plugin", "BasicHTTPAuth", "--auth-source",
	    "nopassword", "6080", "h:1"), "needs --auth-source USER:PASSWORD");
	CHECK_ERR(PARSE("--auth-plugin", "BasicHTTPAuth", "--auth-source",
	    ":p", "6080", "h:1"), "needs --auth-source USER:PASSWORD");
	CHECK_ERR(PARSE("--auth-plugin", "BasicHTTPAuth", "--auth-source",
	    "u:", "6080", "h:1"), "needs --auth-source USER:PASSWORD");
	CHECK_ERR(PARSE("--auth-plugin", "BasicHTTPAuth", "--auth-source",
	    "u:p\tq", "6080", "h:1"), "--auth-source: a control character "
	    "(byte 4)");
	CHECK_ERR(PARSE("--web-auth", "--auth-plugin", "BasicHTTPAuth",
	    "--auth-source", "u:p", "6080", "h:1"),
	    "--web-auth needs --web DIR");
	CHECK_ERR(PARSE("--web", "/w", "--web-auth", "--auth-plugin",
	    "ExpectOrigin", "--auth-source", "https://a", "6080", "h:1"),
	    "it needs that plugin");
	CHECK_ERR(PARSE("--web-auth"), "--web-auth is websockify's");
	{
		char big[HTPASSWD_PASS_MAX + 8];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		big[1] = ':';
		CHECK_ERR(PARSE("--auth-plugin", "BasicHTTPAuth",
		    "--auth-source", big, "6080", "h:1"),
		    "--auth-source: the password is longer than 256 bytes");
	}
}

/* JWTTokenApi: cli.c reads no file; the caller infers the algorithm
 * from the key and parses again with it. */
static void
test_jwt(void)
{
	struct config *cfg;

	/* First pass: no INI yet, the key file to read. */
	CHECK_INT(PARSE("--token-plugin", "JWTTokenApi", "--token-source",
	    "k.pem", "6080"), 0);
	CHECK(cli.ini == NULL);
	CHECK(cli.websockify);
	CHECK_STR(cli.jwt_key_file, "k.pem");
	CHECK_INT(PARSE("--token-plugin",
	    "websockify.token_plugins.JWTTokenApi", "--token-source", "/k",
	    "6080"), 0);
	CHECK_STR(cli.jwt_key_file, "/k");
	CHECK_ERR(PARSE("--token-plugin", "JWTTokenApi", "6080"),
	    "--token-plugin JWTTokenApi needs --token-source FILE");
	CHECK_ERR(PARSE("--token-plugin", "JWTTokenApi", "--token-source",
	    "k", "6080", "h:1"), "\"h:1\" and --token-plugin");
	/* Other plugins do not wait for a key. */
	CHECK_INT(PARSE("--token-plugin", "TokenFile", "--token-source",
	    "t", "6080"), 0);
	CHECK(cli.jwt_key_file == NULL && cli.ini != NULL);

	/* Second pass: the route of a signed token. */
	CHECK_INT(PARSE_JWT("RS256", "--token-plugin", "JWTTokenApi",
	    "--token-source", "k.pem", "6080"), 0);
	CHECK(cli.ini != NULL);
	CHECK_STR(cli.jwt_algorithm, "RS256");
	CHECK_LINE("jwt_key = /home/u/k.pem");
	CHECK_LINE("jwt_algorithm = RS256");
	CHECK_NO_LINE("targets_format = tokenfile");
	CHECK(strstr(cli.ini, "\ntargets") == NULL);
	CHECK(strstr(cli.ini, "backend") == NULL);
	CHECK_LINE("allowed_targets = " "127.0.0.0/8:* 10.0.0.0/8:* "
	    "172.16.0.0/12:* 192.168.0.0/16:* [::1]/128:* [fc00::]/7:*");
	CHECK(has_warning("tokens may lead to loopback and private"));
	CHECK_INT(PARSE_JWT("HS256", "--token-plugin", "JWTTokenApi",
	    "--token-source", "/etc/secret", "--host-token",
	    "--allowed-targets", "10.0.0.0/8:5900", "6080"), 0);
	CHECK_LINE("jwt_key = /etc/secret");
	CHECK_LINE("jwt_algorithm = HS256");
	CHECK_LINE("token_source = host");
	CHECK_LINE("allowed_targets = 10.0.0.0/8:5900");
	CHECK_ERR(PARSE_JWT("none", "--token-plugin", "JWTTokenApi",
	    "--token-source", "/k", "6080"),
	    "the algorithm is HS256, RS256 or ES256, not \"none\"");
	/* config.c reads the key: its errors are said as the option. */
	CHECK_INT(PARSE_JWT("ES256", "--token-plugin", "JWTTokenApi",
	    "--token-source", "/nonexistent/k", "6080"), 0);
	CHECK_LINE("jwt_algorithm = ES256");
	{
		struct config_errors errs = { NULL, 0 };
		char out[1024];

		cfg = config_load_string(CLI_CONFIG_NAME, cli.ini, &errs);
		CHECK(cfg == NULL && errs.n == 1);
		if (errs.n == 1) {
			cli_explain(&cli, errs.msgs[0], out, sizeof(out));
			CHECK(strncmp(out, "--token-source /nonexistent/k: ",
			    31) == 0);
		}
		config_unref(cfg);
		config_errors_free(&errs);
	}
	/* Without the plugin, the algorithm changes nothing. */
	CHECK_INT(PARSE_JWT("HS256", "6080", "h:1"), 0);
	CHECK(cli.jwt_key_file == NULL && cli.jwt_algorithm == NULL);
	CHECK(strstr(cli.ini, "jwt") == NULL);
}

int
main(void)
{
	RUN(test_any_path_route);
	RUN(test_wsgate_options);
	RUN(test_usage_errors);
	RUN(test_refused);
	RUN(test_positional_plain);
	RUN(test_inetd);
	RUN(test_positional_addresses);
	RUN(test_values_checked);
	RUN(test_paths_made_absolute);
	RUN(test_tls);
	RUN(test_auth_plugins);
	RUN(test_logging);
	RUN(test_tokens);
	RUN(test_jwt);
	RUN(test_basic_auth);
	RUN(test_record);
	RUN(test_syslog);
	RUN(test_key_password);
	RUN(test_heartbeat);
	RUN(test_unix_target);
	RUN(test_process_options);
	RUN(test_explain);
	RUN(test_config_checks_values);
	cli_free(&cli);
	return tl_summary("cli");
}
