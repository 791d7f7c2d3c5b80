/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_EXPORTER_H
#define EBPFMON_EXPORTER_H

struct session;
struct exporter;

/*
 * Bind and listen on metrics.listen ("HOST:PORT", config.h) now, before any
 * probe is compiled, so a port in use fails the start at once. NULL with
 * errno set after one error line ("metrics: cannot listen on ADDR: ...").
 */
struct exporter *exporter__bind(const char *listen);
/* "HOST:PORT" really listened on (port 0 resolved). */
const char *exporter__address(const struct exporter *e);
/*
 * Serve GET /metrics from S on the exporter's own thread; a scrape holds
 * s->lock while it reads the monitors. 0 or -errno after an error line.
 */
int exporter__start(struct exporter *e, struct session *s);
/* Stop serving (waits for a scrape under way) and close the socket. */
void exporter__free(struct exporter *e);

#endif
