#!/bin/sh
# An mfa_process for the end-to-end suites: prints a fixed code and counts its runs.
# Usage: mfa_code.sh COUNT_FILE [CODE]
echo run >> "$1"
echo "${2:-123456}"
