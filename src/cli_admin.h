/* `sangkien admin create`: the only way to make the first installation admin. */
#ifndef SK_CLI_ADMIN_H
#define SK_CLI_ADMIN_H

#include "config.h"

/* Runs the admin subcommand with its own arguments; returns the process exit code. */
int sk_cli_admin(const struct sk_config *cfg, int argc, char **argv);

#endif
