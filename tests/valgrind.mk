# valgrind.mk -- `make valgrind`: the integration suite under memcheck
# (included by the Makefile)
#
# Every gateway a test starts runs under valgrind, with one log file per
# process that the harness reads when the gateway exits: an invalid read or
# write, a use of uninitialised memory, a bad free, or a definite or
# indirect leak fails that test.  Ends with
#     RESULT valgrind: N passed, M failed
# By default it runs the selection in run.py (VALGRIND_TESTS there, some
# 2.5 minutes); VALGRIND_TESTS here picks tests whose name contains a
# pattern instead ("test_" for all of them):
#     make valgrind VALGRIND_TESTS="test_relay test_conformance.Utf8"

VALGRIND_TESTS ?=

valgrind: deps-test $(B)/wsgate
	@/usr/bin/python3 tests/integration/run.py --binary $(B)/wsgate \
	    --valgrind $(VALGRIND_TESTS:%=-k %)
