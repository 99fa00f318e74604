/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl, loaded with dlopen only when the configuration needs it (a jwks_url, discovery, a
 * webhook, a keyless service): a configuration with no URL maps none of the libraries it pulls in.
 */
#ifndef NGD_CURL_LIB_H
#define NGD_CURL_LIB_H

#include <curl/curl.h> /* types and constants only: the daemon is not linked with -lcurl */
#include <stddef.h>

#define CURL_LIB_NAME "libcurl.so.4"

/* The functions used, resolved by curl_lib_load; valid from its first success on, never unloaded.
 */
struct curl_lib {
	typeof(curl_global_init) *global_init;
	typeof(curl_global_cleanup) *global_cleanup;
	typeof(curl_version_info) *version_info;
	typeof(curl_easy_init) *easy_init;
	typeof(curl_easy_setopt) *easy_setopt;
	typeof(curl_easy_perform) *easy_perform;
	typeof(curl_easy_getinfo) *easy_getinfo;
	typeof(curl_easy_reset) *easy_reset;
	typeof(curl_easy_cleanup) *easy_cleanup;
	typeof(curl_easy_strerror) *easy_strerror;
	typeof(curl_slist_append) *slist_append;
	typeof(curl_slist_free_all) *slist_free_all;
};
extern struct curl_lib curl_lib;

/* Loads the library and runs curl_global_init, once; later calls return at once. Call on the
 * main thread while the configuration loads. 0, or -1 with why (naming the library) in err. */
int curl_lib_load(char *err, size_t err_len);
/* curl_global_cleanup, if it was loaded; at exit, after the threads that use it have stopped. */
void curl_lib_cleanup(void);

/* curl_easy_setopt with the argument type each kind of option reads (its varargs check nothing). */
static inline void curl_lib_set_long(CURL *c, CURLoption o, long v)
{
	curl_lib.easy_setopt(c, o, v);
}
static inline void curl_lib_set_ptr(CURL *c, CURLoption o, const void *v)
{
	curl_lib.easy_setopt(c, o, v);
}
static inline void curl_lib_set_off(CURL *c, CURLoption o, curl_off_t v)
{
	curl_lib.easy_setopt(c, o, v);
}
static inline void curl_lib_set_write(CURL *c, curl_write_callback f)
{
	curl_lib.easy_setopt(c, CURLOPT_WRITEFUNCTION, f);
}
static inline void curl_lib_set_xferinfo(CURL *c, curl_xferinfo_callback f)
{
	curl_lib.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, f);
}

#endif
