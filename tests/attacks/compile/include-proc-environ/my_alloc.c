/* Category: the compiler reads the grading machine.  The compiler's own
   environment, quoted back in an error message. */
#include "/proc/self/environ"
