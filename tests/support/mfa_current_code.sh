#!/bin/sh
# An mfa_process for the end-to-end suites: prints the code the MFA device shows now (the one
# the test set at the fault proxy, written to CODE_FILE) and counts its runs, one line each.
# Usage: mfa_current_code.sh COUNT_FILE CODE_FILE
echo run >> "$1"
cat "$2"
