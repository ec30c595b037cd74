/* SPDX-License-Identifier: MIT */
/* kdeleg entry point: argv in, exit code out. */
#include "kdeleg/cli.h"

int
main(int argc, char **argv)
{
	return kd_cli_main(argc, argv);
}
