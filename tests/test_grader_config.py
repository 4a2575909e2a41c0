"""grader/config.toml validation: a bad config is a clear error naming the key."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import config  # noqa: E402


def test_the_shipped_config_is_valid():
    c = config.load()
    assert c.max_score == 100
    assert c.util_weight + c.speed_weight > 0
    assert c.util_min < c.util_max
    assert "malloc" not in c.allowed and "mem_sbrk" in c.allowed
    assert c.max_global_data == 128


@pytest.mark.parametrize("text,needle", [
    ("max_scor = 100\n", "max_scor: unknown key"),
    ("[scoring]\nutil_min = 0.9\nutil_max = 0.8\n", "scoring.util_min: must be below util_max"),
    ("[scoring]\nutil_weight = 0\nspeed_weight = 0\n", "util_weight + speed_weight must be > 0"),
    ("[scoring]\nutil_mode = \"relative\"\n", "scoring.util_mode: must be one of ceiling, absolute"),
    ("[scoring.wallclock]\nratio_min = 2\nratio_max = 1\n", "scoring.wallclock.ratio_min: must be below"),
    ("[scoring]\nutil_max = 1.5\n", "scoring.util_max: must be <= 1"),
    ("[scoring]\nutil_max = \"high\"\n", "scoring.util_max: must be a number"),
    ("[static.penalties]\nforbidden-call = \"half\"\n", "static.penalties.forbidden-call"),
    ("[static.penalties]\nglobal-data = -3\n", "static.penalties.global-data"),
    ("[static.penalties]\nno-such-rule = 3\n", "static.penalties.no-such-rule: unknown key"),
    ("[static]\nmax_global_data = 1.5\n", "static.max_global_data: must be an integer"),
    ("[static]\nallowed = \"memcpy\"\n", "static.allowed: must be a list"),
    ("[traces]\nsamples = 0\n", "traces.samples: must be >= 1"),
    ("[traces]\nuse_hidden = \"yes\"\n", "traces.use_hidden: must be true or false"),
    ("[traces]\nhidden_detail = \"some\"\n", "traces.hidden_detail: must be one of points, pass_fail"),
    ("[trace_weights]\n\"x.rep\" = { weight = -1 }\n", "trace_weights.x.rep.weight: must be >= 0"),
    ("[trace_weights]\n\"x.rep\" = { util_min = 0.9, util_max = 0.5 }\n", "trace_weights.x.rep: util_min"),
    ("[trace_weights]\n\"x.rep\" = { wieght = 2 }\n", "trace_weights.x.rep.wieght: unknown key"),
    ("[speed]\nmode = \"fast\"\n", "speed.mode: must be one of"),
    ("[scoring\nutil_min = 1\n", "not valid TOML"),
])
def test_bad_configs_are_rejected_with_the_key_and_reason(tmp_path, text, needle):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(config.ConfigError) as e:
        config.load(f)
    assert needle in str(e.value)
    assert "bad.toml" in str(e.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(config.ConfigError, match="no such config file"):
        config.load(tmp_path / "nope.toml")


def test_trace_weight_patterns_exact_name_first():
    c = config.from_dict({"trace_weights": {"short-*": {"util": False, "speed": False},
                                            "short-09.rep": {"weight": 3}}})
    assert c.weight_of("short-01.rep").util is False
    assert c.weight_of("short-09.rep").weight == 3 and c.weight_of("short-09.rep").util
    assert c.weight_of("synth.rep").weight == 1


def test_cli_reports_a_bad_config_without_a_traceback(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[scoring]\nutil_min = 0.9\nutil_max = 0.2\n")
    p = subprocess.run([sys.executable, "-m", "grader", "--config", str(f), "--check-config"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "scoring.util_min: must be below util_max" in p.stderr
    assert "Traceback" not in p.stderr


def test_check_config_accepts_the_shipped_file():
    p = subprocess.run([sys.executable, "-m", "grader", "--check-config"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "ok" in p.stdout


def test_check_config_names_the_isolation_layer_it_probed():
    """The README sends TAs to --check-config to learn which layer confines the compiler
    and the counted runs; a forced layer must be the one printed."""
    from grader import isolate
    layer, _ = isolate.probe_layer()
    p = subprocess.run([sys.executable, "-m", "grader", "--check-config"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert re.search(rf"^isolation: {layer} \(", p.stdout, re.M), p.stdout
    env = dict(os.environ, SLABLAB_ISOLATION="rlimits")
    p = subprocess.run([sys.executable, "-m", "grader", "--check-config"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120, env=env)
    assert "isolation: rlimits (limits and process group only, nothing confined)" in p.stdout, p.stdout
