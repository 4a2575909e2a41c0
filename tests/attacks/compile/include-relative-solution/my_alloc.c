/* Category: the compiler reads the course's files.  The two-line attack
   that scored what the reference scores. */
#include "../solution/my_alloc.c"
