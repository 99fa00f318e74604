/* SPDX-License-Identifier: Apache-2.0 */
/* The request accessors that authenticators and the pipeline use. */
#include "edge/request.h"

const char *ngd_request_header(const struct ngd_request *req, const char *name)
{
	return req->src.header(req->src.conn, name);
}

const char *ngd_request_hub(const struct ngd_request *req)
{
	return req->hub;
}

const struct sockaddr *ngd_request_peer(const struct ngd_request *req, socklen_t *len)
{
	if (len)
		*len = req->peer_len;
	return req->peer;
}

const char *ngd_request_client_address(const struct ngd_request *req)
{
	return req->client_addr;
}

int ngd_request_peer_trusted(const struct ngd_request *req)
{
	return req->peer_trusted;
}

const char *request_query(const struct ngd_request *req, const char *name, unsigned *count)
{
	return req->src.query(req->src.conn, name, count);
}

const char *request_query_at(const struct ngd_request *req, const char *name, unsigned index)
{
	return req->src.query_at(req->src.conn, name, index);
}

const char *request_query_name_at(const struct ngd_request *req, unsigned index)
{
	return req->src.query_name_at ? req->src.query_name_at(req->src.conn, index) : NULL;
}
