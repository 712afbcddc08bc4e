# Makefile -- build, run, test and benchmark wsgate
#
#   make            build build/wsgate (says which packages are missing first)
#   make deps       install the missing build packages (apt-get)
#   make run        install missing packages, build, start the demo
#                   (PORT=8080, BACKEND_PORT=7000)
#   make check      install missing test packages, run every test
#   make test-unit  only the unit tests (plain and sanitized)
#   make test-integration [K=pattern]
#                   only the integration tests, against build/wsgate; K:
#                   those whose name contains a pattern (several: K="a b")
#   make e2e        only the real-browser tests (Chromium, noVNC)
#   make test-k8s   only the checks of deploy/k8s (no cluster needed)
#   make asan       build build/asan/wsgate (AddressSanitizer + UBSan)
#   make fuzz       run every fuzz target for FUZZ_SECONDS each
#   make bench      measure throughput/latency against references
#   make install    binary, man pages, default configuration (never
#                   overwritten), examples, systemd unit; PREFIX=/usr/local,
#                   SYSCONFDIR=$(PREFIX)/etc, DESTDIR; make uninstall

PKGS      := libevent libevent_pthreads libevent_openssl openssl inih libcrypt libnghttp2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread

CC        ?= cc
WARN      := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wformat=2 -Wvla -Wpointer-arith \
             -Wnull-dereference -Werror
CPPFLAGS  += -D_GNU_SOURCE -Isrc
OPT       ?= -O2 -g
SANITIZE  := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer

B         := build

# Installation directories.  A package uses PREFIX=/usr SYSCONFDIR=/etc.
# The binary looks for $(SYSCONFDIR)/wsgate/wsgate.ini and names
# $(DOCDIR)/examples when there is none, so they are compiled in: changing
# them rebuilds it ($(B)/paths).
PREFIX         ?= /usr/local
BINDIR         ?= $(PREFIX)/bin
SYSCONFDIR     ?= $(PREFIX)/etc
DATADIR        ?= $(PREFIX)/share
MANDIR         ?= $(DATADIR)/man
DOCDIR         ?= $(DATADIR)/doc/wsgate
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
INSTALL_DIRS   := $(foreach v,PREFIX BINDIR SYSCONFDIR DATADIR MANDIR DOCDIR \
                  SYSTEMDUNITDIR SYSUSERSDIR,$(v)='$($(v))')
PATH_DEFS      := -DCONFIG_DEFAULT_PATH='"$(SYSCONFDIR)/wsgate/wsgate.ini"' \
                  -DWSGATE_EXAMPLES_DIR='"$(DOCDIR)/examples"'
# Pure modules: no I/O, no libevent types; unit-tested and fuzzed.
PURE      := value utf8 unmask frame ws_reader handshake route config log sockaddr sni \
             ipaddr crc32c cidr proxy_proto forwarded hosts dnscache \
             token tokenfile tokenindex jwt jwt_verify route_count pending \
             probe_http duration suggest utf8_split subproto basic_auth \
             htpasswd ratelimit authcache record allow admit \
             sink json log_json metrics metrics_text sessions_json \
             admin_req redact ticketkey balance webresp plain cli h2_req
# Reads files (checked, bounded): config.c needs it, so the unit tests and
# the config fuzz target link it too.
FILEIO    := file targets route_targets
IO        := listener session front side relay upstream resolve webroot download \
             worker tls notify probe auth recorder h2_conn h2_stream h2_plain
UNITS     := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))

PURE_SRC  := $(PURE:%=src/%.c) $(FILEIO:%=src/%.c)
ALL_SRC   := $(PURE_SRC) $(IO:%=src/%.c) src/main.c
HDRS      := $(wildcard src/*.h)

.PHONY: all run demo deps deps-test check unit asan fuzz bench clean install \
        uninstall lint valgrind depcheck test-unit test-integration test-k8s FORCE
.PHONY: deps-e2e e2e

all: $(B)/wsgate $(B)/echo-backend $(B)/proxy-header $(B)/wsgate-record

$(B)/wsgate: $(ALL_SRC) $(HDRS) Makefile $(B)/paths | $(B) depcheck
	$(CC) $(CPPFLAGS) $(PATH_DEFS) $(WARN) $(OPT) $(PKG_CFLAGS) $(CFLAGS) \
	    -o $@ $(ALL_SRC) $(PKG_LIBS) $(LDFLAGS)

$(B)/asan/wsgate: $(ALL_SRC) $(HDRS) Makefile $(B)/paths | $(B)/asan depcheck
	$(CC) $(CPPFLAGS) $(PATH_DEFS) $(WARN) -O1 -g $(SANITIZE) $(PKG_CFLAGS) \
	    -o $@ $(ALL_SRC) $(PKG_LIBS)

asan: $(B)/asan/wsgate $(B)/asan/proxy-header $(B)/asan/wsgate-record

# The compiled-in paths, rewritten only when they change.
$(B)/paths: FORCE | $(B)
	@[ "$$(cat $@ 2>/dev/null)" = "$(SYSCONFDIR) $(DOCDIR)" ] || \
	    echo "$(SYSCONFDIR) $(DOCDIR)" >$@

# Before any compiler error: which build packages are missing, and how to
# install them.  Quick when nothing is (pkg-config only).
depcheck:
	@CC='$(CC)' scripts/deps.sh check

$(B)/echo-backend: tools/echo_backend.c Makefile | $(B) depcheck
	$(CC) $(CPPFLAGS) $(WARN) $(OPT) $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS)

# The PROXY header codec on the command line, for the HAProxy interop
# test (tests/integration/test_proxy_haproxy.py); plain and sanitized.
PROXY_TOOL_SRC := tools/proxy_header.c src/proxy_proto.c src/crc32c.c \
                  src/ipaddr.c src/sockaddr.c
$(B)/proxy-header: $(PROXY_TOOL_SRC) $(HDRS) Makefile | $(B)
	$(CC) $(CPPFLAGS) $(WARN) $(OPT) -o $@ $(PROXY_TOOL_SRC)
$(B)/asan/proxy-header: $(PROXY_TOOL_SRC) $(HDRS) Makefile | $(B)/asan
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(SANITIZE) -o $@ $(PROXY_TOOL_SRC)

# Session recordings on the command line: dump one, or replay its client
# bytes against a backend (docs/record-format.md); plain and sanitized.
RECORD_TOOL_SRC := tools/wsgate_record.c src/record.c
$(B)/wsgate-record: $(RECORD_TOOL_SRC) $(HDRS) Makefile | $(B)
	$(CC) $(CPPFLAGS) $(WARN) $(OPT) -o $@ $(RECORD_TOOL_SRC)
$(B)/asan/wsgate-record: $(RECORD_TOOL_SRC) $(HDRS) Makefile | $(B)/asan
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(SANITIZE) -o $@ $(RECORD_TOOL_SRC)

$(B) $(B)/asan $(B)/unit $(B)/unit-asan:
	mkdir -p $@

# Unit tests: one program per pure module, built plain and sanitized.
# UNIT_SRCDIR lets a test find its data files (tests/unit/config/*.ini)
# from any working directory.
# The pure modules are compiled once per flavour and linked into each test.
UNIT_DEFS := -DUNIT_SRCDIR='"$(CURDIR)/tests/unit"'
UNIT_OBJ  := $(PURE:%=$(B)/unit/%.o) $(FILEIO:%=$(B)/unit/%.o)
UNITA_OBJ := $(PURE:%=$(B)/unit-asan/%.o) $(FILEIO:%=$(B)/unit-asan/%.o)
.SECONDARY: $(UNIT_OBJ) $(UNITA_OBJ)
$(B)/unit/%.o: src/%.c $(HDRS) | $(B)/unit depcheck
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(PKG_CFLAGS) -c -o $@ $<
$(B)/unit-asan/%.o: src/%.c $(HDRS) | $(B)/unit-asan depcheck
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(SANITIZE) $(PKG_CFLAGS) -c -o $@ $<
TEST_HDRS := tests/unit/testlib.h $(wildcard tests/ref/*.h)
$(B)/unit/test_%: tests/unit/test_%.c $(TEST_HDRS) $(UNIT_OBJ) $(HDRS) | $(B)/unit
	$(CC) $(CPPFLAGS) $(UNIT_DEFS) $(WARN) -O1 -g $(PKG_CFLAGS) -o $@ $< \
	    $(UNIT_OBJ) $(PKG_LIBS)
$(B)/unit-asan/test_%: tests/unit/test_%.c $(TEST_HDRS) $(UNITA_OBJ) $(HDRS) | $(B)/unit-asan
	$(CC) $(CPPFLAGS) $(UNIT_DEFS) $(WARN) -O1 -g $(SANITIZE) $(PKG_CFLAGS) -o $@ $< \
	    $(UNITA_OBJ) $(PKG_LIBS)

# A known /metrics, /sessions and JSON log sample from the pure writers,
# read by strict parsers other than wsgate's own
# (tests/integration/test_ops_formats.py); plain and sanitized.
$(B)/ops-sample: tests/unit/ops_sample.c $(UNIT_OBJ) $(HDRS) | $(B)
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(PKG_CFLAGS) -o $@ $< $(UNIT_OBJ) \
	    $(PKG_LIBS)
$(B)/asan/ops-sample: tests/unit/ops_sample.c $(UNITA_OBJ) $(HDRS) | $(B)/asan
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(SANITIZE) $(PKG_CFLAGS) -o $@ $< \
	    $(UNITA_OBJ) $(PKG_LIBS)

unit: $(UNITS:%=$(B)/unit/test_%) $(UNITS:%=$(B)/unit-asan/test_%) \
      $(B)/ops-sample $(B)/asan/ops-sample

# Every unit test program, plain then sanitized; one of them alone:
#     make build/unit/test_frame && build/unit/test_frame
test-unit: unit
	@failed=""; \
	for t in $(UNITS:%=$(B)/unit/test_%) $(UNITS:%=$(B)/unit-asan/test_%); do \
		$$t >$(B)/test-unit.out 2>&1 || \
		    { cat $(B)/test-unit.out; failed="$$failed $${t#$(B)/}"; }; \
	done; \
	if [ -n "$$failed" ]; then echo "test-unit: FAILED:$$failed"; exit 1; fi; \
	echo "test-unit: $(words $(UNITS)) programs, plain and sanitized: all passed"

# The integration suite against the plain build (for the sanitized one:
# tests/integration/run.py --binary build/asan/wsgate --sanitizer).
K ?=
test-integration: deps-test all $(B)/ops-sample
	@/usr/bin/python3 tests/integration/run.py --binary $(B)/wsgate \
	    $(K:%=-k %)

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

deps-e2e:
	@scripts/deps.sh e2e

# make run PORT=8081: the demo's listener and origins follow;
# BACKEND_PORT moves its echo backend.
PORT         ?= 8080
BACKEND_PORT ?= 7000
run: deps all
	@B='$(B)' PORT='$(PORT)' BACKEND_PORT='$(BACKEND_PORT)' scripts/demo.sh

demo: all
	@B='$(B)' PORT='$(PORT)' BACKEND_PORT='$(BACKEND_PORT)' scripts/demo.sh

check: deps-test deps-e2e all asan unit
	@tests/run.sh

# deploy/k8s rendered, checked and its configuration run through -t;
# broken copies must fail (tests/k8s/check.py says what is checked).
test-k8s: deps-test all
	@/usr/bin/python3 tests/k8s/check.py --mutations --wsgate $(B)/wsgate

e2e: deps-e2e all asan
	@tests/e2e/run.sh

# What goes where, and the rule that a changed configuration is never
# overwritten nor removed: scripts/install.sh.
install: $(B)/wsgate
	@scripts/install.sh install $(B)/wsgate DESTDIR='$(DESTDIR)' $(INSTALL_DIRS)

uninstall:
	@scripts/install.sh uninstall DESTDIR='$(DESTDIR)' $(INSTALL_DIRS)

clean:
	rm -rf $(B)

# Static analysis (cppcheck); also run by make check.
lint:
	@tests/lint.sh

-include tests/fuzz/fuzz.mk
-include tests/valgrind.mk
-include tools/bench/bench.mk
