"""Every label the code asks for exists in both languages."""

import re
from pathlib import Path

from lib.i18n import STRINGS, t

ROOT = Path(__file__).resolve().parents[2]
KEY_RE = re.compile(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["']""")


def test_every_literal_key_used_in_code_has_both_languages():
    missing = []
    for path in list(ROOT.glob("app.py")) + list(ROOT.glob("pages/*.py")) + list(ROOT.glob("lib/**/*.py")):
        for key in KEY_RE.findall(path.read_text(encoding="utf-8")):
            if key.endswith("."):  # a prefix completed at run time: t("area.view." + name)
                if not any(k.startswith(key) for k in STRINGS):
                    missing.append(f"{path.relative_to(ROOT)}: {key}*")
                continue
            if key not in STRINGS:
                missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert missing == []


def test_every_string_has_chinese_and_english():
    bad = [k for k, v in STRINGS.items() if len(v) != 2 or not v[0].strip() or not v[1].strip()]
    assert bad == []


def test_t_picks_the_language_and_fills_fields():
    assert t("home.title", lang="zh", name="王芳") == "您好，王芳"
    assert t("home.title", lang="en", name="王芳") == "Hello, 王芳"
