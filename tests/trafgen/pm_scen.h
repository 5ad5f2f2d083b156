/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * trafgen pm: connections driven for a path manager other than trafgen's own
 * in-kernel one (pm_scen.c): Debian's mptcpd (its sspi and addr_adv plugins),
 * or trafgen itself as a userspace path manager.
 */
#ifndef TRAFGEN_PM_SCEN_H
#define TRAFGEN_PM_SCEN_H

/* argv[0] is "pm"; returns trafgen's exit code */
int pm_scen_main(int argc, char **argv);

#endif /* TRAFGEN_PM_SCEN_H */
