"""Locust users for bench/web_bench.py: one class per page kind, each a closed loop (no think
time) so the site's throughput is what limits them. Every response is checked for a marker of the
right page, so an error page served fast does not count as a success.

Run one class at a time, e.g. `locust -f bench/web_locustfile.py --headless -u 8 -t 20s
--host http://127.0.0.1:8000 HealthzUser`.
"""

from __future__ import annotations

import itertools

from locust import FastHttpUser, constant, task

SEARCHES = ["diabète", "séjour", "prescription", "naissance", "pharmacie", "ALD"]


class Checked(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def fetch(self, url: str, marker: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif marker not in (response.text or ""):
                response.failure(f"{marker!r} not in the page")
            else:
                response.success()


class HealthzUser(Checked):
    @task
    def healthz(self) -> None:
        self.fetch("/healthz", "ok", "/healthz")


class SearchUser(Checked):
    queries = itertools.cycle(SEARCHES)

    @task
    def search(self) -> None:
        q = next(self.queries)
        self.fetch(f"/catalogue/search/?q={q}", 'id="filters-title"', "/catalogue/search/?q=...")


class DatasetUser(Checked):
    @task
    def dataset(self) -> None:
        self.fetch("/catalogue/snds/", "IR_BEN_R", "/catalogue/snds/")


class TableUser(Checked):
    @task
    def table(self) -> None:
        self.fetch("/catalogue/snds/v1/tables/ER_PRS_F/", "PRS_NAT_REF",
                   "/catalogue/snds/v1/tables/ER_PRS_F/")
