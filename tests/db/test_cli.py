"""The command line: create-user, backup/restore round trip, export of the audit log, errors."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import AuditLog, User, UserRole
from lib import auth
from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, stdin: str = "", env_url: str) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ, DATABASE_URL=env_url)
    return subprocess.run([sys.executable, "-m", "db", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_create_user_takes_the_password_from_stdin(empty_db):
    r = run_cli("create-user", "Wang.Fang", "--role", "qa", "--role", "team_lead", "--name", "王芳",
                stdin="Str0ng-pass\n", env_url=_url(empty_db))
    assert r.returncode == 0, r.stderr
    assert "created user wang.fang" in r.stdout
    u = auth.load_user(empty_db, username="wang.fang")
    assert u.roles == {"qa", "team_lead"} and u.display_name == "王芳"
    with empty_db.connect() as conn:
        h = conn.execute(select(User.password_hash).where(User.id == u.id)).scalar()
        assert auth.verify_password("Str0ng-pass", h)
        assert conn.execute(select(AuditLog.action).where(AuditLog.action == "user.create")).scalar()


@pytest.mark.parametrize("args,stdin,message", [
    (["create-user", "bob", "--role", "boss"], "Str0ng-pass\n", "Unknown role"),
    (["create-user", "bob", "--role", "qa"], "short\n", "at least 8"),
    (["create-user", "b", "--role", "qa"], "Str0ng-pass\n", "3-64 characters"),
])
def test_create_user_refuses_bad_input_and_writes_nothing(empty_db, args, stdin, message):
    r = run_cli(*args, stdin=stdin, env_url=_url(empty_db))
    assert r.returncode == 2
    assert message in r.stderr and r.stderr.count("\n") == 1
    with empty_db.connect() as conn:
        assert conn.execute(select(User.id)).first() is None
        assert conn.execute(select(UserRole.user_id)).first() is None


def test_a_second_user_with_the_same_name_is_refused(empty_db):
    auth.create_user(empty_db, "bob", "Str0ng-pass", ["qa"])
    r = run_cli("create-user", "BOB", "--role", "qa", stdin="Str0ng-pass\n", env_url=_url(empty_db))
    assert r.returncode == 2 and "exists already" in r.stderr


def test_commands_refuse_an_unmigrated_database(db_factory):
    r = run_cli("create-user", "bob", "--role", "qa", stdin="Str0ng-pass\n", env_url=db_factory.new_url())
    assert r.returncode == 2 and "python -m db migrate" in r.stderr


def test_export_audit_writes_the_log_as_csv(empty_db, tmp_path):
    auth.create_user(empty_db, "bob", "Str0ng-pass", ["qa"])
    r = run_cli("export", "audit", "-o", str(tmp_path / "audit"), env_url=_url(empty_db))
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "audit.csv").read_text(encoding="utf-8-sig")
    assert "user.create" in text


@pytest.mark.skipif(BACKEND != "sqlite", reason="backup and restore are for the SQLite default")
def test_backup_and_restore_round_trip(empty_db, tmp_path):
    url = _url(empty_db)
    auth.create_user(empty_db, "before", "Str0ng-pass", ["qa"])
    r = run_cli("backup", "-o", str(tmp_path / "b.db"), env_url=url)
    assert r.returncode == 0, r.stderr
    auth.create_user(empty_db, "after", "Str0ng-pass", ["qa"])
    r = run_cli("restore", str(tmp_path / "b.db"), env_url=url)
    assert r.returncode == 2 and "--yes" in r.stderr
    empty_db.dispose()
    r = run_cli("restore", str(tmp_path / "b.db"), "--yes", env_url=url)
    assert r.returncode == 0, r.stderr
    with empty_db.connect() as conn:
        assert conn.execute(select(User.username)).scalars().all() == ["before"]
    # a file that is not a backup is refused, nothing replaced
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    r = run_cli("restore", str(junk), "--yes", env_url=url)
    assert r.returncode == 2
    with sqlite3.connect(Path(empty_db.url.database)) as c:
        assert [r[0] for r in c.execute("select username from users")] == ["before"]


def test_backup_refuses_postgresql_and_points_to_pg_dump():
    r = run_cli("backup", env_url="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert r.returncode == 2 and "pg_dump" in r.stderr


def test_schema_doc_is_current():
    from db.schema_doc import render

    assert (ROOT / "docs" / "schema.md").read_text(encoding="utf-8") == render(), \
        "docs/schema.md is stale: run `python -m db schema-doc`"
