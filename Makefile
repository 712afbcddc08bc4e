# Makefile -- build, run, test and benchmark wsgate
#
#   make            build build/wsgate
#   make run        install missing packages, build, start the demo
#   make check      install missing test packages, run every test
#   make e2e        only the real-browser tests (Chromium, noVNC)
#   make asan       build build/asan/wsgate (AddressSanitizer + UBSan)
#   make fuzz       run every fuzz target for FUZZ_SECONDS each
#   make bench      measure throughput/latency against references

PKGS      := libevent libevent_pthreads libevent_openssl openssl inih libcrypt
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
# Pure modules: no I/O, no libevent types; unit-tested and fuzzed.
PURE      := value utf8 unmask frame ws_reader handshake route config log sockaddr sni \
             ipaddr crc32c cidr proxy_proto forwarded duration suggest \
             utf8_split subproto basic_auth htpasswd ratelimit authcache record
IO        := listener session relay upstream webroot download worker tls
UNITS     := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))

PURE_SRC  := $(PURE:%=src/%.c)
ALL_SRC   := $(PURE_SRC) $(IO:%=src/%.c) src/main.c
HDRS      := $(wildcard src/*.h)

.PHONY: all run demo deps deps-test check unit asan fuzz bench clean install \
        lint valgrind
.PHONY: deps-e2e e2e

all: $(B)/wsgate $(B)/echo-backend $(B)/proxy-header $(B)/wsgate-record

$(B)/wsgate: $(ALL_SRC) $(HDRS) Makefile | $(B)
	$(CC) $(CPPFLAGS) $(WARN) $(OPT) $(PKG_CFLAGS) $(CFLAGS) \
	    -o $@ $(ALL_SRC) $(PKG_LIBS) $(LDFLAGS)

$(B)/asan/wsgate: $(ALL_SRC) $(HDRS) Makefile | $(B)/asan
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(SANITIZE) $(PKG_CFLAGS) \
	    -o $@ $(ALL_SRC) $(PKG_LIBS)

asan: $(B)/asan/wsgate $(B)/asan/proxy-header $(B)/asan/wsgate-record

$(B)/echo-backend: tools/echo_backend.c Makefile | $(B)
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
UNIT_OBJ  := $(PURE:%=$(B)/unit/%.o)
UNITA_OBJ := $(PURE:%=$(B)/unit-asan/%.o)
.SECONDARY: $(UNIT_OBJ) $(UNITA_OBJ)
$(B)/unit/%.o: src/%.c $(HDRS) | $(B)/unit
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(PKG_CFLAGS) -c -o $@ $<
$(B)/unit-asan/%.o: src/%.c $(HDRS) | $(B)/unit-asan
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(SANITIZE) $(PKG_CFLAGS) -c -o $@ $<
$(B)/unit/test_%: tests/unit/test_%.c tests/unit/testlib.h $(UNIT_OBJ) $(HDRS) | $(B)/unit
	$(CC) $(CPPFLAGS) $(UNIT_DEFS) $(WARN) -O1 -g $(PKG_CFLAGS) -o $@ $< \
	    $(UNIT_OBJ) $(PKG_LIBS)
$(B)/unit-asan/test_%: tests/unit/test_%.c tests/unit/testlib.h $(UNITA_OBJ) $(HDRS) | $(B)/unit-asan
	$(CC) $(CPPFLAGS) $(UNIT_DEFS) $(WARN) -O1 -g $(SANITIZE) $(PKG_CFLAGS) -o $@ $< \
	    $(UNITA_OBJ) $(PKG_LIBS)

unit: $(UNITS:%=$(B)/unit/test_%) $(UNITS:%=$(B)/unit-asan/test_%)

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

deps-e2e:
	@scripts/deps.sh e2e

run: deps all
	@scripts/demo.sh

demo: all
	@scripts/demo.sh

check: deps-test deps-e2e all asan unit
	@tests/run.sh

e2e: deps-e2e all asan
	@tests/e2e/run.sh

PREFIX    ?= /usr/local
SYSCONFDIR ?= $(PREFIX)/etc

install: $(B)/wsgate
	install -D -m 755 $(B)/wsgate $(DESTDIR)$(PREFIX)/bin/wsgate
	install -D -m 644 etc/wsgate.ini \
	    $(DESTDIR)$(PREFIX)/share/doc/wsgate/examples/wsgate.ini
	install -D -m 644 etc/routes.d/vnc.ini \
	    $(DESTDIR)$(PREFIX)/share/doc/wsgate/examples/routes.d/vnc.ini
	install -D -m 644 etc/tls.ini.example \
	    $(DESTDIR)$(PREFIX)/share/doc/wsgate/examples/tls.ini
	install -D -m 644 README.md $(DESTDIR)$(PREFIX)/share/doc/wsgate/README.md

clean:
	rm -rf $(B)

# Static analysis (cppcheck); also run by make check.
lint:
	@tests/lint.sh

-include tests/fuzz/fuzz.mk
-include tests/valgrind.mk
-include tools/bench/bench.mk
