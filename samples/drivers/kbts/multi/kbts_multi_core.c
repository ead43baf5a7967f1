// SPDX-License-Identifier: GPL-2.0
/*
 * kbts_multi - a module linked from several objects (core part)
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kconfig.h>
#include <linux/module.h>

#include "kbts_multi.h"

static const int kbts_multi_values[] = { 1, 2, 3, 4 };

static int __init kbts_multi_init(void)
{
	int n = ARRAY_SIZE(kbts_multi_values);

	pr_info("core=%s sum=%d\n", KBUILD_BASENAME,
		kbts_multi_ops_sum(kbts_multi_values, n));
	if (IS_ENABLED(CONFIG_KBTS_MULTI_STATS))
		kbts_multi_stats_report(kbts_multi_values, n);
	return 0;
}

static void __exit kbts_multi_exit(void)
{
}

module_init(kbts_multi_init);
module_exit(kbts_multi_exit);

MODULE_DESCRIPTION("Sample composite object");
MODULE_LICENSE("GPL");
