/* SPDX-License-Identifier: Apache-2.0 */
/* plugin: an authenticator from a shared object that implements include/negotiated/plugin.h,
 * loaded with dlopen; its descriptor is checked before anything in it is called but the entry. */
#include "auth/registry.h"
#include "core/names.h"

#include <dlfcn.h>
#include <negotiated/plugin.h>
#include <stddef.h>

/* The descriptor field a usable plugin lacks, or NULL. */
static const char *missing_field(const struct ngd_authenticator *d)
{
	if (!d->type || !text_valid(d->type, 64))
		return "type (1 to 64 printable bytes)";
	if (!d->create)
		return "create";
	if (!d->authenticate)
		return "authenticate";
	return d->destroy ? NULL : "destroy";
}

static const struct ngd_authenticator *checked_descriptor(struct ngd_section *sec, const char *path,
							  void *handle)
{
	ngd_plugin_entry_fn entry;
	*(void **)&entry =
		dlsym(handle, NGD_PLUGIN_ENTRY); /* POSIX's way to turn a symbol into a function */
	if (!entry) {
		ngd_section_error(sec, "path", "%s: exports no " NGD_PLUGIN_ENTRY "() function",
				  path);
		return NULL;
	}
	const struct ngd_authenticator *d = entry();
	if (!d) {
		ngd_section_error(sec, "path", "%s: " NGD_PLUGIN_ENTRY "() returned NULL", path);
		return NULL;
	}
	if (d->abi_version != NGD_PLUGIN_ABI_VERSION) {
		ngd_section_error(
			sec, "path",
			"%s: built for plugin ABI version %u; this negotiated loads version %u",
			path, d->abi_version, NGD_PLUGIN_ABI_VERSION);
		return NULL;
	}
	const char *missing = missing_field(d);
	if (missing) {
		ngd_section_error(sec, "path", "%s: the plugin's descriptor has no %s", path,
				  missing);
		return NULL;
	}
	return d;
}

const struct ngd_authenticator *plugin_open(struct ngd_section *sec, void **handle)
{
	const char *path = ngd_section_get(sec, "path");
	*handle = NULL;
	if (!path) {
		ngd_section_error(sec, "path",
				  "required (the absolute path of the plugin's .so file)");
		return NULL;
	}
	if (path[0] != '/') {
		ngd_section_error(sec, "path", "%.200s: must be an absolute path", path);
		return NULL;
	}
	/* RTLD_NOW: an unresolved symbol is found now, not on the first request */
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		ngd_section_error(sec, "path", "cannot load: %.300s", dlerror());
		return NULL;
	}
	const struct ngd_authenticator *d = checked_descriptor(sec, path, h);
	if (!d) {
		dlclose(h);
		return NULL;
	}
	*handle = h;
	return d;
}

void plugin_close(void *handle)
{
	if (handle)
		dlclose(handle);
}
