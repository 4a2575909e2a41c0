/* Category: the compiler is not bounded.  An endless include: the sandbox's
   /dev holds only null. */
#include "/dev/zero"
