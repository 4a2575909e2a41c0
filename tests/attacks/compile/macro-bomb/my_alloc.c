/* Category: the compiler is not bounded.  8^16 tokens from five lines:
   stopped by the address-space limit, not by the machine's memory. */
#define A0(x) x+x+x+x+x+x+x+x
#define A1(x) A0(A0(x))
#define A2(x) A1(A1(x))
#define A3(x) A2(A2(x))
#define A4(x) A3(A3(x))
int bomb = A4(1);
