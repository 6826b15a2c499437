#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make help` against the README and the Makefile (run by `make style`):
#  - the README's "## Commands" block is make help's output, line for line;
#  - every target make help names is a rule of the Makefile;
#  - every .PHONY target is in make help, or in HELP_INTERNAL (the steps
#    of other targets).
#
# usage: check-help.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cd "$WSP_TOP"
help=$(make -s --no-print-directory help)
# The indented block after the heading, up to the next heading.
readme=$(awk '/^## / { on = ($0 == "## Commands"); next }
	      on && /^    / { print substr($0, 5) }' README.md)
rc=0
if [ "$help" != "$readme" ]; then
	echo "check-help: README.md's \"## Commands\" block is not make help's output:" >&2
	diff <(printf '%s\n' "$help") <(printf '%s\n' "$readme") |
		sed 's/^</  make help:/; s/^>/  README:   /' >&2 || true
	rc=1
fi

# The rules and the .PHONY list, from make's own database.
db=$(make -pRrq : 2>/dev/null || true)
rules=$(printf '%s\n' "$db" | awk -F: '/^[A-Za-z0-9][^$#\/\t=]*:([^=]|$)/ {
	n = split($1, t, / /); for (i = 1; i <= n; i++) print t[i] }' | sort -u)
phony=$(printf '%s\n' "$db" | sed -n 's/^\.PHONY: //p' | tr ' ' '\n' | sed '/^$/d' | sort -u)
internal=$(printf '%s\n' "$db" | sed -n 's/^HELP_INTERNAL := //p' | tr ' ' '\n' | sed '/^$/d')
# "make  <text>" (two spaces) is the default goal.
listed=$(printf '%s\n' "$help" | awk '/^make  / { print "all"; next } { print $2 }' | sort -u)

for t in $listed; do
	grep -qxF "$t" <<<"$rules" || {
		echo "check-help: make help lists \"make $t\", which the Makefile has no rule for" >&2
		rc=1
	}
done
for t in $phony; do
	grep -qxF "$t" <<<"$listed" && continue
	grep -qxF "$t" <<<"$internal" && continue
	echo "check-help: .PHONY target \"$t\" is neither in make help nor in HELP_INTERNAL" >&2
	rc=1
done
exit $rc
