// SPDX-License-Identifier: GPL-2.0
/*
 * kbts_exporter - export a function for kbts_consumer to call
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include <kbts_exporter.h>

static int factor = 7;
module_param(factor, int, 0444);
MODULE_PARM_DESC(factor, "Factor kbts_exporter_scale() multiplies by (default 7)");

/**
 * kbts_exporter_scale() - multiply a value by the module's factor
 * @value: the value to scale
 *
 * Return: @value times the factor module parameter.
 */
int kbts_exporter_scale(int value)
{
	return value * factor;
}
EXPORT_SYMBOL(kbts_exporter_scale);

static int __init kbts_exporter_init(void)
{
	pr_info("ready, factor=%d\n", factor);
	return 0;
}

static void __exit kbts_exporter_exit(void)
{
}

module_init(kbts_exporter_init);
module_exit(kbts_exporter_exit);

MODULE_DESCRIPTION("Sample exporter of a symbol");
MODULE_LICENSE("GPL");
