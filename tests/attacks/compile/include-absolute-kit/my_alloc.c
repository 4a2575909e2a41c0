/* Category: the compiler reads the course's files.  The absolute-path form
   (the test writes the kit's real path for @KIT@). */
#include "@KIT@/solution/my_alloc.c"
