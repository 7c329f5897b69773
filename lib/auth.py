"""Users, passwords, lockout and server-side sessions — the database side of sign-in.

streamlit-authenticator draws the form and sets the cookie (lib.session);
everything that must outlive a process lives here, in the database:
failed attempts and lockouts, and a session record per signed-in browser
that logout, password change and idle timeout revoke.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import bcrypt
from sqlalchemy import Engine, delete, insert, select, update

from db.models import Agent, AuthSession, Meta, RelationshipManager, Role, Team, User, UserRole
from lib import audit
from lib import settings as settings_mod
from lib.policy import ROLE_NAMES, ROLES

USERNAME_RE = re.compile(r"^[a-z0-9_.-]{3,64}$")
MIN_PASSWORD_LENGTH = 8
DEMO_PASSWORD = "demo"


class AuthError(ValueError):
    """A sign-in or user-management request that cannot be done; the message says why."""


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def hash_password(password: str, salt: bytes | None = None) -> str:
    """bcrypt hash; ``salt`` only for the deterministic demo seed."""
    return bcrypt.hashpw(password.encode("utf-8"), salt or bcrypt.gensalt()).decode("ascii")


UNUSABLE_PASSWORD = "!"  # a staff record without a login until an administrator sets a password


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    language: str = "zh"
    team_id: int | None = None
    agent_id: int | None = None
    rm_id: int | None = None
    led_team_ids: tuple[int, ...] = field(default_factory=tuple)

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def load_user(engine: Engine, *, user_id: int | None = None, username: str | None = None) -> CurrentUser | None:
    with engine.connect() as conn:
        q = select(User)
        q = q.where(User.id == user_id) if user_id is not None else q.where(User.username == username)
        u = conn.execute(q).first()
        if u is None or not u.is_active:
            return None
        roles = frozenset(conn.execute(select(UserRole.role).where(UserRole.user_id == u.id)).scalars())
        agent_id = conn.execute(select(Agent.id).where(Agent.user_id == u.id)).scalar()
        rm_id = conn.execute(select(RelationshipManager.id).where(RelationshipManager.user_id == u.id)).scalar()
        led = tuple(conn.execute(select(Team.id).where(Team.lead_user_id == u.id).order_by(Team.id)).scalars())
    return CurrentUser(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        roles=roles,
        language=u.language,
        team_id=u.team_id,
        agent_id=agent_id,
        rm_id=rm_id,
        led_team_ids=led,
    )


def ensure_roles(conn) -> None:
    have = set(conn.execute(select(Role.code)).scalars())
    missing = [{"code": c, "name_zh": ROLE_NAMES[c][0], "name_en": ROLE_NAMES[c][1]} for c in ROLES if c not in have]
    if missing:
        conn.execute(insert(Role), missing)


def validate_new_password(password: str, *, demo: bool = False) -> None:
    if demo and password == DEMO_PASSWORD:
        return
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if password.isdigit() or password.isalpha():
        raise AuthError("The password must mix letters with digits or symbols.")


def create_user(
    engine_or_conn,
    username: str,
    password: str,
    roles: list[str] | tuple[str, ...],
    *,
    display_name: str | None = None,
    language: str = "zh",
    team_id: int | None = None,
    branch: str | None = None,
    actor_id: int | None = None,
    actor_name: str | None = None,
    demo: bool = False,
) -> int:
    """Add a login user with its roles; audited. Raises AuthError on bad input."""
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise AuthError("A username has 3-64 characters: lower-case letters, digits, '.', '_' or '-'.")
    roles = list(dict.fromkeys(roles))
    if not roles:
        raise AuthError("Give the user at least one role.")
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise AuthError(f"Unknown role {bad[0]!r}; the roles are: {', '.join(ROLES)}.")
    validate_new_password(password, demo=demo)

    def _do(conn) -> int:
        ensure_roles(conn)
        if conn.execute(select(User.id).where(User.username == username)).first():
            raise AuthError(f"The user {username!r} exists already.")
        now = now_utc()
        uid = conn.execute(
            insert(User)
            .values(
                username=username,
                display_name=display_name or username,
                password_hash=hash_password(password),
                is_active=True,
                language=language,
                team_id=team_id,
                branch=branch,
                failed_attempts=0,
                created_at=now,
                password_changed_at=now,
                version=1,
            )
            .returning(User.id)
        ).scalar_one()
        conn.execute(insert(UserRole), [{"user_id": uid, "role": r} for r in roles])
        audit.record(conn, user_id=actor_id, username=actor_name, action="user.create", entity="user",
                     entity_id=uid, detail={"username": username, "roles": roles})
        return uid

    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.begin() as conn:
            return _do(conn)
    return _do(engine_or_conn)


def set_roles(engine: Engine, user_id: int, roles: list[str], *, actor: CurrentUser) -> None:
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise AuthError("Give the user at least one known role.")
    if user_id == actor.id and "admin" not in roles:
        raise AuthError("You cannot remove your own administrator role.")
    with engine.begin() as conn:
        before = sorted(conn.execute(select(UserRole.role).where(UserRole.user_id == user_id)).scalars())
        conn.execute(delete(UserRole).where(UserRole.user_id == user_id))
        conn.execute(insert(UserRole), [{"user_id": user_id, "role": r} for r in roles])
        conn.execute(update(User).where(User.id == user_id).values(version=User.version + 1))
        audit.record(conn, user_id=actor.id, username=actor.username, action="user.roles", entity="user",
                     entity_id=user_id, detail={"from": before, "to": sorted(roles)})


def set_active(engine: Engine, user_id: int, active: bool, *, actor: CurrentUser) -> None:
    if user_id == actor.id and not active:
        raise AuthError("You cannot deactivate yourself.")
    with engine.begin() as conn:
        conn.execute(update(User).where(User.id == user_id).values(is_active=active, version=User.version + 1))
        if not active:
            _revoke_all(conn, user_id, "deactivated")
        audit.record(conn, user_id=actor.id, username=actor.username,
                     action="user.activate" if active else "user.deactivate", entity="user", entity_id=user_id)


def set_language(engine: Engine, user_id: int, lang: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(User).where(User.id == user_id).values(language=lang))


# --- lockout --------------------------------------------------------------------------

def lock_state(engine: Engine, username: str) -> datetime | None:
    """The time a locked account opens again, or None when it is not locked."""
    with engine.connect() as conn:
        until = conn.execute(select(User.locked_until).where(User.username == username)).scalar()
    return until if until and until > now_utc() else None


def record_failed_attempt(engine: Engine, username: str) -> datetime | None:
    """Count one failed sign-in; lock the account at the limit. Returns the lock end, if locked."""
    s = settings_mod.load(engine)
    limit, minutes = s["auth.max_failed_attempts"], s["auth.lockout_minutes"]
    now = now_utc()
    with engine.begin() as conn:
        row = conn.execute(select(User.id, User.failed_attempts, User.locked_until)
                           .where(User.username == username)).first()
        if row is None:
            return None
        attempts = row.failed_attempts
        if row.locked_until is not None and row.locked_until <= now:
            attempts = 0  # an expired lock starts a fresh count
        attempts += 1
        locked_until = now + timedelta(minutes=minutes) if attempts >= limit else None
        conn.execute(update(User).where(User.id == row.id)
                     .values(failed_attempts=attempts, locked_until=locked_until))
        audit.record(conn, user_id=row.id, username=username, action="auth.failed",
                     entity="user", entity_id=row.id, detail={"attempts": attempts})
        if locked_until:
            audit.record(conn, user_id=row.id, username=username, action="auth.locked",
                         entity="user", entity_id=row.id, detail={"until": locked_until.isoformat()})
    return locked_until


# --- server-side sessions ---------------------------------------------------------------

def token_hash(username: str, exp_stamp: float) -> str:
    """Identify a cookie by its claims: username and the expiry stamp set at sign-in."""
    return hashlib.sha256(f"{username}|{exp_stamp!r}".encode()).hexdigest()


def start_session(engine: Engine, user_id: int, username: str, tok_hash: str, expires_at: datetime) -> int:
    now = now_utc()
    with engine.begin() as conn:
        conn.execute(update(User).where(User.id == user_id).values(failed_attempts=0, locked_until=None))
        sid = conn.execute(
            insert(AuthSession)
            .values(token_hash=tok_hash, user_id=user_id, created_at=now, last_seen_at=now, expires_at=expires_at)
            .returning(AuthSession.id)
        ).scalar_one()
        audit.record(conn, user_id=user_id, username=username, action="auth.login", entity="session", entity_id=sid)
    return sid


def find_session(engine: Engine, tok_hash: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(AuthSession.id).where(AuthSession.token_hash == tok_hash)).scalar()


def check_session(engine: Engine, session_id: int, *, touch: bool = True) -> str | None:
    """None when the session may go on; else why it may not ('revoked', 'idle', 'expired', 'missing')."""
    idle = timedelta(minutes=settings_mod.load(engine)["auth.idle_timeout_minutes"])
    now = now_utc()
    with engine.connect() as conn:
        row = conn.execute(
            select(AuthSession.revoked_at, AuthSession.last_seen_at, AuthSession.expires_at, User.is_active)
            .join(User, User.id == AuthSession.user_id)
            .where(AuthSession.id == session_id)
        ).first()
    if row is None:
        return "missing"
    if row.revoked_at is not None or not row.is_active:
        return "revoked"
    if row.expires_at <= now:
        revoke_session(engine, session_id, "expired")
        return "expired"
    if now - row.last_seen_at > idle:
        revoke_session(engine, session_id, "idle")
        return "idle"
    if touch and now - row.last_seen_at > timedelta(seconds=30):
        with engine.begin() as conn:
            conn.execute(update(AuthSession).where(AuthSession.id == session_id).values(last_seen_at=now))
    return None


def revoke_session(engine: Engine, session_id: int, reason: str) -> None:
    with engine.begin() as conn:
        uid = conn.execute(select(AuthSession.user_id).where(AuthSession.id == session_id)).scalar()
        conn.execute(update(AuthSession).where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
                     .values(revoked_at=now_utc(), revoked_reason=reason))
        audit.record(conn, user_id=uid, username=None, action=f"auth.{'logout' if reason == 'logout' else 'revoke'}",
                     entity="session", entity_id=session_id, detail={"reason": reason})


def _revoke_all(conn, user_id: int, reason: str) -> None:
    conn.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                 .values(revoked_at=now_utc(), revoked_reason=reason))


def change_password(engine: Engine, user_id: int, current: str, new: str) -> None:
    """Change a password after checking the current one; every session of the user is revoked."""
    with engine.connect() as conn:
        row = conn.execute(select(User.username, User.password_hash).where(User.id == user_id)).first()
    if row is None or not verify_password(current, row.password_hash):
        raise AuthError("The current password is not right.")
    if new == current:
        raise AuthError("The new password must differ from the current one.")
    validate_new_password(new)
    with engine.begin() as conn:
        conn.execute(update(User).where(User.id == user_id)
                     .values(password_hash=hash_password(new), password_changed_at=now_utc(), version=User.version + 1))
        _revoke_all(conn, user_id, "password_change")
        audit.record(conn, user_id=user_id, username=row.username, action="auth.password_change",
                     entity="user", entity_id=user_id)


def reset_password(engine: Engine, user_id: int, new: str, *, actor: CurrentUser) -> None:
    validate_new_password(new)
    with engine.begin() as conn:
        conn.execute(update(User).where(User.id == user_id)
                     .values(password_hash=hash_password(new), password_changed_at=now_utc(),
                             failed_attempts=0, locked_until=None, version=User.version + 1))
        _revoke_all(conn, user_id, "password_reset")
        audit.record(conn, user_id=actor.id, username=actor.username, action="user.password_reset",
                     entity="user", entity_id=user_id)


def credentials(engine: Engine) -> dict:
    """The credentials dict streamlit-authenticator expects, built from the users table."""
    out: dict[str, dict] = {}
    with engine.connect() as conn:
        rows = conn.execute(select(User.username, User.display_name, User.password_hash, User.email)
                            .where(User.is_active.is_(True))).all()
    for r in rows:
        out[r.username] = {"name": r.display_name, "password": r.password_hash, "email": r.email or "",
                           "failed_login_attempts": 0}
    return {"usernames": out}


# --- the cookie key and the demo flag -----------------------------------------------------

def is_demo(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(Meta.value).where(Meta.key == "demo")).scalar() == "1"


def demo_cookie_key(conn) -> str:
    """The demo database's own random key (created at seeding); never used outside demo mode."""
    key = conn.execute(select(Meta.value).where(Meta.key == "demo_cookie_key")).scalar()
    if key is None:
        key = secrets.token_urlsafe(32)
        conn.execute(insert(Meta).values(key="demo_cookie_key", value=key))
    return key
