// SPDX-License-Identifier: GPL-2.0
/*
 * kbts_consumer - call a function exported by kbts_exporter
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include <kbts_exporter.h>

static int input = 6;
module_param(input, int, 0444);
MODULE_PARM_DESC(input, "Value passed to kbts_exporter_scale() (default 6)");

static int __init kbts_consumer_init(void)
{
	pr_info("kbts_exporter_scale(%d) = %d\n", input,
		kbts_exporter_scale(input));
	return 0;
}

static void __exit kbts_consumer_exit(void)
{
}

module_init(kbts_consumer_init);
module_exit(kbts_consumer_exit);

MODULE_DESCRIPTION("Sample consumer of an exported symbol");
MODULE_LICENSE("GPL");
