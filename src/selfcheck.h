/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* --check: can this kernel be traced? Made for users' CI. */
#ifndef EVLAT_SELFCHECK_H
#define EVLAT_SELFCHECK_H

/* Print one line per requirement and probe; 0 only when the seed probes attach. */
int selfcheck_run(void);

#endif
