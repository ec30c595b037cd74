/* SPDX-License-Identifier: MIT */
/* kdeleg entry point: argv in, exit code out. */
#include "kdeleg/cli.h"
#include "kdeleg/json-pool.h"

int
main(int argc, char **argv)
{
	int code;

	kd_json_pool_install(); /* before any jansson value: reports are millions of them */
	code = kd_cli_main(argc, argv);
	kd_json_pool_release();
	return code;
}
