"""REST access to orders and payments follows docs/protocol.md's role matrix."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from rest_framework.test import APIClient

from orders.models import Order, Payment
from tests.conftest import STAFF_ROLE_USERS, USER_PASSWORD

pytestmark = pytest.mark.django_db


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def ids(response: Any) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("fixture", STAFF_ROLE_USERS)
def test_staff_roles_list_every_order(as_user: Any, fixture: str, alice_order: Order,
                                      bob_order: Order) -> None:
    response = as_user(fixture).get("/api/orders/")
    assert response.status_code == 200
    assert ids(response) == {alice_order.pk, bob_order.pk}


def test_customer_lists_only_own_orders(as_user: Any, alice_order: Order,
                                        bob_order: Order) -> None:
    response = as_user("alice").get("/api/orders/")
    assert response.status_code == 200
    assert ids(response) == {alice_order.pk}
    assert response.json()["results"][0]["customer_name"] == "Alice Martin"


def test_customer_reads_own_order_not_another(as_user: Any, alice_order: Order,
                                              bob_order: Order) -> None:
    client = as_user("alice")
    assert client.get(f"/api/orders/{alice_order.pk}/").json()["total"] == "149.90"
    assert client.get(f"/api/orders/{bob_order.pk}/").status_code == 404


def test_customer_cannot_write_orders(as_user: Any, alice_order: Order) -> None:
    client = as_user("alice")
    assert client.patch(f"/api/orders/{alice_order.pk}/", {"status": "cancelled"}).status_code \
        == 403
    assert client.post("/api/orders/", {"customer": alice_order.customer_id,
                                        "total": "1.00"}).status_code == 403


def test_guest_cannot_read_orders(as_user: Any, alice_order: Order) -> None:
    assert as_user("guest_user").get("/api/orders/").status_code == 403


def test_anonymous_is_refused(api_client: APIClient, alice_order: Order,
                              alice_payment: Payment) -> None:
    assert api_client.get("/api/orders/").status_code in (401, 403)
    assert api_client.get("/api/payments/").status_code in (401, 403)


@pytest.mark.parametrize("fixture", STAFF_ROLE_USERS)
def test_staff_roles_write_orders(as_user: Any, fixture: str, alice: Any,
                                  event_log: Any) -> None:
    client = as_user(fixture)
    response = client.post("/api/orders/", {"customer": alice.customer.pk, "total": "12.50",
                                            "channel": "phone"})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = client.patch(f"/api/orders/{pk}/", {"status": "confirmed"})
    assert response.status_code == 200
    assert [e.type for e in event_log("orders")] == [
        "order:created", "order:updated", "order:status_changed"]


@pytest.mark.parametrize("fixture", ["admin_user", "manager_user"])
def test_managers_read_and_write_payments(as_user: Any, fixture: str, alice_order: Order,
                                          alice_payment: Payment, bob_payment: Payment,
                                          event_log: Any) -> None:
    client = as_user(fixture)
    assert ids(client.get("/api/payments/")) == {alice_payment.pk, bob_payment.pk}
    response = client.patch(f"/api/payments/{alice_payment.pk}/", {"status": "completed"})
    assert response.status_code == 200
    assert [e.type for e in event_log("payments")] == ["payment:received"]
    response = client.post("/api/payments/", {"order": alice_order.pk, "amount": "3.00",
                                              "method": "wallet"})
    assert response.status_code == 201


def test_staff_cannot_see_payments(as_user: Any, alice_payment: Payment) -> None:
    client = as_user("staff_user")
    assert client.get("/api/payments/").status_code == 403
    assert client.get(f"/api/payments/{alice_payment.pk}/").status_code == 403
    assert client.patch(f"/api/payments/{alice_payment.pk}/",
                        {"status": "completed"}).status_code == 403


def test_customer_sees_only_own_payments(as_user: Any, alice_payment: Payment,
                                         bob_payment: Payment) -> None:
    client = as_user("alice")
    assert ids(client.get("/api/payments/")) == {alice_payment.pk}
    assert client.get(f"/api/payments/{alice_payment.pk}/").status_code == 200
    assert client.get(f"/api/payments/{bob_payment.pk}/").status_code == 404
    assert client.patch(f"/api/payments/{alice_payment.pk}/",
                        {"status": "refunded"}).status_code == 403


def test_guest_cannot_see_payments(as_user: Any, alice_payment: Payment) -> None:
    assert as_user("guest_user").get("/api/payments/").status_code == 403


def test_basic_auth_works(api_client: APIClient, alice: Any, alice_order: Order) -> None:
    """Scripts use HTTP Basic; the fixture users' passwords are real hashes."""
    api_client.credentials(HTTP_AUTHORIZATION=basic("alice", USER_PASSWORD))
    assert ids(api_client.get("/api/orders/")) == {alice_order.pk}

