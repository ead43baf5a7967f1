// SPDX-License-Identifier: GPL-2.0
/*
 * kbts_multi - a module linked from several objects (statistics part)
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/printk.h>

#include "kbts_multi.h"

void kbts_multi_stats_report(const int *values, int n)
{
	int i, max = values[0];

	for (i = 1; i < n; i++)
		max = max(max, values[i]);
	pr_info("stats=%s n=%d max=%d\n", KBUILD_BASENAME, n, max);
}
