"""near_copy.py SRC OUT -- what a student hiding a copy does: rename the
identifiers and move a function (tests/test_deploy_batch.py's near-copy of
tests/allocators/explicit.c; the result still compiles and behaves the same).
"""
import re, sys
text = open(sys.argv[1]).read()
for old, new in [("free_list", "avail"), ("heap_start", "base_ptr"), ("bp", "blk"),
                 ("coalesce", "merge_neighbours"), ("find_fit", "search_list"), ("place", "carve")]:
    text = re.sub(rf"\b{old}\b", new, text)
# move the first contract function (declared in my_alloc.h: any order works) to the end
m = re.search(r"^(int|void \*|void) (my_\w+|allocate_slab)\(.*?\n\{\n.*?^\}\n", text, re.S | re.M)
text = text[:m.start()] + text[m.end():] + "\n" + m.group(0)
open(sys.argv[2], "w").write(text)
