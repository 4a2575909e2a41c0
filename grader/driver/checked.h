/*
 * checked.h -- the checker's checked replay through an allocator host (checked.c).
 */
#ifndef SLABLAB_CHECKED_H
#define SLABLAB_CHECKED_H

#include "remote.h"
#include "replay.h"

/* The checked replay number pass (1 or 2) of r's trace through the host that
 * remote_use() selected; a (remote_table) says which optional functions it
 * has.  Same contract and messages as replay_checked; a failing host
 * longjmps out (remote.h). */
int checked_replay(struct replay *r, const struct allocator *a, int pass, struct replay_error *err);

#endif /* SLABLAB_CHECKED_H */
