/* SPDX-License-Identifier: Apache-2.0 */
/* `negotiated --dev`: an embedded configuration for trying it out on one machine. */
#ifndef NGD_DEV_H
#define NGD_DEV_H

#include "config/config.h"

#include <stdio.h>

/* Loads the development configuration, generating a local connection string when
 * WEBPUBSUB_CONNECTION_STRING is unset. NULL with a reason in err. */
struct config *dev_config_load(char *err, size_t err_len);
/* Writes that configuration as a starting file, its connection string read from the environment. */
void dev_config_print(FILE *out);

#endif
