# driver.mk -- building the driver: one description, included by the kit's
# Makefile and by the student tarball's (tools/handout/Makefile).
#
#   kit                 build/driver (the checker), build/libhost.a and
#                       build/host_malloc.o (what a submission is linked with
#                       into its allocator host, grader/link.py), build/libc-host
#   libhost-nomain.a    the host's pieces without its main(), for unit tests
#
# The including Makefile sets BUILD, CC, CFLAGS and DRIVER_CFLAGS.

CHECKER_SRCS := main.c checked.c remote.c heap_view.c replay.c livemap.c trace.c output.c syscall_names.c
HOST_SRCS    := host.c memlib.c heap_report.c seal.c local_alloc.c replay.c livemap.c trace.c \
                output.c syscall_names.c
CHECKER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CHECKER_SRCS))
HOST_OBJS    := $(patsubst %.c,$(BUILD)/obj/%.o,$(HOST_SRCS))
DRIVER_HDRS  := $(wildcard grader/driver/*.h) include/my_alloc.h include/memlib.h

.PHONY: kit
kit: $(BUILD)/driver $(BUILD)/libhost.a $(BUILD)/host_malloc.o $(BUILD)/libc-host

$(BUILD)/host_malloc.o: $(BUILD)/obj/host_malloc.o
	cp $< $@

$(BUILD)/obj/%.o: grader/driver/%.c $(DRIVER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(DRIVER_CFLAGS) -c $< -o $@

$(BUILD)/driver: $(CHECKER_OBJS)
	$(CC) $(CFLAGS) $^ -o $@

$(BUILD)/libhost.a: $(HOST_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libc-host: $(BUILD)/obj/empty_alloc.o $(BUILD)/libhost.a
	$(CC) $(CFLAGS) -static -Wl,-z,relro,-z,now -Wl,-z,noexecstack $^ -o $@

# The host's pieces without its main(), for unit tests.
$(BUILD)/libhost-nomain.a: $(filter-out $(BUILD)/obj/host.o,$(HOST_OBJS))
	rm -f $@
	ar rcs $@ $^
