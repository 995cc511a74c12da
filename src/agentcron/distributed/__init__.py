"""The distributed shape: PostgreSQL holds every task and run, Celery workers over Redis
perform them, and any number of ``agentcron scheduler`` processes hand runs over.

Broker messages carry run ids only: a worker takes a run with a conditional update under
a lease (``RunRepository.reserve``), so a message that is lost, late or delivered twice
changes nothing the database does not allow. ``app`` is the Celery application
(``celery -A agentcron.distributed.app inspect ping``).
"""
