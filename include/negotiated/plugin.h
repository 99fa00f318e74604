/* SPDX-License-Identifier: Apache-2.0 */
/* negotiated: the public, versioned ABI for out-of-tree authenticators.
 *
 * A plugin is a shared object that exports one function, ngd_plugin_entry(), returning the
 * descriptor of its authenticator (struct ngd_authenticator, see authenticator.h). negotiated
 * loads it for an [auth:NAME] section with
 *
 *     [auth:NAME]
 *     type = plugin
 *     path = /usr/lib/negotiated/my_plugin.so
 *     ... the plugin's own keys, read with ngd_section_get() ...
 *
 * and refuses to start when the file, the entry point or a descriptor field is missing, when
 * abi_version differs from the daemon's NGD_PLUGIN_ABI_VERSION, or when create() fails.
 *
 * What a plugin may call: the ngd_request_*, ngd_section_*, ngd_outcome_* and ngd_log_warning
 * functions of authenticator.h; the daemon exports exactly those. Build with
 *     cc -shared -fPIC -o my_plugin.so my_plugin.c   (headers from `make install`)
 * Unknown keys in the section are reported after create() returns, as for built-ins. The
 * descriptor must stay valid until the plugin is unloaded (a static const object). */
#ifndef NEGOTIATED_PLUGIN_H
#define NEGOTIATED_PLUGIN_H

#include <negotiated/authenticator.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI a plugin is built against; a plugin sets its descriptor's abi_version to this. */
#define NGD_PLUGIN_ABI_VERSION NGD_AUTH_ABI_VERSION

/* The name of the entry point negotiated looks up with dlsym(). */
#define NGD_PLUGIN_ENTRY "ngd_plugin_entry"

/* Exported by the plugin: its descriptor (never NULL for a working plugin). */
const struct ngd_authenticator *ngd_plugin_entry(void);
typedef const struct ngd_authenticator *(*ngd_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
