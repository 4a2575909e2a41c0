/* Category: the compiler is not bounded.  Self-inclusion: the compiler's
   own depth limit stops it; the include stack it prints is capped. */
#include __FILE__
