// SPDX-License-Identifier: GPL-2.0
/*
 * kbts_hello - print the module parameters it was given
 *
 * Load with e.g. "insmod kbts_hello.ko count=3 who=arm64 levels=1,2,3".
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static int count = 1;
module_param(count, int, 0444);
MODULE_PARM_DESC(count, "How many greetings to print (default 1)");

static char *who = "world";
module_param(who, charp, 0444);
MODULE_PARM_DESC(who, "Whom to greet (default \"world\")");

static int levels[4];
static int nr_levels;
module_param_array(levels, int, &nr_levels, 0444);
MODULE_PARM_DESC(levels, "Up to four integer levels");

static int __init kbts_hello_init(void)
{
	int i;

	pr_info("count=%d who=%s nr_levels=%d\n", count, who, nr_levels);
	for (i = 0; i < nr_levels; i++)
		pr_info("levels[%d]=%d\n", i, levels[i]);
	for (i = 0; i < count; i++)
		pr_info("hello, %s (%d/%d)\n", who, i + 1, count);

	return 0;
}

static void __exit kbts_hello_exit(void)
{
	pr_info("goodbye, %s\n", who);
}

module_init(kbts_hello_init);
module_exit(kbts_hello_exit);

MODULE_AUTHOR("kbuildts developers");
MODULE_DESCRIPTION("Sample driver with int, charp and array module parameters");
MODULE_VERSION("1.0");
MODULE_LICENSE("GPL");
