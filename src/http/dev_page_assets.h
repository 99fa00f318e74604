/* SPDX-License-Identifier: Apache-2.0 */
/* The developer page's files (src/http/dev_page/), as bytes; the .c is generated at build time. */
#ifndef NGD_DEV_PAGE_ASSETS_H
#define NGD_DEV_PAGE_ASSETS_H

#include <stddef.h>

extern const unsigned char dev_page_index_html[];
extern const size_t dev_page_index_html_len;
extern const unsigned char dev_page_app_js[];
extern const size_t dev_page_app_js_len;
extern const unsigned char dev_page_style_css[];
extern const size_t dev_page_style_css_len;

#endif
