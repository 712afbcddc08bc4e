# bench.mk -- `make bench`: build the load generator and echo backend, then
# run tools/bench/run.py: ws:// (wsgate against HAProxy, HAProxy tuned,
# lighttpd and websockify),
# then wss:// (run.py --tls: wsgate against HAProxy and lighttpd).
#
#   make bench                         both and the rest, about 17 minutes
#   make bench BENCH_ARGS=--quick      both, about a minute and a half
#   make bench BENCH_ARGS='--scenarios tput --sizes 4096'   (ws:// part)
#   make bench-tls                     only wss://, about 5 minutes
#   make bench-tls BENCH_TLS_ARGS='--scenarios rate --reps 5'
#   make bench-tokens                  token lookup and JWT check costs
#   make bench-token-route             sessions/s: a route with 100,000
#                                      tokens against a static route
#                                      (also part of make bench, ~15 s)
#   make bench-many-clients            100,000 connections, each from its
#                                      own PROXY v2 address: RSS before and
#                                      after (bound 8 MiB), a repeat client
#                                      still limited (also part of make
#                                      bench; MANY_CLIENTS_N=100000)
#   make bench-h2                      memory per WebSocket over HTTP/2
#                                      against TLS connections, wsgate and
#                                      HAProxy (about a minute; H2MEM_N=1000)
#
# The wss:// run takes the flags of BENCH_ARGS that apply to it (--quick,
# --no-pin, --rt); anything else for it goes in BENCH_TLS_ARGS.
#
# Included from the Makefile; uses its B, CC, CPPFLAGS, WARN and OPT.

BENCH_ARGS     ?=
BENCH_TLS_ARGS ?= $(filter --quick --no-pin --rt,$(BENCH_ARGS))
PYTHON3        ?= python3

$(B)/wsbench: tools/bench/wsbench.c tools/bench/bench.mk | $(B)
	$(CC) $(CPPFLAGS) $(WARN) $(OPT) $(CFLAGS) -o $@ $< -lssl -lcrypto \
	    $(LDFLAGS)

$(B)/echod: tools/bench/echod.c tools/bench/bench.mk | $(B)
	$(CC) $(CPPFLAGS) $(WARN) $(OPT) $(CFLAGS) -o $@ $< -lcrypto $(LDFLAGS)

# Micro-benchmark of the token modules (issue 11): a lookup among
# 100,000 tokens and a JWT check per algorithm; prints figures only.
TOKENBENCH_SRC := src/token.c src/tokenindex.c src/jwt.c src/jwt_verify.c \
                  src/utf8.c
$(B)/tokenbench: tools/bench/tokenbench.c $(TOKENBENCH_SRC) $(HDRS) \
    tools/bench/bench.mk | $(B)
	$(CC) $(CPPFLAGS) $(WARN) $(OPT) $(CFLAGS) -o $@ $< $(TOKENBENCH_SRC) \
	    -lcrypto $(LDFLAGS)

bench-tokens: $(B)/tokenbench
	$(B)/tokenbench

.PHONY: bench bench-tls bench-tools bench-tokens bench-token-route bench-h2 \
    bench-many-clients
bench-tools: $(B)/wsbench $(B)/echod

bench: $(B)/wsgate bench-tools
	$(PYTHON3) tools/bench/run.py $(BENCH_ARGS)
	$(PYTHON3) tools/bench/run.py --tls $(BENCH_TLS_ARGS)
	B='$(B)' /usr/bin/python3 tools/bench/tokenroute.py
	/usr/bin/python3 tools/bench/h2mem.py -n $(H2MEM_N)
	B='$(B)' /usr/bin/python3 tools/bench/manyclients.py -n $(MANY_CLIENTS_N)

bench-token-route: $(B)/wsgate bench-tools
	B='$(B)' /usr/bin/python3 tools/bench/tokenroute.py

# Debian's python (python3-h2), whatever python3 is on PATH.
H2MEM_N ?= 1000
bench-h2: $(B)/wsgate bench-tools
	/usr/bin/python3 tools/bench/h2mem.py -n $(H2MEM_N)

bench-tls: $(B)/wsgate bench-tools
	$(PYTHON3) tools/bench/run.py --tls $(BENCH_TLS_ARGS)

# tests/bench/smoke.sh (run by `make check`) needs the tools.
check: bench-tools

# The per-client tables stay bounded (issue 13); Debian's python.
MANY_CLIENTS_N ?= 100000
bench-many-clients: $(B)/wsgate
	B='$(B)' /usr/bin/python3 tools/bench/manyclients.py -n $(MANY_CLIENTS_N)
