# valgrind.mk -- `make valgrind`: the integration suite under memcheck
# (included by the Makefile)
#
# Every gateway a test starts runs under valgrind, with one log file per
# process that the harness reads when the gateway exits: an invalid read or
# write, a use of uninitialised memory, a bad free, or a definite or
# indirect leak fails that test.  Ends with
#     RESULT valgrind: N passed, M failed
# VALGRIND_TESTS narrows the run to tests whose name contains a pattern:
#     make valgrind VALGRIND_TESTS="test_relay test_conformance.Utf8"

VALGRIND_TESTS ?=

valgrind: deps-test $(B)/wsgate
	@/usr/bin/python3 tests/integration/run.py --binary $(B)/wsgate \
	    --valgrind $(VALGRIND_TESTS:%=-k %)
