// SPDX-License-Identifier: GPL-2.0
/*
 * kbts_status - report once at the device initcall level
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

static int __init kbts_status_init(void)
{
	pr_info("status ok\n");
	return 0;
}

static void __exit kbts_status_exit(void)
{
}

module_init(kbts_status_init);
module_exit(kbts_status_exit);

MODULE_DESCRIPTION("Sample driver at the device initcall level");
MODULE_LICENSE("GPL");
