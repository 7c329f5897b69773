"""All models, imported so that ``Base.metadata`` knows every table."""

from db.models.base import Base, BigId  # noqa: F401
from db.models.complaints import *  # noqa: F401,F403
from db.models.core import *  # noqa: F401,F403
from db.models.kpi import *  # noqa: F401,F403
from db.models.portfolio import *  # noqa: F401,F403
from db.models.qa import *  # noqa: F401,F403

# Which migration owns which model module: each area has its own migration
# file so that areas can evolve without touching each other.
AREA_OF_MODULE = {
    "db.models.core": "core",
    "db.models.portfolio": "portfolio",
    "db.models.complaints": "complaints",
    "db.models.qa": "qa",
    "db.models.kpi": "kpi",
}
