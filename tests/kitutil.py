"""Helpers shared by the pytest suites (pytest puts tests/ on sys.path)."""
import subprocess


def run(cmd, cwd, timeout=600, env=None, check=False):
    """Run cmd (a list, or a shell string) and capture its output; with check,
    a non-zero exit fails the test with the end of both streams."""
    p = subprocess.run(cmd, cwd=cwd, shell=isinstance(cmd, str), capture_output=True, text=True,
                       timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p
