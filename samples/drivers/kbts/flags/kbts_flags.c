// SPDX-License-Identifier: GPL-2.0
/*
 * kbts_flags - print the macros Kbuild passed on the command line
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

#ifndef KBTS_FLAGS_MAGIC
#error "KBTS_FLAGS_MAGIC must come from ccflags-y"
#endif

#ifndef KBTS_FLAGS_VERBOSE
#define KBTS_FLAGS_VERBOSE 0
#endif

static int __init kbts_flags_init(void)
{
	pr_info("magic=0x%x greeting=%s file_id=%d tree=%d\n",
		KBTS_FLAGS_MAGIC, KBTS_FLAGS_GREETING, KBTS_FLAGS_FILE_ID,
		KBTS_TREE_VERSION);
	if (KBTS_FLAGS_VERBOSE)
		pr_info("basename=%s modname=%s\n", KBUILD_BASENAME,
			KBUILD_MODNAME);
	return 0;
}

static void __exit kbts_flags_exit(void)
{
}

module_init(kbts_flags_init);
module_exit(kbts_flags_exit);

MODULE_DESCRIPTION("Sample driver built with ccflags-y macros");
MODULE_LICENSE("GPL");
