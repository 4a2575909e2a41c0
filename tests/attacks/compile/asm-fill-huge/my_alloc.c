/* Category: the compiler is not bounded.  4 GiB of object file from one
   line of assembly: the file-size limit stops the assembler. */
#include <stddef.h>
__asm__(".pushsection .rodata\n.fill 0x7fffffff, 1, 0\n.fill 0x7fffffff, 1, 0\n.popsection");
int my_init(void) { return 0; }
