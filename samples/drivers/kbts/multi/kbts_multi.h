/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KBTS_MULTI_H
#define _KBTS_MULTI_H

int kbts_multi_ops_sum(const int *values, int n);
void kbts_multi_stats_report(const int *values, int n);

#endif /* _KBTS_MULTI_H */
