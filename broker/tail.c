/*
 * tail: see tail.h. Commit, answer, publish, checkpoint.
 */
#include "tail.h"

#include "crashpoint.h"

int
tail_finish(broker_t *self, const tail_t *t)
{
    entry_list_t *appended = t->appended;
    bool held = true;

    CRASHPOINT_IF(t->answer != NULL && appended->n > 0, "after_append");
    if (t->open) {
        if (t->failed || store_commit(self->store) < 0) {
            store_rollback(self->store);
            engine_forget(self->engine);
            watch_rollback(self->watch);
            entry_list_clear(appended);
            held = false;
        } else {
            watch_commit(self->watch);
        }
    }
    if (!held && t->answer == NULL)
        return -1;
    CRASHPOINT_IF(t->answer != NULL && appended->n > 0, "after_commit");
    if (t->answer != NULL)
        t->answer(self, t->arg, held);
    CRASHPOINT_IF(t->answer != NULL && appended->n > 0, "after_ack");
    for (size_t i = 0; i < appended->n; i++)
        publish_entry(self->pub, appended->v[i]);
    /* The acks and entries are out: now the WAL may be folded back. */
    store_checkpoint(self->store, t->checkpoint_frames);
    entry_list_clear(appended);
    return held ? 0 : -1;
}
