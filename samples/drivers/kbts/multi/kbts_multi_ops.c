// SPDX-License-Identifier: GPL-2.0
/*
 * kbts_multi - a module linked from several objects (operations part)
 */

#include "kbts_multi.h"

int kbts_multi_ops_sum(const int *values, int n)
{
	int i, sum = 0;

	for (i = 0; i < n; i++)
		sum += values[i];
	return sum;
}
