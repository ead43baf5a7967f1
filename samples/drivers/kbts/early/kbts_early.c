// SPDX-License-Identifier: GPL-2.0
/*
 * kbts_early - a driver that initializes at the subsys level when built in
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

static int __init kbts_early_init(void)
{
#ifdef MODULE
	pr_info("loaded as a module\n");
#else
	pr_info("built in, subsys initcall (file %s)\n", KBUILD_MODFILE);
#endif
	return 0;
}

#ifdef MODULE
module_init(kbts_early_init);
#else
subsys_initcall(kbts_early_init);
#endif

static void __exit kbts_early_exit(void)
{
}
module_exit(kbts_early_exit);

MODULE_DESCRIPTION("Sample driver at the subsys initcall level");
MODULE_LICENSE("GPL");
