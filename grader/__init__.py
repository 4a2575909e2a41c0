"""slablab's grader: from a submission (my_alloc.c) to a score.

Run `python3 -m grader --help`.  The package is standard-library only
(Python 3.11+).  Module map:
    cli          command line; single grading and --batch dispatch
    config       grader/config.toml, validated
    build        compile + link with build/libdriver.a (diagnostics with file:line)
    static       symbol rules on the object file (nm, readelf)
    runner       the driver subprocess (--json), trace selection
    instructions --speed instructions: valgrind callgrind counts
    scoring      measurements -> points (pure)
    model        the result dataclasses every reporter reads
    terminal, outputs   reporters (terminal, --json, Gradescope, Autolab, GitHub)
    batch        --batch DIR: a class at a time, gradebook CSV
    plugins      how other parts (HTML report, shrinking) plug in
"""
__version__ = "1.0"
