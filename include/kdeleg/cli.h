/* SPDX-License-Identifier: MIT */
/* Command line: options, commands, exit codes. */
#pragma once

/* Exit codes, documented in README and kdeleg(1). */
enum kd_exit {
	KD_EXIT_OK = 0,      /* success, whatever was found */
	KD_EXIT_VERDICT = 1, /* a verdict the user asked for (--fail-on met...) */
	KD_EXIT_USAGE = 2,   /* bad command line */
	KD_EXIT_FAILURE = 3  /* broken input, incomplete data, I/O, memory */
};

/* Runs kdeleg with @argv and returns the exit code. Prints to stdout/stderr. */
int kd_cli_main(int argc, char **argv);
