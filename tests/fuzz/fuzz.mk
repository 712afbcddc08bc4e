# fuzz.mk -- libFuzzer targets (included by the top-level Makefile)
#
#   make fuzz-build          build every target into build/fuzz/
#   make fuzz                run each for FUZZ_SECONDS (default 300) on a
#                            working copy of its corpus; fail on any report
#   make fuzz FUZZ_TARGETS=frame FUZZ_SECONDS=60   one target, one minute
#
# Each target links only the pure modules it exercises, plus the library
# those need (OpenSSL for the accept key and base64, inih for the config,
# libcrypt for the hash checks).

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_B       := $(B)/fuzz
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_ALL     := $(patsubst tests/fuzz/fuzz_%.c,%,\
                $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)

fuzz_src_frame     := src/frame.c src/utf8.c src/unmask.c src/ws_reader.c
fuzz_src_utf8      := src/utf8.c
fuzz_src_handshake := src/handshake.c
fuzz_libs_handshake := $(shell pkg-config --libs libcrypto 2>/dev/null || \
                       echo -lcrypto)
fuzz_src_config    := src/config.c src/file.c src/value.c src/route.c src/sni.c \
                      src/allow.c src/cidr.c src/ipaddr.c \
                      src/duration.c src/suggest.c src/subproto.c \
                      src/htpasswd.c
fuzz_libs_config   := $(shell pkg-config --libs inih 2>/dev/null || echo -linih) \
                      $(shell pkg-config --libs libcrypt 2>/dev/null || \
                      echo -lcrypt) $(shell pkg-config --libs libcrypto \
                      2>/dev/null || echo -lcrypto)
fuzz_src_origin    := src/route.c src/sni.c
fuzz_src_proxy_proto := src/proxy_proto.c src/crc32c.c src/ipaddr.c
fuzz_src_forwarded := src/forwarded.c src/cidr.c src/ipaddr.c
fuzz_src_allow     := src/allow.c src/cidr.c src/ipaddr.c src/sni.c
fuzz_src_hosts     := src/hosts.c
fuzz_src_tokenfile := src/token.c src/tokenfile.c src/tokenindex.c
fuzz_libs_tokenfile := $(fuzz_libs_handshake)
fuzz_src_jwt       := src/jwt.c src/jwt_verify.c src/token.c src/utf8.c
fuzz_libs_jwt      := $(fuzz_libs_handshake)
fuzz_src_probe     := src/probe_http.c src/value.c
fuzz_src_utf8_split := src/utf8_split.c src/utf8.c
fuzz_src_duration  := src/duration.c
fuzz_src_subproto  := src/subproto.c
fuzz_src_basic_auth := src/basic_auth.c
fuzz_libs_basic_auth := $(fuzz_libs_handshake)
fuzz_src_htpasswd  := src/htpasswd.c
fuzz_libs_htpasswd := $(shell pkg-config --libs libcrypt 2>/dev/null || \
                      echo -lcrypt) $(fuzz_libs_handshake)
fuzz_src_record    := src/record.c
fuzz_src_log_json  := src/log_json.c src/json.c src/sink.c
fuzz_src_admin_req := src/admin_req.c src/utf8.c
fuzz_src_ticketkey := src/ticketkey.c
fuzz_src_sni       := src/sni.c
fuzz_src_cli       := src/cli.c $(fuzz_src_config)
fuzz_libs_cli      := $(fuzz_libs_config)
fuzz_src_webresp   := src/webresp.c src/handshake.c
fuzz_libs_webresp  := $(fuzz_libs_handshake)
# HTTP/2 frames into the real glue: libevent and nghttp2, admission and the
# config loader behind it (tls.c stood in for by the target).
fuzz_src_h2        := src/h2_conn.c src/h2_stream.c src/h2_req.c src/h2_plain.c \
                      src/webroot.c src/webresp.c src/plain.c src/side.c \
                      src/admit.c src/handshake.c src/route_count.c \
                      src/log.c src/log_json.c src/json.c src/sink.c \
                      src/config.c src/file.c src/value.c \
                      src/route.c src/sni.c src/duration.c src/suggest.c \
                      src/targets.c src/token.c src/tokenfile.c \
                      src/tokenindex.c src/jwt.c src/jwt_verify.c \
                      src/allow.c src/cidr.c src/ipaddr.c src/utf8.c \
                      src/htpasswd.c src/subproto.c
fuzz_libs_h2       := $(shell pkg-config --libs libevent libnghttp2 inih libcrypt \
                      libcrypto 2>/dev/null || \
                      echo -levent -lnghttp2 -linih -lcrypt -lcrypto) -pthread

define fuzz_rule
$(FUZZ_B)/fuzz_$(1): tests/fuzz/fuzz_$(1).c tests/fuzz/fuzz.h $(fuzz_src_$(1)) \
    $(HDRS) $(wildcard tests/ref/*.h) tests/fuzz/fuzz.mk | $(FUZZ_B)
	$$(FUZZ_CC) $$(CPPFLAGS) $$(WARN) $$(FUZZ_FLAGS) -o $$@ \
	    tests/fuzz/fuzz_$(1).c $(fuzz_src_$(1)) $(fuzz_libs_$(1))
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call fuzz_rule,$(t))))

$(FUZZ_B):
	mkdir -p $@

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_ALL:%=$(FUZZ_B)/fuzz_%)

# Targets one after the other (each uses one core); all run even if one
# fails, and the exit status says whether any did.
fuzz: fuzz-build
	@failed=""; \
	for t in $(FUZZ_TARGETS); do \
		tests/fuzz/run-target.sh fuzz $$t $(FUZZ_SECONDS) \
		    tests/fuzz/corpus-work/$$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed"; exit 1; fi; \
	echo "fuzz: all targets clean"
