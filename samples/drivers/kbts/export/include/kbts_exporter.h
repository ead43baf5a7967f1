/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KBTS_EXPORTER_H
#define _KBTS_EXPORTER_H

int kbts_exporter_scale(int value);

#endif /* _KBTS_EXPORTER_H */
