#!/bin/sh
# SPDX-License-Identifier: MIT
# Fails when the sources use calls that are unsafe on untrusted data (curl's checksrc).
top=${1:-.}
banned='\b(atoi|atol|atoll|sprintf|vsprintf|strcpy|strcat|strncpy|strtok|gets|sscanf)[[:space:]]*\('
if grep -nE "$banned" "$top"/src/*.c "$top"/include/kdeleg/*.h; then
	echo "banned call used (see tests/check-banned.sh)" >&2
	exit 1
fi
exit 0
