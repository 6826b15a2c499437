// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - defines wspshare's tracepoints (trace.h), and nothing else.
 *
 * Locking: none.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
