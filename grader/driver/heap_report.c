/*
 * heap_report.c -- the one driver function an allocator may call: its heap
 * checker explains a broken invariant here, and the driver prints it.
 * Kept apart from replay.c so unit tests can link an allocator without the
 * whole driver.
 */
#include <stdarg.h>
#include <stdio.h>

#include "my_alloc.h"
#include "replay.h"

static char message[512];

void heap_report(const char *fmt, ...)
{
    if (message[0])
        return;                 /* keep the first, most specific message */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
}

const char *heap_report_message(void) { return message; }
void heap_report_clear(void) { message[0] = '\0'; }
