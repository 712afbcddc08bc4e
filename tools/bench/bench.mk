# bench.mk -- `make bench`: build the load generator and echo backend, then
# run tools/bench/run.py (wsgate against HAProxy and websockify).
#
#   make bench                         default run, about 5 minutes
#   make bench BENCH_ARGS=--quick      about a minute
#   make bench BENCH_ARGS='--scenarios tput --sizes 4096'
#   make bench-tokens                  token lookup and JWT check costs
#
# Included from the Makefile; uses its B, CC, CPPFLAGS, WARN and OPT.

BENCH_ARGS ?=
PYTHON3    ?= python3

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

.PHONY: bench bench-tools bench-tokens
bench-tools: $(B)/wsbench $(B)/echod

bench: $(B)/wsgate bench-tools
	$(PYTHON3) tools/bench/run.py $(BENCH_ARGS)

# tests/bench/smoke.sh (run by `make check`) needs the tools.
check: bench-tools
