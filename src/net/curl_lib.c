/* SPDX-License-Identifier: Apache-2.0 */
/* dlopen("libcurl.so.4") on first need, its functions in one table, curl_global_init once. */
#include "net/curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* CURLOPT_PROTOCOLS_STR, which keeps fetches to http and https, came with 7.85.0 */
#define CURL_LIB_MIN_VERSION 0x075500
#define CURL_LIB_MIN_TEXT "7.85.0"

struct curl_lib curl_lib;
static pthread_mutex_t loading = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool loaded;

#define SYMBOL(field)                                                                              \
	{                                                                                          \
		"curl_" #field, offsetof(struct curl_lib, field)                                   \
	}
static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
	SYMBOL(global_init),  SYMBOL(global_cleanup), SYMBOL(version_info), SYMBOL(easy_init),
	SYMBOL(easy_setopt),  SYMBOL(easy_perform),   SYMBOL(easy_getinfo), SYMBOL(easy_reset),
	SYMBOL(easy_cleanup), SYMBOL(easy_strerror),  SYMBOL(slist_append), SYMBOL(slist_free_all),
};
#undef SYMBOL

/* Fills the table from handle: 0, or -1 with the first symbol missing in err. */
static int resolve(void *handle, struct curl_lib *t, char *err, size_t err_len)
{
	for (size_t i = 0; i < sizeof symbols / sizeof *symbols; i++) {
		void *f = dlsym(handle, symbols[i].name);
		if (!f) {
			const char *why = dlerror();
			snprintf(err, err_len, "cannot load " CURL_LIB_NAME ": %s",
				 why ? why : symbols[i].name);
			return -1;
		}
		memcpy((char *)t + symbols[i].offset, &f,
		       sizeof f); /* POSIX: a function's address fits a void * */
	}
	return 0;
}

static int check_and_init(const struct curl_lib *t, char *err, size_t err_len)
{
	const curl_version_info_data *v = t->version_info(CURLVERSION_NOW);
	if (!v || v->version_num < CURL_LIB_MIN_VERSION) {
		snprintf(err, err_len,
			 CURL_LIB_NAME " is version %s: at least " CURL_LIB_MIN_TEXT " is needed",
			 v && v->version ? v->version : "unknown");
		return -1;
	}
	if (t->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, err_len,
			 "cannot initialise " CURL_LIB_NAME " (curl_global_init failed)");
		return -1;
	}
	return 0;
}

static int load_locked(char *err, size_t err_len)
{
	struct curl_lib t;
	void *handle = dlopen(CURL_LIB_NAME, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *why = dlerror();
		snprintf(err, err_len,
			 "cannot load " CURL_LIB_NAME " (the Debian package libcurl4): %s",
			 why ? why : "unknown error");
		return -1;
	}
	if (resolve(handle, &t, err, err_len) < 0 || check_and_init(&t, err, err_len) < 0) {
		dlclose(handle); /* a later reload tries again, e.g. once the package is installed
				  */
		return -1;
	}
	curl_lib = t;
	atomic_store_explicit(&loaded, true, memory_order_release);
	return 0;
}

int curl_lib_load(char *err, size_t err_len)
{
	if (atomic_load_explicit(&loaded, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&loading);
	int rc =
		atomic_load_explicit(&loaded, memory_order_relaxed) ? 0 : load_locked(err, err_len);
	pthread_mutex_unlock(&loading);
	return rc;
}

void curl_lib_cleanup(void)
{
	if (atomic_load_explicit(&loaded, memory_order_acquire))
		curl_lib.global_cleanup();
}
