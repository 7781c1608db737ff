/* slow.c - when is a WebSocket client too slow to keep? (see slow.h) */
#include "slow.h"

int slow_judge(struct slow_mark *m, uint64_t seq, uint64_t max_lag, const struct slow_view *v)
{
	uint64_t lag = v->head - seq;

	if (seq < v->tail)
		return 1; /* cannot happen while reads respect the ring's room */
	if (lag <= max_lag) {
		m->at = 0;
		return 0;
	}
	if (!m->at) {
		m->at = v->now;
		m->seq = seq;
		return 0;
	}
	if (v->now - m->at < v->grace)
		return 0;
	if (seq == m->seq)
		return 1; /* took nothing for a whole window */
	if (lag + v->backlog > v->cap && v->lead - seq > v->backlog)
		return 1; /* the ring is full because of it, and others could go on */
	m->at = v->now;
	m->seq = seq;
	return 0;
}
