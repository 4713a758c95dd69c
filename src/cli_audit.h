/* `sangkien audit verify`: recompute the score records' hash chains. */
#ifndef SK_CLI_AUDIT_H
#define SK_CLI_AUDIT_H

#include "config.h"

/* Runs the audit subcommand with its own arguments; returns the process exit code. */
int sk_cli_audit(const struct sk_config *cfg, int argc, char **argv);

#endif
