# Makefile -- build, run, test and benchmark wsgate
#
#   make            build build/wsgate
#   make run        install missing packages, build, start the demo
#   make check      install missing test packages, run every test
#   make asan       build build/asan/wsgate (AddressSanitizer + UBSan)
#   make fuzz       run every fuzz target for FUZZ_SECONDS each
#   make bench      measure throughput/latency against references

PKGS      := libevent libevent_pthreads libevent_openssl openssl inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

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
PURE      := value utf8 unmask frame ws_reader handshake route config log sockaddr
IO        := listener session relay upstream webroot
UNITS     := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))

PURE_SRC  := $(PURE:%=src/%.c)
ALL_SRC   := $(PURE_SRC) $(IO:%=src/%.c) src/main.c
HDRS      := $(wildcard src/*.h)

.PHONY: all run demo deps deps-test check unit asan fuzz bench clean install \
        format format-check lint valgrind

all: $(B)/wsgate $(B)/echo-backend

$(B)/wsgate: $(ALL_SRC) $(HDRS) Makefile | $(B)
	$(CC) $(CPPFLAGS) $(WARN) $(OPT) $(PKG_CFLAGS) $(CFLAGS) \
	    -o $@ $(ALL_SRC) $(PKG_LIBS) $(LDFLAGS)

$(B)/asan/wsgate: $(ALL_SRC) $(HDRS) Makefile | $(B)/asan
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(SANITIZE) $(PKG_CFLAGS) \
	    -o $@ $(ALL_SRC) $(PKG_LIBS)

asan: $(B)/asan/wsgate

$(B)/echo-backend: tools/echo_backend.c Makefile | $(B)
	$(CC) $(CPPFLAGS) $(WARN) $(OPT) $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS)

$(B) $(B)/asan $(B)/unit $(B)/unit-asan:
	mkdir -p $@

# Unit tests: one program per pure module, built plain and sanitized.
$(B)/unit/test_%: tests/unit/test_%.c tests/unit/testlib.h $(PURE_SRC) $(HDRS) | $(B)/unit
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(PKG_CFLAGS) -o $@ $< \
	    $(PURE_SRC) $(PKG_LIBS)
$(B)/unit-asan/test_%: tests/unit/test_%.c tests/unit/testlib.h $(PURE_SRC) $(HDRS) | $(B)/unit-asan
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(SANITIZE) $(PKG_CFLAGS) -o $@ $< \
	    $(PURE_SRC) $(PKG_LIBS)

unit: $(UNITS:%=$(B)/unit/test_%) $(UNITS:%=$(B)/unit-asan/test_%)

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

run: deps all
	@scripts/demo.sh

demo: all
	@scripts/demo.sh

check: deps-test all asan unit
	@tests/run.sh

PREFIX    ?= /usr/local
SYSCONFDIR ?= $(PREFIX)/etc

install: $(B)/wsgate
	install -D -m 755 $(B)/wsgate $(DESTDIR)$(PREFIX)/bin/wsgate
	install -D -m 644 etc/wsgate.ini \
	    $(DESTDIR)$(PREFIX)/share/doc/wsgate/examples/wsgate.ini
	install -D -m 644 etc/routes.d/vnc.ini \
	    $(DESTDIR)$(PREFIX)/share/doc/wsgate/examples/routes.d/vnc.ini
	install -D -m 644 README.md $(DESTDIR)$(PREFIX)/share/doc/wsgate/README.md

clean:
	rm -rf $(B)

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c tests/unit/*.h

format-check:
	@clang-format --dry-run --Werror src/*.c src/*.h tests/unit/*.c tests/unit/*.h

-include tools/bench/bench.mk
